"""Global sensitivity analysis: Morris screening, then Sobol indices (SALib 1.6).

Every parameter set is run over replicate seeds and the outputs averaged, so that what is
attributed to a parameter is not seed noise; the seed noise itself is measured (the standard
deviation of each output over seeds at the default point) and reported beside the Morris mu*
so that effects below the noise floor are recognisable. Sobol indices come with SALib's
bootstrap confidence intervals. Finally, for the most influential parameters, the policy
ranking (by reduction of disputes) is recomputed at the low and the high end of the range to
see whether it flips inside the plausible range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.policies import POLICY_NAMES

OUTPUTS = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year", "mean_trust")
#: Hydra launcher overrides for the runs: local cores. A cluster: e.g. ("hydra/launcher=slurm",).
LOCAL: tuple[str, ...] = ("hydra/launcher=joblib",)


@dataclass(frozen=True)
class Uncertain:
    key: str
    low: float
    high: float


#: Uncertain behavioural parameters and their plausible ranges (around the defaults). For the four
#: calibrated ones (base_log_odds, daily_action_probability, satisfaction.baseline, defensive_shock):
#: their posterior's 5-95 % interval (docs/calibration.md, the fit of 2026-12-07, second), rounded outwards.
BEHAVIOURAL: tuple[Uncertain, ...] = (
    Uncertain("params.disputes.base_log_odds", -11.8, -10.3),
    Uncertain("params.disputes.harm_weight", 3.0, 6.0),
    Uncertain("params.disputes.dissatisfaction_weight", 2.0, 5.0),
    Uncertain("params.disputes.distrust_weight", 1.0, 3.0),
    Uncertain("params.disputes.burden_weight", 0.1, 0.8),
    Uncertain("params.disputes.negotiation_success", 0.3, 0.6),
    Uncertain("params.violence.threshold", 0.2, 0.4),
    Uncertain("params.violence.daily_action_probability", 0.00045, 0.0025),
    Uncertain("params.violence.time_weight", 0.3, 0.9),
    Uncertain("params.violence.doctor_trust_weight", 0.3, 0.7),
    Uncertain("params.satisfaction.outcome_weight", 4.0, 8.0),
    Uncertain("params.satisfaction.paid_expectation_gain", 0.05, 0.25),
    Uncertain("params.satisfaction.baseline", -1.6, 0.4),
    Uncertain("params.trust.own_experience_rate", 0.15, 0.35),
    Uncertain("params.trust.negativity_bias", 1.5, 3.0),
    Uncertain("params.trust.word_of_mouth_rate", 0.05, 0.25),
    Uncertain("params.trust.degroot_rate", 0.01, 0.04),
    Uncertain("params.media.story_impact", 0.01, 0.04),
    Uncertain("params.media.coverage_violence", 0.2, 0.6),
    Uncertain("params.care.irreducible_risk", 0.05, 0.15),
    Uncertain("params.care.choice_trust_weight", 2.0, 4.0),
    Uncertain("params.workforce.overload_burnout_rate", 0.01, 0.03),
    Uncertain("params.workforce.defensive_shock", 0.11, 0.26),
)


def _prices() -> tuple[Uncertain, ...]:
    """Every unit price (``prices.<group>.<item>``) with its declared plausible range."""
    import dataclasses

    from sim.config.schema import PricesConfig

    return tuple(
        Uncertain(f"prices.{group.name}.{f.name}", *f.metadata["plausible"])
        for group in dataclasses.fields(PricesConfig)
        for f in dataclasses.fields(group.type)
    )


#: Unit prices and their plausible ranges (``sim.policies.costs.price``). Prices cannot move the
#: behavioural outputs (accounting changes nothing: tests/test_costs.py), so Morris and Sobol screen
#: the behavioural parameters only (running the model again at another price would give the same
#: runs); how prices move the ranking of the policies by net monetary benefit is computed exactly
#: from one set of runs by re-pricing (:func:`price_ranking`).
PRICES: tuple[Uncertain, ...] = _prices()
#: Everything uncertain: behaviour and prices.
UNCERTAIN: tuple[Uncertain, ...] = BEHAVIOURAL + PRICES


def problem(params: Sequence[Uncertain] = UNCERTAIN) -> dict:
    return {"num_vars": len(params), "names": [p.key for p in params], "bounds": [[p.low, p.high] for p in params]}


def evaluate(
    names: Sequence[str],
    sample: np.ndarray,
    seeds: range,
    base: Sequence[str],
    launcher: Sequence[str] = LOCAL,
    sweep_dir: Path | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run every row of ``sample`` over ``seeds`` (one design sweep through Hydra's launchers,
    resumable in ``sweep_dir``): outputs averaged over seeds (n_samples x outputs), and their
    standard deviation over seeds."""
    from sim.runs.designs import run_design

    design = pd.DataFrame(np.asarray(sample, float).reshape(len(sample), len(names)), columns=list(names))
    runs = run_design(design, seeds, base, sweep_dir, launcher)
    values = runs.sort_values(["point", "seed"])[list(OUTPUTS)].to_numpy(float)
    values = values.reshape(len(sample), len(seeds), len(OUTPUTS))
    sd = values.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros_like(values[:, 0])
    return values.mean(axis=1), sd


def seed_noise(seeds: range, base: Sequence[str], launcher: Sequence[str] = LOCAL, sweep_dir=None) -> pd.Series:
    """Standard deviation of each output over seeds at the configured parameters."""
    _, sd = evaluate([], np.zeros((1, 0)), seeds, base, launcher, sweep_dir)
    return pd.Series(sd[0], index=OUTPUTS)


def morris(
    trajectories: int = 10,
    levels: int = 4,
    seeds: range = range(2),
    base: Sequence[str] = (),
    launcher: Sequence[str] = LOCAL,
    sample_seed: int = 0,
    params: Sequence[Uncertain] = BEHAVIOURAL,
    sweep_dir: Path | None = None,
) -> pd.DataFrame:
    """Morris elementary effects: one row per (output, parameter) with mu*, mu*_conf, sigma (the
    behavioural parameters by default: prices do not move these outputs, see :data:`PRICES`)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    prob = problem(params)
    sample = morris_sample.sample(prob, trajectories, num_levels=levels, seed=sample_seed)
    outputs, _ = evaluate(prob["names"], sample, seeds, base, launcher, sweep_dir)
    rows = []
    for j, out in enumerate(OUTPUTS):
        res = morris_analyze.analyze(prob, sample, outputs[:, j], num_levels=levels, seed=sample_seed)
        for k, name in enumerate(prob["names"]):
            rows.append(
                {
                    "output": out,
                    "parameter": name,
                    "mu_star": res["mu_star"][k],
                    "mu_star_conf": res["mu_star_conf"][k],
                    "sigma": res["sigma"][k],
                    "mu": res["mu"][k],
                }
            )
    return pd.DataFrame(rows)


def top_parameters(morris_table: pd.DataFrame, k: int) -> list[str]:
    """The k parameters with the largest normalised mu* summed over outputs."""
    norm = morris_table.assign(
        score=morris_table["mu_star"] / morris_table.groupby("output")["mu_star"].transform("max")
    )
    return list(norm.groupby("parameter")["score"].sum().sort_values(ascending=False).index[:k])


def sobol(
    names: Sequence[str],
    base_samples: int = 64,
    seeds: range = range(2),
    base: Sequence[str] = (),
    launcher: Sequence[str] = LOCAL,
    sample_seed: int = 0,
    sweep_dir: Path | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap 95 % intervals (Saltelli design)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    by_key = {p.key: p for p in UNCERTAIN}
    prob = problem([by_key[n] for n in names])
    sample = sobol_sample.sample(prob, base_samples, calc_second_order=False, seed=sample_seed)
    outputs, _ = evaluate(prob["names"], sample, seeds, base, launcher, sweep_dir)
    rows = []
    for j, out in enumerate(OUTPUTS):
        res = sobol_analyze.analyze(prob, outputs[:, j], calc_second_order=False, seed=sample_seed)
        for k, name in enumerate(prob["names"]):
            rows.append(
                {
                    "output": out,
                    "parameter": name,
                    "S1": res["S1"][k],
                    "S1_conf": res["S1_conf"][k],
                    "ST": res["ST"][k],
                    "ST_conf": res["ST_conf"][k],
                }
            )
    return pd.DataFrame(rows)


RANKED = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year")


def ranking_flips(
    names: Sequence[str],
    seeds: range = range(2),
    base: Sequence[str] = (),
    launcher: Sequence[str] = LOCAL,
    sweep_dir: Path | None = None,
    metrics: Sequence[str] = RANKED,
) -> pd.DataFrame:
    """Policies ranked by their paired effect on each of ``metrics`` (most reducing first), at each
    end of each parameter's range; ``se_<policy>`` is the standard error of that effect over seeds,
    the scale below which a change of order is seed noise."""
    from sim.runs.designs import run_design

    by_key = {p.key: p for p in UNCERTAIN}
    arms = ["", *POLICY_NAMES]
    points = [(name, end, arm) for name in names for end in ("low", "high") for arm in arms]
    design = pd.DataFrame(
        [{name: getattr(by_key[name], end), "policies": f"[{arm}]"} for name, end, arm in points],
        columns=[*names, "policies"],
    )
    runs = run_design(design, seeds, base, sweep_dir, launcher)
    frame = pd.DataFrame(points, columns=["parameter", "end", "arm"])
    frame = runs[["point", "seed", *metrics]].join(frame, on="point")
    rows = []
    for metric in metrics:
        for (name, end), group in frame.groupby(["parameter", "end"], sort=False):
            pivot = group.pivot(index="seed", columns="arm", values=metric)
            paired = pivot[list(POLICY_NAMES)].sub(pivot[""], axis=0)
            effect = paired.mean()
            se = paired.std(ddof=1) / np.sqrt(len(paired))  # NaN with a single seed
            rows.append(
                {
                    "metric": metric,
                    "parameter": name,
                    "end": end,
                    "ranking": list(effect.sort_values().index),
                    **{f"effect_{p}": effect[p] for p in POLICY_NAMES},
                    **{f"se_{p}": se[p] for p in POLICY_NAMES},
                }
            )
    table = pd.DataFrame(rows)
    table["ranking_top3"] = table["ranking"].map(lambda r: ", ".join(r[:3]))
    return table


def ranking_stability(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric and parameter of :func:`ranking_flips`' table: does the policy ranking flip
    between the low and the high end of the parameter's range? Spearman's rho between the two
    ends' effects of the ten policies, whether the first policy and the top three (as a set) are the
    same, the policies
    whose rank moves by three places or more, and the median standard error of the effects (when
    the table has one), against which the gaps between neighbouring policies can be read."""
    from scipy.stats import spearmanr

    columns = [f"effect_{p}" for p in POLICY_NAMES]
    se_columns = [f"se_{p}" for p in POLICY_NAMES]
    if "metric" not in table:
        table = table.assign(metric=RANKED[0])
    rows = []
    for (metric, name), group in table.groupby(["metric", "parameter"], sort=False):
        ends = group.set_index("end")
        low, high = ends.loc["low", columns].to_numpy(float), ends.loc["high", columns].to_numpy(float)
        rank_low, rank_high = low.argsort().argsort(), high.argsort().argsort()
        moved = [p for p, a, b in zip(POLICY_NAMES, rank_low, rank_high, strict=True) if abs(int(a) - int(b)) >= 3]
        se = np.nanmedian(ends[se_columns].to_numpy(float)) if set(se_columns) <= set(ends.columns) else np.nan
        rows.append(
            {
                "metric": metric,
                "parameter": name,
                # undefined (NaN) when a metric does not vary, e.g. no violence at all in a short tiny run
                "spearman_rho": float(spearmanr(low, high).statistic) if np.ptp(low) and np.ptp(high) else np.nan,
                "same_first": bool(np.array_equal(rank_low == 0, rank_high == 0)),
                "same_top3": set(np.array(POLICY_NAMES)[rank_low < 3]) == set(np.array(POLICY_NAMES)[rank_high < 3]),
                "moved_3_or_more": ", ".join(moved),
                "median_effect_se": float(se),
            }
        )
    return pd.DataFrame(rows)


def reprice(results: pd.DataFrame, price: str, value: float, perspective: str = "public") -> pd.DataFrame:
    """``results`` (collected runs) with the cost of ``perspective`` as if ``price`` (a config key,
    ``prices.<group>.<item>``) were ``value``: every spending item is proportional to each price it
    names, so the cost moves by (value / configured - 1) x the run's exposure to that price
    (``exposure_<public|health_system>.<price>`` in the summary). Exact for one price at a time."""
    from sim.analysis.economics import PERSPECTIVES

    default = _price_default(price)
    column = f"exposure_{'health_system' if perspective == 'health_system' else 'public'}.{price}"
    exposure = results[column].fillna(0.0) if column in results else 0.0
    cost = PERSPECTIVES[perspective]
    out = results.copy()
    out[cost] = results[cost] + (value / default - 1.0) * exposure
    if perspective == "public" and "policy_cost_per_hospital_year" in out:  # the budget moves alike
        out["policy_cost_per_hospital_year"] = (
            results["policy_cost_per_hospital_year"] + (value / default - 1.0) * exposure
        )
    return out


def _price_default(price: str) -> float:
    from sim.config.schema import PricesConfig

    _, group, item = price.split(".")
    return float(getattr(getattr(PricesConfig(), group), item))


def price_ranking(
    results: pd.DataFrame,
    effect: str = "violence",
    perspective: str = "public",
    wtp: float | None = None,
    prices: Sequence[Uncertain] = PRICES,
) -> pd.DataFrame:
    """The ranking of the arms by mean net monetary benefit (``sim.analysis.economics``) at the
    configured prices and with each price at the low and at the high end of its plausible range:
    the first arm, the top three, Spearman's rho against the configured ranking."""
    from scipy.stats import spearmanr

    from sim.analysis import economics as ec

    wtp = ec.WTP[effect] if wtp is None else wtp

    def ranking(frame):
        pairs = ec.paired(frame, perspective, effects=(effect,))
        nmb = (wtp * pairs[f"averted_{effect}"] - pairs["net_cost"]).groupby(pairs["arm"]).mean()
        return nmb.sort_values(ascending=False)

    reference = ranking(results)
    rows = []
    for p in prices:
        for end, value in (("low", p.low), ("high", p.high)):
            r = ranking(reprice(results, p.key, value, perspective))
            common = reference.index.intersection(r.index)
            rows.append(
                {
                    "price": p.key,
                    "end": end,
                    "value": value,
                    "first": r.index[0],
                    "same_first": r.index[0] == reference.index[0],
                    "same_top3": set(r.index[:3]) == set(reference.index[:3]),
                    "spearman_rho": float(spearmanr(reference[common], r[common]).statistic),
                    "ranking_top3": ", ".join(r.index[:3]),
                }
            )
    return pd.DataFrame(rows)
