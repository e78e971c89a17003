"""Pay reform: pay that rewards doctors' work rather than tests and drugs.

Mechanism: decoupling pay from tests and drugs removes part of the over-testing incentive
(cost, perceived profiteering); better pay slows burnout and attrition. Source: MISSION.md
(self-financing hospitals over-test; pay does not match work).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class PayReformParams(PolicyParams):
    decoupling: float = unit(0.7, "share of the tests-and-drugs revenue incentive removed", null=0.0)
    pay_rise: float = unit(0.3, "burnout accumulation and attrition cut by better pay", null=0.0)


class PayReform(Policy):
    name = "pay_reform"
    label = "Pay reform"
    summary = "Pay that rewards doctors' work rather than tests and drugs."
    Params = PayReformParams
    main_intensity = "decoupling"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("overtest_decoupling", "pay_rise")

    def levers(self, base):
        p = self.params
        return {"overtest_decoupling": p.decoupling, "pay_rise": p.pay_rise}
