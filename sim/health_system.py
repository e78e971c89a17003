"""Hospitals, clinics and their doctors: the environment patients seek care in.

Facilities are plain objects (not Mesa agents): they do not decide anything on their own in
this model; their state (tier, capability, financial pressure, crowding, defensive fear,
crisis-PR stance) lives in :class:`FacilityArrays` and is read through
:class:`~sim.agents.Hospital` views. Doctors are Mesa agents whose state lives in
:class:`DoctorArrays`, one slot per post; a doctor who quits leaves the post vacant until a
replacement is hired into the same slot.

Tiers: 0 primary clinic, 1 secondary hospital, 2 tertiary hospital. "Hospitals" in every
per-hospital figure are tiers 1 and 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import ScaleConfig

PRIMARY, SECONDARY, TERTIARY = 0, 1, 2
#: Day sentinels (days run negative during the burn-in): a filled post, a doctor never injured.
FILLED = NEVER = np.iinfo(np.int32).min
TIER_NAMES = ("primary", "secondary", "tertiary")
#: Relative number of doctors per facility of each tier (a tertiary hospital is bigger).
TIER_SIZE = np.array([1.0, 1.0, 2.0])
#: Mean clinical skill by tier: quality resources concentrate in big hospitals.
TIER_SKILL = np.array([0.9, 0.95, 0.97])


@dataclass
class FacilityArrays:
    tier: np.ndarray
    backlog: np.ndarray  # patients waiting (carried over from earlier days)
    wait_reputation: np.ndarray  # days of wait residents have heard of (moving average)
    defensive_fear: np.ndarray  # 0..1, rises after violence, drives defensive medicine
    overtest_pressure: np.ndarray  # 0..1, revenue from tests and drugs the hospital needs
    visits: np.ndarray  # cumulative
    disputes: np.ndarray  # cumulative, filed against this facility
    disturbances: np.ndarray  # cumulative disturbances / property smashing
    assaults: np.ndarray  # cumulative assaults
    injuries: np.ndarray  # cumulative doctors injured

    @property
    def n(self) -> int:
        return self.tier.size


@dataclass
class DoctorArrays:
    facility: np.ndarray
    skill: np.ndarray  # clinical skill 0..1
    communication: np.ndarray  # explains risk in plain language 0..1
    burnout: np.ndarray  # 0..1
    overtest_propensity: np.ndarray  # 0..1, willingness to over-test and over-prescribe
    workload: np.ndarray  # today's consultations / capacity
    off_until: np.ndarray  # injured: off work until this day (NEVER if never injured)
    vacant_until: np.ndarray  # post vacant (doctor left) until this day; FILLED if filled
    injuries: np.ndarray  # times injured

    @property
    def n(self) -> int:
        return self.skill.size

    def on_duty(self, day: int) -> np.ndarray:
        return (self.off_until <= day) & (self.vacant_until == FILLED)

    def vacant(self) -> np.ndarray:
        return self.vacant_until != FILLED


def layout(scale: ScaleConfig) -> tuple[int, int, int]:
    """(clinics, secondary hospitals, tertiary hospitals) for a population."""
    hospitals = max(1, round(scale.n_patients / scale.patients_per_hospital))
    tertiary = max(1, round(hospitals * scale.tertiary_share))
    secondary = hospitals - tertiary
    clinics = max(1, round(hospitals * scale.clinics_per_hospital))
    return clinics, secondary, tertiary


def build_facilities(scale: ScaleConfig, financial_pressure: float) -> FacilityArrays:
    clinics, secondary, tertiary = layout(scale)
    tier = np.repeat(np.array([PRIMARY, SECONDARY, TERTIARY], np.int8), [clinics, secondary, tertiary])
    n = tier.size
    pressure = np.where(tier == PRIMARY, 0.5 * financial_pressure, financial_pressure)
    return FacilityArrays(
        tier=tier,
        backlog=np.zeros(n),
        wait_reputation=np.zeros(n),
        defensive_fear=np.zeros(n),
        overtest_pressure=pressure.astype(float),
        visits=np.zeros(n, np.int64),
        disputes=np.zeros(n, np.int64),
        disturbances=np.zeros(n, np.int64),
        assaults=np.zeros(n, np.int64),
        injuries=np.zeros(n, np.int64),
    )


def doctor_posts(scale: ScaleConfig, tier: np.ndarray) -> np.ndarray:
    """Facility index of every doctor post: each facility at least one doctor."""
    total = scale.n_patients * scale.doctors_per_1000 / 1000
    posts = np.zeros(tier.size, dtype=np.int64)
    for hospital_side, share in (
        (tier > PRIMARY, scale.hospital_doctor_share),
        (tier == PRIMARY, 1 - scale.hospital_doctor_share),
    ):
        weights = TIER_SIZE[tier[hospital_side]]
        posts[hospital_side] = np.maximum(1, np.round(total * share * weights / weights.sum()))
    return np.repeat(np.arange(tier.size, dtype=np.int32), posts)


def build_doctors(
    facility: np.ndarray, tier: np.ndarray, initial_burnout: float, rng: np.random.Generator
) -> DoctorArrays:
    n = facility.size
    mean_skill = TIER_SKILL[tier[facility]]
    concentration = 40.0
    skill = rng.beta(mean_skill * concentration, (1 - mean_skill) * concentration)
    burnout = rng.beta(max(initial_burnout, 1e-6) * 5, (1 - initial_burnout) * 5, n)
    return DoctorArrays(
        facility=facility,
        skill=skill,
        communication=rng.beta(2.0, 3.0, n),
        burnout=burnout,
        overtest_propensity=rng.beta(2.0, 2.0, n),
        workload=np.zeros(n),
        off_until=np.full(n, NEVER, np.int32),
        vacant_until=np.full(n, FILLED, np.int32),
        injuries=np.zeros(n, np.int32),
    )


def new_doctor(doctors: DoctorArrays, slot: int, tier: int, rng: np.random.Generator) -> None:
    """A replacement hired into a vacant post: fresh skills, no burnout."""
    mean_skill = TIER_SKILL[tier]
    doctors.skill[slot] = rng.beta(mean_skill * 40, (1 - mean_skill) * 40)
    doctors.communication[slot] = rng.beta(2.0, 3.0)
    doctors.overtest_propensity[slot] = rng.beta(2.0, 2.0)
    doctors.burnout[slot] = 0.1
    doctors.vacant_until[slot] = FILLED
    doctors.off_until[slot] = NEVER
