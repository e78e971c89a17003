"""Each figure function writes a non-empty PDF and PNG from tidy tables (synthetic, no simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import plots
from sim.analysis.stats import paired_effects

ARMS = ["baseline", "insurance", "tiered_care+mediation+insurance", "all_policies"]
SEEDS = range(4)
DAYS = 60


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    results, series, trust = [], [], []
    for a, arm in enumerate(ARMS):
        for seed in SEEDS:
            run_id = f"{arm}-{seed}"
            results.append(
                {
                    "run_id": run_id,
                    "status": "completed",
                    "arm": arm,
                    "seed": seed,
                    "n_hospitals": 2,
                    "disputes_per_hospital_year": 50 - 10 * a + rng.normal(),
                    "violent_incidents_per_hospital_year": 5 - a + rng.normal(),
                    "mean_trust": 0.6 + 0.02 * a,
                }
            )
            series.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "arm": arm,
                        "seed": seed,
                        "day": np.arange(DAYS),
                        "disputes_hospital": rng.poisson(0.3, DAYS),
                        "violent_incidents_hospital": rng.poisson(0.03, DAYS),
                        "mean_trust": 0.6 + 0.001 * a * np.arange(DAYS),
                    }
                )
            )
            counts = rng.multinomial(1000, np.full(40, 1 / 40))
            edges = np.linspace(0, 1, 41)
            trust.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "arm": arm,
                        "seed": seed,
                        "bin_left": edges[:-1],
                        "bin_right": edges[1:],
                        "trust": counts,
                    }
                )
            )
    return pd.DataFrame(results), pd.concat(series, ignore_index=True), pd.concat(trust, ignore_index=True)


def assert_written(paths):
    assert [p.suffix for p in paths] == [".pdf", ".png"]
    for p in paths:
        assert p.stat().st_size > 1000


def test_forest_plot(tables, tmp_path):
    results, _, _ = tables
    effects = paired_effects(results, ["disputes_per_hospital_year", "violent_incidents_per_hospital_year"])
    assert_written(plots.forest_plot(effects, tmp_path / "forest"))


def test_timeseries_plot_with_a_reform_mark(tables, tmp_path):
    results, series, _ = tables
    assert_written(plots.timeseries_plot(series, results, tmp_path / "ts", marks={"reform": 30}))


def test_trust_distribution_plot(tables, tmp_path):
    _, _, trust = tables
    assert_written(plots.trust_distribution_plot(trust, tmp_path / "trust", arms=["baseline", "all_policies"]))


def test_dose_response_plot(tables, tmp_path):
    results, _, _ = tables
    dose = results[results["arm"].isin(["baseline", "insurance"])].copy()
    levels = pd.concat(
        [dose[dose["arm"] == "insurance"].assign(**{"policies.insurance.coverage": c}) for c in (0.4, 0.7, 1.0)]
    )
    frame = pd.concat([dose[dose["arm"] == "baseline"], levels], ignore_index=True)
    assert_written(plots.dose_response_plot(frame, tmp_path / "dose"))


def test_interaction_heatmap(tables, tmp_path):
    results, _, _ = tables
    grid = pd.concat(
        [
            results.assign(**{"policies.insurance.coverage": x, "policies.mediation.mediators_per_100k": y})
            for x in (0.4, 1.0)
            for y in (1, 6)
        ],
        ignore_index=True,
    )
    paths = plots.interaction_heatmap(
        grid, tmp_path / "heat", x="policies.insurance.coverage", y="policies.mediation.mediators_per_100k"
    )
    assert_written(paths)


def test_arm_names_are_readable():
    assert plots.arm_name("baseline") == "Pre-reform baseline"
    assert plots.arm_name("tiered_care+mediation+insurance") == "Tiered care + Mediation centres + Insurance coverage"
    assert plots.arm_name("insurance+legal_deterrence@day365") == "Insurance coverage + Legal deterrence from day 365"
