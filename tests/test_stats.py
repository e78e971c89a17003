"""Paired statistics on cases with a known answer (no simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.stats import bootstrap_ci, markdown_table, paired_effects, write_tables


def tidy(arms: dict[str, np.ndarray], metric: str = "disputes") -> pd.DataFrame:
    """A results table: one completed run per arm and seed with the given metric values."""
    rows = [
        {"run_id": f"{arm}-{seed}", "status": "completed", "arm": arm, "seed": seed, metric: value}
        for arm, values in arms.items()
        for seed, value in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_constant_paired_difference_is_recovered_exactly_despite_seed_noise():
    """Arm = baseline + 2 on every seed, with seeds far apart: effect 2 and interval [2, 2]."""
    base = np.random.default_rng(1).permutation(np.linspace(10.0, 90.0, 12))
    effects = paired_effects(tidy({"baseline": base, "policy": base + 2.0}), ["disputes"])
    row = effects.iloc[0]
    assert row["arm"] == "policy" and row["n_seeds"] == 12
    assert row["effect"] == pytest.approx(2.0)
    assert row["effect_low"] == pytest.approx(2.0) and row["effect_high"] == pytest.approx(2.0)
    assert row["relative_change"] == pytest.approx(2.0 / base.mean())
    # unpaired, the between-seed spread would swamp the effect: pairing is what removes it
    unpaired_low, unpaired_high = bootstrap_ci(base + 2.0) - bootstrap_ci(base)[::-1]
    assert unpaired_low < 0 < unpaired_high


def test_relative_change_of_a_proportional_effect():
    base = np.array([10.0, 20.0, 30.0, 40.0])
    row = paired_effects(tidy({"baseline": base, "halved": base / 2}), ["disputes"]).iloc[0]
    assert row["effect"] == pytest.approx(-12.5)
    assert row["relative_change"] == pytest.approx(-0.5)
    assert row["relative_low"] == pytest.approx(-0.5) and row["relative_high"] == pytest.approx(-0.5)


def test_interval_covers_the_mean_and_matches_the_normal_theory_width():
    """Differences N(mu, sigma) over 400 seeds: the 95% interval is mean +- 1.96 sigma/sqrt(n)."""
    rng = np.random.default_rng(7)
    n, mu, sigma = 400, -3.0, 4.0
    base = rng.normal(100, 30, size=n)
    diff = rng.normal(mu, sigma, size=n)
    row = paired_effects(tidy({"baseline": base, "policy": base + diff}), ["disputes"]).iloc[0]
    se = diff.std(ddof=1) / np.sqrt(n)
    assert row["effect"] == pytest.approx(diff.mean())
    assert row["effect_low"] < diff.mean() < row["effect_high"]
    # percentile bootstrap vs normal theory: half-widths agree within 10% at n = 400
    assert (row["effect_high"] - row["effect_low"]) / 2 == pytest.approx(1.96 * se, rel=0.1)
    # and the known mean is inside (mu is 3 standard errors from the interval's edge at most by chance)
    assert abs(diff.mean() - mu) < 4 * se


def test_pairs_only_matching_seeds_and_ignores_failed_runs():
    results = tidy({"baseline": np.array([1.0, 2.0, 3.0]), "policy": np.array([2.0, 3.0, 4.0, 100.0])})
    results.loc[(results["arm"] == "policy") & (results["seed"] == 2), "status"] = "failed"
    row = paired_effects(results, ["disputes"]).iloc[0]
    assert row["n_seeds"] == 2  # seed 2 failed, seed 3 has no baseline
    assert row["effect"] == pytest.approx(1.0)


def test_levels_of_a_swept_intensity_are_separate_rows():
    base = np.arange(5.0)
    results = pd.concat(
        [
            tidy({"baseline": base}),
            tidy({"insurance": base - 1}).assign(coverage=0.5),
            tidy({"insurance": base - 3}).assign(coverage=1.0),
        ],
        ignore_index=True,
    )
    effects = paired_effects(results, ["disputes"], by=("coverage",))
    assert effects.set_index("coverage")["effect"].to_dict() == pytest.approx({0.5: -1.0, 1.0: -3.0})


def test_bootstrap_is_reproducible_and_nested_in_level():
    values = np.random.default_rng(3).normal(size=30)
    assert np.array_equal(bootstrap_ci(values), bootstrap_ci(values))
    lo95, hi95 = bootstrap_ci(values, 0.95)
    lo50, hi50 = bootstrap_ci(values, 0.50)
    assert lo95 < lo50 < values.mean() < hi50 < hi95


def test_tables_are_written(tmp_path):
    base = np.array([10.0, 12.0, 14.0])
    effects = paired_effects(
        tidy({"baseline": base, "insurance": base - 4}, "disputes_per_hospital_year"), ["disputes_per_hospital_year"]
    )
    csv, md = write_tables(effects, tmp_path)
    assert pd.read_csv(csv)["effect"].tolist() == pytest.approx([-4.0])
    text = md.read_text()
    assert "| insurance | Disputes (per hospital per year) | 12.00 | 8.00 | -4.00 [-4.00, -4.00] | -33.3%" in text
    assert markdown_table(effects).count("\n") == 3
