"""The vectorised engine and the per-agent Mesa reference agree in distribution (issue 3).

``sim.reference.ReferenceModel`` runs the engine's daily rules agent by agent. Both models are
run on the tiny scale with the same seeds: the set-up (residents, network, facilities, doctors)
is then identical, while the daily random draws differ (the engine's per-subsystem streams,
the reference's ``model.random``). If the rules agree, the difference ``reference - engine`` of
a headline metric has mean zero for every seed, and the differences of different seeds are
independent. The test is the paired two-sample t-test of that mean at the stated level, with a
Bonferroni correction over the metrics (family-wise level ``ALPHA``). Pairing removes the
seed-to-seed spread of the population (about ten times the spread of the difference), which
is what gives the test its power; the test also checks that it would see a difference that
matters (0.01 in mean trust, three points in the primary-care share).

Both at the schema's parameter values (``calibration=none``: the rules are what is compared, and
the power check below should not move with a recalibration). Two scenarios: the pre-reform
baseline, and every policy switched on with the dispute and
violence rates raised (so the tiny scale has enough disputes and violent acts to compare; a
stress setting for power, not a calibration).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.engine.metrics import summarise
from sim.engine.model import TrustModel
from sim.engine.reference import ReferenceModel
from sim.policies import POLICY_NAMES
from sim.runs.api import compose

ALPHA = 0.01  # family-wise level of each scenario's test
SEEDS = range(16)
DAYS = 60

METRICS = (
    "mean_trust",
    "mean_trust_primary",
    "primary_care_visit_share",
    "referral_share",
    "failure_rate",
    "mean_wait_days",
    "out_of_pocket_share",
    "mean_satisfaction",
    "mean_burnout",
    "system_legitimacy",
    "disputes_per_hospital_year",
)
SCENARIOS = {
    "baseline": [],
    "all_policies_stressed": [
        f"policies=[{','.join(POLICY_NAMES)}]",
        "params.disputes.base_log_odds=-6",
        "params.violence.daily_action_probability=0.05",
    ],
}
STRESSED_ONLY = ("violent_incidents_per_hospital_year", "mediation_entry_share")


def headline(model: TrustModel) -> dict[str, float]:
    """The summary's headline figures plus two daily means taken from the time series."""
    figures = summarise(model)
    daily = model.timeseries()
    figures["mean_satisfaction"] = float(daily["mean_satisfaction"].mean())
    figures["referral_share"] = float(daily["referrals"].sum() / daily["visits"].sum())
    return figures


def paired_runs(overrides: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    reference, engine = [], []
    for seed in SEEDS:
        # the schema's parameter values: the test's power does not move with a recalibration
        config = compose(
            ["scale=tiny", "calibration=none", "burn_in_days=0", f"days={DAYS}", f"seed={seed}", *overrides]
        )
        reference.append(headline(ReferenceModel(config).run()))
        engine.append(headline(TrustModel(config).run()))
    keys = reference[0].keys()
    as_arrays = lambda rows: {k: np.array([r[k] for r in rows]) for k in keys if isinstance(rows[0][k], float)}  # noqa: E731
    return as_arrays(reference), as_arrays(engine)


def paired_p_value(a: np.ndarray, b: np.ndarray) -> float:
    diff = a - b
    if np.all(diff == 0):
        return 1.0
    return float(stats.ttest_rel(a, b).pvalue)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_engine_and_reference_agree_in_distribution(scenario):
    reference, engine = paired_runs(SCENARIOS[scenario])
    metrics = METRICS + (STRESSED_ONLY if scenario != "baseline" else ())
    level = ALPHA / len(metrics)  # Bonferroni
    report, disagreeing = [], []
    for key in metrics:
        p = paired_p_value(reference[key], engine[key])
        diff = reference[key] - engine[key]
        report.append(
            f"{key}: reference {reference[key].mean():.4g} engine {engine[key].mean():.4g} "
            f"diff {diff.mean():+.3g} (se {diff.std(ddof=1) / np.sqrt(diff.size):.2g}) p={p:.3g}"
        )
        if p < level:
            disagreeing.append(key)
    assert not disagreeing, f"disagree at level {level:.2g}: {disagreeing}\n" + "\n".join(report)

    # the test has power: a systematic error of 0.01 in mean trust (either kind) or of three
    # points in the primary-care share would give t = tolerance / se beyond the critical value
    critical = stats.t.ppf(1 - level / 2, len(SEEDS) - 1)
    for key, tolerance in (("mean_trust", 0.01), ("mean_trust_primary", 0.01), ("primary_care_visit_share", 0.03)):
        diff = reference[key] - engine[key]
        standard_error = diff.std(ddof=1) / np.sqrt(diff.size)
        assert tolerance / standard_error > critical, f"{key}: se {standard_error:.3g} too large to see {tolerance}"
