"""Mechanisms 8-9: complaints become disputes, and disputes go through resolution channels.

8. A patient disputes with log-odds rising with harm, dissatisfaction, distrust and the money
   paid (``dispute_probability``): the sources' unmet expectations turned into anger.
9. Channels: negotiation with the hospital (quick, the hospital is a party, more agreement when
   it responds openly), third-party mediation (only where the ``mediation`` policy has set up
   centres: queue, capacity, duration, agreement rate from impartiality; ``sim.mediation``),
   litigation (slow, larger awards) or nothing (the patient swallows it). Failed negotiation or
   mediation can escalate; what is left unresolved keeps the patient's grievance growing until
   they give up (or act: ``sim.violence``). Compensation is lognormal (heavy-tailed) by harm
   and channel.

The legitimacy of the dispute system (Epstein's legitimacy, with trust in doctors) follows the
fairness-weighted share of recent disputes that ended in an agreement or award: a hospital
negotiating its own case counts as less fair than a court or an impartial mediator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.config import DisputeParams
from sim.population import NO_DISPUTE

if TYPE_CHECKING:
    from sim.model import TrustModel

NEGOTIATION, MEDIATION, LITIGATION, NONE = "negotiation", "mediation", "litigation", "none"
#: How fair each channel looks to a disputing patient (the hospital negotiates its own case).
FAIRNESS = {NEGOTIATION: 0.6, LITIGATION: 0.9, NONE: 0.0}


def dispute_probability(harm, satisfaction, trust, burden, p: DisputeParams):
    """P(dispute) = sigmoid(b0 + b_h harm + b_s (1 - S) + b_t (1 - trust) + b_c burden)."""
    x = (
        p.base_log_odds
        + p.harm_weight * harm
        + p.dissatisfaction_weight * (1 - satisfaction)
        + p.distrust_weight * (1 - trust)
        + p.burden_weight * burden
    )
    return 1.0 / (1.0 + np.exp(-x))


def payout_scale(harm, factor):
    """A payout relative to the median payout: the channel's factor x (harm + 0.05) / 0.3
    (so 1 for a negotiated agreement at the reference harm 0.25)."""
    return factor * (harm + 0.05) / 0.3


def payout(scale, draw, median_yuan, sigma):
    """Lognormal payout: median x scale x exp(sigma x draw), ``draw`` a standard normal."""
    return median_yuan * scale * np.exp(sigma * draw)


def compensation_yuan(harm: float, factor: float, p: DisputeParams, rng: np.random.Generator) -> float:
    """One payout for a dispute of ``harm`` through a channel of ``factor``."""
    return float(
        payout(payout_scale(harm, factor), rng.standard_normal(), p.compensation_median_yuan, p.compensation_sigma)
    )


@dataclass
class Dispute:
    """One dispute, from filing to closure; kept for the record (``model.disputes.all``)."""

    id: int
    patient: int  # patient slot
    facility: int
    doctor: int
    tier: int
    filed_day: int
    harm: float
    severity: float
    channels: list[str] = field(default_factory=list)  # path taken, in order
    closed_day: int | None = None
    outcome: str | None = None  # agreement, award, failed, withdrawn, gave_up
    compensation_yuan: float = 0.0
    payout_scale: float = 0.0  # payout relative to the median payout (channel and harm)
    payout_draw: float = 0.0  # the payout's standard normal draw
    mediator: int | None = None

    @property
    def channel(self) -> str:
        return self.channels[-1] if self.channels else NONE

    @property
    def is_open(self) -> bool:
        return self.closed_day is None


class DisputeSystem:
    """All disputes, the agenda of their next events, and the system's legitimacy."""

    def __init__(self, model: TrustModel):
        self.model = model
        self.p: DisputeParams = model.config.params.disputes
        self.rng = model.streams.disputes
        self.all: list[Dispute] = []
        self.agenda: dict[int, list[tuple[str, Dispute]]] = defaultdict(list)
        trust = model.config.params.trust
        self._prior = trust.initial_system_legitimacy
        self._prior_cases = trust.system_prior_cases
        self._decay = 1.0 - 1.0 / trust.system_memory_days
        self._fair_successes = 0.0
        self._closures = 0.0
        self.n_open = 0

    @property
    def legitimacy(self) -> float:
        """Beta-style estimate: the prior legitimacy as ``system_prior_cases`` pseudo-cases,
        plus recent closures (decayed with ``system_memory_days``) weighted by fairness."""
        return (self._prior * self._prior_cases + self._fair_successes) / (self._prior_cases + self._closures)

    # ----- filing ----------------------------------------------------------------------
    def open(
        self, patient: int, facility: int, doctor: int, tier: int, harm: float, severity: float, day: int
    ) -> Dispute:
        dispute = Dispute(
            id=len(self.all),
            patient=patient,
            facility=facility,
            doctor=doctor,
            tier=tier,
            filed_day=day,
            harm=harm,
            severity=severity,
        )
        self.all.append(dispute)
        self.n_open += 1
        m = self.model
        m.patients.open_dispute[patient] = dispute.id
        m.patients.dispute_opened[patient] = day
        m.patients.disputes_filed[patient] += 1
        m.facilities.disputes[facility] += 1
        m.today["disputes"] += 1
        m.today["disputes_hospital"] += tier > 0
        m.incidents.append(("dispute", facility, harm))
        p_mediation = m.mediation_uptake()
        u = self.rng.random()
        if u < p_mediation:
            self._to_mediation(dispute, day)
        else:
            u = (u - p_mediation) / (1 - p_mediation)
            if u < self.p.litigation_share:
                self._to_court(dispute, day)
            elif u < self.p.litigation_share + self.p.negotiation_share:
                dispute.channels.append(NEGOTIATION)
                self._schedule(day + 1 + int(self.rng.exponential(self.p.negotiation_days)), "negotiation_end", dispute)
            else:
                self.close(dispute, day, "withdrawn", success=False, channel=NONE)
        return dispute

    def _award(self, dispute: Dispute, factor: float) -> float:
        """The payout of a dispute that ends in agreement or award, keeping its scale and its
        random draw on the record: payouts feed back into nothing else in the model, so the
        calibration can rescale them for other payout parameters (``sim.calibration``)."""
        dispute.payout_scale = float(payout_scale(dispute.harm, factor))
        dispute.payout_draw = float(self.rng.standard_normal())
        return float(
            payout(
                dispute.payout_scale, dispute.payout_draw, self.p.compensation_median_yuan, self.p.compensation_sigma
            )
        )

    def _schedule(self, day: int, event: str, dispute: Dispute) -> None:
        self.agenda[day].append((event, dispute))

    def _to_mediation(self, dispute: Dispute, day: int) -> None:
        dispute.channels.append(MEDIATION)
        self.model.mediation_centre_for(dispute.facility).submit(dispute, day)

    def _to_court(self, dispute: Dispute, day: int) -> None:
        dispute.channels.append(LITIGATION)
        duration = self.rng.gamma(2.0, self.p.litigation_days / 2.0)
        self._schedule(day + 1 + int(duration), "court_ruling", dispute)

    def _escalate(self, dispute: Dispute, day: int) -> None:
        """After a failed negotiation or mediation: mediation, court, or left unresolved."""
        u = self.rng.random()
        if dispute.channel == NEGOTIATION and u < self.model.mediation_uptake():
            self._to_mediation(dispute, day)
        elif self.rng.random() < self.p.escalate_to_court:
            self._to_court(dispute, day)
        else:
            dispute.channels.append(NONE)
            self._schedule(day + 1 + int(self.rng.exponential(self.p.unresolved_give_up_days)), "give_up", dispute)

    # ----- daily ------------------------------------------------------------------------
    def advance(self, day: int) -> None:
        """Run today's events (negotiations ending, rulings, mediation cases closing, giving up)."""
        for event, dispute in self.agenda.pop(day, []):
            if not dispute.is_open:
                continue
            if event == "negotiation_end":
                transparent = self.rng.random() < self.model.levers.transparency
                p = self.p.negotiation_success + transparent * self.p.transparency_negotiation_gain
                if self.rng.random() < p:
                    self.close(
                        dispute,
                        day,
                        "agreement",
                        success=True,
                        channel=NEGOTIATION,
                        compensation=self._award(dispute, 1.0),
                    )
                else:
                    self._escalate(dispute, day)
            elif event == "court_ruling":
                if self.rng.random() < self.p.litigation_success:
                    self.close(
                        dispute,
                        day,
                        "award",
                        success=True,
                        channel=LITIGATION,
                        compensation=self._award(dispute, self.p.court_award_factor),
                    )
                else:
                    self.close(dispute, day, "failed", success=False, channel=LITIGATION)
            elif event == "mediation_end":
                mediator = self.model.mediator(dispute.mediator)
                if mediator.close_case(dispute):
                    self.close(
                        dispute,
                        day,
                        "agreement",
                        success=True,
                        channel=MEDIATION,
                        compensation=self._award(dispute, self.p.mediation_award_factor),
                        fairness=mediator.impartiality,
                    )
                else:
                    self._escalate(dispute, day)
            elif event == "give_up":
                self.close(dispute, day, "gave_up", success=False, channel=NONE)
        self._fair_successes *= self._decay
        self._closures *= self._decay

    def close(
        self,
        dispute: Dispute,
        day: int,
        outcome: str,
        success: bool,
        channel: str,
        compensation: float = 0.0,
        fairness: float | None = None,
    ) -> None:
        dispute.closed_day, dispute.outcome, dispute.compensation_yuan = day, outcome, compensation
        self.n_open -= 1
        if not dispute.channels or dispute.channels[-1] != channel:
            dispute.channels.append(channel)
        m = self.model
        patients = m.patients
        if patients.open_dispute[dispute.patient] == dispute.id:
            patients.open_dispute[dispute.patient] = NO_DISPUTE
        if success:
            # redress: the money is back, the harm weighs less
            patients.loss_burden[dispute.patient] = 0.0
            patients.harm[dispute.patient] *= 0.3
            m.today["compensation_yuan"] += compensation
        elif outcome != "withdrawn":
            patients.harm[dispute.patient] = min(1.0, patients.harm[dispute.patient] + 0.1)
        if outcome != "withdrawn":
            weight = FAIRNESS.get(channel, 0.0) if fairness is None else fairness
            self._fair_successes += weight * success
            self._closures += 1.0
        m.today["disputes_closed"] += 1

    # ----- record -----------------------------------------------------------------------
    def closed(self) -> list[Dispute]:
        """Disputes closed on an observed day (day >= 0: not during the burn-in)."""
        return [d for d in self.all if d.closed_day is not None and d.closed_day >= 0]

    def filed(self) -> list[Dispute]:
        """Disputes filed on an observed day."""
        return [d for d in self.all if d.filed_day >= 0]
