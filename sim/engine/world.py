"""The world the daily rules work on, and how it is set up.

:class:`World` holds every piece of state (the arrays of ``sim.engine.state``, the social
network, the institutions of ``sim.engine.institutions``), the levers in force, the day's
ledger and the day itself. Mechanisms receive the world, never the Mesa model: the model
(``sim.engine.model``) owns a world and keeps its agent views in step with it.

:func:`build_world` is the set-up (ODD "Initialization"): facilities and doctors' posts,
residents, the social network, local media areas and their outlets, an empty dispute system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from sim.engine.institutions import DisputeBook, Mediation, OutletRecord
from sim.engine.ledger import Ledger
from sim.engine.network import row_normalised, small_world
from sim.engine.state import (
    PRIMARY,
    DoctorArrays,
    FacilityArrays,
    PatientArrays,
    build_doctors,
    build_facilities,
    build_patients,
    doctor_posts,
)
from sim.engine.streams import Streams
from sim.policies.levers import Levers


@dataclass
class World:
    day: int
    patients: PatientArrays
    doctors: DoctorArrays
    facilities: FacilityArrays
    adjacency: sp.csr_matrix  # who talks to whom (0/1, symmetric)
    contact_weights: sp.csr_matrix  # the adjacency, rows normalised (DeGroot averaging)
    hospital_weights: np.ndarray  # hospitals are picked in proportion to their size (posts)
    facility_area: np.ndarray  # media area of each facility
    outlets: list[OutletRecord]
    disputes: DisputeBook
    levers: Levers
    ledger: Ledger
    mediation: Mediation = field(default_factory=Mediation)
    #: today's episodes of care (``sim.engine.state.Episodes``), set by the care mechanism
    episodes: object = None
    #: incomes and prices of care relative to the run's first day, and the expectation they add
    #: (``sim.mechanisms.economy``)
    income_index: float = 1.0
    price_index: float = 1.0
    expectation_shift: float = 0.0

    @property
    def n_hospitals(self) -> int:
        return int((self.facilities.tier > PRIMARY).sum())


class NonFiniteState(RuntimeError):
    """A state quantity became NaN or infinite: a run stops rather than write impossible numbers."""


def check_finite(world: World) -> None:
    """Raise :class:`NonFiniteState` naming the quantity and the day if any state is NaN or inf.

    One sum per array in its own dtype (float32 for most: no conversion), cheap enough for every
    day: NaN or inf anywhere makes the sum so; a sum that overflowed is checked element-wise."""
    quantities = {
        "patients.trust": world.patients.trust,
        "patients.trust_primary": world.patients.trust_primary,
        "patients.harm": world.patients.harm,
        "patients.unmet_expectation": world.patients.unmet_expectation,
        "doctors.burnout": world.doctors.burnout,
        "facilities.backlog": world.facilities.backlog,
        "facilities.wait_reputation": world.facilities.wait_reputation,
        "facilities.defensive_fear": world.facilities.defensive_fear,
        "disputes.legitimacy": np.array([world.disputes.legitimacy]),
        "today's counts": np.fromiter(world.ledger.today.values(), float),
    }
    for name, values in quantities.items():
        if not np.isfinite(values.sum()) and not np.isfinite(values).all():
            raise NonFiniteState(f"day {world.day}: {name} is not finite (NaN or inf); check the parameters")


def media_areas(tier: np.ndarray, n_areas: int) -> np.ndarray:
    """Area of each facility: each tier's facilities spread evenly over the areas."""
    area = np.zeros(tier.size, dtype=np.int64)
    for t in np.unique(tier):
        members = np.flatnonzero(tier == t)
        area[members] = np.arange(members.size) * n_areas // members.size
    return area


def build_outlets(
    n_patients: int, patient_area: np.ndarray, n_outlets: int, media_params, rng: np.random.Generator
) -> list[OutletRecord]:
    """Local media: one outlet per area, reaching ``audience_share`` of its area's residents,
    each with its own sensationalism around the mean."""
    follows = rng.random(n_patients) < media_params.audience_share
    outlets = []
    for i in range(n_outlets):
        audience = np.flatnonzero(follows & (patient_area == i)).astype(np.int32)
        sens = float(np.clip(rng.normal(media_params.sensationalism, 0.1), 0.0, 1.0))
        outlets.append(OutletRecord(i, audience, sens))
    return outlets


def build_world(config, streams: Streams, levers: Levers) -> World:
    """The world on its first day (``-config.burn_in_days``), from a validated ``SimConfig``."""
    scale, params = config.scale, config.params
    facilities = build_facilities(scale, params.cost.financial_pressure)
    doctors = build_doctors(
        doctor_posts(scale, facilities.tier),
        facilities.tier,
        params.workforce.initial_burnout,
        streams.generator("doctors"),
    )
    n_clinics = int((facilities.tier == PRIMARY).sum())
    patients = build_patients(scale.n_patients, n_clinics, params.population, streams.generator("population"))
    adjacency = small_world(scale.n_patients, scale.mean_degree, scale.rewiring, streams.generator("network"))
    # local media: one outlet per area, reaching residents of its area and reporting on its
    # facilities, so a resident's exposure does not grow with the size of the city
    n_outlets = max(2, round(scale.n_patients / scale.patients_per_media_outlet))
    facility_area = media_areas(facilities.tier, n_outlets)
    outlets = build_outlets(
        scale.n_patients,
        facility_area[patients.home_clinic],
        n_outlets,
        params.media,
        streams.generator("media outlets"),
    )
    trust = params.trust
    return World(
        day=-config.burn_in_days,
        patients=patients,
        doctors=doctors,
        facilities=facilities,
        adjacency=adjacency,
        contact_weights=row_normalised(adjacency),
        hospital_weights=np.bincount(doctors.facility, minlength=facilities.n).astype(float),
        facility_area=facility_area,
        outlets=outlets,
        disputes=DisputeBook(trust.initial_system_legitimacy, trust.system_prior_cases, trust.system_memory_days),
        levers=levers,
        ledger=Ledger(config.record_episodes),
    )
