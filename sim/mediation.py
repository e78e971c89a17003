"""Third-party medical dispute mediation centres (the ``mediation`` policy).

A centre holds a first-come-first-served queue; each :class:`~sim.agents.Mediator` works on at
most ``capacity`` cases in parallel, each lasting a gamma-distributed time (mean
``mean_duration_days``; Guangdong 2013-15: 87 days) and ending in agreement with probability
``max_success x impartiality`` (NHC 2018: over 85% success). A mediator with no capacity
takes no case, so a centre staffed only by such mediators resolves nothing.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.agents import Mediator
    from sim.disputes import Dispute


class MediationCentre:
    def __init__(self, index: int):
        self.index = index
        self.mediators: list[Mediator] = []
        self.queue: deque[Dispute] = deque()

    def submit(self, dispute: Dispute, day: int) -> None:
        self.queue.append(dispute)
        self.assign(day)

    def assign(self, day: int) -> None:
        """Hand queued cases to mediators with a free slot, least busy first."""
        while self.queue:
            free = [m for m in self.mediators if len(m.cases) < m.capacity]
            if not free:
                return
            mediator = min(free, key=lambda m: (len(m.cases), m.unique_id))
            dispute = self.queue.popleft()
            if dispute.is_open:
                mediator.take_case(dispute, day)

    @property
    def caseload(self) -> int:
        return sum(len(m.cases) for m in self.mediators)
