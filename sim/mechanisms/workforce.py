"""Mechanism 11 (doctors): workload, burnout, injury, attrition and hiring.

Workload (consultations over capacity) above 1 builds burnout, which recovers slowly; violence
in a hospital adds burnout to all its doctors and defensive fear to the hospital (defensive
medicine, which raises costs: ``sim.mechanisms.care``). Burnout drives attrition; a post left
vacant is filled after an exponential hiring delay. Fewer doctors mean more crowding, shorter
consultations and worse care: the vicious circles of the sources arise from these rules.
Pay reform slows burnout and attrition (doctors' pay matching their work).
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import CareParams, WorkforceParams
from sim.engine.state import TIER_SKILL, new_doctor
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.mechanisms.base import Mechanism
from sim.mechanisms.care import consults_per_doctor_day


class Workforce(Mechanism):
    """Doctors' day after today's consultations (``world.episodes``): workload and burnout,
    defensive fear fading, resignations and hires. Also the consequences of violence for
    doctors (:meth:`injure`, :meth:`after_violence`), which the violence mechanism calls."""

    name = "workforce"
    #: Purposes of the draws keyed by doctor post and day (``sim.engine.streams``).
    QUIT, HIRE_DELAY, SKILL, COMMUNICATION, OVERTEST = range(5)

    def __init__(self, params: WorkforceParams, care: CareParams, draws: KeyedDraws):
        self.p, self.care, self.draws = params, care, draws

    @classmethod
    def from_config(cls, config, streams) -> Workforce:
        return cls(config.params.workforce, config.params.care, streams.keyed("workforce"))

    def step(self, world: World) -> None:
        doctors, facilities, day, p = world.doctors, world.facilities, world.day, self.p
        per_day = consults_per_doctor_day(facilities.tier[doctors.facility], self.care, world.levers)
        doctors.workload = np.bincount(world.episodes.doctor, minlength=doctors.n) / per_day
        relief = 1.0 - world.levers.pay_rise
        # overload builds burnout, at most up to full burnout (a bounded update: stays in [0, 1])
        growth = p.overload_burnout_rate * np.maximum(0.0, doctors.workload - 1.0) * relief
        doctors.burnout += np.minimum(growth, 1.0 - doctors.burnout) - p.burnout_recovery * doctors.burnout
        facilities.defensive_fear *= 1.0 - p.defensive_decay

        # attrition: each post's draw depends on the post and the day only (aligned across arms)
        posts = np.arange(doctors.n)
        filled = ~doctors.vacant()
        p_quit = (p.attrition_base + p.attrition_burnout * doctors.burnout**2) * relief
        quitting = np.flatnonzero(filled & (self.draws.uniform(day, posts, self.QUIT) < p_quit))
        hire_delay = self.draws.exponential(day, quitting, p.hiring_days, self.HIRE_DELAY)
        for slot, delay in zip(quitting, hire_delay, strict=True):
            self.leave(world, int(slot), day + 1 + int(delay))
        for slot in np.flatnonzero(~filled & (doctors.vacant_until <= day)):
            self.hire(world, int(slot))

    def leave(self, world: World, slot: int, vacant_until: int) -> None:
        """A doctor quits medicine (attrition); the post stays vacant until ``vacant_until``."""
        world.doctors.vacant_until[slot] = vacant_until
        world.ledger.today["doctors_left"] += 1
        world.ledger.left.append(slot)

    def hire(self, world: World, slot: int) -> None:
        """A replacement hired into a vacant post: fresh skills (drawn as at set-up), no burnout."""
        doctors, day = world.doctors, world.day
        mean_skill = TIER_SKILL[int(world.facilities.tier[doctors.facility[slot]])]
        new_doctor(
            doctors,
            slot,
            skill=float(self.draws.beta(day, [slot], mean_skill * 40, (1 - mean_skill) * 40, self.SKILL)[0]),
            communication=float(self.draws.beta(day, [slot], 2.0, 3.0, self.COMMUNICATION)[0]),
            overtest_propensity=float(self.draws.beta(day, [slot], 2.0, 2.0, self.OVERTEST)[0]),
        )
        world.ledger.today["doctors_hired"] += 1
        world.ledger.hired.append(slot)

    def injure(self, world: World, slot: int) -> None:
        """Assaulted and injured: off work for ``injury_days``, more burnt out."""
        d = world.doctors
        d.off_until[slot] = world.day + 1 + int(self.p.injury_days)
        d.injuries[slot] += 1
        d.burnout[slot] = min(1.0, d.burnout[slot] + 0.2)
        world.facilities.injuries[d.facility[slot]] += 1
        world.ledger.today["doctors_injured"] += 1

    def after_violence(self, world: World, facility: int) -> None:
        """Violence at a facility: every doctor there more burnt out, the hospital more defensive."""
        staff = world.doctors.facility == facility
        world.doctors.burnout[staff] = np.minimum(1.0, world.doctors.burnout[staff] + self.p.violence_burnout_shock)
        fear = world.facilities.defensive_fear
        fear[facility] = min(1.0, fear[facility] + self.p.defensive_shock)
