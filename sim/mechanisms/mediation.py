"""Third-party medical dispute mediation centres (what the ``mediation`` policy sets up).

When the policy comes into force the mechanism opens centres (one per 100,000 residents, at
least one), staffed each day to that day's ``mediators_per_100k`` (which a coverage schedule
scales: the staff grows as the committees spread). A centre holds a
first-come-first-served queue; each mediator works on at most ``capacity`` cases in parallel,
each lasting a gamma-distributed time (mean ``mean_duration_days``; Guangdong 2013-15: 87
days) and ending in agreement with probability ``max_success x impartiality`` (NHC 2018: over
85 % success). A mediator with no capacity takes no case, so a centre staffed only by such
mediators resolves nothing. Every setting is a lever (``sim.policies.levers``).
"""

from __future__ import annotations

from scipy import special

from sim.engine.institutions import Dispute, MediationCentre, MediatorRecord
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.mechanisms.base import Mechanism

#: Purposes of the draws keyed by the disputing resident and the day (``sim.engine.streams``).
CASE_DAYS, AGREEMENT = 0, 1


class Mediation(Mechanism):
    name = "mediation"

    def __init__(self, n_patients: int, draws: KeyedDraws, eligible_share: float = 1.0):
        """``eligible_share``: the share of disputes of the kind the committees take (the policy's
        uptake applies to these only; ``params.disputes.mediation_eligible_share``)."""
        self.n_patients, self.draws, self.eligible_share = n_patients, draws, eligible_share

    @classmethod
    def from_config(cls, config, streams) -> Mediation:
        return cls(config.scale.n_patients, streams.keyed("mediation"), config.params.disputes.mediation_eligible_share)

    def start_day(self, world: World) -> None:
        """Open the centres on the day the policy comes into force (once), and staff them to
        today's ``mediators_per_100k``: where the policy spreads over the country (a coverage
        schedule), the staff grows with it (new mediators take today's qualifiers); when the
        lever falls, the mediators beyond it take no new case and are paid no more."""
        levers, mediation = world.levers, world.mediation
        if not mediation.centres:
            if levers.mediation_uptake <= 0:
                return
            n_centres = max(1, round(self.n_patients / 100_000))
            mediation.centres = [MediationCentre(i) for i in range(n_centres)]
        target = self.staff_size(levers.mediators_per_100k)
        for mediator in mediation.mediators:
            mediator.active = mediator.index < target
        for k in range(len(mediation.mediators), target):
            centre = mediation.centres[k % len(mediation.centres)]
            mediation.mediators.append(
                MediatorRecord(
                    index=k,
                    centre=centre.index,
                    capacity=levers.mediator_capacity,
                    impartiality=levers.mediator_impartiality,
                    mean_duration_days=levers.mediation_days,
                    max_success=levers.mediation_max_success,
                )
            )
            centre.mediators.append(k)

    def staff_size(self, per_100k: float) -> int:
        """Mediators for ``per_100k`` per 100,000 residents: at least one while the lever is on."""
        return max(1, round(self.n_patients / 100_000 * per_100k)) if per_100k > 0 else 0

    def step(self, world: World) -> None:
        """Queued cases go to mediators with a free slot."""
        for centre in world.mediation.centres:
            self.assign(world, centre)

    def uptake(self, world: World) -> float:
        """Chance a new dispute goes to mediation once centres exist: the policy's uptake among the
        disputes of the kind the committees take. (The model's disputes are the broad count of the
        mid-2000s, every complaint a hospital records; the committees took a few of them: 14,976 in
        January-October 2011, HISTORY.md A2.)"""
        return world.levers.mediation_uptake * self.eligible_share if world.mediation.centres else 0.0

    def submit(self, world: World, dispute: Dispute) -> None:
        centre = world.mediation.centre_for(dispute.facility)
        centre.queue.append(dispute)
        self.assign(world, centre)

    def assign(self, world: World, centre: MediationCentre) -> None:
        """Hand queued cases to mediators with a free slot, least busy first."""
        mediators = world.mediation.mediators
        while centre.queue:
            free = [
                mediators[m]
                for m in centre.mediators
                if mediators[m].active and len(mediators[m].cases) < mediators[m].capacity
            ]
            if not free:
                return
            mediator = min(free, key=lambda m: (len(m.cases), m.index))
            dispute = centre.queue.popleft()
            if dispute.is_open:
                self.take_case(world, mediator, dispute)

    def take_case(self, world: World, mediator: MediatorRecord, dispute: Dispute) -> None:
        u = self.draws.uniform1(world.day, dispute.patient, CASE_DAYS)
        duration = 1 + int(mediator.mean_duration_days / 2.0 * special.gammaincinv(2.0, u))  # gamma(2, mean / 2)
        dispute.mediator = mediator.index
        mediator.cases.append(dispute)
        mediator.durations.append(duration)
        world.disputes.schedule(world.day + duration, "mediation_end", dispute)

    def close_case(self, world: World, dispute: Dispute) -> bool:
        """End a case; True if it ends in agreement (chance ``max_success x impartiality``)."""
        mediator = world.mediation.mediators[dispute.mediator]
        mediator.cases.remove(dispute)
        agreed = (
            self.draws.uniform1(world.day, dispute.patient, AGREEMENT) < mediator.max_success * mediator.impartiality
        )
        mediator.cases_closed += 1
        mediator.agreements += agreed
        world.ledger.mediation_log.append((world.day, bool(agreed)))
        self.assign(world, world.mediation.centres[mediator.centre])
        return agreed
