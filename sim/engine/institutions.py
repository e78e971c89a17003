"""The state of the institutions: the dispute system's records, mediation centres, media outlets.

State only; the rules that change it are in ``sim.mechanisms`` (disputes, mediation, media).

- :class:`Dispute` and :class:`DisputeBook`: every dispute from filing to closure, the agenda
  of their next events, and what the legitimacy of the dispute system is estimated from.
- :class:`MediationCentre` and :class:`MediatorRecord`: the centres the ``mediation`` policy
  opens, their queues, and each mediator's cases.
- :class:`OutletRecord` and :class:`Story`: local media outlets, their audiences and stories.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np

NEGOTIATION, MEDIATION, LITIGATION, NONE = "negotiation", "mediation", "litigation", "none"


# ---------------------------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------------------------
@dataclass
class Dispute:
    """One dispute, from filing to closure; kept for the record (``world.disputes.all``)."""

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
    mediator: int | None = None  # index of the mediator (world.mediation.mediators)

    @property
    def channel(self) -> str:
        return self.channels[-1] if self.channels else NONE

    @property
    def is_open(self) -> bool:
        return self.closed_day is None


class DisputeBook:
    """All disputes, the agenda of their next events, and the system's legitimacy.

    Legitimacy is a beta-style estimate: the prior legitimacy counted as ``prior_cases``
    pseudo-closures, plus recent closures (decayed with ``memory_days``) weighted by how fair
    their channel looks (``sim.mechanisms.disputes.FAIRNESS``).
    """

    def __init__(self, prior: float, prior_cases: float, memory_days: float):
        self.all: list[Dispute] = []
        self.agenda: dict[int, list[tuple[str, Dispute]]] = defaultdict(list)
        self.prior, self.prior_cases = prior, prior_cases
        self.decay = 1.0 - 1.0 / memory_days
        self.fair_successes = 0.0
        self.closures = 0.0
        self.n_open = 0

    @property
    def legitimacy(self) -> float:
        return (self.prior * self.prior_cases + self.fair_successes) / (self.prior_cases + self.closures)

    def schedule(self, day: int, event: str, dispute: Dispute) -> None:
        self.agenda[day].append((event, dispute))

    def closed(self) -> list[Dispute]:
        """Disputes closed on an observed day (day >= 0: not during the burn-in)."""
        return [d for d in self.all if d.closed_day is not None and d.closed_day >= 0]

    def filed(self) -> list[Dispute]:
        """Disputes filed on an observed day."""
        return [d for d in self.all if d.filed_day >= 0]


# ---------------------------------------------------------------------------------------------
# Mediation
# ---------------------------------------------------------------------------------------------
@dataclass
class MediatorRecord:
    """A professional mediator: ``capacity`` cases in parallel (state of a ``Mediator`` agent)."""

    index: int
    centre: int
    capacity: int
    impartiality: float
    mean_duration_days: float
    max_success: float
    cases: list[Dispute] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    cases_closed: int = 0
    agreements: int = 0
    #: in post: takes new cases and is paid (the staff follows the lever: ``sim.mechanisms.mediation``)
    active: bool = True


@dataclass
class MediationCentre:
    """A centre's first-come-first-served queue and the indices of its mediators."""

    index: int
    mediators: list[int] = field(default_factory=list)
    queue: deque = field(default_factory=deque)


@dataclass
class Mediation:
    """The mediation centres and their mediators (none until the ``mediation`` policy opens them)."""

    centres: list[MediationCentre] = field(default_factory=list)
    mediators: list[MediatorRecord] = field(default_factory=list)

    def centre_for(self, facility: int) -> MediationCentre:
        return self.centres[facility % len(self.centres)]

    def caseload(self, centre: MediationCentre) -> int:
        return sum(len(self.mediators[m].cases) for m in centre.mediators)


# ---------------------------------------------------------------------------------------------
# Media
# ---------------------------------------------------------------------------------------------
@dataclass
class Story:
    outlet: int
    day: int
    kind: str  # "dispute", "violence" or "positive"
    facility: int  # -1 for a general story
    tone: float  # < 0 lowers trust, > 0 raises it
    open_response: bool = False


@dataclass
class OutletRecord:
    """A local newspaper / TV / web outlet reaching ``audience`` (patient indices)."""

    index: int
    audience: np.ndarray
    base_sensationalism: float
    stories: list[Story] = field(default_factory=list)
