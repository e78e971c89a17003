"""China 2006-2019: what was observed, how the inputs were mapped, and what the model reproduces.

- :data:`OBSERVED`: the observations of ``HISTORY.md`` the model is compared with, each with its
  source ID, and which of them calibration may use (before 2013) or only validation;
- :func:`insurance_schedule`: how the national out-of-pocket series (an input) is mapped onto the
  insurance policy's schedule (``configs/scenario/china_2006_2019.yaml``);
- :func:`posterior_draws` and :func:`history_runs`: the history over posterior draws x seeds,
  with every reform, without one, or without any (validation: ``sim.analysis.validation``);
- :func:`attribution`: the history with one reform removed at a time (and with none): how much of
  the 2013-2017 fall in disputes and violence each reform accounts for, paired by draw and seed;
- :func:`history_figure`: observed against modelled, 2006-2019, with the reforms' dates.

Runs go through the resumable design sweeps (``sim.runs.designs.run_design``), on any launcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIO = "scenario=china_2006_2019"
FIRST_YEAR, LAST_YEAR = 2006, 2019

# ----------------------------------------------------------------------------------------------
# What was observed (HISTORY.md; source IDs as there)
# ----------------------------------------------------------------------------------------------
#: A1: out-of-pocket share of total health expenditure, %.
OUT_OF_POCKET = {
    2005: 52.2, 2006: 49.3, 2007: 45.2, 2008: 40.4, 2010: 35.3, 2011: 34.9, 2012: 34.3, 2013: 33.9,
    2015: 29.3, 2016: 28.8, 2017: 28.8, 2018: 28.6, 2019: 28.4,
}  # fmt: skip
#: A1: adults with health insurance (Fu et al. 2014): 27.7 % (2003), 96.4 % (2011).
INSURED = {2003: 0.277, 2011: 0.964}
#: MoH "major disturbances" in health facilities (Hesketh et al. 2012): calibration (before 2013).
DISTURBANCES = {2006: 9_831, 2010: 17_243}
#: NHC press conference 2018-09-07: changes 2013 -> 2017 (validation).
DISPUTES_CHANGE_2013_2017 = -0.201
OFFENCES_CHANGE_2013_2017 = -0.411
#: Zhu et al. 2022: public satisfaction with health care.
SATISFACTION = {2006: 0.578, 2019: 0.773}

#: The reforms as they arrived, for figures (date, label, HISTORY.md source).
REFORMS = (
    ("2009-01-01", "zero markup, clinics", "A6"),
    ("2010-01-01", "mediation committees", "A2"),
    ("2012-05-01", "police posts", "A3"),
    ("2014-04-01", "judicial opinion", "A3"),
    ("2015-09-01", "tiered care", "A4"),
    ("2015-11-01", "Criminal Law Amendment IX", "A3"),
    ("2016-06-01", "family doctors", "A5"),
    ("2017-09-30", "zero markup, all hospitals", "A6"),
)


# ----------------------------------------------------------------------------------------------
# The insurance input: the out-of-pocket series mapped onto the policy's schedule
# ----------------------------------------------------------------------------------------------
def insured_share(year: float) -> float:
    """Adults insured, linear between 2003 and 2011 (A1), held after 2011."""
    (y0, s0), (y1, s1) = sorted(INSURED.items())
    return s1 if year >= y1 else s0 + (s1 - s0) * (year - y0) / (y1 - y0)


def insurance_schedule(model_oop_2006: float, uninsured_2006: float) -> pd.DataFrame:
    """The insurance policy's schedule that makes the model's out-of-pocket share follow the
    national series relative to 2006 (one row per year of the series from 2006).

    The national share is of total health expenditure, not of one patient's bill, so it is mapped
    relatively: the model's share in year y is its 2006 share times national(y) / national(2006).
    Enrolment: the uninsured in year y are those of 2006 times (1 - insured(y)) / (1 - insured(2006))
    (``enrolment_gain`` = 1 - that ratio). Reimbursement: with the insured share i(y) and the
    model's bill-weighted coverage of the insured in 2006, C0 = (1 - OOP_2006) / i(2006), the
    out-of-pocket share is 1 - i(y) (C0 + g (1 - C0)) for ``coverage_gain`` g, solved for g. This
    treats the mix of bills over tiers as fixed (tiered care and over-testing move it a little);
    the calibration checks the mapped path in 2006 and 2012 (``out_of_pocket_share_<year>``)."""
    base = insured_share(FIRST_YEAR)
    c0 = (1 - model_oop_2006) / (1 - uninsured_2006)
    rows = []
    for year, national in sorted(OUT_OF_POCKET.items()):
        if year < FIRST_YEAR:
            continue
        enrolment = 1 - (1 - insured_share(year)) / (1 - base)
        insured = 1 - uninsured_2006 * (1 - enrolment)
        target = model_oop_2006 * national / OUT_OF_POCKET[FIRST_YEAR]
        gain = ((1 - target) / insured - c0) / (1 - c0)
        rows.append(
            {
                "date": f"{year}-01-01",
                "national_oop_share": national / 100,
                "model_oop_share": target,
                "enrolment_gain": round(max(0.0, enrolment), 3),
                "coverage_gain": round(min(1.0, max(0.0, gain)), 3),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# Runs: the history over posterior draws x seeds, with or without reforms
# ----------------------------------------------------------------------------------------------
#: A reform removed from the history starts after it ends: it never acts (and every other value
#: of the scenario, its schedules included, stays as it is).
NEVER = "2100-01-01"


def scenario_policies() -> list[str]:
    """The policies the history switches on (configs/scenario/china_2006_2019.yaml)."""
    from sim.config.compose import compose

    return compose([SCENARIO]).policies.enabled()


def posterior_draws(n: int, seed: int = 0, path: Path | None = None) -> list[dict[str, float]]:
    """``n`` parameter sets drawn from the calibration's posterior (its weighted sets,
    ``configs/calibration/posterior.csv``), without replacement while there are enough."""
    from sim.analysis.calibration import POSTERIOR_FILE

    sets = pd.read_csv(path or POSTERIOR_FILE)
    weights = sets.pop("weight").to_numpy(float)
    rng = np.random.default_rng(seed)
    replace = n > len(sets)
    chosen = rng.choice(len(sets), size=n, replace=replace, p=weights / weights.sum())
    return [{k: float(v) for k, v in sets.iloc[i].items()} for i in chosen]


def history_runs(
    draws: Sequence[dict[str, float]],
    seeds: range,
    removed: Sequence[str] = (),
    overrides: Sequence[str] = (),
    launcher: Sequence[str] = ("hydra/launcher=joblib",),
    sweep_dir: Path | None = None,
) -> pd.DataFrame:
    """The history (2006-2019) for every draw (a point of the design) over ``seeds``, with the
    ``removed`` reforms never starting; one row per run (``point`` = draw, ``seed``) with every
    summary key (``sim.engine.metrics.yearly``: ``<statistic>_<year>``). Resumable in ``sweep_dir``."""
    from sim.runs.designs import run_design

    design = pd.DataFrame([dict(d) for d in draws]) if draws and draws[0] else pd.DataFrame(index=range(len(draws)))
    base = [SCENARIO, *(f"policies.{name}.start_date={NEVER}" for name in removed), *overrides]
    return run_design(design, seeds, base, sweep_dir, launcher)


# ----------------------------------------------------------------------------------------------
# What each reform did
# ----------------------------------------------------------------------------------------------
def change(runs: pd.DataFrame, key: str, start: int = 2013, end: int = 2017) -> pd.Series:
    """Relative change of a yearly statistic between two years, per run."""
    return runs[f"{key}_{end}"] / runs[f"{key}_{start}"].replace(0, np.nan) - 1


def attribution(full: pd.DataFrame, without: dict[str, pd.DataFrame], n_boot: int = 4000) -> pd.DataFrame:
    """For each reform (and ``none``: every reform removed), how much of the 2013-2017 change in
    disputes and violence it accounts for: the history's change minus the change without it,
    paired by draw and seed (common random numbers), with a bootstrap 95 % interval over the
    pairs. Negative: the reform made the fall deeper. Also the change of the primary-care share
    of visits 2013-2017 in points (mean over runs) with and without it. The same table compares
    the history with any variant of it (e.g. its assumed strengths halved)."""
    from sim.analysis.stats import bootstrap_ci

    rows = []
    keyed = full.set_index(["point", "seed"])
    for name, runs in without.items():
        other = runs.set_index(["point", "seed"]).reindex(keyed.index)
        row = {"removed": name, "pairs": len(keyed)}
        for key, label in (("disputes_per_hospital", "disputes"), ("violent_incidents_per_hospital", "violence")):
            own, without_it = change(keyed, key), change(other, key)
            diff = (own - without_it).dropna().to_numpy()
            row[f"{label}_change_with"] = float(own.mean())
            row[f"{label}_change_without"] = float(without_it.mean())
            row[f"{label}_accounted"] = float(diff.mean()) if diff.size else np.nan
            low, high = bootstrap_ci(diff, n_boot=n_boot) if diff.size > 1 else (np.nan, np.nan)
            row[f"{label}_low"], row[f"{label}_high"] = float(low), float(high)
        own, without_it = primary_share_points(keyed), primary_share_points(other)
        row["primary_points_with"], row["primary_points_without"] = float(own.mean()), float(without_it.mean())
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# How much the fall hangs on the strengths no source gives
# ----------------------------------------------------------------------------------------------
def assumed_strengths() -> dict[str, tuple[str, ...]]:
    """The strengths no source gives (each policy's ``assumed``), of the reforms the history
    switches on that have any; each marked as an assumption in configs/scenario/china_2006_2019.yaml."""
    from sim.policies import POLICIES

    return {name: POLICIES[name].assumed for name in scenario_policies() if POLICIES[name].assumed}


def scaled_assumptions(reform: str, factor: float) -> list[str]:
    """Overrides of the history that multiply ``reform``'s assumed strengths by ``factor``, from the
    scenario's own values: every value of the dated schedule where the scenario gives one (its
    dates are sourced), else the constant."""
    from sim.config.compose import compose
    from sim.policies import POLICIES

    params = getattr(compose([SCENARIO]).policies, reform)
    overrides = []
    for key in POLICIES[reform].assumed:
        if key in params.schedule:
            values = [round(v * factor, 6) for v in params.schedule[key]["values"]]
            overrides.append(f"policies.{reform}.schedule.{key}.values=[{','.join(map(str, values))}]")
        else:
            overrides.append(f"policies.{reform}.{key}={round(getattr(params, key) * factor, 6)}")
    return overrides


def primary_share_points(runs: pd.DataFrame, start: int = 2013, end: int = 2017) -> pd.Series:
    """Change of the primary-care share of visits between two years, in points, per run."""
    return 100 * (runs[f"primary_care_visit_share_{end}"] - runs[f"primary_care_visit_share_{start}"])


# ----------------------------------------------------------------------------------------------
# The figure: observed against modelled, 2006-2019
# ----------------------------------------------------------------------------------------------
def yearly_frame(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    """One column per year of ``<key>_<year>``, one row per run."""
    years = [y for y in range(FIRST_YEAR, LAST_YEAR + 1) if f"{key}_{y}" in runs.columns]
    return pd.DataFrame({y: runs[f"{key}_{y}"].to_numpy(float) for y in years})


def history_figure(runs: pd.DataFrame, path: Path, note: str = "") -> list[Path]:
    """Observed against modelled: disputes and violence (index 2013 = 100), the out-of-pocket share
    and the share of disputes going to mediation; model: median and 95 % band over runs (posterior
    draws x seeds); the reforms' dates marked. Writes ``<path>.pdf`` and ``<path>.png``."""
    import matplotlib.pyplot as plt

    from sim.analysis.plots import OKABE_ITO, house_style, save

    panels = (
        ("disputes_per_hospital", "Medical disputes (index 2013 = 100)", True),
        ("violent_incidents_per_hospital", "Violence against staff (index 2013 = 100)", True),
        ("out_of_pocket_share", "Out-of-pocket share", False),
        # of the disputes of the kind the committees take: the NHC's count (the model's is broader)
        ("mediation_entry_share_of_eligible", "Share of disputes going to mediation (committees' kind)", False),
    )
    with house_style():
        fig, axes = plt.subplots(2, 2, figsize=(9, 6.2), sharex=True, layout="constrained")
        for ax, (key, title, indexed) in zip(axes.ravel(), panels, strict=True):
            frame = yearly_frame(runs, key)
            if indexed:
                frame = frame.div(frame[2013].replace(0, np.nan), axis=0) * 100
            years = np.array(frame.columns, float) + 0.5
            low, mid, high = (np.nanpercentile(frame.to_numpy(), q, axis=0) for q in (2.5, 50, 97.5))
            ax.fill_between(years, low, high, color=OKABE_ITO[5], alpha=0.25, lw=0, label="model, 95 % of runs")
            ax.plot(years, mid, color=OKABE_ITO[5], lw=1.6, label="model, median")
            _observed(ax, key)
            for date, _label, _source in REFORMS:
                year = int(date[:4]) + (int(date[5:7]) - 1) / 12
                ax.axvline(year, color="0.6", lw=0.6, ls=":")
            ax.set_title(title)
            ax.set_xlim(FIRST_YEAR, LAST_YEAR + 1)
        axes[0, 0].legend(loc="lower left", fontsize=7)
        for date, label, source in REFORMS:
            year = int(date[:4]) + (int(date[5:7]) - 1) / 12
            axes[0, 0].annotate(f"{label} ({source})", (year, 1.0), xycoords=("data", "axes fraction"),
                                rotation=90, fontsize=5.5, va="top", ha="right", color="0.4")  # fmt: skip
        n = len(runs)
        fig.suptitle(f"China 2006-2019: observed and modelled ({n} runs: posterior draws x seeds{note})", fontsize=9)
        return save(fig, path)


def _observed(ax, key: str) -> None:
    black = dict(color="black", zorder=5)
    if key == "disputes_per_hospital":
        ax.plot([2013.5, 2017.5], [100, 100 * (1 + DISPUTES_CHANGE_2013_2017)], "o-", label="observed (NHC)", **black)
    elif key == "violent_incidents_per_hospital":
        ax.plot([2013.5, 2017.5], [100, 100 * (1 + OFFENCES_CHANGE_2013_2017)], "o-", label="observed (NHC)", **black)
        # 2006-2010: the growth of major disturbances, placed relative to the model's 2006 level
        ax.annotate("MoH disturbances x1.75, 2006-2010 (calibration)", (2006.2, 0.04),
                    xycoords=("data", "axes fraction"), fontsize=6)  # fmt: skip
    elif key == "out_of_pocket_share":
        years = np.array(sorted(OUT_OF_POCKET), float)
        ax.plot(years + 0.5, [OUT_OF_POCKET[int(y)] / 100 for y in years], "o-", ms=3, label="observed (A1)", **black)
    elif key == "mediation_entry_share_of_eligible":
        ax.plot([2013.5, 2018.5], [0.6, 0.6], "k--", lw=1.2, label="observed: over 60 % (NHC)")


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.analysis.history insurance-schedule``: the insurance schedule of the scenario, from
    the configured model's out-of-pocket share in 2006 (a short run) and its uninsured share."""
    import argparse

    from sim.config.compose import compose
    from sim.runs.api import run

    parser = argparse.ArgumentParser(prog="python -m sim.analysis.history", description=main.__doc__)
    parser.add_argument("what", choices=["insurance-schedule"])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    # the 2006 share before any reform: the scenario with every reform starting after it ends
    base = [SCENARIO, "scale=default", "end_date=2006-12-31"]
    base += [f"policies.{name}.start_date={NEVER}" for name in scenario_policies()]
    config = compose(base)
    shares = [run(compose([*base, f"seed={s}"])).summary["out_of_pocket_share_2006"] for s in range(args.seeds)]
    table = insurance_schedule(float(np.mean(shares)), config.params.cost.uninsured_share)
    print(table.to_string(index=False))
    print("coverage_gain:", ", ".join(f"{v:g}" for v in table["coverage_gain"]))
    print("enrolment_gain:", ", ".join(f"{v:g}" for v in table["enrolment_gain"]))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
