"""Cost-effectiveness of the policy arms of a collected sweep: ``python -m sim.analysis.economics SWEEP_DIR``.

For every arm, paired per seed with the baseline of the same seed (common random numbers, as in
``sim.analysis.stats``): the net cost (the arm's cost minus the baseline's, yuan per
hospital-year, from a stated perspective) and the disputes, violent incidents and injured doctors
averted (per hospital-year). Then, per effect:

- the incremental analysis along the efficiency frontier (arms ordered by net cost; strongly
  dominated arms, ``D``: another costs no more and averts no less; extendedly dominated, ``ED``:
  a mix of two neighbours on the frontier would avert as much for less; ICERs between neighbours
  on the frontier, ``ND``), computed with heormodel's ``icer_table`` (heormodel 0.7.4, a tested
  implementation of the standard algorithm; tests/test_economics.py checks it against a
  hand-computed case);
- the net monetary benefit at a stated willingness to pay, NMB = wtp x averted - net cost;
- the acceptability curve: over a grid of willingness to pay, the probability that each arm has
  the highest expected NMB (heormodel's ``ceac`` over bootstrap replicates of the means).

Intervals are percentile-bootstrap intervals over seeds (resampling whole seeds, i.e. the pairs);
when the results have a column of posterior draws (``--draw-column``: runs of the same seed and
draw are paired, the bootstrap resamples draws, each with all its seeds), they include the
parameter uncertainty the draws carry. The frontier's membership is reported as the share of
replicates in which an arm is on it.

Perspectives (all costs per hospital-year, ``sim.mechanisms.accounting.cost_summary``):

- ``public`` (default): the public purse: the programmes' resources, subsidies replacing hospital
  revenue, and everything insurance pays for care (so the extra reimbursement, and the savings or
  extra claims that changed care brings);
- ``health_system``: every payer: the programmes' resources, all spending on care (insurance and
  patients), compensation paid to patients, and replacing doctors who quit; transfers
  (reimbursement, subsidies) cancel;
- ``budget``: what the policies themselves spend (programmes, extra reimbursement, subsidies),
  without the savings or extra claims that changed care brings: the budget a ministry allocates.

An arm with a policy without a cost model has no cost (NaN): it is listed and left out of the
frontier.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.stats import bootstrap_indices

#: Effects, as the summary key they avert: short name -> (key, label, label of one).
EFFECTS: dict[str, tuple[str, str, str]] = {
    "violence": ("violent_incidents_per_hospital_year", "violent incidents", "violent incident"),
    "disputes": ("disputes_per_hospital_year", "disputes", "dispute"),
    "injuries": ("doctors_injured_per_hospital_year", "doctors injured", "injured doctor"),
}
#: Perspectives: name -> the summary key of the cost.
PERSPECTIVES: dict[str, str] = {
    "public": "public_cost_per_hospital_year",
    "health_system": "health_system_cost_per_hospital_year",
    "budget": "policy_cost_per_hospital_year",
}
#: The stated willingness to pay, yuan per unit averted (an assumption, not an estimate: for a
#: violent incident about ten times the sources' mean compensation per dispute, 108,100 yuan).
WTP: dict[str, float] = {"violence": 1_000_000.0, "disputes": 100_000.0, "injuries": 2_000_000.0}
BASELINE = "baseline"


def paired(
    results: pd.DataFrame,
    perspective: str = "public",
    effects: Sequence[str] = tuple(EFFECTS),
    draw_column: str | None = None,
    baseline: str = BASELINE,
) -> pd.DataFrame:
    """One row per arm and pair (seed, and draw if given): ``net_cost`` and ``averted_<effect>``
    against the baseline run of the same pair (within the same context and code, as in
    ``sim.analysis.stats.paired_effects``). The baseline's own rows have zeros."""
    cost_key = PERSPECTIVES[perspective]
    done = results[results["status"] == "completed"] if "status" in results else results
    keys = ["seed", *([draw_column] if draw_column else []), *(c for c in ("context", "code") if c in done)]
    done = done.assign(**{c: done[c].fillna("") for c in ("context", "code") if c in done})
    columns = [cost_key, *(EFFECTS[e][0] for e in effects)]
    base = done[done["arm"] == baseline].set_index(keys)[columns]
    if base.index.duplicated().any():
        raise ValueError(f"several baseline runs share {keys}")
    rows = []
    for arm, group in done.groupby("arm", sort=False):
        group = group.set_index(keys)
        common = group.index.intersection(base.index)
        if len(common) == 0:
            continue
        a, b = group.loc[common, columns], base.loc[common, columns]
        frame = pd.DataFrame(
            {
                "arm": arm,
                "net_cost": (a[cost_key] - b[cost_key]).to_numpy(float),
                **{f"averted_{e}": (b[EFFECTS[e][0]] - a[EFFECTS[e][0]]).to_numpy(float) for e in effects},
                **{f"baseline_{e}": b[EFFECTS[e][0]].to_numpy(float) for e in effects},
            },
            index=common,
        ).reset_index()
        rows.append(frame)
    if not rows:
        raise ValueError("no arm has runs paired with a baseline run")
    return pd.concat(rows, ignore_index=True)


def _unit(pairs: pd.DataFrame, draw_column: str | None) -> str:
    return draw_column or "seed"


def replicates(
    pairs: pd.DataFrame, column: str, draw_column: str | None = None, n_boot: int = 2000, seed: int = 0
) -> tuple[pd.Series, pd.DataFrame]:
    """(mean of ``column`` per arm, bootstrap replicates of those means: n_boot x arms). The
    bootstrap resamples the pairing unit (seeds, or draws with all their seeds) the same way for
    every arm, so replicates stay paired across arms."""
    unit = _unit(pairs, draw_column)
    wide = pairs.pivot_table(index=unit, columns="arm", values=column, aggfunc="mean", sort=False, dropna=False)
    units = wide.index.to_numpy()
    idx = bootstrap_indices(len(units), n_boot, seed)
    values = wide.to_numpy(float)
    with warnings.catch_warnings():  # an arm without a cost (NaN) has no mean: left NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        boot = np.stack([np.nanmean(values[i], axis=0) for i in idx])
    return wide.mean(), pd.DataFrame(boot, columns=wide.columns)


def arm_table(
    pairs: pd.DataFrame,
    effects: Sequence[str] = tuple(EFFECTS),
    draw_column: str | None = None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per arm: net cost, each effect averted (and as a share of the baseline's), cost per unit
    averted (a ratio of means), each with its bootstrap interval; ``n`` pairs."""
    warnings.simplefilter("ignore", RuntimeWarning)  # ratios of replicates with a zero denominator
    alpha = (1 - level) / 2
    cost_mean, cost_boot = replicates(pairs, "net_cost", draw_column, n_boot, seed)
    out = pd.DataFrame({"net_cost": cost_mean})
    out["net_cost_low"], out["net_cost_high"] = cost_boot.quantile(alpha), cost_boot.quantile(1 - alpha)
    for e in effects:
        mean, boot = replicates(pairs, f"averted_{e}", draw_column, n_boot, seed)
        base_mean, base_boot = replicates(pairs, f"baseline_{e}", draw_column, n_boot, seed)
        out[f"averted_{e}"] = mean
        out[f"averted_{e}_low"], out[f"averted_{e}_high"] = boot.quantile(alpha), boot.quantile(1 - alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = boot / base_boot
            out[f"averted_{e}_share"] = mean / base_mean
            out[f"averted_{e}_share_low"], out[f"averted_{e}_share_high"] = (
                share.quantile(alpha),
                share.quantile(1 - alpha),
            )
            ratio = cost_boot / boot
            out[f"cost_per_{e}_averted"] = cost_mean / mean
        # a ratio whose denominator's interval includes zero has no finite interval
        crosses = (out[f"averted_{e}_low"] <= 0) & (out[f"averted_{e}_high"] >= 0)
        out[f"cost_per_{e}_averted_low"] = ratio.quantile(alpha).where(~crosses)
        out[f"cost_per_{e}_averted_high"] = ratio.quantile(1 - alpha).where(~crosses)
    out["n"] = pairs.groupby("arm", sort=False)[_unit(pairs, draw_column)].nunique()
    return out


def icer(means: pd.DataFrame) -> pd.DataFrame:
    """The incremental analysis of a table of arms (index) with columns ``cost`` and ``effect``
    (higher is better): heormodel's ``icer_table`` (status ND / D / ED, incremental cost and
    effect against the previous arm on the frontier, ICER)."""
    from heormodel.cea import icer_table

    finite = means[np.isfinite(means["cost"]) & np.isfinite(means["effect"])]
    return icer_table(finite[["cost", "effect"]].astype(float))


def frontier_table(
    pairs: pd.DataFrame,
    effect: str,
    draw_column: str | None = None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The incremental analysis of every arm (baseline included, at zero) for one effect: status,
    ICER and its bootstrap interval (against the same frontier neighbour in every replicate), and
    the share of replicates in which the arm is on the frontier."""
    alpha = (1 - level) / 2
    cost_mean, cost_boot = replicates(pairs, "net_cost", draw_column, n_boot, seed)
    eff_mean, eff_boot = replicates(pairs, f"averted_{effect}", draw_column, n_boot, seed)
    table = icer(pd.DataFrame({"cost": cost_mean, "effect": eff_mean}))
    on = pd.Series(0.0, index=table.index)
    for b in range(len(cost_boot)):
        t = icer(pd.DataFrame({"cost": cost_boot.iloc[b], "effect": eff_boot.iloc[b]}))
        on[t.index[t["status"] == "ND"]] += 1
    table["on_frontier_share"] = on / len(cost_boot)
    frontier = list(table.index[table["status"] == "ND"])
    low, high = pd.Series(np.nan, index=table.index), pd.Series(np.nan, index=table.index)
    for prev, cur in pairwise(frontier):
        dc = cost_boot[cur] - cost_boot[prev]
        de = eff_boot[cur] - eff_boot[prev]
        if (de > 0).all():
            ratios = dc / de
            low[cur], high[cur] = ratios.quantile(alpha), ratios.quantile(1 - alpha)
    table["icer_low"], table["icer_high"] = low, high
    table["effect_name"] = effect
    return table


def net_monetary_benefit(
    pairs: pd.DataFrame,
    effect: str,
    wtp: float,
    draw_column: str | None = None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """NMB = wtp x averted - net cost per arm, with its bootstrap interval and the probability
    (over replicates) that the arm has the highest NMB."""
    alpha = (1 - level) / 2
    pairs = pairs.assign(nmb=wtp * pairs[f"averted_{effect}"] - pairs["net_cost"])
    mean, boot = replicates(pairs, "nmb", draw_column, n_boot, seed)
    best = boot.idxmax(axis=1).value_counts(normalize=True)
    return pd.DataFrame(
        {
            "nmb": mean,
            "nmb_low": boot.quantile(alpha),
            "nmb_high": boot.quantile(1 - alpha),
            "p_best": best.reindex(mean.index).fillna(0.0),
            "wtp": wtp,
        }
    )


def acceptability(
    pairs: pd.DataFrame,
    effect: str,
    wtp: Sequence[float],
    draw_column: str | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Acceptability curves: for each willingness to pay (rows), the probability that each arm
    (columns) has the highest expected NMB, over bootstrap replicates of the means (heormodel's
    ``ceac`` with the replicates as iterations)."""
    from heormodel.cea import ceac
    from heormodel.models import Outcomes

    _, cost_boot = replicates(pairs, "net_cost", draw_column, n_boot, seed)
    _, eff_boot = replicates(pairs, f"averted_{effect}", draw_column, n_boot, seed)
    keep = [c for c in cost_boot.columns if np.isfinite(cost_boot[c]).all() and np.isfinite(eff_boot[c]).all()]
    return ceac(Outcomes.from_wide(cost_boot[keep], eff_boot[keep], effect=effect), wtp)


def cost_effectiveness(
    results: pd.DataFrame,
    perspective: str = "public",
    draw_column: str | None = None,
    wtp: dict[str, float] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    min_pairs: int = 2,
) -> dict[str, pd.DataFrame]:
    """Every table of the analysis: ``arms``, ``frontier_<effect>``, ``nmb_<effect>``,
    ``ceac_<effect>`` (grid of willingness to pay from 0 to 10x the stated one)."""
    wtp = {**WTP, **(wtp or {})}
    pairs = paired(results, perspective, draw_column=draw_column)
    # an arm with a single pair has no interval: left out (e.g. an interrupted sweep's last arm)
    counts = pairs.groupby("arm")[_unit(pairs, draw_column)].nunique()
    pairs = pairs[pairs["arm"].isin(counts.index[counts >= min_pairs])]
    out = {"pairs": pairs, "arms": arm_table(pairs, draw_column=draw_column, n_boot=n_boot, seed=seed)}
    for e in EFFECTS:
        out[f"frontier_{e}"] = frontier_table(pairs, e, draw_column, n_boot=n_boot, seed=seed)
        out[f"nmb_{e}"] = net_monetary_benefit(pairs, e, wtp[e], draw_column, n_boot=n_boot, seed=seed)
        out[f"ceac_{e}"] = acceptability(pairs, e, np.linspace(0, 10 * wtp[e], 41), draw_column, n_boot, seed)
    return out


# --------------------------------------------------------------------------------------
# Tables as Markdown
# --------------------------------------------------------------------------------------
def _money(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x / 1e3:,.0f}k" if abs(x) >= 1e4 else f"{x:,.0f}"


def _interval(mean, low, high, fmt=_money) -> str:
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{fmt(mean)} [n/a]"
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def markdown_frontier(table: pd.DataFrame, arms: pd.DataFrame, effect: str) -> str:
    label, one = EFFECTS[effect][1:]
    lines = [
        f"| arm | net cost (yuan/hospital-year) | {label} averted | status | ICER (yuan per {one} averted) "
        "| on frontier (share of replicates) |",
        "|---|---|---|---|---|---|",
    ]
    for arm, row in table.iterrows():
        a = arms.loc[arm] if arm in arms.index else None
        cost = _interval(row["cost"], a["net_cost_low"], a["net_cost_high"]) if a is not None else _money(row["cost"])
        eff = (
            _interval(row["effect"], a[f"averted_{effect}_low"], a[f"averted_{effect}_high"], lambda x: f"{x:.2f}")
            if a is not None
            else f"{row['effect']:.2f}"
        )
        status = {"ND": "frontier", "D": "dominated", "ED": "extendedly dominated"}[row["status"]]
        ratio = _interval(row["icer"], row["icer_low"], row["icer_high"]) if np.isfinite(row["icer"]) else ""
        lines.append(f"| {arm} | {cost} | {eff} | {status} | {ratio} | {row['on_frontier_share']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.analysis.economics", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a collected sweep (python -m sim.runs.collect SWEEP_DIR)")
    parser.add_argument("--perspective", choices=tuple(PERSPECTIVES), default="public")
    parser.add_argument("--draw-column", help="column of posterior draws in results.parquet (paired and resampled)")
    parser.add_argument("--boot", type=int, default=2000, help="bootstrap replicates")
    parser.add_argument("--out", type=Path, help="folder for the CSV tables (default: <sweep_dir>/economics)")
    args = parser.parse_args(argv)
    from sim.runs.collect import collect, read_collected

    try:
        results = read_collected(args.sweep_dir)[0]
    except FileNotFoundError:
        results = collect(args.sweep_dir, series=False)[0]
    tables = cost_effectiveness(results, args.perspective, args.draw_column, n_boot=args.boot)
    out = args.out or args.sweep_dir / "economics"
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv")
    print(f"Perspective: {args.perspective}; stated willingness to pay: {WTP}")
    for e in EFFECTS:
        print(f"\n## {EFFECTS[e][1]}\n")
        print(markdown_frontier(tables[f"frontier_{e}"], tables["arms"], e))
    print(f"tables in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
