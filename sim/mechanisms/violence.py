"""Mechanism 10 (violence): violence against doctors, after Epstein's civil violence model (PNAS 2002).

    hardship    H = min(1, harm + w_unmet * unmet expectation + w_time * years unresolved)
    legitimacy  L = w_doc * trust in doctors + (1 - w_doc) * legitimacy of the dispute system
    grievance   G = H * (1 - L)
    net risk    N = R * P(punishment)        (R: the patient's risk aversion)
    act         when G - N > T, each day with probability ``daily_action_probability``

An act is an assault with probability ``assault_share x min(1, 2G)`` (the angrier, the more
violent), otherwise a disturbance / property smashing (医闹). An assault injures a doctor unless
hospital security stops it. The unmet expectation is what the patient expected of the harmful
episode minus what it gave (``sim.mechanisms.care.unmet_expectation``): money paid and rising
incomes raise expectations, so anger at a bad outcome grows with them (MISSION.md cause 2,
"unmet expectations turn into anger"). Harm and the unmet expectation fade with time outside an
open dispute; while a dispute stays open, time unresolved adds to hardship. Only residents with a grievance
are looked at, so the daily cost follows the number of aggrieved residents.

The functions below are the definition. Long or large runs find the aggrieved, their grievances
and those over the threshold, and fade harm, in the same arithmetic compiled
(``sim.mechanisms.violence_kernel``): in numpy the day's pass is mostly call overhead.
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import ViolenceParams
from sim.engine.state import NO_DISPUTE
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.mechanisms.base import Mechanism
from sim.mechanisms.trust import COMPILED_FROM
from sim.mechanisms.workforce import Workforce

DISTURBANCE, ASSAULT = "disturbance", "assault"
#: Purposes of the draws keyed by the aggrieved resident and the day (``sim.engine.streams``): the
#: same resident on the same day draws the same numbers in every arm.
ACT, KIND, INJURY, VICTIM, PUNISHED = range(5)


def hardship(harm, unmet_expectation, years_unresolved, p: ViolenceParams):
    return np.minimum(1.0, harm + p.unmet_expectation_weight * unmet_expectation + p.time_weight * years_unresolved)


def legitimacy(trust, system_legitimacy: float, p: ViolenceParams):
    return p.doctor_trust_weight * trust + (1 - p.doctor_trust_weight) * system_legitimacy


def grievance(hardship_, legitimacy_):
    return hardship_ * (1.0 - legitimacy_)


def net_risk(risk_aversion, punishment_probability: float):
    return risk_aversion * punishment_probability


def grievance_parts(world: World, who: np.ndarray, p: ViolenceParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hardship, trust in doctors and the dispute system's legitimacy as each of the given
    residents sees it today: what their grievance is made of."""
    pa = world.patients
    open_ = pa.open_dispute[who] != NO_DISPUTE
    years = np.where(open_, (world.day - pa.dispute_opened[who]) / 365.0, 0.0)
    h = hardship(pa.harm[who], pa.unmet_expectation[who], years, p)
    # a resident who has been through a dispute judges the system by their own experience
    own = pa.system_view[who]
    system = np.where(own >= 0, own, world.disputes.legitimacy)
    return h, pa.trust[who], system


def grievances(world: World, who: np.ndarray, p: ViolenceParams) -> np.ndarray:
    """Grievance G of the given residents today."""
    h, trust, system = grievance_parts(world, who, p)
    return grievance(h, legitimacy(trust, system, p))


def aggrieved(world: World) -> np.ndarray:
    """The residents Epstein's rule looks at today: harmed recently or in an open dispute."""
    pa = world.patients
    return np.flatnonzero((pa.harm > 0.005) | (pa.open_dispute != NO_DISPUTE))


class Violence(Mechanism):
    """Epstein's rule for every aggrieved resident; the acts, their victims and consequences."""

    name = "violence"

    def __init__(self, params: ViolenceParams, workforce: Workforce, draws: KeyedDraws, days: int = 0):
        self.p, self.workforce, self.draws = params, workforce, draws
        self.days = days  # days the run will step (burn-in included): is compiling worth it?
        self.compiled = None  # sim.mechanisms.violence_kernel.DailyPass, for long or large runs

    @classmethod
    def from_config(cls, config, streams, workforce: Workforce | None = None) -> Violence:
        workforce = workforce or Workforce.from_config(config, streams)
        return cls(config.params.violence, workforce, streams.keyed("violence"), config.days + config.burn_in_days)

    def setup(self, world: World) -> None:
        # The compiled pass gives the numbers of the numpy one, ~0.35 ms a day sooner at 50,000
        # residents; under the trust kernels' condition numba is loaded anyway, and loading this
        # kernel from its cache then costs ~15 ms more. Its rounding is numpy's for these dtypes only.
        pa = world.patients
        floats = (pa.harm, pa.unmet_expectation, pa.system_view, pa.trust, pa.risk_aversion)
        days = (pa.open_dispute, pa.dispute_opened)
        typed = all(a.dtype == np.float32 for a in floats) and all(a.dtype.kind == "i" for a in days)
        if typed and pa.n * self.days >= COMPILED_FROM:
            from sim.mechanisms.violence_kernel import DailyPass

            self.compiled = DailyPass(pa.n, self.p)

    def step(self, world: World) -> None:
        legitimacy, punished = world.disputes.legitimacy, world.levers.punished_probability
        # numpy would round a numpy float64 scalar differently from a Python float (NEP 50): the
        # kernel replicates the Python float's rounding only
        if self.compiled is not None and type(legitimacy) is float and type(punished) is float:
            self._step_compiled(world, legitimacy, punished)
            return
        pa, p = world.patients, self.p
        who = aggrieved(world)
        if who.size == 0:
            return
        g = grievances(world, who, p)
        n = net_risk(pa.risk_aversion[who], world.levers.punished_probability)
        over = np.flatnonzero((g - n) > p.threshold)
        # a resident's draw depends only on (day, resident, purpose): drawing it only for those
        # over the threshold gives the same acts at a fraction of the hashing
        acts = over[self.draws.uniform(world.day, who[over], ACT) < p.daily_action_probability]
        for i, gi in zip(who[acts], g[acts], strict=True):
            self.act(world, int(i), float(gi))
        # harm and the unmet expectation fade outside an open dispute
        fading = who[pa.open_dispute[who] == NO_DISPUTE]
        pa.harm[fading] *= 1 - p.hardship_decay
        pa.unmet_expectation[fading] *= 1 - p.hardship_decay
        pa.harm[fading[pa.harm[fading] < 0.005]] = 0.0

    def _step_compiled(self, world: World, legitimacy: float, punished: float) -> None:
        """:meth:`step`, with the passes over the residents compiled: the same acts, in the same
        order, and the same state after them."""
        over, g = self.compiled.over_threshold(world.patients, world.day, legitimacy, punished)
        acting = self.draws.uniform(world.day, over, ACT) < self.p.daily_action_probability
        for i, gi in zip(over[acting], g[acting], strict=True):
            self.act(world, int(i), float(gi))
        # after the acts, as in step: an act resets its actor's harm, which then fades from 0
        self.compiled.fade(world.patients)

    def act(self, world: World, patient: int, grievance_: float) -> str:
        """A disturbance or an assault at the facility that harmed ``patient``."""
        p, pa, fa, today, day = self.p, world.patients, world.facilities, world.ledger.today, world.day

        def u(purpose: int) -> float:
            return self.draws.uniform1(day, patient, purpose)

        kind = ASSAULT if u(KIND) < p.assault_share * min(1.0, 2 * grievance_) else DISTURBANCE
        facility = int(pa.harm_facility[patient])
        if facility < 0:
            facility = int(pa.facility[patient])
        injured = -1
        if kind == ASSAULT:
            fa.assaults[facility] += 1
            today["assaults"] += 1
            if u(INJURY) < p.injury_probability * (1 - world.levers.security):
                injured = self.victim(world, int(pa.harm_doctor[patient]), facility, u(VICTIM))
                if injured >= 0:
                    self.workforce.injure(world, injured)
        else:
            fa.disturbances[facility] += 1
            today["disturbances"] += 1
        today["violent_incidents_hospital"] += fa.tier[facility] > 0
        punished = u(PUNISHED) < world.levers.punished_probability
        world.ledger.violence_log.append(
            {
                "day": world.day,
                "patient": patient,
                "facility": facility,
                "tier": int(fa.tier[facility]),
                "kind": kind,
                "grievance": grievance_,
                "after_complaint": bool(pa.disputes_filed[patient] > 0),
                "doctor_injured": injured,
                "punished": bool(punished),
            }
        )
        world.ledger.incidents.append(("violence", facility, grievance_, patient))
        self.workforce.after_violence(world, facility)
        pa.violent_acts[patient] += 1
        # the grievance is spent (or the perpetrator detained): start again from nothing
        pa.harm[patient] = 0.0
        pa.unmet_expectation[patient] = 0.0
        pa.dispute_opened[patient] = world.day
        world.ledger.note(
            patient, world.day, event=kind, facility=facility, grievance=round(grievance_, 3), punished=punished
        )
        return kind

    def victim(self, world: World, doctor_slot: int, facility: int, u: float) -> int:
        """The doctor an assault injures: the treating doctor if at work, else anyone on duty
        there (picked by the uniform ``u``); -1 if nobody is."""
        doctors = world.doctors
        on_duty = doctors.on_duty(world.day)
        if doctor_slot >= 0 and on_duty[doctor_slot] and doctors.facility[doctor_slot] == facility:
            return doctor_slot
        here = np.flatnonzero(on_duty & (doctors.facility == facility))
        if here.size == 0:
            return -1
        return int(here[min(int(u * here.size), here.size - 1)])
