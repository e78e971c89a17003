"""The protocol every mechanism follows: one process of the day, with its own rules.

A mechanism is built from its parameters (documented keyword arguments; ``from_config`` picks
them out of a run's ``SimConfig``) and its random stream(s). Each day the model calls, for
every mechanism of the schedule (``sim.engine.schedule``), first :meth:`start_day` and then,
in the declared order, :meth:`step`. Both receive the :class:`~sim.engine.world.World`: the
state arrays, the levers in force, the day's ledger and the day. A mechanism never sees the
Mesa model, and policies reach it only through the levers.
"""

from __future__ import annotations

from typing import ClassVar

from sim.engine.world import World


class Mechanism:
    #: Name in the schedule (and of the random stream it draws from).
    name: ClassVar[str]

    @classmethod
    def from_config(cls, config, streams) -> Mechanism:
        """The mechanism with its parameters from a run's config and its streams."""
        raise NotImplementedError

    def setup(self, world: World) -> None:
        """Before the first day: state this mechanism owns (default: nothing)."""

    def start_day(self, world: World) -> None:
        """At the start of every day, after the levers of the day are set (default: nothing)."""

    def step(self, world: World) -> None:
        """This mechanism's part of the day."""
        raise NotImplementedError
