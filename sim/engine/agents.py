"""The agents: patients, doctors, mediators and media outlets (Mesa agents), and hospitals.

Agents are the inspectable views students use and the delegates of the rules: each agent's
state lives in the world's arrays and records (``sim.engine.state``,
``sim.engine.institutions``), one slot each, and an agent's attributes read and write its
slot, so ``patient.trust`` is always the value the vectorised daily rules use. The rules
themselves live in the mechanisms (``sim.mechanisms``); an agent's action methods
(``patient.file_dispute``, ``patient.act_violently``, ``doctor.injure``) hand over to them.
Hospitals and clinics are plain views over the facility arrays, not Mesa agents: they take no
decisions of their own here. Agents never import the model: they reach it as ``self.model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import mesa
import numpy as np

from sim.engine.institutions import Dispute, MediatorRecord, Story
from sim.engine.state import NO_DISPUTE, TIER_NAMES
from sim.mechanisms.care import out_of_pocket_share
from sim.mechanisms.media import sensationalism
from sim.mechanisms.violence import grievances


class Slot:
    """An attribute stored in one of the world's state arrays, at the owner's ``index``."""

    def __init__(self, array: str | None = None, kind: type = float):
        self.array, self.kind = array, kind

    def __set_name__(self, owner, name):
        self.array = self.array or name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return self.kind(getattr(obj._store, self.array)[obj.index])

    def __set__(self, obj, value):
        getattr(obj._store, self.array)[obj.index] = value


class Patient(mesa.Agent):
    """A resident who falls ill, seeks care, judges it, talks about it, and may dispute or act.

    State (array-backed): ``income_yuan``, ``literacy``, ``expectation``, ``trust``,
    ``trust_primary``, ``risk_aversion``, the last episode (``severity``, ``facility``,
    ``doctor``, ``cost_yuan``, ``out_of_pocket_yuan``, ``satisfaction``), the grievance
    inputs (``harm``, ``unmet_expectation``) and counts. ``history`` lists the notable events.
    """

    income_yuan = Slot()
    literacy = Slot()
    expectation = Slot()
    risk_aversion = Slot()
    trust = Slot()
    trust_primary = Slot()
    severity = Slot()
    facility = Slot(kind=int)
    doctor = Slot(kind=int)
    cost_yuan = Slot()
    out_of_pocket_yuan = Slot()
    satisfaction = Slot()
    harm = Slot()
    unmet_expectation = Slot()
    visits = Slot(kind=int)
    disputes_filed = Slot(kind=int)
    violent_acts = Slot(kind=int)

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _store(self):
        return self.model.world.patients

    @property
    def health_state(self) -> str:
        return "ill" if self.model.world.patients.ill_until[self.index] > self.model.day else "healthy"

    @property
    def out_of_pocket_share(self) -> float:
        """Share of a hospital bill this patient pays today (insurance)."""
        world = self.model.world
        return float(out_of_pocket_share(world.patients, np.array([self.index]), np.array([2]), world.levers)[0])

    @property
    def grievance(self) -> float:
        """Epstein's grievance today (``sim.mechanisms.violence``)."""
        return float(grievances(self.model.world, np.array([self.index]), self.model.config.params.violence)[0])

    @property
    def open_dispute(self) -> Dispute | None:
        i = int(self.model.world.patients.open_dispute[self.index])
        return None if i == NO_DISPUTE else self.model.world.disputes.all[i]

    @property
    def history(self) -> list[dict]:
        return self.model.world.ledger.history.get(self.index, [])

    def file_dispute(self, harm: float, severity: float) -> Dispute:
        """Complain about the last episode (the disputes mechanism picks a channel)."""
        return self.model.mechanisms["disputes"].file(self.model.world, self.index, harm, severity)

    def act_violently(self, grievance: float) -> str:
        """A disturbance or an assault at the facility that harmed this patient (the violence
        mechanism's rule); returns its kind."""
        return self.model.mechanisms["violence"].act(self.model.world, self.index, grievance)


class Doctor(mesa.Agent):
    """A doctor in a post at a clinic or hospital. Array-backed: ``skill``, ``communication``,
    ``burnout``, ``overtest_propensity``, ``workload``."""

    skill = Slot()
    communication = Slot()
    burnout = Slot()
    overtest_propensity = Slot()
    workload = Slot()
    injuries = Slot(kind=int)

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index
        world = model.world
        self.facility = int(world.doctors.facility[index])
        self.tier = TIER_NAMES[int(world.facilities.tier[self.facility])]
        self.hired_day = world.day
        self.left_day: int | None = None

    @property
    def _store(self):
        return self.model.world.doctors

    @property
    def hospital(self) -> Hospital:
        return self.model.hospitals[self.facility]

    @property
    def off_work(self) -> bool:
        return bool(self.model.world.doctors.off_until[self.index] > self.model.day)

    def injure(self) -> None:
        """Assaulted and injured: off work for ``injury_days`` (the workforce mechanism's rule)."""
        self.model.mechanisms["workforce"].injure(self.model.world, self.index)

    def leave(self, vacant_until: int) -> None:
        """Quit medicine; the post stays vacant until ``vacant_until`` (the workforce mechanism's
        rule). The agent leaves the model at once."""
        self.model.mechanisms["workforce"].leave(self.model.world, self.index, vacant_until)
        self.model.sync_agents()


#: What a mediator agent shows of its record (``sim.engine.institutions.MediatorRecord``).
MEDIATOR_STATE = frozenset(f.name for f in fields(MediatorRecord)) - {"index"}


class Mediator(mesa.Agent):
    """A professional mediator at a mediation centre: ``capacity`` cases in parallel.

    A view over ``world.mediation.mediators[index]``; the rules are in
    ``sim.mechanisms.mediation``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def record(self):
        return self.model.world.mediation.mediators[self.index]

    def __getattr__(self, name):
        if name in MEDIATOR_STATE:
            return getattr(self.record, name)
        raise AttributeError(name)


class MediaOutlet(mesa.Agent):
    """A newspaper / TV / web outlet reaching ``audience`` (patient indices). A view over
    ``world.outlets[index]``; the rules are in ``sim.mechanisms.media``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def record(self):
        return self.model.world.outlets[self.index]

    @property
    def audience(self) -> np.ndarray:
        return self.record.audience

    @property
    def base_sensationalism(self) -> float:
        return self.record.base_sensationalism

    @property
    def sensationalism(self) -> float:
        return sensationalism(self.record, self.model.world.levers)

    @property
    def stories(self) -> list[Story]:
        return self.record.stories


@dataclass
class Hospital:
    """A clinic (tier 0) or hospital (tiers 1-2): a view over the facility arrays
    (``backlog``, ``defensive_fear``, ``overtest_pressure``, cumulative ``visits``,
    ``disputes``, ``disturbances``, ``assaults``, ``injuries``)."""

    model: mesa.Model = field(repr=False)
    index: int

    @property
    def tier(self) -> str:
        return TIER_NAMES[int(self.model.world.facilities.tier[self.index])]

    @property
    def doctors(self) -> list[Doctor]:
        # the doctors' agent set alone: looking at a hospital does not make the residents' agents
        return [d for d in self.model.agents_of(Doctor) if d.facility == self.index]

    def __getattr__(self, name):
        facilities = self.model.world.facilities
        if name in facilities.__dataclass_fields__:
            return getattr(facilities, name)[self.index]
        raise AttributeError(name)

    @property
    def crisis_response(self) -> str:
        """How the hospital answers an incident: 'transparent' when open responses are the rule
        (the ``transparency`` lever), else 'ostrich' (the crisis-PR deck's word for hiding)."""
        return "transparent" if self.model.world.levers.transparency >= 0.5 else "ostrich"
