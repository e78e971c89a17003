"""Doctor communication training and informed consent in plain language.

Mechanism: trained doctors explain risk better, which makes patients' expectations realistic
(``sim.mechanisms.care.expectation``). Source: MISSION.md remedies (information asymmetry).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class CommunicationTrainingParams(PolicyParams):
    skill_gain: float = unit(0.5, "share of the gap to perfect communication closed", null=0.0)


@dataclass
class CommunicationTrainingPrices(PolicyPrices):
    training_yuan_per_doctor_year: float = price(
        3_000,
        1_000,
        10_000,
        "courses and doctors' time to close the whole gap to perfect communication (skill_gain 1), yuan per "
        "doctor-year",
    )


class CommunicationTraining(Policy):
    name = "communication_training"
    label = "Communication training"
    summary = "Doctor communication training and informed consent in plain language."
    Params = CommunicationTrainingParams
    main_intensity = "skill_gain"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("communication_gain",)
    Prices = CommunicationTrainingPrices

    def levers(self, base):
        return {"communication_gain": self.params.skill_gain}

    def spending(self, books):
        """Training of every doctor in post (new hires included), in proportion to ``skill_gain``."""
        return {
            "training": programme(
                books.doctors_in_post * self.params.skill_gain * books.year, "training_yuan_per_doctor_year"
            )
        }
