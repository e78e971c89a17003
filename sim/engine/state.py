"""The state of the world as arrays: residents, doctors' posts, clinics and hospitals.

Every per-agent quantity the daily rules read or write lives here, one slot per agent, so the
rules work on whole populations at once (``sim.mechanisms``) while each Mesa agent
(``sim.engine.agents``) reads and writes its own slot: ``patient.trust`` is always the value
the rules use. Drawn at set-up from the ``population`` and ``workforce`` streams only, so every
policy arm has the same residents and doctors.

- :class:`PatientArrays`: who the residents are, their last episode, their grievance.
- :class:`DoctorArrays`: one slot per post; a doctor who quits leaves the post vacant until a
  replacement is hired into the same slot.
- :class:`FacilityArrays`: clinics and hospitals. Facilities are plain objects (not Mesa agents):
  they decide nothing on their own in this model, and are read through
  :class:`~sim.engine.agents.Hospital` views.

Tiers: 0 primary clinic, 1 secondary hospital, 2 tertiary hospital. "Hospitals" in every
per-hospital figure are tiers 1 and 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def layout(scale) -> tuple[int, int, int]:
    """(clinics, secondary hospitals, tertiary hospitals) for a population."""
    hospitals = max(1, round(scale.n_patients / scale.patients_per_hospital))
    tertiary = max(1, round(hospitals * scale.tertiary_share))
    secondary = hospitals - tertiary
    clinics = max(1, round(hospitals * scale.clinics_per_hospital))
    return clinics, secondary, tertiary


def build_facilities(scale, financial_pressure: float) -> FacilityArrays:
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


def doctor_posts(scale, tier: np.ndarray) -> np.ndarray:
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
    mean_burnout = min(max(initial_burnout, 1e-6), 1 - 1e-6)  # a beta needs a mean inside (0, 1)
    burnout = rng.beta(mean_burnout * 5, (1 - mean_burnout) * 5, n)
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


def new_doctor(
    doctors: DoctorArrays, slot: int, skill: float, communication: float, overtest_propensity: float
) -> None:
    """A replacement hired into a vacant post: the given skills, little burnout."""
    doctors.skill[slot] = skill
    doctors.communication[slot] = communication
    doctors.overtest_propensity[slot] = overtest_propensity
    doctors.burnout[slot] = 0.1
    doctors.vacant_until[slot] = FILLED
    doctors.off_until[slot] = NEVER


# ---------------------------------------------------------------------------------------------
# The day's episodes of care
# ---------------------------------------------------------------------------------------------
@dataclass
class Episodes:
    """Today's episodes of care, one entry each: drawn by the illness mechanism, filled in by the
    care mechanism (``sim.mechanisms.care``), read by trust, disputes and workforce."""

    patient: np.ndarray
    severity: np.ndarray
    draws: np.ndarray | None = None  # (n, len(care.DRAWS)) uniforms
    tier: np.ndarray | None = None
    facility: np.ndarray | None = None
    doctor: np.ndarray | None = None
    referred: np.ndarray | None = None  # came through a clinic referral
    wait_days: np.ndarray | None = None
    consult_time: np.ndarray | None = None  # 1 = full consultation
    success: np.ndarray | None = None
    harm: np.ndarray | None = None
    cost_yuan: np.ndarray | None = None
    out_of_pocket_yuan: np.ndarray | None = None
    overtest_share: np.ndarray | None = None
    burden: np.ndarray | None = None  # log(1 + out of pocket / monthly income)
    explanation: np.ndarray | None = None
    expectation: np.ndarray | None = None
    satisfaction: np.ndarray | None = None
    trust_before: np.ndarray | None = None
    contracted: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.patient.size


# ---------------------------------------------------------------------------------------------
# Residents
# ---------------------------------------------------------------------------------------------
NO_DISPUTE = -1


def _beta(rng: np.random.Generator, mean: float, concentration: float, size: int) -> np.ndarray:
    """Beta draws with a given mean; degenerate means give constants."""
    mean = float(np.clip(mean, 1e-6, 1 - 1e-6))
    return rng.beta(mean * concentration, (1 - mean) * concentration, size)


@dataclass
class PatientArrays:
    """Per-resident state, one slot per :class:`~sim.agents.Patient`."""

    income_yuan: np.ndarray  # annual disposable income
    literacy: np.ndarray  # medical literacy 0..1 (information asymmetry)
    expectation: np.ndarray  # baseline expectation of a good outcome 0..1 (excessive expectations)
    risk_aversion: np.ndarray  # Epstein's R: weight of the chance of punishment
    insurance_draw: np.ndarray  # uniform: insured when above the uninsured share (CRN across policies)
    contract_draw: np.ndarray  # uniform: has a family-doctor contract when below the enrolment (CRN)
    home_clinic: np.ndarray  # facility index of the nearest primary clinic
    trust: np.ndarray  # trust in doctors and hospitals 0..1
    trust_primary: np.ndarray  # trust in primary clinics 0..1
    # current / last episode
    severity: np.ndarray
    ill_until: np.ndarray  # day the current episode ends (ill while day < ill_until)
    facility: np.ndarray  # facility of the last episode (-1: none yet)
    doctor: np.ndarray  # doctor slot of the last episode (-1: none yet)
    cost_yuan: np.ndarray  # total cost of the last episode
    out_of_pocket_yuan: np.ndarray  # what the patient paid of it
    satisfaction: np.ndarray  # satisfaction with the last episode 0..1
    # grievance (sim.violence)
    harm: np.ndarray  # harm still felt 0..1 (decays)
    unmet_expectation: np.ndarray  # expectation minus outcome value of the last harmful episode 0..1 (decays)
    harm_facility: np.ndarray  # where the harm happened
    harm_doctor: np.ndarray  # by whom
    open_dispute: np.ndarray  # id of the open dispute, NO_DISPUTE if none
    dispute_opened: np.ndarray  # day that dispute was filed
    system_view: np.ndarray  # own view of the dispute system's legitimacy after a dispute (-1: none yet)
    # counts
    visits: np.ndarray
    disputes_filed: np.ndarray
    violent_acts: np.ndarray

    @property
    def n(self) -> int:
        return self.trust.size


def build_patients(n: int, n_clinics: int, params, rng: np.random.Generator) -> PatientArrays:
    f32 = np.float32
    income = params.median_income_yuan * np.exp(params.income_sigma * rng.standard_normal(n))
    arrays = PatientArrays(
        income_yuan=income,
        literacy=_beta(rng, params.literacy_mean, 4.0, n).astype(f32),
        expectation=_beta(rng, params.expectation_mean, 6.0, n).astype(f32),
        risk_aversion=rng.random(n).astype(f32),
        insurance_draw=rng.random(n).astype(f32),
        contract_draw=rng.random(n).astype(f32),
        home_clinic=rng.integers(0, n_clinics, n).astype(np.int32),
        trust=_beta(rng, params.initial_trust, params.trust_concentration, n).astype(f32),
        trust_primary=_beta(rng, params.initial_trust_primary, params.trust_concentration, n).astype(f32),
        severity=np.zeros(n, f32),
        ill_until=np.zeros(n, np.int32),
        facility=np.full(n, -1, np.int32),
        doctor=np.full(n, -1, np.int32),
        cost_yuan=np.zeros(n, f32),
        out_of_pocket_yuan=np.zeros(n, f32),
        satisfaction=np.full(n, np.nan, f32),
        harm=np.zeros(n, f32),
        unmet_expectation=np.zeros(n, f32),
        harm_facility=np.full(n, -1, np.int32),
        harm_doctor=np.full(n, -1, np.int32),
        open_dispute=np.full(n, NO_DISPUTE, np.int32),
        dispute_opened=np.zeros(n, np.int32),
        system_view=np.full(n, -1.0, np.float32),
        visits=np.zeros(n, np.int32),
        disputes_filed=np.zeros(n, np.int16),
        violent_acts=np.zeros(n, np.int16),
    )
    return arrays
