"""What every policy is: its parameters, its label, its main intensity, the levers it moves.

A policy is one module of ``sim/policies/`` holding

- a parameter dataclass deriving from :class:`PolicyParams` (each intensity declared with
  ``sim.config.fields.param`` / ``unit``: range, meaning, source), which the configuration
  schema takes over as ``policies.<name>``;
- a :class:`Policy` subclass naming it, labelling it for figures and the page, choosing the
  main intensity (the page's slider, the dose-response series) and saying, in
  :meth:`Policy.levers`, which levers it moves and to what (``sim.policies.levers``).

A policy acts only through levers: it changes no state and draws no random numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sim.config.fields import param
from sim.policies.levers import Levers
from sim.policies.schedule import Schedule, as_schedule

#: Fields every policy has that are not intensities.
COMMON = ("enabled", "start_day", "start_date", "schedule", "coverage")


@dataclass
class PolicyParams:
    """Parameters every policy has: switched on or not, from when, and how it changes over time.

    ``schedule`` maps an intensity to a dated :class:`~sim.policies.schedule.Schedule` (the
    intensity then follows it instead of its constant value); ``coverage`` is the share of the
    country where the policy is in force, over time (unset: everywhere). Both need the run's
    calendar (``start_date``)."""

    enabled: bool = False
    start_day: int = param(0, 0, 100_000, "day the policy takes effect (0: from the start; after the run: never)")
    start_date: str = param(
        "", doc="date the policy takes effect (ISO, e.g. 2015-11-01; needs the run's start_date; instead of start_day)"
    )
    # intensity -> {dates: [...], values: [...], interpolation: linear|step} (read as a Schedule)
    schedule: dict[str, Any] = field(default_factory=dict)
    coverage: Schedule = field(default_factory=Schedule)

    def schedules(self) -> dict[str, Schedule]:
        """``schedule`` as :class:`Schedule` objects."""
        return {name: as_schedule(value) for name, value in self.schedule.items()}


class Policy:
    """One remedy the sources propose. Subclasses set the class attributes and :meth:`levers`."""

    #: Key in ``policies=[...]`` and in ``policies.<name>.<intensity>``.
    name: ClassVar[str]
    #: Readable name for figures, tables and the page.
    label: ClassVar[str]
    #: One sentence: what the remedy is (the sources' words).
    summary: ClassVar[str]
    #: The parameter dataclass (a subclass of :class:`PolicyParams`).
    Params: ClassVar[type[PolicyParams]]
    #: The intensity a slider or a dose-response series moves.
    main_intensity: ClassVar[str]
    #: Levels of the main intensity for a dose-response series, lowest first (the first is the
    #: main intensity's null: no effect; see :meth:`at_dose`).
    dose_levels: ClassVar[tuple[float, ...]]
    #: The levers :meth:`levers` proposes values for (declared, and checked by the tests).
    moves: ClassVar[tuple[str, ...]]
    #: Intensities whose strength no source gives (the history's scenario states them as
    #: assumptions; ``experiments/history.py`` halves them in turn to show what hangs on them).
    assumed: ClassVar[tuple[str, ...]] = ()
    #: The unit prices of its cost model (a ``sim.policies.costs.PolicyPrices`` subclass), or
    #: ``None``: a policy without a cost model (its spending is unknown, never taken as zero).
    Prices: ClassVar[type | None] = None

    def __init__(self, params: PolicyParams | None = None):
        self.params = params if params is not None else self.Params(enabled=True)

    def on(self, date: dt.date | None) -> Policy:
        """The policy with every scheduled intensity at its value on ``date`` (itself if none is)."""
        if not self.params.schedule or date is None:
            return self
        values = {name: schedule.at(date) for name, schedule in self._schedules.items()}
        return type(self)(dataclasses.replace(self.params, **values))

    def scheduled(self, date: dt.date | None) -> tuple[float, ...]:
        """Its scheduled intensities and its coverage on ``date``: all that its proposal of that
        day depends on (equal values, equal proposals)."""
        if date is None:
            return ()
        return (*(schedule.at(date) for schedule in self._schedules.values()), self.coverage_on(date))

    @functools.cached_property
    def _schedules(self) -> dict[str, Schedule]:
        return self.params.schedules()

    def coverage_on(self, date: dt.date | None) -> float:
        """Share of the country where the policy is in force on ``date`` (1 without a schedule)."""
        if not self.params.coverage.is_set or date is None:
            return 1.0
        return self.params.coverage.at(date)

    def levers(self, base: Levers) -> dict[str, Any]:
        """The levers this policy moves, as ``{lever: proposed value}``, computed from the
        pre-reform levers ``base`` (never from another policy's proposals; arrays are copies)."""
        raise NotImplementedError

    def spending(self, books) -> dict[str, Any]:
        """What the policy spends today, ``{item: sim.policies.costs.Cost}``, computed from the day's
        books (``sim.mechanisms.accounting.Books``, read only); only for a policy with :attr:`Prices`."""
        raise NotImplementedError(f"policy {self.name!r} has no cost model")

    @classmethod
    def has_cost_model(cls) -> bool:
        return cls.Prices is not None

    # ----- declared facts, read by the schema, the page, the plots and the experiments ---------
    @classmethod
    def intensities(cls) -> list[dataclasses.Field]:
        """The fields of :attr:`Params` that set how strongly the policy acts (not the switch
        or the start day)."""
        return [f for f in dataclasses.fields(cls.Params) if f.name not in COMMON]

    @classmethod
    def intensity(cls, name: str) -> dataclasses.Field:
        for f in cls.intensities():
            if f.name == name:
                return f
        raise KeyError(f"policy {cls.name!r} has no intensity {name!r}")

    @classmethod
    def default(cls, name: str) -> Any:
        """The schema default of an intensity."""
        return getattr(cls.Params(), name)

    @classmethod
    def at_dose(cls, level: float) -> dict[str, float]:
        """The intensities of the policy when its main intensity is ``level``: every intensity
        with a null value (``sim.config.fields.param``) moves in proportion, from its null at
        the main intensity's null to its default at the main intensity's default (within its
        range); qualifiers keep their defaults. So the lowest dose, the main intensity at its
        null, has no effect, and the default dose is the policy's default."""
        main = cls.intensity(cls.main_intensity)
        null, default = main.metadata["null"], cls.default(cls.main_intensity)
        share = (level - null) / (default - null)
        out = {cls.main_intensity: level}
        for f in cls.intensities():
            if f.name == cls.main_intensity or f.metadata.get("null") is None:
                continue
            lo, hi = f.metadata["range"]
            value = f.metadata["null"] + share * (cls.default(f.name) - f.metadata["null"])
            out[f.name] = float(min(max(value, lo if lo is not None else value), hi if hi is not None else value))
        return out
