"""Mechanism 11 (doctors): workload, burnout, injury, attrition and hiring.

Workload (consultations over capacity) above 1 builds burnout, which recovers slowly; violence
in a hospital adds burnout to all its doctors and defensive fear to the hospital (defensive
medicine, which raises costs: ``sim.care``). Burnout drives attrition; a post left vacant is
filled after an exponential hiring delay. Fewer doctors mean more crowding, shorter
consultations and worse care: the vicious circles of the sources arise from these rules.
Pay reform slows burnout and attrition (doctors' pay matching their work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.care import consults_per_doctor_day

if TYPE_CHECKING:
    from sim.care import Episodes
    from sim.model import TrustModel


def daily(model: TrustModel, ep: Episodes) -> None:
    doctors, facilities, day = model.doctors, model.facilities, model.day
    care, p = model.config.params.care, model.config.params.workforce
    rng = model.streams.workforce
    per_day = consults_per_doctor_day(facilities.tier[doctors.facility], care, model.levers)
    doctors.workload = np.bincount(ep.doctor, minlength=doctors.n) / per_day
    relief = 1.0 - model.levers.pay_rise
    doctors.burnout += (
        p.overload_burnout_rate * np.maximum(0.0, doctors.workload - 1.0) * relief
        - p.burnout_recovery * doctors.burnout
    )
    np.clip(doctors.burnout, 0.0, 1.0, out=doctors.burnout)
    facilities.defensive_fear *= 1.0 - p.defensive_decay

    # attrition: one draw per post per day, whatever the arm (aligned random numbers)
    quit_draw = rng.random(doctors.n)
    hire_delay = rng.exponential(p.hiring_days, doctors.n)
    filled = ~doctors.vacant()
    p_quit = (p.attrition_base + p.attrition_burnout * doctors.burnout**2) * relief
    for slot in np.flatnonzero(filled & (quit_draw < p_quit)):
        model.doctor(int(slot)).leave(day + 1 + int(hire_delay[slot]))
    for slot in np.flatnonzero(~filled & (doctors.vacant_until <= day)):
        model.hire(int(slot))


def after_violence(model: TrustModel, facility: int) -> None:
    """Violence at a facility: every doctor there more burnt out, the hospital more defensive."""
    p = model.config.params.workforce
    staff = model.doctors.facility == facility
    model.doctors.burnout[staff] = np.minimum(1.0, model.doctors.burnout[staff] + p.violence_burnout_shock)
    fear = model.facilities.defensive_fear
    fear[facility] = min(1.0, fear[facility] + p.defensive_shock)
