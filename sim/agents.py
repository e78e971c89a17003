"""The agents: patients, doctors, mediators and media outlets (Mesa agents), and hospitals.

Patients and doctors keep their state in numpy arrays owned by the model, one slot each
(``sim.population``, ``sim.health_system``); an agent's attributes read and write its slot,
so ``patient.trust`` is always the value the vectorised daily rules use. Rare events (a
dispute, a violent act, an injury, a resignation, a mediation case, a story) are agent
methods. Hospitals and clinics are plain views over the facility arrays, not Mesa agents:
they take no decisions of their own here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import media, violence, workforce
from sim.health_system import TIER_NAMES
from sim.population import NO_DISPUTE

if TYPE_CHECKING:
    from sim.disputes import Dispute
    from sim.model import TrustModel


class Slot:
    """An attribute stored in one of the model's state arrays, at the owner's ``index``."""

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
    inputs (``harm``, ``loss_burden``) and counts. ``history`` lists the notable events.
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
    loss_burden = Slot()
    visits = Slot(kind=int)
    disputes_filed = Slot(kind=int)
    violent_acts = Slot(kind=int)

    def __init__(self, model: TrustModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _store(self):
        return self.model.patients

    @property
    def health_state(self) -> str:
        return "ill" if self.model.patients.ill_until[self.index] > self.model.day else "healthy"

    @property
    def out_of_pocket_share(self) -> float:
        """Share of a hospital bill this patient pays today (insurance)."""
        from sim.care import out_of_pocket_share

        return float(
            out_of_pocket_share(self.model.patients, np.array([self.index]), np.array([2]), self.model.levers)[0]
        )

    @property
    def grievance(self) -> float:
        return float(violence.grievances(self.model, np.array([self.index]))[0])

    @property
    def open_dispute(self) -> Dispute | None:
        i = int(self.model.patients.open_dispute[self.index])
        return None if i == NO_DISPUTE else self.model.disputes.all[i]

    @property
    def history(self) -> list[dict]:
        return self.model.history.get(self.index, [])

    def _note(self, **event) -> None:
        self.model.history.setdefault(self.index, []).append({"day": self.model.day, **event})

    def file_dispute(self, harm: float, severity: float) -> Dispute:
        """Mechanism 8: complain about the last episode; the dispute system picks a channel."""
        pa = self.model.patients
        dispute = self.model.disputes.open(
            self.index,
            int(pa.facility[self.index]),
            int(pa.doctor[self.index]),
            int(self.model.facilities.tier[pa.facility[self.index]]),
            harm,
            severity,
            self.model.day,
        )
        self._note(event="dispute", dispute=dispute.id, channel=dispute.channel, harm=round(harm, 3))
        return dispute

    def act_violently(self, grievance: float) -> str:
        """Mechanism 10: a disturbance or an assault at the facility that harmed this patient."""
        m, p, pa = self.model, self.model.config.params.violence, self.model.patients
        rng = m.streams.violence
        kind = violence.ASSAULT if rng.random() < p.assault_share * min(1.0, 2 * grievance) else violence.DISTURBANCE
        facility = int(pa.harm_facility[self.index])
        if facility < 0:
            facility = int(pa.facility[self.index])
        injured = None
        if kind == violence.ASSAULT:
            m.facilities.assaults[facility] += 1
            m.today["assaults"] += 1
            if rng.random() < p.injury_probability * (1 - m.levers.security):
                injured = m.victim(int(pa.harm_doctor[self.index]), facility)
                if injured is not None:
                    injured.injure()
        else:
            m.facilities.disturbances[facility] += 1
            m.today["disturbances"] += 1
        m.today["violent_incidents_hospital"] += m.facilities.tier[facility] > 0
        punished = rng.random() < m.levers.punishment_probability
        m.violence_log.append(
            {
                "day": m.day,
                "patient": self.index,
                "facility": facility,
                "tier": int(m.facilities.tier[facility]),
                "kind": kind,
                "grievance": grievance,
                "after_complaint": bool(pa.disputes_filed[self.index] > 0),
                "doctor_injured": injured.index if injured is not None else -1,
                "punished": bool(punished),
            }
        )
        m.incidents.append(("violence", facility, grievance))
        workforce.after_violence(m, facility)
        pa.violent_acts[self.index] += 1
        # the grievance is spent (or the perpetrator detained): start again from nothing
        pa.harm[self.index] = 0.0
        pa.loss_burden[self.index] = 0.0
        pa.dispute_opened[self.index] = m.day
        self._note(event=kind, facility=facility, grievance=round(grievance, 3), punished=punished)
        return kind


class Doctor(mesa.Agent):
    """A doctor in a post at a clinic or hospital. Array-backed: ``skill``, ``communication``,
    ``burnout``, ``overtest_propensity``, ``workload``."""

    skill = Slot()
    communication = Slot()
    burnout = Slot()
    overtest_propensity = Slot()
    workload = Slot()
    injuries = Slot(kind=int)

    def __init__(self, model: TrustModel, index: int):
        super().__init__(model)
        self.index = index
        self.facility = int(model.doctors.facility[index])
        self.tier = TIER_NAMES[int(model.facilities.tier[self.facility])]
        self.hired_day = model.day
        self.left_day: int | None = None

    @property
    def _store(self):
        return self.model.doctors

    @property
    def hospital(self) -> Hospital:
        return self.model.hospitals[self.facility]

    @property
    def off_work(self) -> bool:
        return bool(self.model.doctors.off_until[self.index] > self.model.day)

    def injure(self) -> None:
        """Assaulted and injured: off work for ``injury_days``."""
        m = self.model
        d = m.doctors
        d.off_until[self.index] = m.day + 1 + int(m.config.params.workforce.injury_days)
        d.injuries[self.index] += 1
        d.burnout[self.index] = min(1.0, d.burnout[self.index] + 0.2)
        m.facilities.injuries[self.facility] += 1
        m.today["doctors_injured"] += 1

    def leave(self, vacant_until: int) -> None:
        """Quit medicine (attrition); the post stays vacant until a replacement is hired."""
        self.model.doctors.vacant_until[self.index] = vacant_until
        self.left_day = self.model.day
        self.model.today["doctors_left"] += 1
        self.model.former_doctors.append(self)
        self.remove()


class Mediator(mesa.Agent):
    """A professional mediator at a mediation centre: ``capacity`` cases in parallel."""

    def __init__(
        self,
        model: TrustModel,
        centre,
        capacity: int,
        impartiality: float,
        mean_duration_days: float,
        max_success: float,
    ):
        super().__init__(model)
        self.centre = centre
        self.capacity = capacity
        self.impartiality = impartiality
        self.mean_duration_days = mean_duration_days
        self.max_success = max_success
        self.cases: list[Dispute] = []
        self.durations: list[int] = []
        self.cases_closed = 0
        self.agreements = 0

    def take_case(self, dispute: Dispute, day: int) -> None:
        rng = self.model.streams.mediation
        duration = 1 + int(rng.gamma(2.0, self.mean_duration_days / 2.0))
        dispute.mediator = self.unique_id
        self.cases.append(dispute)
        self.durations.append(duration)
        self.model.disputes.agenda[day + duration].append(("mediation_end", dispute))

    def close_case(self, dispute: Dispute) -> bool:
        """End a case; True if it ends in agreement (chance ``max_success x impartiality``)."""
        self.cases.remove(dispute)
        agreed = self.model.streams.mediation.random() < self.max_success * self.impartiality
        self.cases_closed += 1
        self.agreements += agreed
        self.centre.assign(self.model.day)
        return agreed


class MediaOutlet(mesa.Agent):
    """A newspaper / TV / web outlet reaching ``audience`` (patient indices)."""

    def __init__(self, model: TrustModel, index: int, audience: np.ndarray, sensationalism: float):
        super().__init__(model)
        self.index = index
        self.audience = audience
        self.base_sensationalism = sensationalism
        self.stories: list[media.Story] = []

    @property
    def sensationalism(self) -> float:
        return self.base_sensationalism * (1 - self.model.levers.sensationalism_cut)

    def cover(self, kind: str, facility: int, open_response: bool, forgiven: bool) -> media.Story | None:
        p = self.model.config.params.media
        coverage = p.coverage_violence if kind == "violence" else p.coverage_dispute
        if self.model.streams.media.random() >= coverage * self.sensationalism:
            return None
        tone = -(0.5 + self.sensationalism)
        if forgiven:
            tone = 0.5
        elif open_response:
            tone *= 0.5
        else:
            tone *= p.ostrich_amplification
        return media.Story(self.index, self.model.day, kind, facility, tone, open_response)

    def publish(self, story: media.Story) -> None:
        media.move_trust(
            self.model.patients.trust, self.audience, story.tone, self.model.config.params.media.story_impact
        )
        self.stories.append(story)
        self.model.today["media_stories"] += 1


@dataclass
class Hospital:
    """A clinic (tier 0) or hospital (tiers 1-2): a view over the facility arrays
    (``backlog``, ``defensive_fear``, ``overtest_pressure``, cumulative ``visits``,
    ``disputes``, ``disturbances``, ``assaults``, ``injuries``)."""

    model: TrustModel = field(repr=False)
    index: int

    @property
    def tier(self) -> str:
        return TIER_NAMES[int(self.model.facilities.tier[self.index])]

    @property
    def doctors(self) -> list[Doctor]:
        return [d for d in self.model.agents_by_type[Doctor] if d.facility == self.index]

    def __getattr__(self, name):
        facilities = self.model.facilities
        if name in facilities.__dataclass_fields__:
            return getattr(facilities, name)[self.index]
        raise AttributeError(name)

    @property
    def crisis_pr_stance(self) -> str:
        """'transparent' when open responses are the rule (crisis_pr policy), else 'ostrich'."""
        return "transparent" if self.model.levers.transparency >= 0.5 else "ostrich"
