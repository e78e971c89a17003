"""Publication figures of sweeps: one style, colour-blind-safe, PDF and PNG, N and interval stated.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), heatmaps use
``cividis`` (Nuñez et al. 2018, readable with colour-vision deficiency). Every function takes
the tidy tables of ``sim/runs/collect.py`` (or the effects of ``sim/analysis/stats.py``), writes
``<path>.pdf`` and ``<path>.png`` and returns both paths. Intervals are percentile-bootstrap
intervals over seeds (``sim.analysis.stats.bootstrap_ci``); each figure says how many seeds, which
interval, the scale (residents) and how many days the runs lasted (:func:`run_context`).
Moving means are trailing and drawn only where their window is full (from day ``window - 1``),
so the first days are not the mean of a day or two (no spike at day 0). The time axis is the
day, or the date once the daily series has a ``date`` column (``sim.analysis.drawing.time_axis``).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.drawing import time_axis
from sim.analysis.stats import METRICS, bootstrap_ci
from sim.policies import PACKAGES, POLICIES
from sim.runs.collect import arm_order

# Okabe-Ito, yellow last (hard to see as a line on white)
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "pdf.fonttype": 42,
}
#: Daily reporters of the time-series figure: column -> (label, unit, per-hospital-year rate?).
DAILY = {
    "disputes_hospital": ("Disputes", "per hospital per year", True),
    "violent_incidents_hospital": ("Violent incidents", "per hospital per year", True),
    "mean_trust": ("Mean trust in doctors", "0-1", False),
}
POLICY_LABELS = {
    "baseline": "Pre-reform baseline",
    **{name: policy.label for name, policy in POLICIES.items()},
    "all_policies": f"All {len(POLICIES)} policies",
    **{"+".join(members): " + ".join(POLICIES[m].label for m in members) for members in PACKAGES.values()},
}


def arm_name(arm: str) -> str:
    """Readable name of an arm label of ``sim.runs.collect.arm_label``."""
    base, *days = arm.split("@")
    name = POLICY_LABELS.get(base) or " + ".join(POLICY_LABELS.get(p, p) for p in base.split("+"))
    return name + "".join(f" from day {d.removeprefix('day')}" for d in days)


def metric_label(metric: str) -> str:
    label, unit = METRICS.get(metric, (metric.replace("_", " "), ""))
    return f"{label} ({unit})" if unit else label


@contextmanager
def house_style():
    with plt.rc_context(STYLE):
        yield


def save(fig, path: Path) -> list[Path]:
    """Write ``path`` as PDF and PNG (suffix replaced); close the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = [path.with_suffix(".pdf"), path.with_suffix(".png")]
    for p in out:
        fig.savefig(p)
    plt.close(fig)
    return out


def _span(values) -> str:
    """``365`` or ``180-365`` (the distinct values, smallest to largest); ``small/default`` for names."""
    v = sorted(set(pd.Series(values).dropna().tolist()), key=lambda x: (isinstance(x, str), x))
    if not v:
        return "?"
    if any(isinstance(x, str) for x in v):
        return "/".join(map(str, v))
    fmt = (lambda x: f"{int(x):,}") if all(float(x).is_integer() for x in v) else (lambda x: f"{x:g}")
    return fmt(v[0]) if len(v) == 1 else f"{fmt(v[0])}-{fmt(v[-1])}"


def _interval_note(n_seeds, level: float = 0.95) -> str:
    return f"N = {_span(np.atleast_1d(n_seeds))} seeds; {level:.0%} bootstrap intervals over seeds"


def run_context(
    results: pd.DataFrame | None = None, timeseries: pd.DataFrame | None = None, trust_end: pd.DataFrame | None = None
) -> str:
    """The runs behind a figure: ``scale small (50,000 residents), 365 days``, from whichever
    tables are at hand (the scale and days columns when they were swept, else the residents of
    the summaries or of the trust histograms, and the days of the daily series)."""
    results = results if results is not None else pd.DataFrame()
    if "status" in results:
        results = results[results["status"] == "completed"]
    parts = []
    scale = _span(results["scale"]) if "scale" in results else None
    if "n_patients" in results:
        residents = _span(results["n_patients"])
    elif trust_end is not None and {"run_id", "trust"} <= set(trust_end.columns):
        residents = _span(trust_end.groupby("run_id")["trust"].sum())
    else:
        residents = None
    if scale and residents:
        parts.append(f"scale {scale} ({residents} residents)")
    elif scale or residents:
        parts.append(f"scale {scale}" if scale else f"{residents} residents")
    if "days" in results:
        parts.append(f"{_span(results['days'])} days")
    elif timeseries is not None and {"run_id", "day"} <= set(timeseries.columns) and len(timeseries):
        parts.append(f"{_span(timeseries.groupby('run_id')['day'].max() + 1)} days")
    return ", ".join(parts)


def _title(text: str, *notes: str) -> str:
    return ". ".join([text, *(n for n in notes if n)])


def forest_plot(
    effects: pd.DataFrame,
    path: Path,
    metrics: tuple[str, ...] = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year"),
    level: float = 0.95,
    results: pd.DataFrame | None = None,
) -> list[Path]:
    """Each arm's paired effect (vs the baseline, same seeds) on each metric, with its interval
    (``results``, the runs' table, for the scale and days in the title)."""
    effects = effects[effects["metric"].isin(metrics)]
    arms = sorted(dict.fromkeys(effects["arm"]), key=arm_order)
    y = np.arange(len(arms))[::-1]
    with house_style():
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 1.6, 0.32 * len(arms) + 1.3))
        axes = np.atleast_1d(axes)
        for i, (ax, metric) in enumerate(zip(axes, metrics, strict=True)):
            e = effects[effects["metric"] == metric].set_index("arm").loc[arms]
            package = np.array(["+" in a or a == "all_policies" for a in arms])
            for mask, colour, label in ((~package, OKABE_ITO[5], "single policy"), (package, OKABE_ITO[6], "package")):
                ax.errorbar(
                    e["effect"][mask],
                    y[mask],
                    xerr=[(e["effect"] - e["effect_low"])[mask], (e["effect_high"] - e["effect"])[mask]],
                    fmt="o",
                    color=colour,
                    capsize=2,
                    ms=4,
                    label=label,
                )
            ax.axvline(0, color="0.4", lw=0.8, ls="--")
            label, unit = METRICS.get(metric, (metric, ""))
            ax.set_title(f"{label} (baseline {e['baseline_mean'].iloc[0]:.3g})")
            ax.set_xlabel(f"Change vs baseline ({unit})")
            ax.set_yticks(y, [arm_name(a) for a in arms] if i == 0 else [])
        axes[-1].legend(loc="lower right", frameon=False)
        fig.suptitle(
            _title("Policy effects, paired by seed", _interval_note(effects["n_seeds"], level))
            + "\n"
            + run_context(results),
            fontsize=9,
            y=1.0,
            va="bottom",  # above the panels' titles (the saved figure's tight box takes it in)
        )
        return save(fig, path)


def _rolling_rate(ts: pd.DataFrame, column: str, per_hospital_year: bool, n_hospitals, window: int) -> pd.Series:
    """Trailing ``window``-day mean per run, NaN until the window is full (no mean of a day or two)."""
    values = ts[column].astype(float)
    if per_hospital_year:
        values = values * 365.0 / ts["run_id"].map(n_hospitals)
    return values.groupby(ts["run_id"]).transform(lambda s: s.rolling(window, min_periods=window).mean())


def timeseries_plot(
    timeseries: pd.DataFrame,
    results: pd.DataFrame,
    path: Path,
    arms: list[str] | None = None,
    columns: tuple[str, ...] = tuple(DAILY),
    window: int = 60,
    level: float = 0.95,
    marks: dict[str, float] | None = None,
) -> list[Path]:
    """Daily disputes, violence and trust per arm: mean over seeds with its bootstrap band.

    Counts are smoothed by a trailing ``window``-day mean per run, drawn from the first day
    its window is full (day ``window - 1``; the whole run if it is shorter than ``window``),
    and shown as rates per hospital-year; ``marks`` draws labelled vertical lines at days
    (e.g. ``{"reform": 365}``).
    """
    arms = arms or list(dict.fromkeys(timeseries["arm"]))
    n_hospitals = results.set_index("run_id")["n_hospitals"]
    window = max(1, min(window, int(timeseries.groupby("run_id")["day"].nunique().min())))
    x_column, x_label = time_axis(timeseries)
    with house_style():
        fig, axes = plt.subplots(
            1, len(columns), figsize=(3.4 * len(columns), 3.2), squeeze=False, layout="constrained"
        )
        n_seeds = []
        for ax, column in zip(axes[0], columns, strict=True):
            label, unit, rate = DAILY.get(column, (column, "", False))
            for colour, arm in zip(OKABE_ITO, arms, strict=False):
                ts = timeseries[timeseries["arm"] == arm]
                wide = (
                    ts.assign(value=_rolling_rate(ts, column, rate, n_hospitals, window) if rate else ts[column])
                    .pivot(index="seed", columns=x_column, values="value")
                    .dropna(axis=1)
                )
                n_seeds.append(len(wide))
                x = pd.to_datetime(wide.columns) if x_column == "date" else wide.columns
                lo, hi = bootstrap_ci(wide.to_numpy(), level, n_boot=2000)
                ax.fill_between(x, lo, hi, color=colour, alpha=0.25, lw=0)
                ax.plot(x, wide.mean().to_numpy(), color=colour, lw=1.2, label=arm_name(arm))
            for name, day in (marks or {}).items():
                at = day
                if x_column == "date":  # a mark given as a day, on an axis of dates
                    on_day = timeseries.loc[timeseries["day"] == day, "date"]
                    if on_day.empty:
                        continue
                    at = pd.to_datetime(on_day.iloc[0])
                ax.axvline(at, color="0.3", ls=":", lw=1)
                ax.annotate(name, (at, 1), xycoords=("data", "axes fraction"), fontsize=7, ha="left", va="top")
            ax.set_xlabel(x_label)
            ax.set_title(label)
            ax.set_ylabel(unit + (f"\n({window}-day trailing mean)" if rate else ""))
        # one legend for all panels, below them, so that it hides no curve
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), frameon=False)
        smoothing = f"rates are {window}-day trailing means, drawn from day {window - 1} (the first full window)"
        fig.suptitle(
            _title("Daily trajectories: mean over seeds", _interval_note(n_seeds, level))
            + "\n"
            + "; ".join(n for n in (run_context(results, timeseries), smoothing) if n),
            fontsize=9,
        )
        return save(fig, path)


def dose_response_plot(
    results: pd.DataFrame,
    path: Path,
    metric: str = "violent_incidents_per_hospital_year",
    level: float = 0.95,
) -> list[Path]:
    """Metric against each swept policy intensity (one panel each), baseline as a band.

    The intensities are the ``policies.<name>.<key>`` columns of the results; the points are
    means over seeds with their bootstrap interval.
    """
    done = results[results["status"] == "completed"]
    doses = [c for c in done.columns if c.startswith("policies.") and done[c].nunique() > 1]
    base = done.loc[done["arm"] == "baseline", metric].to_numpy(float)
    ncols = min(len(doses), 5)
    nrows = int(np.ceil(len(doses) / ncols))
    n_seeds = []
    with house_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.4 * nrows + 0.4), squeeze=False, sharey=True)
        for ax, dose in zip(axes.flat, doses, strict=False):
            d = done[done[dose].notna()].groupby(dose)[metric]
            levels = np.array(sorted(d.groups))
            values = [d.get_group(x).to_numpy(float) for x in levels]
            n_seeds += [len(v) for v in values]
            ci = np.array([bootstrap_ci(v, level, n_boot=2000) for v in values])
            if base.size:
                lo, hi = bootstrap_ci(base, level, n_boot=2000)
                ax.axhspan(lo, hi, color="0.85", lw=0)
                ax.axhline(base.mean(), color="0.4", ls="--", lw=0.8, label="baseline")
            ax.fill_between(levels, ci[:, 0], ci[:, 1], color=OKABE_ITO[2], alpha=0.35, lw=0)
            ax.plot(levels, [v.mean() for v in values], "o-", color=OKABE_ITO[5], ms=3)
            _, name, key = dose.split(".", 2)
            ax.set_title(POLICY_LABELS.get(name, name))
            ax.set_xlabel(key.replace("_", " "))
        for ax in axes[:, 0]:
            ax.set_ylabel(metric_label(metric))
        for ax in list(axes.flat)[len(doses) :]:
            ax.set_visible(False)
        axes.flat[0].legend(frameon=False)
        fig.suptitle(
            _title("Dose-response: mean over seeds", _interval_note(n_seeds, level), run_context(results)), fontsize=9
        )
        fig.tight_layout()
        return save(fig, path)


def interaction_heatmap(
    results: pd.DataFrame,
    path: Path,
    x: str,
    y: str,
    metric: str = "violent_incidents_per_hospital_year",
) -> list[Path]:
    """Mean of ``metric`` over seeds on the grid of two swept intensities ``x`` and ``y``."""
    done = results[results["status"] == "completed"]
    grid = done.pivot_table(index=y, columns=x, values=metric, aggfunc="mean").sort_index(ascending=False)
    n = done.groupby([x, y]).size()
    with house_style():
        fig, ax = plt.subplots(figsize=(4.6, 3.8))
        image = ax.imshow(grid.to_numpy(), cmap="cividis", aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.grid(False)
        mid = np.nanmean(grid.to_numpy())
        for (i, j), value in np.ndenumerate(grid.to_numpy()):
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color="w" if value < mid else "k")
        ax.set_xlabel(x.replace("policies.", "").replace("_", " "))
        ax.set_ylabel(y.replace("policies.", "").replace("_", " "))
        fig.colorbar(image, ax=ax, label=metric_label(metric))
        ax.set_title(
            _title(f"Mean over N = {_span([n.min(), n.max()])} seeds per cell (no interval)", run_context(done)),
            wrap=True,
        )
        return save(fig, path)


def trust_distribution_plot(
    trust_end: pd.DataFrame,
    path: Path,
    arms: list[str] | None = None,
    column: str = "trust",
    results: pd.DataFrame | None = None,
) -> list[Path]:
    """Patients' trust at the end of the run, pooled over seeds, one step curve per arm
    (``results``, the runs' table, for the scale and days in the title)."""
    arms = arms or list(dict.fromkeys(trust_end["arm"]))
    with house_style():
        fig, ax = plt.subplots(figsize=(4.6, 3.2))
        n_seeds = []
        for colour, arm in zip(OKABE_ITO, arms, strict=False):
            t = trust_end[trust_end["arm"] == arm]
            n_seeds.append(t["seed"].nunique())
            h = t.groupby("bin_left")[column].sum()
            width = float(t["bin_right"].iloc[0] - t["bin_left"].iloc[0])
            density = h / h.sum() / width
            ax.step(np.append(h.index, h.index[-1] + width), np.append(density, density.iloc[-1]), where="post",
                    color=colour, label=arm_name(arm))  # fmt: skip
        ax.set_xlabel("Trust in doctors at the end of the run (0-1)" if column == "trust" else f"{column} (0-1)")
        ax.set_ylabel("Density (share of patients per unit trust)")
        ax.set_title(
            _title(
                f"End-of-run trust, patients pooled over N = {_span(n_seeds)} seeds (no interval)",
                run_context(results, trust_end=trust_end),
            ),
            wrap=True,
        )
        ax.legend(frameon=False, loc="upper left")
        return save(fig, path)
