"""Public medical-literacy education: realistic expectations.

Mechanism: literacy cuts the excess of patients' expectations over what medicine can do
(``sim.mechanisms.care.expectation``). Source: MISSION.md remedies (excessive expectations).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class HealthLiteracyParams(PolicyParams):
    literacy_gain: float = unit(0.4, "share of the gap to full literacy closed", null=0.0)


@dataclass
class HealthLiteracyPrices(PolicyPrices):
    campaign_yuan_per_resident_year: float = price(
        10,
        2,
        40,
        "education campaigns to close the whole gap to full literacy (literacy_gain 1), yuan per resident-year",
        "assumption; for scale: the basic public-health service subsidy, all items together, was 25 yuan per "
        "resident in 2011 (recalled, not re-checked offline)",
    )


class HealthLiteracy(Policy):
    name = "health_literacy"
    label = "Health literacy"
    summary = "Public medical-literacy education: realistic expectations."
    Params = HealthLiteracyParams
    main_intensity = "literacy_gain"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("literacy_gain",)
    Prices = HealthLiteracyPrices

    def levers(self, base):
        return {"literacy_gain": self.params.literacy_gain}

    def spending(self, books):
        """Campaigns reaching every resident, in proportion to ``literacy_gain``."""
        return {
            "campaigns": programme(
                books.residents * self.params.literacy_gain * books.year, "campaign_yuan_per_resident_year"
            )
        }
