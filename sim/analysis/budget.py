"""Budgets: which combination of policies cuts violence (or disputes) most for what it costs?

:func:`subsets` lists on-off combinations of the registry's policies (all ``2^n`` of them, or
those of at most ``max_size`` policies, plus the packages and all policies together);
:func:`design` turns them into a design for the design sweeper (``sim.runs.designs.run_design``:
resumable, any launcher; preset ``configs/experiment/budget.yaml``). From the collected runs,
:func:`arm_table` gives each combination's net cost per hospital-year and its effects, paired
per seed with the baseline, with bootstrap intervals over seeds (``sim.analysis.economics``);
:func:`pareto_front` marks the combinations no other beats on both cost and effect, and
:func:`cheapest_reaching` picks the cheapest that reach a target (e.g. violence halved).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from sim.policies import PACKAGES, POLICY_NAMES


def subsets(max_size: int | None = None, packages: bool = True) -> list[tuple[str, ...]]:
    """On-off combinations of the policies (registry order inside each), smallest first: every
    subset of at most ``max_size`` policies (``None``: all ``2^n``), then the packages and all
    policies together if not already there (``packages``)."""
    n = len(POLICY_NAMES)
    top = n if max_size is None else min(max_size, n)
    out = [combo for size in range(top + 1) for combo in combinations(POLICY_NAMES, size)]
    if packages:
        seen = set(out)
        for combo in (*(tuple(p) for p in PACKAGES.values()), tuple(POLICY_NAMES)):
            ordered = tuple(name for name in POLICY_NAMES if name in combo)
            if ordered not in seen:
                out.append(ordered)
                seen.add(ordered)
    return out


def design(combos: Sequence[tuple[str, ...]]) -> pd.DataFrame:
    """The design of a budget sweep: one row per combination, column ``policies`` (``[a,b]``)."""
    return pd.DataFrame({"policies": [f"[{','.join(combo)}]" for combo in combos]})


def pareto_front(cost: np.ndarray, harm: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats: none costs no more and harms no more, with one of
    the two strictly less (both to be minimised; ties on both keep the first)."""
    cost, harm = np.asarray(cost, float), np.asarray(harm, float)
    keep = np.ones(cost.size, bool)
    for i in range(cost.size):
        if not (np.isfinite(cost[i]) and np.isfinite(harm[i])):
            keep[i] = False
            continue
        no_worse = (cost <= cost[i]) & (harm <= harm[i])
        better = (cost < cost[i]) | (harm < harm[i])
        duplicate = (cost == cost[i]) & (harm == harm[i]) & (np.arange(cost.size) < i)
        if (no_worse & better).any() or duplicate.any():
            keep[i] = False
    return keep


def cheapest_reaching(table: pd.DataFrame, effect: str, share: float, k: int = 3) -> pd.DataFrame:
    """The ``k`` cheapest rows of an arm table (``sim.analysis.economics.arm_table``) whose mean
    share of ``effect`` averted is at least ``share`` (e.g. 0.5: violence halved), cheapest first;
    rows without a cost are left out."""
    reach = table[(table[f"averted_{effect}_share"] >= share) & np.isfinite(table["net_cost"])]
    return reach.sort_values("net_cost").head(k)
