"""Hospital expansion: more capacity at tertiary hospitals.

Mechanism: tertiary hospitals see more patients a day (more beds, doctors and outpatient
departments), which shortens waits there and consultations are less rushed; shorter waits also
draw more patients to them (tier choice weighs the waits residents hear of), the "siphoning"
of patients by big hospitals that tiered care tries to reverse. Source: HISTORY.md A4 (tertiary
hospitals 1,624 in 2012, 3,275 in 2021).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.fields import param
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class HospitalExpansionParams(PolicyParams):
    tertiary_capacity_gain: float = param(
        1.0,
        0,
        3,
        "extra daily capacity of tertiary hospitals (1: doubled)",
        "HISTORY.md A4: tertiary hospitals 1,624 (2012) -> 3,275 (2021)",
        null=0.0,
    )


@dataclass
class HospitalExpansionPrices(PolicyPrices):
    running_cost_ratio: float = price(
        2.0,
        1.0,
        4.0,
        "running cost of a unit of hospital capacity (beds, equipment, staff other than doctors) per yuan of "
        "the doctors' pay it takes (ratio)",
        "assumption: personnel about a third of public hospitals' spending",
    )


class HospitalExpansion(Policy):
    name = "hospital_expansion"
    label = "Hospital expansion"
    summary = "More capacity at tertiary hospitals."
    Params = HospitalExpansionParams
    main_intensity = "tertiary_capacity_gain"
    dose_levels = (0.0, 0.25, 0.5, 1.0, 2.0)
    moves = ("hospital_capacity_gain",)
    Prices = HospitalExpansionPrices

    def levers(self, base):
        return {"hospital_capacity_gain": np.array([0.0, 0.0, self.params.tertiary_capacity_gain])}

    def spending(self, books):
        """The extra capacity as doctors' pay and what runs with it: the tertiary doctors in post
        times the capacity gain in force, a year's salary each, times the running-cost ratio."""
        gain = float(books.levers.hospital_capacity_gain[2])
        return {
            "capacity": programme(
                books.tertiary_doctors_in_post * gain * books.year,
                "shared.doctor_salary_yuan_per_year",
                "running_cost_ratio",
            )
        }
