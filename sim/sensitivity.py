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

import numpy as np
import pandas as pd

from sim.config import POLICY_NAMES

OUTPUTS = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year", "mean_trust")


@dataclass(frozen=True)
class Uncertain:
    key: str
    low: float
    high: float


#: Uncertain behavioural parameters and their plausible ranges (around the defaults).
UNCERTAIN: tuple[Uncertain, ...] = (
    Uncertain("params.disputes.base_log_odds", -11.5, -9.5),
    Uncertain("params.disputes.harm_weight", 3.0, 6.0),
    Uncertain("params.disputes.dissatisfaction_weight", 2.0, 5.0),
    Uncertain("params.disputes.distrust_weight", 1.0, 3.0),
    Uncertain("params.disputes.burden_weight", 0.1, 0.8),
    Uncertain("params.disputes.negotiation_success", 0.3, 0.6),
    Uncertain("params.violence.threshold", 0.2, 0.4),
    Uncertain("params.violence.daily_action_probability", 0.0003, 0.0015),
    Uncertain("params.violence.time_weight", 0.3, 0.9),
    Uncertain("params.violence.doctor_trust_weight", 0.3, 0.7),
    Uncertain("params.satisfaction.outcome_weight", 4.0, 8.0),
    Uncertain("params.satisfaction.paid_expectation_gain", 0.05, 0.25),
    Uncertain("params.satisfaction.baseline", 1.0, 2.0),
    Uncertain("params.trust.own_experience_rate", 0.15, 0.35),
    Uncertain("params.trust.negativity_bias", 1.5, 3.0),
    Uncertain("params.trust.word_of_mouth_rate", 0.05, 0.25),
    Uncertain("params.trust.degroot_rate", 0.01, 0.04),
    Uncertain("params.media.story_impact", 0.002, 0.01),
    Uncertain("params.media.coverage_violence", 0.2, 0.6),
    Uncertain("params.care.irreducible_risk", 0.05, 0.15),
    Uncertain("params.care.choice_trust_weight", 2.0, 4.0),
    Uncertain("params.workforce.overload_burnout_rate", 0.01, 0.03),
    Uncertain("params.workforce.defensive_shock", 0.05, 0.25),
)


def problem(params: Sequence[Uncertain] = UNCERTAIN) -> dict:
    return {"num_vars": len(params), "names": [p.key for p in params], "bounds": [[p.low, p.high] for p in params]}


def _run(base: Sequence[str], names: Sequence[str], values: Sequence[float], seed: int) -> dict:
    from sim.api import compose, run

    overrides = [*base, *(f"{k}={float(v)!r}" for k, v in zip(names, values, strict=True)), f"seed={seed}"]
    summary = run(compose(overrides)).summary
    return {k: summary[k] for k in OUTPUTS}


def evaluate(
    names: Sequence[str], sample: np.ndarray, seeds: Sequence[int], base: Sequence[str], n_jobs: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs averaged over seeds (n_samples x outputs), and their seed standard deviation."""
    from joblib import Parallel, delayed

    tasks = [(i, seed) for i in range(len(sample)) for seed in seeds]
    results = Parallel(n_jobs=n_jobs)(delayed(_run)(base, names, sample[i], seed) for i, seed in tasks)
    values = np.array([[r[k] for k in OUTPUTS] for r in results]).reshape(len(sample), len(seeds), len(OUTPUTS))
    return values.mean(axis=1), values.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros_like(values[:, 0])


def seed_noise(seeds: Sequence[int], base: Sequence[str], n_jobs: int = 2) -> pd.Series:
    """Standard deviation of each output over seeds at the default parameters."""
    _, sd = evaluate([], np.zeros((1, 0)), list(seeds), base, n_jobs)
    return pd.Series(sd[0], index=OUTPUTS)


def morris(
    trajectories: int = 10,
    levels: int = 4,
    seeds: Sequence[int] = (0, 1),
    base: Sequence[str] = (),
    n_jobs: int = 2,
    sample_seed: int = 0,
    params: Sequence[Uncertain] = UNCERTAIN,
) -> pd.DataFrame:
    """Morris elementary effects: one row per (output, parameter) with mu*, mu*_conf, sigma."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    prob = problem(params)
    sample = morris_sample.sample(prob, trajectories, num_levels=levels, seed=sample_seed)
    outputs, _ = evaluate(prob["names"], sample, seeds, base, n_jobs)
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
    seeds: Sequence[int] = (0, 1),
    base: Sequence[str] = (),
    n_jobs: int = 2,
    sample_seed: int = 0,
) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap 95 % intervals (Saltelli design)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    by_key = {p.key: p for p in UNCERTAIN}
    prob = problem([by_key[n] for n in names])
    sample = sobol_sample.sample(prob, base_samples, calc_second_order=False, seed=sample_seed)
    outputs, _ = evaluate(prob["names"], sample, seeds, base, n_jobs)
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


def ranking_flips(
    names: Sequence[str], seeds: Sequence[int] = (0, 1), base: Sequence[str] = (), n_jobs: int = 2
) -> pd.DataFrame:
    """Policies ranked by the paired reduction of disputes, at each end of each parameter's range."""
    from joblib import Parallel, delayed

    by_key = {p.key: p for p in UNCERTAIN}
    arms = ["", *POLICY_NAMES]
    tasks = [(name, end, arm, seed) for name in names for end in ("low", "high") for arm in arms for seed in seeds]

    def one(name, end, arm, seed):
        value = getattr(by_key[name], end)
        extra = [f"policies=[{arm}]"] if arm else []
        return _run([*base, *extra], [name], [value], seed)["disputes_per_hospital_year"]

    results = Parallel(n_jobs=n_jobs)(delayed(one)(*t) for t in tasks)
    frame = pd.DataFrame(tasks, columns=["parameter", "end", "arm", "seed"]).assign(disputes=results)
    rows = []
    for (name, end), group in frame.groupby(["parameter", "end"], sort=False):
        pivot = group.pivot(index="seed", columns="arm", values="disputes")
        effect = pivot[list(POLICY_NAMES)].sub(pivot[""], axis=0).mean()
        ranking = list(effect.sort_values().index)
        rows.append(
            {"parameter": name, "end": end, "ranking": ranking, **{f"effect_{p}": effect[p] for p in POLICY_NAMES}}
        )
    table = pd.DataFrame(rows)
    table["ranking_top3"] = table["ranking"].map(lambda r: ", ".join(r[:3]))
    return table
