"""The order of the day (docs/ODD.md, "Process overview and scheduling"), as a declared schedule.

Each day the model sets the levers in force (policies that start today move theirs), calls
every mechanism's ``start_day`` and then each mechanism's ``step`` in the order below, keeps
its agent views in step with the state, and records the day.

0. economy: incomes and prices of care grow, expectations with incomes;
1. illness: who falls ill today, how badly;
2. care: choice of tier, crowding, outcome, cost, satisfaction;
3. workforce: workload, burnout, resignations and hires;
4. trust: own experience, word of mouth, DeGroot averaging;
5. disputes: complaints filed, then the day's events of open disputes;
6. mediation: queued cases handed to free mediators;
7. violence: Epstein's rule for the aggrieved; victims, injuries, fear;
8. media: the day's incidents covered, positive stories;
9. accounting: what the policies in force spent today (bookkeeping only: changes nothing).
"""

from __future__ import annotations

from sim.engine.streams import Streams
from sim.mechanisms.accounting import Accounting
from sim.mechanisms.base import Mechanism
from sim.mechanisms.care import Care
from sim.mechanisms.disputes import Disputes
from sim.mechanisms.economy import Economy
from sim.mechanisms.illness import Illness
from sim.mechanisms.media import Media
from sim.mechanisms.mediation import Mediation
from sim.mechanisms.trust import Trust
from sim.mechanisms.violence import Violence
from sim.mechanisms.workforce import Workforce
from sim.policies import PolicySet


def policy_set(config) -> PolicySet:
    """The run's policies on its calendar (``start_date``)."""
    from sim.policies.schedule import parse_date

    start = parse_date(config.start_date, "start_date") if config.start_date else None
    return PolicySet(config.policies, config.params, start)


def day_schedule(config, streams: Streams, policies: PolicySet | None = None) -> dict[str, Mechanism]:
    """The mechanisms of a run, by name, in the order of the day. Disputes hand cases to
    mediation and violence has consequences for the workforce: each gets the other's instance."""
    mediation = Mediation.from_config(config, streams)
    workforce = Workforce.from_config(config, streams)
    order = (
        Economy.from_config(config, streams),
        Illness.from_config(config, streams),
        Care.from_config(config, streams),
        workforce,
        Trust.from_config(config, streams),
        Disputes.from_config(config, streams, mediation=mediation),
        mediation,
        Violence.from_config(config, streams, workforce=workforce),
        Media.from_config(config, streams),
        Accounting.from_config(config, streams, policies=policies or policy_set(config)),
    )
    return {m.name: m for m in order}
