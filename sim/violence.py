"""Mechanism 10: violence against doctors, after Epstein's civil violence model (PNAS 2002).

    hardship    H = min(1, harm + w_money * loss burden + w_time * years unresolved)
    legitimacy  L = w_doc * trust in doctors + (1 - w_doc) * legitimacy of the dispute system
    grievance   G = H * (1 - L)
    net risk    N = R * P(punishment)        (R: the patient's risk aversion)
    act         when G - N > T, each day with probability ``daily_action_probability``

An act is an assault with probability ``assault_share x min(1, 2G)`` (the angrier, the more
violent), otherwise a disturbance / property smashing (医闹). An assault injures a doctor unless
hospital security stops it. Harm and the money lost fade with time outside an open dispute;
while a dispute stays open, time unresolved adds to hardship. Only residents with a grievance
are looked at, so the daily cost follows the number of aggrieved residents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import ViolenceParams
from sim.population import NO_DISPUTE

if TYPE_CHECKING:
    from sim.model import TrustModel

DISTURBANCE, ASSAULT = "disturbance", "assault"


def hardship(harm, loss_burden, years_unresolved, p: ViolenceParams):
    return np.minimum(1.0, harm + p.money_weight * loss_burden + p.time_weight * years_unresolved)


def legitimacy(trust, system_legitimacy: float, p: ViolenceParams):
    return p.doctor_trust_weight * trust + (1 - p.doctor_trust_weight) * system_legitimacy


def grievance(hardship_, legitimacy_):
    return hardship_ * (1.0 - legitimacy_)


def net_risk(risk_aversion, punishment_probability: float):
    return risk_aversion * punishment_probability


def grievances(model: TrustModel, who: np.ndarray) -> np.ndarray:
    """Grievance G of the given residents today."""
    pa, p = model.patients, model.config.params.violence
    open_ = pa.open_dispute[who] != NO_DISPUTE
    years = np.where(open_, (model.day - pa.dispute_opened[who]) / 365.0, 0.0)
    h = hardship(pa.harm[who], pa.loss_burden[who], years, p)
    return grievance(h, legitimacy(pa.trust[who], model.disputes.legitimacy, p))


def daily(model: TrustModel) -> None:
    pa, p = model.patients, model.config.params.violence
    rng = model.streams.violence
    who = np.flatnonzero((pa.harm > 0.005) | (pa.open_dispute != NO_DISPUTE))
    if who.size == 0:
        return
    g = grievances(model, who)
    n = net_risk(pa.risk_aversion[who], model.levers.punishment_probability)
    over = (g - n) > p.threshold
    acts = over & (rng.random(who.size) < p.daily_action_probability)
    for i, gi in zip(who[acts], g[acts], strict=True):
        model.patient(int(i)).act_violently(float(gi))
    # harm and losses fade outside an open dispute
    fading = who[pa.open_dispute[who] == NO_DISPUTE]
    pa.harm[fading] *= 1 - p.hardship_decay
    pa.loss_burden[fading] *= 1 - p.hardship_decay
    pa.harm[fading[pa.harm[fading] < 0.005]] = 0.0
