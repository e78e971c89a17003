"""Mechanisms 8-9: complaints become disputes, and disputes go through resolution channels.

8. A patient disputes with log-odds rising with harm, dissatisfaction, distrust and the money
   paid (``dispute_probability``): the sources' unmet expectations turned into anger.
9. Channels: negotiation with the hospital (quick, the hospital is a party, more agreement when
   it responds openly), third-party mediation (only where the ``mediation`` policy has set up
   centres: queue, capacity, duration, agreement rate from impartiality; ``sim.mechanisms.mediation``),
   litigation (slow, larger awards) or nothing (the patient swallows it). Failed negotiation or
   mediation (or, with ``mediation_patience_days``, too long a wait for a mediator) can escalate;
   what is left unresolved keeps the patient's grievance growing until
   they give up (or act: ``sim.mechanisms.violence``). Compensation is lognormal (heavy-tailed) by harm
   and channel.

The legitimacy of the dispute system (Epstein's legitimacy, with trust in doctors) follows the
fairness-weighted share of recent disputes that ended in an agreement or award: a hospital
negotiating its own case counts as less fair than a court or an impartial mediator.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sim.config.schema import DisputeParams
from sim.engine.institutions import LITIGATION, MEDIATION, NEGOTIATION, NONE, Dispute
from sim.engine.state import NO_DISPUTE
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.mechanisms.base import Mechanism
from sim.mechanisms.mediation import Mediation

__all__ = [
    "FAIRNESS",
    "LITIGATION",
    "MEDIATION",
    "NEGOTIATION",
    "NONE",
    "Disputes",
    "dispute_log_odds",
    "dispute_probability",
]

#: How fair each channel looks to a disputing patient (the hospital negotiates its own case).
FAIRNESS = {NEGOTIATION: 0.6, LITIGATION: 0.9, NONE: 0.0}
#: Purposes of the draws keyed by the disputing resident and the day (``sim.engine.streams``):
#: a dispute's draws do not depend on how many other disputes the arm has.
CHANNEL, NEGOTIATION_DAYS, COURT_DAYS, TO_MEDIATION, TO_COURT, GIVE_UP_DAYS = range(6)
TRANSPARENT, AGREEMENT, RULING, PAYOUT = range(6, 10)


def dispute_log_odds(harm, satisfaction, trust, burden, p: DisputeParams):
    """b0 + b_h harm + b_s (1 - S) + b_t (1 - trust) + b_c burden."""
    return (
        p.base_log_odds
        + p.harm_weight * harm
        + p.dissatisfaction_weight * (1 - satisfaction)
        + p.distrust_weight * (1 - trust)
        + p.burden_weight * burden
    )


def dispute_probability(harm, satisfaction, trust, burden, p: DisputeParams):
    """P(dispute) = sigmoid(:func:`dispute_log_odds`)."""
    return 1.0 / (1.0 + np.exp(-dispute_log_odds(harm, satisfaction, trust, burden, p)))


def payout_scale(harm, factor):
    """A payout relative to the median payout: the channel's factor x (harm + 0.05) / 0.3
    (so 1 for a negotiated agreement at the reference harm 0.25)."""
    return factor * (harm + 0.05) / 0.3


def payout(scale, draw, median_yuan, sigma):
    """Lognormal payout: median x scale x exp(sigma x draw), ``draw`` a standard normal."""
    return median_yuan * scale * np.exp(sigma * draw)


def expected_largest_payout(scale, median_yuan, sigma, n_payouts: float, iterations: int = 60) -> np.ndarray:
    """The payout that ``n_payouts`` payouts of the model's law exceed once on average: y with
    mean_i P(median x scale_i x exp(sigma Z) > y) = 1 / n_payouts, the payouts' mix of harms and
    channels given by the ``scale`` of each recorded payout (:func:`payout_scale`). Vectorised over
    ``median_yuan`` and ``sigma`` (arrays of one shape); NaN without a recorded payout.

    Why: a source's "largest payout" is the largest of all the payouts its survey saw (hundreds of
    hospitals), not of the few dozen a run of a county makes; with a heavy tail the two differ by
    far (docs/calibration.md, the payout stage). The quantile of the law over that many payouts is
    scale-free and does not depend on one run's luck. Solved by bisection on log y, on which the
    exceedance falls monotonically."""
    median_yuan, sigma = np.broadcast_arrays(np.asarray(median_yuan, float), np.asarray(sigma, float))
    scale = np.asarray(scale, float)
    if scale.size == 0 or n_payouts <= 1:
        return np.full(median_yuan.shape, np.nan)
    log_scale = np.log(scale)
    s = np.maximum(sigma.reshape(-1, 1), 1e-12)
    # log(y / median) lies between the smallest scale (every payout exceeds it with chance 1/2 or
    # more) and the largest scale's quantile of 1/n (every payout exceeds that with chance 1/n or less)
    low = np.full_like(s, log_scale.min())
    high = log_scale.max() - special.ndtri(1.0 / n_payouts) * s
    for _ in range(iterations):
        mid = (low + high) / 2
        exceed = special.ndtr((log_scale[None, :] - mid) / s).mean(axis=1, keepdims=True)
        above = exceed > 1.0 / n_payouts
        low, high = np.where(above, mid, low), np.where(above, high, mid)
    return (median_yuan.reshape(-1) * np.exp((low + high)[:, 0] / 2)).reshape(median_yuan.shape)


def compensation_yuan(harm: float, factor: float, p: DisputeParams, rng: np.random.Generator) -> float:
    """One payout for a dispute of ``harm`` through a channel of ``factor``."""
    return float(
        payout(payout_scale(harm, factor), rng.standard_normal(), p.compensation_median_yuan, p.compensation_sigma)
    )


class Disputes(Mechanism):
    """Mechanisms 8-9: today's episodes may become disputes; the agenda's events of the day
    (negotiations ending, rulings, mediation cases closing, giving up) move open disputes on."""

    name = "disputes"

    def __init__(
        self,
        params: DisputeParams,
        mediation: Mediation,
        complaints: np.random.Generator,
        draws: KeyedDraws,
        failed_dispute_legitimacy_loss: float = 0.0,
    ):
        self.p, self.mediation = params, mediation
        self.complaints = complaints  # one draw per episode, so the draws stay aligned across arms
        self.draws = draws
        self.failed_loss = failed_dispute_legitimacy_loss

    @classmethod
    def from_config(cls, config, streams, mediation: Mediation | None = None) -> Disputes:
        mediation = mediation or Mediation.from_config(config, streams)
        p = config.params
        return cls(
            p.disputes,
            mediation,
            streams.generator("complaints"),
            streams.keyed("disputes"),
            p.violence.failed_dispute_legitimacy_loss,
        )

    def _court_share(self, harm: float, share: float) -> float:
        """The chance of court at ``harm``: the graver, the likelier (higher stakes)."""
        return min(1.0, share * float(np.exp(self.p.litigation_harm_weight * (harm - 0.25))))

    def _u(self, world: World, dispute: Dispute, purpose: int) -> float:
        return self.draws.uniform1(world.day, dispute.patient, purpose)

    def step(self, world: World) -> None:
        ep, pa = world.episodes, world.patients
        complaint_draw = self.complaints.random(ep.n)
        p_dispute = dispute_probability(ep.harm, ep.satisfaction, ep.trust_before, ep.burden, self.p)
        for k in np.flatnonzero(complaint_draw < p_dispute):
            i = int(ep.patient[k])
            if pa.open_dispute[i] == NO_DISPUTE:
                self.file(world, i, float(ep.harm[k]), float(ep.severity[k]))
        self.advance(world)

    # ----- filing -------------------------------------------------------------------------------
    def file(self, world: World, patient: int, harm: float, severity: float) -> Dispute:
        """A resident complains about their last episode; the dispute takes its first channel."""
        pa, fa, book, day = world.patients, world.facilities, world.disputes, world.day
        facility = int(pa.facility[patient])
        tier = int(fa.tier[facility])
        dispute = Dispute(
            id=len(book.all),
            patient=patient,
            facility=facility,
            doctor=int(pa.doctor[patient]),
            tier=tier,
            filed_day=day,
            harm=harm,
            severity=severity,
        )
        book.all.append(dispute)
        book.n_open += 1
        pa.open_dispute[patient] = dispute.id
        pa.dispute_opened[patient] = day
        pa.disputes_filed[patient] += 1
        fa.disputes[facility] += 1
        world.ledger.today["disputes"] += 1
        world.ledger.today["disputes_hospital"] += tier > 0
        world.ledger.incidents.append(("dispute", facility, harm, patient))
        p_mediation = self.mediation.uptake(world)
        u = self._u(world, dispute, CHANNEL)
        if u < p_mediation:
            self._to_mediation(world, dispute)
        else:
            u = (u - p_mediation) / (1 - p_mediation)
            if u < self._court_share(harm, self.p.litigation_share):
                self._to_court(world, dispute)
            elif u < self._court_share(harm, self.p.litigation_share) + self.p.negotiation_share:
                dispute.channels.append(NEGOTIATION)
                duration = -self.p.negotiation_days * np.log1p(-self._u(world, dispute, NEGOTIATION_DAYS))
                book.schedule(day + 1 + int(duration), "negotiation_end", dispute)
            else:
                self.close(world, dispute, "withdrawn", success=False, channel=NONE)
        world.ledger.note(
            patient, day, event="dispute", dispute=dispute.id, channel=dispute.channel, harm=round(harm, 3)
        )
        return dispute

    def _award(self, world: World, dispute: Dispute, factor: float) -> float:
        """The payout of a dispute that ends in agreement or award, keeping its scale and its
        random draw on the record: payouts feed back into nothing else in the model, so the
        calibration can rescale them for other payout parameters (``sim.analysis.calibration``)."""
        dispute.payout_scale = float(payout_scale(dispute.harm, factor))
        dispute.payout_draw = float(special.ndtri(self._u(world, dispute, PAYOUT)))
        return float(
            payout(
                dispute.payout_scale, dispute.payout_draw, self.p.compensation_median_yuan, self.p.compensation_sigma
            )
        )

    def _to_mediation(self, world: World, dispute: Dispute) -> None:
        dispute.channels.append(MEDIATION)
        self.mediation.submit(world, dispute)
        if self.p.mediation_patience_days > 0 and dispute.mediator is None:
            # at least a day later: today's agenda may already have run (a fraction of a day is a day)
            wait = max(1, math.ceil(self.p.mediation_patience_days))
            world.disputes.schedule(world.day + wait, "mediation_wait_end", dispute)

    def _to_court(self, world: World, dispute: Dispute) -> None:
        dispute.channels.append(LITIGATION)
        duration = self.p.litigation_days / 2.0 * special.gammaincinv(2.0, self._u(world, dispute, COURT_DAYS))
        world.disputes.schedule(world.day + 1 + int(duration), "court_ruling", dispute)

    def _escalate(self, world: World, dispute: Dispute) -> None:
        """After a failed negotiation or mediation: mediation, court, or left unresolved."""
        u = self._u(world, dispute, TO_MEDIATION)
        if dispute.channel == NEGOTIATION and u < self.mediation.uptake(world):
            self._to_mediation(world, dispute)
        elif self._u(world, dispute, TO_COURT) < self._court_share(dispute.harm, self.p.escalate_to_court):
            self._to_court(world, dispute)
        else:
            dispute.channels.append(NONE)
            waited = -self.p.unresolved_give_up_days * np.log1p(-self._u(world, dispute, GIVE_UP_DAYS))
            give_up = world.day + 1 + int(waited)
            world.disputes.schedule(give_up, "give_up", dispute)

    # ----- the day's events ---------------------------------------------------------------------
    def advance(self, world: World) -> None:
        """Run today's events (negotiations ending, rulings, mediation cases closing, giving up)."""
        book, day = world.disputes, world.day
        for event, dispute in book.agenda.pop(day, []):
            if not dispute.is_open:
                continue
            if event == "negotiation_end":
                transparent = self._u(world, dispute, TRANSPARENT) < world.levers.transparency
                p = self.p.negotiation_success + transparent * self.p.transparency_negotiation_gain
                if self._u(world, dispute, AGREEMENT) < p:
                    award = self._award(world, dispute, 1.0)
                    self.close(world, dispute, "agreement", success=True, channel=NEGOTIATION, compensation=award)
                else:
                    self._escalate(world, dispute)
            elif event == "court_ruling":
                if self._u(world, dispute, RULING) < self.p.litigation_success:
                    award = self._award(world, dispute, self.p.court_award_factor)
                    self.close(world, dispute, "award", success=True, channel=LITIGATION, compensation=award)
                else:
                    self.close(world, dispute, "failed", success=False, channel=LITIGATION)
            elif event == "mediation_end":
                impartiality = world.mediation.mediators[dispute.mediator].impartiality
                if self.mediation.close_case(world, dispute):
                    self.close(
                        world,
                        dispute,
                        "agreement",
                        success=True,
                        channel=MEDIATION,
                        compensation=self._award(world, dispute, self.p.mediation_award_factor),
                        fairness=impartiality,
                    )
                else:
                    self._escalate(world, dispute)
            elif event == "mediation_wait_end":
                if dispute.mediator is None:  # still queued: the patient stops waiting
                    world.mediation.centre_for(dispute.facility).queue.remove(dispute)
                    self._escalate(world, dispute)
            elif event == "give_up":
                self.close(world, dispute, "gave_up", success=False, channel=NONE)
        book.fair_successes *= book.decay
        book.closures *= book.decay

    def close(
        self,
        world: World,
        dispute: Dispute,
        outcome: str,
        success: bool,
        channel: str,
        compensation: float = 0.0,
        fairness: float | None = None,
    ) -> None:
        book, patients = world.disputes, world.patients
        dispute.closed_day, dispute.outcome, dispute.compensation_yuan = world.day, outcome, compensation
        book.n_open -= 1
        if not dispute.channels or dispute.channels[-1] != channel:
            dispute.channels.append(channel)
        if patients.open_dispute[dispute.patient] == dispute.id:
            patients.open_dispute[dispute.patient] = NO_DISPUTE
        i = dispute.patient
        if success:
            # redress: the loss is made good, the harm weighs less; the system did its job
            patients.unmet_expectation[i] = 0.0
            patients.harm[i] *= 0.3
            patients.system_view[i] = FAIRNESS.get(channel, 0.0) if fairness is None else fairness
            world.ledger.today["compensation_yuan"] += compensation
        elif outcome != "withdrawn":  # an unresolved dispute hurts: a tenth of the way to full harm
            patients.harm[i] += 0.1 * (1.0 - patients.harm[i])
            view = patients.system_view[i] if patients.system_view[i] >= 0 else book.legitimacy
            patients.system_view[i] = view * (1.0 - self.failed_loss)
        if outcome != "withdrawn":
            weight = FAIRNESS.get(channel, 0.0) if fairness is None else fairness
            book.fair_successes += weight * success
            book.closures += 1.0
        world.ledger.today["disputes_closed"] += 1
