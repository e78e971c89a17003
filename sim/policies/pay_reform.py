"""Pay reform: pay that rewards doctors' work rather than tests and drugs.

Mechanism: decoupling pay from tests and drugs removes part of the over-testing incentive
(cost, perceived profiteering); better pay slows burnout and attrition. Source: MISSION.md
(self-financing hospitals over-test; pay does not match work).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme, subsidy


@dataclass
class PayReformParams(PolicyParams):
    decoupling: float = unit(0.7, "share of the tests-and-drugs revenue incentive removed", null=0.0)
    pay_rise: float = unit(0.3, "burnout accumulation and attrition cut by better pay", null=0.0)


@dataclass
class PayReformPrices(PolicyPrices):
    raise_per_unit: float = price(
        1.0,
        0.5,
        2.0,
        "pay rise, as a share of pay, per unit of pay_rise (ratio; 1: the default pay_rise 0.3 is a 30 % rise)",
    )
    replacement_share: float = price(
        0.5,
        0.2,
        1.0,
        "share of the tests-and-drugs revenue that decoupling removes which public subsidies replace (ratio)",
    )


class PayReform(Policy):
    name = "pay_reform"
    label = "Pay reform"
    summary = "Pay that rewards doctors' work rather than tests and drugs."
    Params = PayReformParams
    main_intensity = "decoupling"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("overtest_decoupling", "pay_rise")
    Prices = PayReformPrices

    def levers(self, base):
        p = self.params
        return {"overtest_decoupling": p.decoupling, "pay_rise": p.pay_rise}

    def spending(self, books):
        """The payroll of the pay rise (every doctor in post); the subsidy replacing the revenue
        from over-testing that decoupling removes, computed from the day's episodes."""
        p = self.params
        return {
            "pay_rise": programme(
                books.doctors_in_post * p.pay_rise * books.year, "shared.doctor_salary_yuan_per_year", "raise_per_unit"
            ),
            "revenue_replacement": subsidy(books.revenue_removed(self.name), "replacement_share"),
        }
