"""Legal deterrence: severe punishment of violence against medical staff.

Mechanism: a higher chance that violence is punished raises the net risk of acting on a
grievance (Epstein 2002: act when grievance - risk aversion x P(punishment) > threshold), and
hospital security stops assaults before they injure. Sources: MISSION.md remedies; HISTORY.md
A3 (2014 campaign and judicial opinion, Criminal Law Amendment IX in force 2015-11-01).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class LegalDeterrenceParams(PolicyParams):
    punishment_probability: float = unit(0.6, "chance violence is punished")
    security: float = unit(0.5, "share of assaults stopped by hospital security before injury")


class LegalDeterrence(Policy):
    name = "legal_deterrence"
    label = "Legal deterrence"
    summary = "Severe punishment of violence against medical staff."
    Params = LegalDeterrenceParams
    main_intensity = "punishment_probability"
    dose_levels = (0.15, 0.3, 0.45, 0.6, 0.9)
    moves = ("punishment_probability", "security")

    def levers(self, base):
        p = self.params
        return {"punishment_probability": p.punishment_probability, "security": p.security}
