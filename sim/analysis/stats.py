"""Paired policy effects with bootstrap intervals over seeds; CSV and Markdown tables.

Common random numbers (``sim/rng.py``): an arm and the baseline run with the same seed share
the population, network and illness draws, so the effect of an arm on a metric is estimated
from the paired differences ``d_s = arm_s - baseline_s`` over seeds ``s``: the mean effect is
``mean(d)``, the relative change ``mean(d) / mean(baseline)``, and the 95% interval is the
percentile bootstrap over seeds (resampling whole seeds, i.e. pairs; Efron & Tibshirani 1993,
ch. 13). Pairing removes the between-seed variance shared by both arms, which is most of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.runs.collect import arm_order

#: Headline metrics of the comparisons: summary key -> (label, unit).
METRICS: dict[str, tuple[str, str]] = {
    "disputes_per_hospital_year": ("Disputes", "per hospital per year"),
    "violent_incidents_per_hospital_year": ("Violent incidents", "per hospital per year"),
    "doctors_injured_per_hospital_year": ("Doctors injured", "per hospital per year"),
    "mean_trust": ("Mean trust in doctors", "0-1"),
    "mean_compensation_yuan": ("Mean compensation", "yuan per compensated dispute"),
    "out_of_pocket_share": ("Out-of-pocket share", "of spending"),
    "primary_care_visit_share": ("Primary-care visit share", "of visits"),
}


def bootstrap_indices(n: int, n_boot: int = 10_000, seed: int = 0) -> np.ndarray:
    """``n_boot`` resamples of ``n`` seeds (rows of indices), from a fixed generator: reproducible."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_ci(values: np.ndarray, level: float = 0.95, n_boot: int = 10_000, seed: int = 0) -> np.ndarray:
    """Percentile-bootstrap interval of the mean over axis 0 (seeds): array ``[low, high, ...]``."""
    values = np.asarray(values, dtype=float)
    means = values[bootstrap_indices(len(values), n_boot, seed)].mean(axis=1)
    alpha = (1 - level) / 2
    return np.quantile(means, [alpha, 1 - alpha], axis=0)


def paired_effects(
    results: pd.DataFrame,
    metrics: list[str] | tuple[str, ...] = tuple(METRICS),
    baseline: str = "baseline",
    arm: str = "arm",
    pair_on: tuple[str, ...] = ("seed",),
    by: tuple[str, ...] = (),
    level: float = 0.95,
    n_boot: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Effect of every arm (and level of ``by``) on each metric, paired with the baseline on ``pair_on``.

    Only completed runs count; an arm's seed without a baseline run of the same seed is left
    out (``n_seeds`` says how many pairs there are). Runs are paired only if their
    configurations differ in the arm alone: with the columns ``context`` (the config without
    arm and seed) and ``code`` of ``sim.runs.collect``, pairs are formed within the same context and
    code, and effects are reported per context (a ``context`` column when there are several), so
    runs of different scales, lengths, parameters or code are never pooled into one effect.
    Returns one row per arm, level (and context) and metric: ``baseline_mean``, ``arm_mean``,
    ``effect`` and its interval ``effect_low``/``effect_high``, ``relative_change`` and its
    interval (the same bootstrap resamples).
    """
    done = results[results["status"] == "completed"] if "status" in results else results
    same = [c for c in ("context", "code") if c in done and c not in pair_on]
    done = done.assign(**{c: done[c].fillna("") for c in same})  # (an unknown code pairs with unknown)
    several = any(done[c].nunique() > 1 for c in same)
    by = (*by, *(c for c in same if several and c not in by))
    pair_on = [*pair_on, *same]
    base = done[done[arm] == baseline].set_index(pair_on)[list(metrics)]
    if base.index.duplicated().any():
        raise ValueError(f"several baseline runs share {pair_on}: add the differing columns to pair_on")
    rows = []
    for key, group in done[done[arm] != baseline].groupby([arm, *by], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        group = group.set_index(pair_on)
        common = group.index.intersection(base.index)
        if len(common) == 0:
            continue
        idx = bootstrap_indices(len(common), n_boot, seed)
        alpha = (1 - level) / 2
        for metric in metrics:
            b = base.loc[common, metric].to_numpy(float)
            a = group.loc[common, metric].to_numpy(float)
            d = a - b
            boot_d = d[idx].mean(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                boot_rel = boot_d / b[idx].mean(axis=1)
                relative = d.mean() / b.mean()
            rows.append(
                {
                    arm: key[0],
                    **dict(zip(by, key[1:], strict=True)),
                    "metric": metric,
                    "n_seeds": len(common),
                    "baseline_mean": b.mean(),
                    "arm_mean": a.mean(),
                    "effect": d.mean(),
                    "effect_low": np.quantile(boot_d, alpha),
                    "effect_high": np.quantile(boot_d, 1 - alpha),
                    "relative_change": relative,
                    "relative_low": np.nanquantile(boot_rel, alpha) if np.isfinite(boot_rel).any() else np.nan,
                    "relative_high": np.nanquantile(boot_rel, 1 - alpha) if np.isfinite(boot_rel).any() else np.nan,
                }
            )
    effects = pd.DataFrame(rows)
    if len(effects):  # baseline, single policies in their canonical order, packages
        effects = effects.sort_values(arm, key=lambda s: s.map(arm_order), kind="stable", ignore_index=True)
    return effects


def _number(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def markdown_table(effects: pd.DataFrame, arm: str = "arm", level: float = 0.95) -> str:
    """The effects as a Markdown table: arm, metric, baseline, effect [CI], relative change [CI], N."""
    pct = f"{level:.0%}"
    extra = [c for c in effects.columns if c.startswith(("policies.", "params."))]
    head = [
        "Arm",
        *extra,
        "Metric",
        "Baseline",
        "Arm",
        f"Effect [{pct} CI]",
        f"Relative change [{pct} CI]",
        "Seeds",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in effects.to_dict("records"):
        label, unit = METRICS.get(row["metric"], (row["metric"], ""))
        rel = (
            f"{row['relative_change']:+.1%} [{row['relative_low']:+.1%}, {row['relative_high']:+.1%}]"
            if np.isfinite(row["relative_change"])
            else "n/a"
        )
        cells = [
            str(row[arm]),
            *[_number(row[c]) for c in extra],
            f"{label} ({unit})" if unit else label,
            _number(row["baseline_mean"]),
            _number(row["arm_mean"]),
            f"{_number(row['effect'])} [{_number(row['effect_low'])}, {_number(row['effect_high'])}]",
            rel,
            str(row["n_seeds"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(effects: pd.DataFrame, out_dir: Path, stem: str = "effects", level: float = 0.95) -> list[Path]:
    """``<stem>.csv`` and ``<stem>.md`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, md = out_dir / f"{stem}.csv", out_dir / f"{stem}.md"
    effects.to_csv(csv, index=False)
    n = sorted(effects["n_seeds"].unique()) if len(effects) else []
    note = (
        f"Paired differences vs the baseline over seeds (common random numbers); {level:.0%} percentile-bootstrap "
        f"intervals over seeds; seeds per arm: {', '.join(map(str, n))}.\n\n"
    )
    md.write_text(note + markdown_table(effects, level=level))
    return [csv, md]
