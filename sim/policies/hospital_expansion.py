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


class HospitalExpansion(Policy):
    name = "hospital_expansion"
    label = "Hospital expansion"
    summary = "More capacity at tertiary hospitals."
    Params = HospitalExpansionParams
    main_intensity = "tertiary_capacity_gain"
    dose_levels = (0.0, 0.25, 0.5, 1.0, 2.0)
    moves = ("hospital_capacity_gain",)

    def levers(self, base):
        return {"hospital_capacity_gain": np.array([0.0, 0.0, self.params.tertiary_capacity_gain])}
