"""Calibration of the pre-reform baseline by approximate Bayesian computation (ABC).

Pattern-oriented modelling (Grimm et al., Science 2005): several patterns are fitted at once
(the sources' per-hospital figures, the compensation distribution, the era's out-of-pocket
share and primary-care share of visits), others are kept back for validation
(``sim.validation``).

Method: rejection ABC over a scrambled Sobol sample of the priors (SALib), each parameter set
run over replicate seeds, followed by the local-linear regression adjustment of Beaumont,
Zhang & Balding (Genetics 2002). The summary statistics are the relative errors of the
replicate means against the targets, scaled by each target's tolerance; the distance is their
root mean square. The fitted value of each parameter is its posterior mean; the posterior's
5-95 % interval says how well the patterns pin it down.

Free parameters and why these: each sets the level of one fitted pattern and has no direct
empirical source (the other parameters come from the literature or are structural):
``base_log_odds`` (dispute rate), ``daily_action_probability`` (violence rate),
``assault_share`` (assaults vs disturbances), ``injury_probability`` (injuries per assault),
``compensation_median_yuan`` and ``compensation_sigma`` (level and tail of payouts),
``prestige_tertiary`` (pull of big hospitals: primary-care share) and ``coverage_tertiary``
(reimbursement at tertiary hospitals, where most money is spent: out-of-pocket share).

A first run with narrower priors (median payout from 15,000 yuan, sigma to 1.8, prestige to 1.2,
and the uninsured share instead of tertiary coverage) piled its posterior against those bounds;
the priors were widened, not the targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Target:
    key: str  # summary.json key
    value: float
    tolerance: float  # relative: an error of this size counts as one unit of distance
    source: str
    log: bool = False  # compare on a log scale (heavy-tailed maxima)


@dataclass(frozen=True)
class Prior:
    key: str  # config key
    low: float
    high: float
    why: str


TARGETS: tuple[Target, ...] = (
    Target("disputes_per_hospital_year", 66.0, 0.15, "source documents (per hospital and year)"),
    Target("disturbances_per_hospital_year", 5.42, 0.15, "source documents: patients smashing hospital property"),
    Target("doctors_injured_per_hospital_year", 5.0, 0.15, "source documents"),
    Target("mean_compensation_yuan", 108_100.0, 0.15, "source documents: mean compensation per dispute"),
    Target("max_compensation_yuan", 3_000_000.0, 0.5, "source documents: the largest cases", log=True),
    Target("out_of_pocket_share", 0.55, 0.1, "Zhu et al. 2022: 59.9 % (2000) falling; era 50-60 %"),
    Target("primary_care_visit_share", 0.6, 0.1, "Wu & Lam 2016: 63 % (2005), 59 % (2013)"),
)

PRIORS: tuple[Prior, ...] = (
    Prior("params.disputes.base_log_odds", -12.0, -9.0, "dispute rate"),
    Prior("params.violence.daily_action_probability", 0.0002, 0.003, "violence rate"),
    Prior("params.violence.assault_share", 0.2, 0.95, "assaults vs disturbances"),
    Prior("params.violence.injury_probability", 0.4, 1.0, "injuries per assault"),
    Prior("params.disputes.compensation_median_yuan", 4_000.0, 60_000.0, "level of payouts"),
    Prior("params.disputes.compensation_sigma", 0.8, 2.6, "tail of payouts"),
    Prior("params.care.prestige_tertiary", 0.0, 3.0, "pull of big hospitals"),
    Prior("params.cost.coverage_tertiary", 0.3, 0.7, "out-of-pocket share"),
)


def overrides_for(theta: dict[str, float]) -> list[str]:
    return [f"{key}={value!r}" for key, value in theta.items()]


def _run_one(base_overrides: Sequence[str], theta: dict[str, float], seed: int) -> dict:
    from sim.api import compose, run

    summary = run(compose([*base_overrides, *overrides_for(theta), f"seed={seed}"])).summary
    return {t.key: summary[t.key] for t in TARGETS}


def simulate(
    thetas: list[dict[str, float]], seeds: Sequence[int], base_overrides: Sequence[str] = (), n_jobs: int = 1
) -> pd.DataFrame:
    """Run every parameter set over every seed; one row per (set, seed)."""
    from joblib import Parallel, delayed

    tasks = [(i, theta, seed) for i, theta in enumerate(thetas) for seed in seeds]
    results = Parallel(n_jobs=n_jobs)(delayed(_run_one)(list(base_overrides), theta, seed) for _, theta, seed in tasks)
    rows = [{"set": i, "seed": seed, **theta, **stats} for (i, theta, seed), stats in zip(tasks, results, strict=True)]
    return pd.DataFrame(rows)


def scaled_errors(stats: pd.DataFrame, targets: Sequence[Target] = TARGETS) -> np.ndarray:
    """(sim - target) / (target x tolerance), on a log scale for log targets; one column per target."""
    columns = []
    for t in targets:
        x = stats[t.key].to_numpy(float)
        if t.log:
            columns.append(np.log(np.maximum(x, 1.0) / t.value) / np.log1p(t.tolerance))
        else:
            columns.append((x - t.value) / (t.value * t.tolerance))
    return np.column_stack(columns)


def distance(stats: pd.DataFrame, targets: Sequence[Target] = TARGETS) -> np.ndarray:
    return np.sqrt(np.mean(scaled_errors(stats, targets) ** 2, axis=1))


def sobol_prior_sample(n_power2: int, priors: Sequence[Prior] = PRIORS, seed: int = 0) -> list[dict[str, float]]:
    """2**n_power2 parameter sets from a scrambled Sobol sequence over the uniform priors."""
    from scipy.stats import qmc

    unit = qmc.Sobol(d=len(priors), scramble=True, seed=seed).random_base2(n_power2)
    lows = np.array([p.low for p in priors])
    highs = np.array([p.high for p in priors])
    values = lows + unit * (highs - lows)
    return [{p.key: float(v) for p, v in zip(priors, row, strict=True)} for row in values]


@dataclass
class AbcResult:
    samples: pd.DataFrame  # one row per parameter set: parameters, replicate-mean statistics, distance
    accepted: pd.DataFrame  # accepted sets with regression-adjusted parameters (``adj_`` columns)
    posterior: pd.DataFrame  # per parameter: prior range, posterior mean, 5 % and 95 % quantiles

    def fitted(self) -> dict[str, float]:
        return {key: float(row["mean"]) for key, row in self.posterior.iterrows()}


def regression_adjust(theta: np.ndarray, errors: np.ndarray, dist: np.ndarray, eps: float) -> np.ndarray:
    """Beaumont et al. (2002): theta_adj = theta - beta (s - s_obs), weighted least squares with
    Epanechnikov weights in the distance; ``errors`` are s - s_obs (scaled)."""
    w = np.maximum(0.0, 1.0 - (dist / eps) ** 2)
    design = np.column_stack([np.ones(len(errors)), errors])
    sw = np.sqrt(w)[:, None]
    beta, *_ = np.linalg.lstsq(design * sw, theta * sw, rcond=None)
    return theta - errors @ beta[1:]


def abc(
    samples_power2: int = 8,
    seeds: Sequence[int] = (0, 1),
    accept_fraction: float = 0.1,
    base_overrides: Sequence[str] = ("scale=default",),
    n_jobs: int = 2,
    sample_seed: int = 0,
    priors: Sequence[Prior] = PRIORS,
) -> AbcResult:
    thetas = sobol_prior_sample(samples_power2, priors, sample_seed)
    runs = simulate(thetas, seeds, base_overrides, n_jobs)
    keys = [p.key for p in priors]
    samples = runs.groupby("set")[keys + [t.key for t in TARGETS]].mean()
    samples["distance"] = distance(samples)
    n_accept = max(len(keys) + 2, round(accept_fraction * len(samples)))
    accepted = samples.nsmallest(n_accept, "distance").copy()
    eps = accepted["distance"].max() * 1.0001
    theta = accepted[keys].to_numpy(float)
    adjusted = regression_adjust(theta, scaled_errors(accepted), accepted["distance"].to_numpy(), eps)
    lows = np.array([p.low for p in priors])
    highs = np.array([p.high for p in priors])
    adjusted = np.clip(adjusted, lows, highs)
    weights = np.maximum(0.0, 1.0 - (accepted["distance"].to_numpy() / eps) ** 2)
    for j, key in enumerate(keys):
        accepted[f"adj_{key}"] = adjusted[:, j]
    rows = []
    for j, p in enumerate(priors):
        values = adjusted[:, j]
        rows.append(
            {
                "key": p.key,
                "prior_low": p.low,
                "prior_high": p.high,
                "why": p.why,
                "mean": float(np.clip(np.average(values, weights=weights), p.low, p.high)),
                "q05": _weighted_quantile(values, weights, 0.05),
                "q95": _weighted_quantile(values, weights, 0.95),
            }
        )
    return AbcResult(
        samples=samples.reset_index(), accepted=accepted.reset_index(), posterior=pd.DataFrame(rows).set_index("key")
    )


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    return float(np.interp(q, cumulative, values[order]))


def predictive_check(
    overrides: Sequence[str] = ("scale=default",), seeds: Sequence[int] = range(10), n_jobs: int = 2
) -> pd.DataFrame:
    """The configured (calibrated) default over seeds: per target, mean, 95 % interval of the
    mean (t-based), range over seeds, relative error and whether it is within tolerance."""
    from scipy import stats as st

    runs = simulate([{}], list(seeds), overrides, n_jobs)
    rows = []
    n = len(runs)
    for t in TARGETS:
        x = runs[t.key].to_numpy(float)
        mean = x.mean()
        half = st.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
        rel = mean / t.value - 1
        within = abs(np.log(mean / t.value)) <= np.log1p(t.tolerance) if t.log else abs(rel) <= t.tolerance
        rows.append(
            {
                "target": t.key,
                "source value": t.value,
                "model mean": mean,
                "95% CI low": mean - half,
                "95% CI high": mean + half,
                "seed min": x.min(),
                "seed max": x.max(),
                "relative error": rel,
                "tolerance": t.tolerance,
                "within": bool(within),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)
