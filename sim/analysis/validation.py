"""Validation against literature patterns that calibration did not use (pattern-oriented modelling).

Each pattern names its source value, the model statistic that corresponds to it, the scenario
that produces it (baseline, a policy, a dose series) and a verdict rule stated in advance. The
model value is a mean over seeds with a 95 % confidence interval; where the model disagrees, the
table says so (docs/validation.md): no parameter is tuned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.institutions import LITIGATION, MEDIATION
from sim.policies import POLICIES, POLICY_NAMES, moving

ALL_POLICIES = ",".join(POLICY_NAMES)


def _only(lever: str) -> str:
    """The one policy that moves ``lever`` (a scenario's policy is named by what it does)."""
    (name,) = moving(lever)
    return name


def pattern_stats(model) -> dict[str, float]:
    """Statistics of one finished run that the patterns need (beyond summary.json)."""
    from sim.engine.metrics import summarise

    s = summarise(model)
    closed = model.disputes.closed()
    mediated = [d.compensation_yuan for d in closed if d.channel == MEDIATION and d.compensation_yuan > 0]
    awards = [d.compensation_yuan for d in closed if d.channel == LITIGATION and d.compensation_yuan > 0]
    out = {
        k: s[k]
        for k in (
            "disputes_per_hospital_year",
            "violent_incidents_per_hospital_year",
            "mediation_entry_share",
            "mediation_success_rate",
            "out_of_pocket_share",
            "violence_after_complaint_share",
            "mean_trust",
            "mean_trust_primary",
            "mean_satisfaction",
        )
    }
    out["mean_mediated_payout_yuan"] = float(np.mean(mediated)) if mediated else np.nan
    out["court_after_mediation_share"] = court_after_mediation_share(model.disputes.filed())
    if model.day >= 730:  # year-on-year growth of violent incidents at hospitals, year 2 over year 1
        daily = model.timeseries()
        first, second = (
            daily.loc[daily["day"].between(lo, lo + 364), "violent_incidents_hospital"].sum() for lo in (0, 365)
        )
        out["violence_growth_per_year"] = second / first - 1 if first else np.nan
    out["median_court_award_yuan"] = float(np.median(awards)) if awards else np.nan
    log = model.ledger.episode_log
    if log:
        ep = {k: np.concatenate([e[k] for e in log]) for k in log[0]}
        minor = ep["severity"] < 0.2
        at_hospital = ep["tier"] > 0
        trust_p = ep["trust_primary_before"][minor]
        low = trust_p < np.quantile(trust_p, 1 / 3)
        high = trust_p > np.quantile(trust_p, 2 / 3)
        out["minor_at_hospital_low_trust"] = float(at_hospital[minor][low].mean())
        out["minor_at_hospital_high_trust"] = float(at_hospital[minor][high].mean())
    return out


def court_after_mediation_share(disputes) -> float:
    """Of the disputes whose mediation has ended (closed in mediation, or moved on), the share
    that went to court afterwards (Guangdong 2013-15: 10 %)."""
    ended = court = 0
    for d in disputes:
        if MEDIATION not in d.channels:
            continue
        after = d.channels[d.channels.index(MEDIATION) + 1 :]
        if after or d.closed_day is not None:
            ended += 1
            court += LITIGATION in after
    return court / ended if ended else np.nan


def _run(overrides: Sequence[str], seed: int) -> dict:
    from sim.config.compose import compose
    from sim.engine.model import TrustModel

    model = TrustModel(compose([*overrides, f"seed={seed}"])).run()
    return pattern_stats(model)


def scenario_runs(
    scenarios: dict[str, list[str]], seeds: Sequence[int], base: Sequence[str], n_jobs: int = 2
) -> pd.DataFrame:
    from joblib import Parallel, delayed

    tasks = [(name, seed) for name in scenarios for seed in seeds]
    results = Parallel(n_jobs=n_jobs)(delayed(_run)([*base, *scenarios[name]], seed) for name, seed in tasks)
    return pd.DataFrame([{"scenario": name, "seed": seed, **r} for (name, seed), r in zip(tasks, results, strict=True)])


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats as st

    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    half = float(st.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


@dataclass(frozen=True)
class Pattern:
    name: str
    source: str
    source_value: str
    verdict_rule: str


def validate(
    seeds: Sequence[int] = range(5), base: Sequence[str] = ("scale=default",), n_jobs: int = 2
) -> pd.DataFrame:
    """Run the scenarios and compare each pattern; one row per pattern."""
    mediating, covering = _only("mediation_uptake"), _only("uninsured_share")
    low, high = POLICIES[covering].dose_levels[1], POLICIES[covering].dose_levels[-2]
    main = f"policies.{covering}.{POLICIES[covering].main_intensity}"
    scenarios = {
        "baseline": ["record_episodes=true"],
        "baseline_2y": ["days=730"],  # two years, for the growth of violence before reform
        "mediation": [f"policies=[{mediating}]"],
        "reform": [f"policies=[{ALL_POLICIES}]"],
        # two doses of insurance: satisfaction against the out-of-pocket share
        "insurance_low": [f"policies=[{covering}]", f"{main}={low}"],
        "insurance_high": [f"policies=[{covering}]", f"{main}={high}"],
    }
    runs = scenario_runs(scenarios, seeds, base, n_jobs)
    by = {name: frame.set_index("seed") for name, frame in runs.groupby("scenario")}
    rows = []

    def add(pattern: Pattern, values: np.ndarray, ok) -> None:
        mean, lo, hi = _mean_ci(np.asarray(values, float))
        rows.append(
            {
                "pattern": pattern.name,
                "source": pattern.source,
                "source value": pattern.source_value,
                "model mean": mean,
                "95% CI low": lo,
                "95% CI high": hi,
                "verdict": ("agrees" if ok(mean, lo, hi) else "disagrees") if np.isfinite(mean) else "no data",
                "rule": pattern.verdict_rule,
            }
        )

    base_, reform, med = by["baseline"], by["reform"], by["mediation"]
    rel_disputes = reform["disputes_per_hospital_year"] / base_["disputes_per_hospital_year"] - 1
    add(
        Pattern(
            "disputes after the reforms (relative change)",
            "NHC 2018",
            "-20.1 %",
            "negative, within a factor 2 of -20 %",
        ),
        rel_disputes,
        lambda m, lo, hi: -0.4 <= m <= -0.1,
    )
    rel_violence = reform["violent_incidents_per_hospital_year"] / base_["violent_incidents_per_hospital_year"] - 1
    add(
        Pattern(
            "violence after the reforms (relative change)",
            "NHC 2018 (criminal cases)",
            "-41.1 %",
            "negative, within a factor 2 of -41 %",
        ),
        rel_violence,
        lambda m, lo, hi: -0.82 <= m <= -0.2,
    )
    add(
        Pattern(
            "growth of violent incidents at hospitals before reform (per year)",
            "Ministry of Health via Hesketh et al. 2012",
            "+14.6 % (~10,000 in 2006 -> 17,243 in 2010)",
            "positive, within a factor 2 (+7 to +29 %)",
        ),
        by["baseline_2y"]["violence_growth_per_year"],
        lambda m, lo, hi: 0.073 <= m <= 0.292,
    )
    add(
        Pattern("share of disputes going to mediation", "NHC 2018", "> 60 %", "mean > 0.6"),
        med["mediation_entry_share"],
        lambda m, lo, hi: m > 0.6,
    )
    add(
        Pattern("mediation success rate", "NHC 2018", "> 85 %", "mean > 0.85"),
        med["mediation_success_rate"],
        lambda m, lo, hi: m > 0.85,
    )
    add(
        Pattern(
            "mediation success rate",
            "Guangdong 2013-15 (BMC HSR 2020)",
            "59 % (41 % agreement + 18 % reconciliation)",
            "within 30 %",
        ),
        med["mediation_success_rate"],
        lambda m, lo, hi: abs(m / 0.59 - 1) <= 0.3,
    )
    add(
        Pattern(
            "mediated disputes going to court afterwards",
            "Guangdong 2013-15 (BMC HSR 2020)",
            "10 %",
            "within a factor 2 (5-20 %)",
        ),
        med["court_after_mediation_share"],
        lambda m, lo, hi: 0.05 <= m <= 0.2,
    )
    add(
        Pattern("mean mediated payout (yuan)", "Guangdong 2013-15 (BMC HSR 2020)", "60,200", "within 30 %"),
        med["mean_mediated_payout_yuan"],
        lambda m, lo, hi: abs(m / 60_200 - 1) <= 0.3,
    )
    add(
        Pattern("median court award (yuan)", "litigation 2015-21 (BMC HSR 2024)", "134,900", "within 30 %"),
        base_["median_court_award_yuan"],
        lambda m, lo, hi: abs(m / 134_900 - 1) <= 0.3,
    )
    lo_oop, hi_oop = by["insurance_high"], by["insurance_low"]
    slope = (lo_oop["mean_satisfaction"] - hi_oop["mean_satisfaction"]) / (
        lo_oop["out_of_pocket_share"] - hi_oop["out_of_pocket_share"]
    )
    add(
        Pattern(
            "satisfaction per unit out-of-pocket share",
            "Zhu et al. 2022",
            "-0.76 (57.8 -> 77.3 % as OOP 59.9 -> 34.4 %)",
            "negative, within a factor 2",
        ),
        slope,
        lambda m, lo, hi: -1.52 <= m <= -0.38,
    )
    if "minor_at_hospital_low_trust" in base_:
        diff = base_["minor_at_hospital_low_trust"] - base_["minor_at_hospital_high_trust"]
        add(
            Pattern(
                "minor illness at hospital: low minus high trust in primary care (tercile)",
                "Duckett et al. 2016",
                "> 0 (distrust sends minor cases to hospitals)",
                "CI above 0",
            ),
            diff,
            lambda m, lo, hi: lo > 0,
        )
    add(
        Pattern("violent incidents by someone who had complained first", "Yao et al. 2017", "> 40 %", "mean > 0.4"),
        base_["violence_after_complaint_share"],
        lambda m, lo, hi: m > 0.4,
    )
    add(
        Pattern(
            "trust in primary care below trust in doctors (end of run)",
            "Duckett et al. 2016",
            "primary clinics distrusted",
            "CI of the difference below 0",
        ),
        base_["mean_trust_primary"] - base_["mean_trust"],
        lambda m, lo, hi: hi < 0,
    )
    table = pd.DataFrame(rows)
    table.attrs["seeds"] = list(seeds)
    return table


def markdown(table: pd.DataFrame, settings: str) -> str:
    def fmt(x):
        if not np.isfinite(x):
            return "n/a"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3f}"

    lines = [
        "# Validation: patterns not used in calibration",
        "",
        f"Produced by `python experiments/validate.py` ({settings}); method: `sim/analysis/validation.py`.",
        "Model value: mean over seeds with its 95 % confidence interval. Verdict rules were fixed before",
        "looking at the model values; disagreements are reported, not tuned away. What they say about",
        "the model: [ODD.md, section 10](ODD.md#10-calibration-validation-sensitivity-pattern-oriented-modelling).",
        "",
        "| pattern | source | source value | model (95 % CI) | verdict | rule |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r.pattern} | {r.source} | {r['source value']} | {fmt(r['model mean'])} "
            f"[{fmt(r['95% CI low'])}, {fmt(r['95% CI high'])}] | **{r.verdict}** | {r.rule} |"
        )
    return "\n".join(lines) + "\n"
