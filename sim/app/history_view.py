"""The history on the page: China 2006-2019 played day by day, the reforms marked as they arrive.

In history mode the page runs the history scenario (``configs/scenario/china_2006_2019.yaml``,
``sim.analysis.history.SCENARIO``) from its start date at the tiny scale (or the small one), with
the sidebar's seed; the sidebar's policy switches, intensities and reform day do not apply (the
scenario dates every reform). Its baseline, in two-world mode, is the same history with every
reform removed (each starts after the period ends, ``sim.analysis.history.NEVER``): the same
residents, illnesses, incomes and prices, without the reforms.

What this module gives the page (``sim.app.page``):

- :func:`overrides`: the history's Hydra overrides, with or without the reforms;
- :func:`mark_reforms`: a dotted vertical line and the name of each reform the run has reached
  (``sim.analysis.history.REFORMS``), on any chart drawn against dates;
- :func:`observed_chart`: by calendar year, the model's figures (``sim.engine.metrics.yearly``, the
  statistics the validation uses) beside what was observed nationally (``sim.analysis.history``).

Observed changes in counts (NHC 2013-2017, MoH disturbances 2006-2010) are national relative
changes: each is drawn from the model's own level in its first year, so that its slope compares
with the model's. Shares (out of pocket, satisfaction) are drawn as observed.
"""

from __future__ import annotations

import functools

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from sim.analysis.drawing import message_figure
from sim.analysis.history import (
    DISPUTES_CHANGE_2013_2017,
    DISTURBANCES,
    FIRST_YEAR,
    LAST_YEAR,
    NEVER,
    OFFENCES_CHANGE_2013_2017,
    OUT_OF_POCKET,
    REFORMS,
    SATISFACTION,
    SCENARIO,
)
from sim.engine.metrics import yearly

#: Label of the switch between the page's own settings and the history.
HISTORY_LABEL = "History: China 2006-2019, the reforms as they came"
#: Scales the history is offered at (the default scale is too slow to play 14 years live).
HISTORY_SCALES = ("tiny", "small")
#: Names of the two worlds in history mode.
WITH_REFORMS = "China 2006-2019: the reforms as they came"
WITHOUT_REFORMS = "China 2006-2019 without the reforms"
#: The history's span on the observed-against-modelled chart.
SPAN = (pd.Timestamp(f"{FIRST_YEAR}-01-01"), pd.Timestamp(f"{LAST_YEAR + 1}-01-01"))


@functools.cache
def reform_policies() -> tuple[str, ...]:
    """The policies the history switches on (its reforms; composed once)."""
    from sim.analysis.history import scenario_policies

    return tuple(scenario_policies())


def overrides(seed: int, scale: str = "tiny", reforms: bool = True) -> list[str]:
    """Hydra overrides of the history at ``scale`` with ``seed``; ``reforms=False``: every reform
    removed (each starts after the period ends; everything else as in the scenario)."""
    if scale not in HISTORY_SCALES:
        raise ValueError(f"the history plays at the scales {HISTORY_SCALES}, not {scale!r}")
    result = [SCENARIO, f"scale={scale}", f"seed={int(seed)}"]
    if not reforms:
        result += [f"policies.{name}.start_date={NEVER}" for name in reform_policies()]
    return result


def label(key: str) -> str:
    """A world's name in history mode (``baseline``: without the reforms)."""
    return WITHOUT_REFORMS if key == "baseline" else WITH_REFORMS


def today(model) -> pd.Timestamp:
    """The run's date today (the day it will step next)."""
    return pd.Timestamp(model.date)


def reforms_reached(model) -> list[tuple[pd.Timestamp, str, str]]:
    """The reforms (date, name, HISTORY.md source) whose date the run has reached."""
    now = today(model)
    return [(pd.Timestamp(date), name, source) for date, name, source in REFORMS if pd.Timestamp(date) <= now]


def mark_reforms(ax, model, names: bool = True) -> None:
    """A dotted line at each reform the run has reached, with its name (``names``), on ``ax``
    drawn against dates."""
    for date, name, _source in reforms_reached(model):
        ax.axvline(date, color="0.45", lw=0.8, ls=":", zorder=0)
        if names:
            ax.annotate(name, (date, 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=6,
                        va="top", ha="right", color="0.3")  # fmt: skip


def dates_note(model) -> str:
    """The dates a run has observed, e.g. ``2006-01-01 to 2007-03-04``."""
    if model.day <= 0:
        return f"from {today(model).date()}"
    last = today(model) - pd.Timedelta(days=1)
    return f"{model.start_date} to {last.date()}"


def headline(app) -> str:
    """The history's line of the headline block: today's date and the reforms reached so far."""
    reached = reforms_reached(app.main)
    so_far = "; ".join(f"{name} ({date.date()}, {source})" for date, name, source in reached) or "none yet"
    worlds = " Beside it: the same history without the reforms." if app.two_worlds else ""
    return (
        f"History: China {FIRST_YEAR}-{LAST_YEAR} (insurance and hospital growth from {FIRST_YEAR}; "
        f"the sidebar's policies do not apply).{worlds} Reforms reached: {so_far}"
    )


# ---------------------------------------------------------------------------------------------
# Observed against modelled, by calendar year
# ---------------------------------------------------------------------------------------------
#: Panels: (yearly statistic, title).
PANELS = (
    ("disputes_per_hospital", "Disputes per hospital-year"),
    ("violent_incidents_per_hospital", "Violent incidents per hospital-year"),
    ("out_of_pocket_share", "Out-of-pocket share"),
    ("mean_satisfaction", "Satisfaction with care"),
)


def _mid(year: int) -> pd.Timestamp:
    return pd.Timestamp(f"{year}-07-01")


def model_years(model, key: str, stats: dict | None = None) -> pd.Series:
    """A yearly statistic of the run so far (the current year, scaled to a year, included);
    ``stats``: the run's ``sim.engine.metrics.yearly`` if already computed."""
    stats = yearly(model) if stats is None else stats
    values = {int(k.rsplit("_", 1)[1]): v for k, v in stats.items() if k.rsplit("_", 1)[0] == key}
    return pd.Series(values, dtype=float).sort_index()


def observed_changes(key: str) -> list[tuple[int, int, float, str]]:
    """Observed national changes of a count: (first year, last year, ratio last / first, label)."""
    if key == "disputes_per_hospital":
        return [(2013, 2017, 1 + DISPUTES_CHANGE_2013_2017, "NHC: disputes 2013-2017")]
    if key == "violent_incidents_per_hospital":
        (y0, n0), (y1, n1) = sorted(DISTURBANCES.items())
        return [
            (y0, y1, n1 / n0, f"MoH: major disturbances {y0}-{y1}"),
            (2013, 2017, 1 + OFFENCES_CHANGE_2013_2017, "NHC: offences 2013-2017"),
        ]
    return []


def observed_levels(key: str) -> tuple[dict[int, float], str]:
    """Observed national levels of a share, by year, and their source."""
    if key == "out_of_pocket_share":
        return {y: v / 100 for y, v in OUT_OF_POCKET.items() if y >= FIRST_YEAR}, "observed (A1, of all spending)"
    if key == "mean_satisfaction":
        return dict(SATISFACTION), "observed (Zhu et al. 2022)"
    return {}, ""


def _draw_observed(ax, key: str, anchor: pd.Series, current: int) -> None:
    """What was observed: a change from the model's level once its first year is complete."""
    black = dict(color="black", zorder=5)
    for first, last, ratio, text in observed_changes(key):
        if first < current and first in anchor.index and np.isfinite(anchor[first]):
            level = float(anchor[first])
            ax.plot([_mid(first), _mid(last)], [level, level * ratio], "o--", ms=4, lw=1.2,
                    label=f"{text}: {ratio - 1:+.0%}", **black)  # fmt: skip
    levels, text = observed_levels(key)
    if levels:
        years = sorted(levels)
        ax.plot([_mid(y) for y in years], [levels[y] for y in years], "o-", ms=3, lw=1, label=text, **black)


def observed_chart(app, note: str = ""):
    """Observed against modelled, by calendar year (history mode), or a note on how to get there;
    ``note``: what the chart shows (runs, seed, scale, dates)."""
    fig = Figure(figsize=(7, 4.6), layout="constrained")
    if not app.history:
        message = f'Switch on\n"{HISTORY_LABEL}"\nto see the model beside what was observed in China'
        message_figure(fig, message, "Observed and modelled, 2006-2019")
        return solara.FigureMatplotlib(fig, format="png")
    axes = fig.subplots(2, 2, sharex=True)
    current = today(app.main).year
    stats = {world_key: yearly(world) for world_key, world in app.worlds().items()}  # (once per world)
    for ax, (key, title) in zip(axes.ravel(), PANELS, strict=True):
        for world_key, world in app.worlds().items():
            series = model_years(world, key, stats[world_key])
            if not len(series):
                continue
            ls = "--" if world_key == "baseline" else "-"
            colour = "0.45" if world_key == "baseline" else "tab:blue"
            done = series[series.index < current] if world.day > 0 else series.iloc[:0]
            ax.plot([_mid(y) for y in done.index], done.to_numpy(), "o", ls=ls, ms=3, color=colour,
                    label=f"model{' without reforms' if world_key == 'baseline' else ''}")  # fmt: skip
            if current in series.index:  # the year under way, scaled to a year: an open marker
                ax.plot([_mid(current)], [series[current]], "o", ms=5, mfc="none", color=colour)
        _draw_observed(ax, key, model_years(app.main, key, stats["policies"]), current)
        mark_reforms(ax, app.main, names=ax is axes[0, 0])
        ax.set_title(title, fontsize=8, pad=2)
        ax.tick_params(labelsize=7)
        ax.set_xlim(*SPAN)
        ax.xaxis.set_major_locator(mdates.YearLocator(3))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        if key in ("out_of_pocket_share", "mean_satisfaction"):
            ax.set_ylim(0, 1)
        else:
            ax.set_ylim(bottom=0)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=5.5)
    fig.suptitle(
        f"Observed (black) and modelled, by calendar year, to {today(app.main).date()}\n{note}\n"
        "open marker: the year under way, scaled to a year; dashed black: a national change,"
        " drawn from the model's level in its first year",
        fontsize=7,
        color="0.2",
    )
    return solara.FigureMatplotlib(fig, format="png")
