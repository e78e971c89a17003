"""Calibration, validation and sensitivity scripts run end to end at a minimal setting."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.calibration import (
    DYNAMIC_TARGETS,
    PAYOUT_TARGETS,
    PRIORS,
    TARGETS,
    Prior,
    Target,
    apmc,
    calibrate_payouts,
    choose_point,
    distance,
    fit_emulator,
    not_ruled_out,
    payout_statistics,
    sobol_prior_sample,
)

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prior_sample_covers_the_priors():
    thetas = sobol_prior_sample(6)
    values = pd.DataFrame(thetas)
    for p in PRIORS:
        assert values[p.key].between(p.low, p.high).all()
        # a Sobol sample of 64 points spreads over the whole range
        assert values[p.key].min() < p.low + 0.1 * (p.high - p.low)
        assert values[p.key].max() > p.high - 0.1 * (p.high - p.low)


def test_distance_is_zero_at_the_targets_and_grows_away():
    at_target = pd.DataFrame([{t.key: t.value for t in TARGETS}])
    off = pd.DataFrame([{t.key: t.value * 1.3 for t in TARGETS}])
    assert distance(at_target)[0] == pytest.approx(0.0)
    assert distance(off)[0] > 1.0


def test_apmc_recovers_a_known_posterior():
    """A toy simulator with a known answer: x = a + noise, y = a + b + noise, targets x = 3 and
    y = 8 with 5 % tolerances, flat priors a, b on [0, 10] (b log-uniform on [0.5, 20]). The
    posterior concentrates around a = 3, b = 5; the tolerance shrinks from generation to generation
    and the weights are proper (positive, finite)."""
    rng = np.random.default_rng(1)

    def simulate_sets(thetas, generation):
        a = np.array([t["a"] for t in thetas])
        b = np.array([t["b"] for t in thetas])
        noise = rng.normal(0.0, 0.05, size=(2, len(thetas)))
        return pd.DataFrame({"x": a + noise[0], "y": a + b + noise[1]})

    priors = (Prior("a", 0.0, 10.0, "x"), Prior("b", 0.5, 20.0, "y - x", log=True))
    targets = (Target("x", 3.0, 0.05, "toy"), Target("y", 8.0, 0.05, "toy"))
    generations = apmc(simulate_sets, priors, targets, population_power2=8, min_acceptance=0.02, max_generations=12)
    tolerances = [g.tolerance for g in generations]
    assert all(later <= earlier for earlier, later in itertools.pairwise(tolerances))
    assert tolerances[-1] < 0.5 * tolerances[0]
    final = generations[-1]
    weights = final.particles["weight"].to_numpy()
    assert np.all(np.isfinite(weights)) and np.all(weights > 0)
    fitted = final.fitted()
    assert fitted["a"] == pytest.approx(3.0, abs=0.3)
    assert fitted["b"] == pytest.approx(5.0, abs=0.5)
    post = final.posterior()
    assert post.loc["a", "q05"] < 3.0 < post.loc["a", "q95"]


def test_history_matching_rules_out_the_implausible_and_keeps_the_truth():
    """A toy simulator whose log statistics are quadratic in the parameters (plus seed noise of
    sd 0.02): the emulator recovers it (R² near 1, residual sd near the noise), the NROY space
    keeps the true parameters (x = 3, y = 8 at a = 3, b = 5), rules out far ones, and APMC
    restricted to it finds the same posterior as over the whole prior."""
    rng = np.random.default_rng(3)

    def simulate(frame):
        a, b = frame["a"].to_numpy(), frame["b"].to_numpy()
        noise = rng.normal(0.0, 0.02, size=(2, len(frame)))
        return pd.DataFrame({"x": np.exp(np.log(a) + noise[0]), "y": (a + b) * np.exp(noise[1])})

    priors = (Prior("a", 1.0, 10.0, "x", log=True), Prior("b", 0.5, 20.0, "y - x"))
    targets = (Target("x", 3.0, 0.05, "toy"), Target("y", 8.0, 0.05, "toy"))
    wave = pd.DataFrame(sobol_prior_sample(6, priors))
    wave = pd.concat([wave, simulate(wave)], axis=1)
    emulator = fit_emulator(wave, priors, targets)
    # x is exactly log-linear; log(a + b) is only approximately quadratic
    assert emulator.r_squared[0] > 0.99 and emulator.residual_sd[0] == pytest.approx(0.02, rel=0.3)
    assert emulator.r_squared[1] > 0.95
    truth = pd.DataFrame([{"a": 3.0, "b": 5.0}, {"a": 9.0, "b": 15.0}, {"a": 1.2, "b": 1.0}])
    inside = emulator.implausibility(truth).max(axis=1) < 3.0
    assert list(inside) == [True, False, False]
    nroy, share = not_ruled_out(emulator, n_power2=12)
    assert 0.0 < share < 0.2 and len(nroy) == pytest.approx(share * 2**12)

    def simulate_sets(thetas, generation):
        return simulate(pd.DataFrame(thetas))

    generations = apmc(
        simulate_sets,
        priors,
        targets,
        population_power2=6,
        min_acceptance=0.02,
        initial=nroy.head(64).to_dict("records"),
        inside=lambda frame: emulator.implausibility(frame).max(axis=1) < 3.0,
    )
    fitted = generations[-1].fitted()
    assert fitted["a"] == pytest.approx(3.0, rel=0.05) and fitted["b"] == pytest.approx(5.0, rel=0.1)
    for g in generations:  # every set the APMC kept lies in the NROY space
        assert (emulator.implausibility(g.particles).max(axis=1) < 3.0).all()


def test_the_point_estimate_lies_on_a_curved_posterior_ridge_where_the_mean_does_not():
    """A toy whose one statistic x = exp(a b / 10) (target at a b = 9, noise sd 2 %) leaves a
    hyperbola of equally good sets: the posterior mean of (a, b) lies far off it, the point chosen
    among the posterior's sets lies on it (within the 5 % tolerance, re-simulated over fresh
    noise); the candidates are posterior sets, best first. (log x is quadratic in (a, b), so the
    emulator is exact up to the noise.)"""
    rng = np.random.default_rng(5)

    def toy(thetas):
        frame = pd.DataFrame(thetas)
        return pd.DataFrame({"x": np.exp(frame["a"] * frame["b"] / 10 + rng.normal(0.0, 0.02, len(frame)))})

    priors = (Prior("a", 0.5, 20.0, "x"), Prior("b", 0.5, 20.0, "x"))
    targets = (Target("x", np.exp(0.9), 0.05, "toy"),)
    generations = apmc(lambda thetas, g: toy(thetas), priors, targets, 7, min_acceptance=0.05, max_generations=6)
    mean = generations[-1].fitted()
    mean_error = abs(mean["a"] * mean["b"] / 9.0 - 1)
    selection = choose_point(generations, toy, n_candidates=4, targets=targets)
    assert len(selection) == 4 and selection["distance"].is_monotonic_increasing
    assert np.isfinite(selection["emulated_distance"]).all()  # 7 generations of sets: enough for an emulator
    best = selection.iloc[0]
    assert abs(best["a"] * best["b"] / 9.0 - 1) < 0.05 and mean_error > 0.5
    particles = generations[-1].particles
    assert ((particles["a"] == best["a"]) & (particles["b"] == best["b"])).any()


def test_payout_stage_fits_the_payout_targets_on_recorded_draws():
    """Stage 2 on synthetic records (ten runs of 150 payouts in 2 hospital-years): the payout statistics
    follow median x scale x exp(sigma x draw) exactly, and the fitted pair reproduces the targets."""
    rng = np.random.default_rng(2)
    runs = [(rng.uniform(0.5, 3.0, 150), rng.standard_normal(150), 2.0) for _ in range(10)]
    mean_target, _ = PAYOUT_TARGETS
    stats = payout_statistics(runs, np.array([10_000.0]), np.array([0.0]))
    assert stats[mean_target.key][0] == pytest.approx(10_000 * np.mean([s.mean() for s, _, _ in runs]))
    fit = calibrate_payouts(runs, samples_power2=12)
    fitted = fit.fitted()
    median, sigma = fitted["params.disputes.compensation_median_yuan"], fitted["params.disputes.compensation_sigma"]
    at_fit = payout_statistics(runs, np.array([median]), np.array([sigma]))
    assert distance(at_fit, PAYOUT_TARGETS)[0] < 0.5
    assert at_fit[mean_target.key][0] == pytest.approx(mean_target.value, rel=mean_target.tolerance)
    with pytest.raises(ValueError, match="no payout"):
        calibrate_payouts([(np.array([]), np.array([]), 2.0)] * 3)


def test_calibration_script_minimal(tmp_path):
    _script("calibrate").main(
        [
            "--wave-power2",
            "7",
            # 128 sets of 90 tiny days fit a 66-term emulator loosely, and per-hospital counts of a
            # tiny hospital (1,000 residents) are far from the targets (injuries are often zero):
            # this test checks the script's plumbing and outputs, not the fit, so the cutoff is set
            # so loose that the not-ruled-out space cannot be empty
            "--cutoff",
            "1000",
            "--population-power2",
            "3",
            "--max-generations",
            "2",
            "--min-acceptance",
            "0",
            "--seeds",
            "1",
            "--payout-seeds",
            "2",
            "--check-seeds",
            "2",
            "--scale",
            "tiny",
            "--until",
            "2006-03-31",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    posterior = pd.read_csv(tmp_path / "posterior.csv", index_col="key")
    assert set(posterior.index) == {p.key for p in PRIORS}
    assert (posterior["mean"] >= posterior["prior_low"]).all() and (posterior["mean"] <= posterior["prior_high"]).all()
    generations = pd.read_csv(tmp_path / "generations.csv")
    assert list(generations["generation"]) == [0, 1] and list(generations["sets simulated"]) == [8, 4]
    for g in (0, 1):
        population = pd.read_parquet(tmp_path / f"population_{g}.parquet")
        assert len(population) == 4 and np.isfinite(population["distance"]).all()
    assert len(pd.read_parquet(tmp_path / "payouts.parquet")) >= 10  # stage 2's kept pairs
    assert len(pd.read_parquet(tmp_path / "wave_1.parquet")) == 128  # the history-matching wave
    # a history until 2006-03-31 has the statistics of 2006 only: the targets of later years are left out
    in_2006 = [t.key for t in DYNAMIC_TARGETS if t.key.endswith("_2006")]
    assert list(pd.read_csv(tmp_path / "emulator.csv")["statistic"]) == in_2006
    check = pd.read_csv(tmp_path / "predictive_check.csv")
    assert list(check["target"]) == [t.key for t in TARGETS if t.key.endswith("_2006")]
    fitted = (tmp_path / "fitted.yaml").read_text()
    assert fitted.startswith("# @package _global_") and "params:" in fitted
    assert "Posterior-predictive check" in (tmp_path / "report.md").read_text()


def test_a_wave_too_small_for_the_emulator_fails_early(capsys):
    """A wave with no more sets than the quadratic emulator has coefficients cannot fit it: the
    option is refused before any run, naming the smallest wave that can."""
    with pytest.raises(SystemExit):
        _script("calibrate").parse_args(["--wave-power2", "6"])
    assert "--wave-power2 7 or more" in capsys.readouterr().err


def test_payouts_only_refits_the_payouts_and_keeps_every_other_value(tmp_path):
    """``--payouts-only``: stage 2 alone at the configured dynamics; the fitted config differs from
    the configured one in the payout keys only, and the predictive check reports the payout targets
    (nothing written to configs/ or docs/ without --write-config / --write-docs)."""
    import yaml

    from sim.analysis.calibration import CALIBRATION_CONFIG, PAYOUT_PRIORS, PAYOUT_TARGETS

    module = _script("calibrate")
    configured = CALIBRATION_CONFIG.read_text()
    module.main(["--cheap", "--payouts-only", "--jobs", "1", "--out", str(tmp_path)])
    assert CALIBRATION_CONFIG.read_text() == configured

    def flat(node, prefix=""):
        for k, v in node.items():
            yield from flat(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", float(v))]

    before = dict(flat(yaml.safe_load(configured)))
    after = dict(flat(yaml.safe_load((tmp_path / "fitted.yaml").read_text())))
    payout_keys = {p.key for p in PAYOUT_PRIORS}
    assert set(after) == set(before)
    assert {k: v for k, v in after.items() if k not in payout_keys} == {
        k: v for k, v in before.items() if k not in payout_keys
    }
    for prior in PAYOUT_PRIORS:
        assert prior.low <= after[prior.key] <= prior.high
    check = pd.read_csv(tmp_path / "predictive_check.csv")
    assert {t.key for t in PAYOUT_TARGETS} <= set(check["target"])
    assert (tmp_path / "payouts_posterior.csv").is_file()


def test_replace_section_replaces_one_section_and_keeps_the_rest():
    module = _script("calibrate")
    text = "# T\n\nintro\n\n## A\n\nold a\n\n## B\n\nold b\n"
    assert (
        module.replace_section(text, "## A", ["## A", "", "new a", ""])
        == "# T\n\nintro\n\n## A\n\nnew a\n\n## B\n\nold b\n"
    )
    assert (
        module.replace_section(text, "## B", ["## B", "", "new b"])
        == "# T\n\nintro\n\n## A\n\nold a\n\n## B\n\nnew b\n\n"
    )
    # a section the text lacks is appended
    assert module.replace_section(text, "## C", ["## C", "", "c"]).endswith("## B\n\nold b\n\n## C\n\nc\n\n")


def test_the_single_stage_options_exclude_each_other(capsys):
    for pair in (["--payouts-only", "--mediation-only"], ["--skip-abc", "--payouts-only"]):
        with pytest.raises(SystemExit):
            _script("calibrate").parse_args(pair)
        assert "choose one of them" in capsys.readouterr().err


def test_court_after_mediation_counts_only_ended_mediations():
    """Four mediated disputes: one agreed in mediation, one went on to court, one left
    unresolved after it, one still in mediation (not counted); one never mediated (not counted)."""
    from sim.engine.institutions import Dispute
    from sim.engine.metrics import court_after_mediation_share

    def dispute(channels, closed):
        return Dispute(0, 0, 0, 0, 1, 0, 0.5, 0.5, channels=channels, closed_day=closed)

    disputes = [
        dispute(["mediation"], 90),
        dispute(["negotiation", "mediation", "litigation"], None),
        dispute(["mediation", "none"], None),
        dispute(["mediation"], None),
        dispute(["litigation"], 300),
    ]
    assert court_after_mediation_share(disputes) == pytest.approx(1 / 3)
    assert np.isnan(court_after_mediation_share(disputes[-2:]))


def test_validation_script_minimal(tmp_path):
    """The whole history (2006-2019) once at the tiny scale, every pattern with a verdict."""
    from sim.analysis.validation import PATTERNS

    _script("validate").main(["--cheap", "--seeds", "1", "--jobs", "1", "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "validation.csv")
    assert {"pattern", "source value", "model mean", "verdict", "runs"} <= set(table.columns)
    assert list(table["pattern"]) == [p.name for p in PATTERNS]
    assert set(table["verdict"]) <= {"agrees", "disagrees", "no data"}
    assert "patterns agree" in (tmp_path / "validation.md").read_text()


def test_sensitivity_script_minimal(tmp_path):
    _script("sensitivity").main(
        [
            "--scale",
            "tiny",
            "--days",
            "90",
            "--seeds",
            "2",
            "--trajectories",
            "2",
            "--sobol-samples",
            "4",
            "--top",
            "1",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    morris = pd.read_csv(tmp_path / "morris.csv")
    assert {"output", "parameter", "mu_star", "sigma"} <= set(morris.columns)
    assert (morris["mu_star"] >= 0).all()
    sobol = pd.read_csv(tmp_path / "sobol.csv")
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(sobol.columns)
    assert (tmp_path / "morris.png").stat().st_size > 0 and (tmp_path / "sobol.pdf").stat().st_size > 0
    ranking = pd.read_csv(tmp_path / "ranking.csv")
    assert set(ranking["end"]) == {"low", "high"}
    assert set(ranking["metric"]) == {"disputes_per_hospital_year", "violent_incidents_per_hospital_year"}
    stability = pd.read_csv(tmp_path / "ranking_stability.csv")
    assert len(stability) == 2
    rho = stability.set_index("metric")["spearman_rho"]
    # Spearman's rho is defined unless an end's effects are all equal (e.g. no dispute at all in 90
    # tiny days at one end of the parameter): then it must be NaN, not a number
    effects = ranking.filter(like="effect_")
    for metric, value in rho.items():
        ends = effects[ranking["metric"] == metric]
        if (ends.nunique(axis=1) <= 1).any():
            assert np.isnan(value), metric
        else:
            assert -1 <= value <= 1, metric
    assert (stability["median_effect_se"] >= 0).all()  # two seeds: a standard error exists
    assert "## Findings" in (tmp_path / "sensitivity.md").read_text()


def test_ranking_stability_sees_a_flip_and_a_steady_ranking():
    """Parameter a: the same effects at both ends (rho 1, same top three, nothing moves); parameter
    b: the order reversed at the high end (rho -1, the top three change, the extremes move)."""
    from sim.analysis.sensitivity import ranking_stability
    from sim.policies import POLICY_NAMES

    effects = -np.arange(len(POLICY_NAMES), 0, -1.0)  # the first policy reduces disputes most
    rows = []
    for name, high in (("a", effects), ("b", effects[::-1])):
        for end, values in (("low", effects), ("high", high)):
            rows.append(
                {"parameter": name, "end": end, **{f"effect_{p}": v for p, v in zip(POLICY_NAMES, values, strict=True)}}
            )
    table = ranking_stability(pd.DataFrame(rows)).set_index("parameter")
    assert table.loc["a", "spearman_rho"] == pytest.approx(1.0) and table.loc["a", "same_top3"]
    assert table.loc["a", "moved_3_or_more"] == "" and table.loc["a", "same_first"]
    assert not table.loc["b", "same_first"]
    assert table.loc["b", "spearman_rho"] == pytest.approx(-1.0) and not table.loc["b", "same_top3"]
    assert POLICY_NAMES[0] in table.loc["b", "moved_3_or_more"]


@pytest.mark.parametrize(
    "script, argv, message",
    [
        ("calibrate", ["--seeds", "0"], "argument --seeds: 0 is out of range: allowed [1, inf]"),
        ("calibrate", ["--alpha", "1.5"], "argument --alpha: 1.5 is out of range: allowed [0.05, 0.95]"),
        ("calibrate", ["--cheap", "--jobs", "0"], "argument --jobs: 0 is out of range: allowed [1, inf] or -1"),
        ("calibrate", ["--mediation-seeds", "1"], "argument --mediation-seeds: 1 is out of range: allowed [2, inf]"),
        ("calibrate", ["--mediation-only", "--cheap"], "--until must be 2011-12-31 or later, not 2006-12-31"),
        ("sensitivity", ["--sobol-samples", "100"], "argument --sobol-samples: 100 is not a power of 2"),
        ("sensitivity", ["--trajectories", "x"], "argument --trajectories: 'x' is not an integer"),
        ("sensitivity", ["--scale", "huge"], "scale=huge: no such option; available: default, large, small, tiny"),
        ("validate", ["--seeds", "0"], "argument --seeds: 0 is out of range: allowed [1, inf]"),
        ("history", ["--draws", "0"], "argument --draws: 0 is out of range: allowed [1, inf]"),
    ],
)
def test_analysis_scripts_reject_bad_options_before_any_run(script, argv, message, tmp_path, capsys):
    """A bad option stops the script at once (exit 2) with a message naming it and what is
    allowed; nothing is written."""
    with pytest.raises(SystemExit) as exit_info:
        _script(script).main([*argv, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sensitivity_ranges_contain_the_configured_values():
    """Each uncertain parameter's plausible range brackets its value in the default (calibrated)
    configuration and lies within the schema's allowed range: a recalibration that moves a value
    outside its range, or a typo in a key, fails here."""
    from sim.analysis.sensitivity import UNCERTAIN
    from sim.config.schema import parameter_table
    from sim.runs.api import compose

    table = {r["key"]: r for r in parameter_table(compose())}
    for p in UNCERTAIN:
        row = table[p.key]
        assert p.low < row["configured"] < p.high, (p, row["configured"])
        assert row["min"] is None or p.low >= row["min"]
        assert row["max"] is None or p.high <= row["max"]


def test_mediation_share_stage_rescales_until_the_2011_volume_is_met(monkeypatch):
    """Stage 3 on a stand-in simulator whose 2011 volume is proportional to the share (80 per
    unit share, seed noise of a few per cent): it reaches the target within ``within`` and stops
    there, keeps the other fitted values in every round, and fails clearly on zero volume."""
    from sim.analysis import calibration as cal

    calls = []

    def fake_simulate(thetas, seeds, overrides, launcher, sweep_dir):
        (theta,) = thetas
        calls.append(dict(theta))
        noise = 1 + 0.03 * np.sin(np.arange(len(seeds)))
        return pd.DataFrame({cal.MEDIATION_VOLUME_TARGET.key: 80.0 * theta[cal.MEDIATION_SHARE_KEY] * noise})

    monkeypatch.setattr(cal, "simulate", fake_simulate)
    share, rounds = cal.calibrate_mediation_share([], range(8), theta={"params.x": 1.0}, start=0.5, within=0.02)
    target = cal.MEDIATION_VOLUME_TARGET.value
    assert abs(rounds["mean volume"].iloc[-1] / target - 1) <= 0.02 and len(rounds) <= 3
    assert share == pytest.approx(rounds["share"].iloc[-1]) and share == pytest.approx(target / 80, rel=0.05)
    assert all(c["params.x"] == 1.0 for c in calls)
    monkeypatch.setattr(cal, "simulate", lambda *a, **k: pd.DataFrame({cal.MEDIATION_VOLUME_TARGET.key: [0.0, 0.0]}))
    with pytest.raises(RuntimeError, match="no dispute was mediated"):
        cal.calibrate_mediation_share([], range(2))


def test_violence_growth_is_the_poisson_trend_of_the_five_yearly_counts():
    """Exact on an exponential series, 1 on a flat one, undefined without counts, bounded when
    every count falls in one end year, finite when the first year has none (the end-years ratio
    it replaced exploded there); on Poisson counts of a small-scale size it is centred on the
    true growth, with less spread than that ratio."""
    from sim.analysis.calibration import DERIVED, VIOLENCE_GROWTH_YEARS, loglinear_growth, statistics

    years = np.array(VIOLENCE_GROWTH_YEARS)
    exact = 6 * 1.15 ** (years - years[0])
    np.testing.assert_allclose(loglinear_growth(exact, years), [1.15**4])
    np.testing.assert_allclose(loglinear_growth(np.full(5, 4.0), years), [1.0])
    assert np.isnan(loglinear_growth(np.zeros(5), years)[0])
    assert 1 < loglinear_growth(np.array([0.0, 1, 2, 2, 3]), years)[0] < 20
    # all counts at one end: the bound, not a failure
    np.testing.assert_allclose(loglinear_growth(np.array([[0.0, 0, 0, 0, 3], [3, 0, 0, 0, 0]]), years), [1000, 1e-3])
    rng = np.random.default_rng(0)
    counts = rng.poisson(exact * 2, size=(2000, 5)) / 2  # two hospitals: counts per hospital
    trend = np.log(loglinear_growth(counts, years))
    ends = np.log(counts[:, -1] / counts[:, 0].clip(min=0.5))
    assert abs(np.median(trend) - np.log(1.15**4)) < 0.05
    assert trend.std() < 0.95 * ends.std()
    runs = pd.DataFrame([dict(zip(DERIVED["violence_growth_2006_2010"][0], row, strict=True)) for row in exact[None]])
    assert statistics(runs)["violence_growth_2006_2010"].iloc[0] == pytest.approx(1.15**4)
