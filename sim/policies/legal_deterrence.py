"""Legal deterrence: severe punishment of violence against medical staff.

Mechanism: a higher chance that violence is punished raises the net risk of acting on a
grievance (Epstein 2002: act when grievance - risk aversion x P(punishment) > threshold). The
intensity closes a share of the pre-reform gap to certain punishment, so it means the same
whatever the calibrated pre-reform chance. Guards and police posts in hospitals are a policy of
their own (hospital security). Sources: MISSION.md remedies; HISTORY.md A3 (2014 campaign
and judicial opinion on six kinds of medical-related crime; Criminal Law Amendment IX in force
2015-11-01).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class LegalDeterrenceParams(PolicyParams):
    punishment_gain: float = unit(
        0.53,
        "share of the pre-reform gap to certain punishment of violence closed (0.53: 0.15 to 0.6)",
        "HISTORY.md A3: 347 people charged for serious assaults, Dec 2013 - Dec 2014",
        null=0.0,
    )


@dataclass
class LegalDeterrencePrices(PolicyPrices):
    enforcement_yuan_per_hospital_year: float = price(
        50_000,
        10_000,
        200_000,
        "special policing and judicial campaigns at punishment_gain 1, yuan per hospital-year",
    )


class LegalDeterrence(Policy):
    name = "legal_deterrence"
    label = "Legal deterrence"
    summary = "Severe punishment of violence against medical staff."
    Params = LegalDeterrenceParams
    main_intensity = "punishment_gain"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    assumed = ("punishment_gain",)
    moves = ("punishment_probability",)
    Prices = LegalDeterrencePrices

    def levers(self, base):
        p = base.punishment_probability
        return {"punishment_probability": p + self.params.punishment_gain * (1 - p)}

    def spending(self, books):
        """The punishments above the pre-reform chance (the day's violent acts x the added chance of
        punishment), each a prosecution; a campaign in proportion to ``punishment_gain``."""
        return {
            "prosecutions": programme(books.punishments_added(self.name), "shared.prosecution_yuan_per_case"),
            "enforcement": programme(
                books.hospitals * self.params.punishment_gain * books.year, "enforcement_yuan_per_hospital_year"
            ),
        }
