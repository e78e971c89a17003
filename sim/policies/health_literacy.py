"""Public medical-literacy education: realistic expectations.

Mechanism: literacy cuts the excess of patients' expectations over what medicine can do
(``sim.mechanisms.care.expectation``). Source: MISSION.md remedies (excessive expectations).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class HealthLiteracyParams(PolicyParams):
    literacy_gain: float = unit(0.4, "share of the gap to full literacy closed", null=0.0)


class HealthLiteracy(Policy):
    name = "health_literacy"
    label = "Health literacy"
    summary = "Public medical-literacy education: realistic expectations."
    Params = HealthLiteracyParams
    main_intensity = "literacy_gain"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("literacy_gain",)

    def levers(self, base):
        return {"literacy_gain": self.params.literacy_gain}
