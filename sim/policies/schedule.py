"""Dated schedules: a policy intensity, or the share of the country a policy covers, over time.

A :class:`Schedule` is a list of dated points (ISO dates) and how to read between them: linear
ramps (``interpolation: linear``, the default) or steps (``step``: each value holds from its date
until the next). Before the first point the first value holds, after the last the last one.
Schedules need the run's calendar (``start_date``); they are validated like every other value:
dates that parse, in strictly increasing order, values within the intensity's range, a clear
error naming the key otherwise (:func:`check_schedule`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np

from sim.config.fields import ConfigError

INTERPOLATIONS = ("linear", "step")
#: Dates a schedule may use: the model's calendar covers the reforms' era with room on either side.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


@dataclass
class Schedule:
    dates: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    interpolation: str = "linear"

    @property
    def is_set(self) -> bool:
        return bool(self.dates)

    def at(self, date: dt.date) -> float:
        """The value on ``date``."""
        block, offset = divmod(date.toordinal(), BLOCK_DAYS)
        return _values(tuple(self.dates), tuple(self.values), self.interpolation, block)[offset]


def as_schedule(value) -> Schedule:
    """A :class:`Schedule` from a mapping (``{dates: [...], values: [...], interpolation: ...}``)."""
    if isinstance(value, Schedule):
        return value
    try:
        unknown = set(value) - {"dates", "values", "interpolation"}
    except TypeError:
        raise ConfigError(f"a schedule must be a mapping of dates and values, not {value!r}") from None
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in a schedule: allowed dates, values, interpolation")
    return Schedule(
        dates=[str(d) for d in value.get("dates", [])],
        values=list(value.get("values", [])),
        interpolation=value.get("interpolation", "linear"),
    )


#: A schedule is evaluated for a block of this many days at once (a history reads every schedule
#: every day: one vectorised evaluation a block instead of one a day; same numbers)
BLOCK_DAYS = 512


@functools.lru_cache(maxsize=1024)
def _values(dates: tuple[str, ...], values: tuple[float, ...], interpolation: str, block: int) -> list[float]:
    """The schedule's value on each day of a block (day numbers ``block x BLOCK_DAYS`` onwards)."""
    x = np.arange(block * BLOCK_DAYS, (block + 1) * BLOCK_DAYS, dtype=float)
    points, fp = _ordinals(dates), np.asarray(values, float)
    if interpolation == "step":
        return fp[np.maximum(np.searchsorted(points, x, side="right") - 1, 0)].tolist()
    return np.interp(x, points, fp).tolist()


@functools.lru_cache(maxsize=256)
def _ordinals(dates: tuple[str, ...]) -> np.ndarray:
    """The dates as day numbers: parsed once (a history reads its schedules every day)."""
    points = np.array([parse_date(d, "").toordinal() for d in dates], float)
    points.flags.writeable = False
    return points


def parse_date(text, key: str) -> dt.date:
    """An ISO date (``2015-11-01``), or :class:`ConfigError` naming ``key``."""
    if isinstance(text, dt.date):
        return text
    try:
        date = dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"{key}={text!r} is not a date: allowed an ISO date such as 2015-11-01") from None
    if not EARLIEST <= date <= LATEST:
        raise ConfigError(f"{key}={text!r} is out of range: allowed dates from {EARLIEST} to {LATEST}")
    return date


def check_schedule(schedule: Schedule, key: str, lo: float | None, hi: float | None) -> None:
    """Raise :class:`ConfigError` naming ``key`` for a schedule that cannot be read."""
    if schedule.interpolation not in INTERPOLATIONS:
        raise ConfigError(f"{key}.interpolation={schedule.interpolation!r}: allowed {', '.join(INTERPOLATIONS)}")
    if len(schedule.dates) != len(schedule.values):
        raise ConfigError(
            f"{key}: {len(schedule.dates)} dates but {len(schedule.values)} values: give one value per date"
        )
    if not schedule.dates:
        return
    dates = [parse_date(d, f"{key}.dates[{i}]") for i, d in enumerate(schedule.dates)]
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            raise ConfigError(
                f"{key}.dates[{i}]={schedule.dates[i]!r} is not after {schedule.dates[i - 1]!r}: "
                "dates must be in strictly increasing order"
            )
    for i, value in enumerate(schedule.values):
        if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
            raise ConfigError(f"{key}.values[{i}]={value!r} is not a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(
                f"{key}.values[{i}]={value!r} is out of range: allowed "
                f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            )
