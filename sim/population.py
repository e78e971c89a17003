"""The residents (patients): who they are, held as numpy arrays owned by the model.

Each :class:`~sim.agents.Patient` agent reads and writes its own slot of these arrays, so a
student can ask ``patient.trust`` while the daily rules work on the whole population at once.
Drawn from the ``population`` stream only, so every policy arm has the same residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import PopulationParams

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
    family_doctor_draw: np.ndarray  # uniform: contracted when below the enrolment (CRN)
    home_clinic: np.ndarray  # facility index of the nearest primary clinic
    trust: np.ndarray  # trust in doctors and hospitals 0..1
    trust_primary: np.ndarray  # trust in primary clinics 0..1
    family_doctor: np.ndarray  # has a family-doctor contract
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
    loss_burden: np.ndarray  # uncompensated money lost, as log burden on monthly income (decays)
    harm_facility: np.ndarray  # where the harm happened
    harm_doctor: np.ndarray  # by whom
    open_dispute: np.ndarray  # id of the open dispute, NO_DISPUTE if none
    dispute_opened: np.ndarray  # day that dispute was filed
    # counts
    visits: np.ndarray
    disputes_filed: np.ndarray
    violent_acts: np.ndarray

    @property
    def n(self) -> int:
        return self.trust.size


def build_patients(n: int, n_clinics: int, params: PopulationParams, rng: np.random.Generator) -> PatientArrays:
    f32 = np.float32
    income = params.median_income_yuan * np.exp(params.income_sigma * rng.standard_normal(n))
    arrays = PatientArrays(
        income_yuan=income,
        literacy=_beta(rng, params.literacy_mean, 4.0, n).astype(f32),
        expectation=_beta(rng, params.expectation_mean, 6.0, n).astype(f32),
        risk_aversion=rng.random(n).astype(f32),
        insurance_draw=rng.random(n).astype(f32),
        family_doctor_draw=rng.random(n).astype(f32),
        home_clinic=rng.integers(0, n_clinics, n).astype(np.int32),
        trust=_beta(rng, params.initial_trust, params.trust_concentration, n).astype(f32),
        trust_primary=_beta(rng, params.initial_trust_primary, params.trust_concentration, n).astype(f32),
        family_doctor=np.zeros(n, dtype=bool),
        severity=np.zeros(n, f32),
        ill_until=np.zeros(n, np.int32),
        facility=np.full(n, -1, np.int32),
        doctor=np.full(n, -1, np.int32),
        cost_yuan=np.zeros(n, f32),
        out_of_pocket_yuan=np.zeros(n, f32),
        satisfaction=np.full(n, np.nan, f32),
        harm=np.zeros(n, f32),
        loss_burden=np.zeros(n, f32),
        harm_facility=np.full(n, -1, np.int32),
        harm_doctor=np.full(n, -1, np.int32),
        open_dispute=np.full(n, NO_DISPUTE, np.int32),
        dispute_opened=np.zeros(n, np.int32),
        visits=np.zeros(n, np.int32),
        disputes_filed=np.zeros(n, np.int16),
        violent_acts=np.zeros(n, np.int16),
    )
    return arrays
