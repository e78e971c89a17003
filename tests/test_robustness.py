"""Robust comparisons (sim.analysis.robustness): the variance split on known components, PRIM on a
known box, the Latin hypercube, the robust ranking, the posterior draws' pairing through the quick
comparison, and experiments/robustness.py's cheap setting end to end at the tiny scale."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.analysis import robustness as rb
from sim.runs.sweep import REPO_ROOT, run_dirs

KEYS = [p.key for p in rb.DEEP_UNCERTAINTY]


def script(name: str):
    """An experiment script as a module (its ``main`` and ``parse_args`` run in this process)."""
    spec = importlib.util.spec_from_file_location(f"experiment_{name}", REPO_ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refused(main, argv, capsys) -> str:
    """``main(argv)`` stops before any run with status 2; returns its message."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# Variance split and the two intervals
# ----------------------------------------------------------------------------------------------
def synthetic_effects(n_draws: int, n_seeds: int, sd_parameter: float, sd_seed: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    per_draw = -3.0 + rng.normal(0, sd_parameter, n_draws)  # the true effect of each draw
    return per_draw, per_draw[:, None] + rng.normal(0, sd_seed, (n_draws, n_seeds))


def test_variance_split_recovers_known_components():
    _, d = synthetic_effects(400, 4, sd_parameter=2.0, sd_seed=1.0)
    split = rb.variance_split(d)
    assert split["var_parameter"] == pytest.approx(4.0, rel=0.15)
    assert split["var_seed"] == pytest.approx(1.0, rel=0.1)
    assert split["parameter_share"] == pytest.approx(0.8, abs=0.05)
    assert split["mean"] == pytest.approx(-3.0, abs=0.3)


def test_without_parameter_uncertainty_the_split_gives_it_nothing():
    _, d = synthetic_effects(200, 5, sd_parameter=0.0, sd_seed=1.0, seed=1)
    out = rb.effect_intervals(d)
    assert out["var_parameter"] < 0.05
    # both intervals then measure the same seed noise of the mean
    width_seed, width_param = out["seed_high"] - out["seed_low"], out["parameter_high"] - out["parameter_low"]
    assert 0.7 < width_param / width_seed < 1.6


def test_the_interval_with_parameter_uncertainty_covers_the_draws_effects():
    """The prediction interval holds ~95 % of the effects of parameter sets drawn from the
    posterior; the interval over seeds only holds far fewer of them."""
    truth, d = synthetic_effects(300, 3, sd_parameter=1.5, sd_seed=1.0, seed=2)
    out = rb.effect_intervals(d)
    inside = np.mean((truth >= out["parameter_low"]) & (truth <= out["parameter_high"]))
    assert inside == pytest.approx(0.95, abs=0.03)
    assert np.mean((truth >= out["seed_low"]) & (truth <= out["seed_high"])) < 0.2


def test_variance_split_refuses_a_table_it_cannot_split():
    with pytest.raises(ValueError, match="at least 2 draws x 2 seeds"):
        rb.variance_split(np.ones((5, 1)))
    with pytest.raises(ValueError, match="missing or infinite"):
        rb.variance_split(np.array([[1.0, np.nan], [2.0, 3.0]]))


# ----------------------------------------------------------------------------------------------
# Scenario discovery: PRIM finds a known box
# ----------------------------------------------------------------------------------------------
def test_prim_finds_a_known_box():
    x = rb.latin_hypercube(200, seed=5)
    rng = np.random.default_rng(6)
    threshold, punishment = KEYS[0], KEYS[1]
    inside = (x[threshold] > 0.33).to_numpy() & (x[punishment] < 0.12).to_numpy()
    # 5 % noise each way: a failure outside the box, a success inside
    failed = np.where(inside, rng.random(len(x)) < 0.95, rng.random(len(x)) < 0.03)
    box = rb.discover(x, failed)
    assert box is not None
    assert set(box.limits.index) == {threshold, punishment}
    assert box.limits.loc[threshold, "low_restricted"] and not box.limits.loc[threshold, "high_restricted"]
    assert box.limits.loc[punishment, "high_restricted"] and not box.limits.loc[punishment, "low_restricted"]
    assert box.limits.loc[threshold, "low"] == pytest.approx(0.33, abs=0.02)
    assert box.limits.loc[punishment, "high"] == pytest.approx(0.12, abs=0.02)
    assert box.coverage >= 0.7 and box.density >= 0.7  # (5 % noise each way, 200 points)
    assert len(box.trajectory) > 5 and box.trajectory["mass"].iloc[0] == 1.0
    sentence = rb.box_sentence("legal_deterrence", "violent_incidents_per_hospital_year", 0.2, box)
    assert "Legal deterrence fails to cut violence by 20%" in sentence
    assert "the violence threshold is above 0.3" in sentence and "chance of punishment is below 0.1" in sentence


def test_prim_has_nothing_to_find_without_failures_or_with_failures_everywhere():
    x = rb.latin_hypercube(20, seed=0)
    assert rb.discover(x, np.zeros(20, bool)) is None
    assert rb.discover(x, np.ones(20, bool)) is None
    assert "nowhere" in rb.box_sentence("insurance", "disputes_per_hospital_year", 0.2, None, failed_share=0.0)
    assert "everywhere" in rb.box_sentence("insurance", "disputes_per_hospital_year", 0.2, None, failed_share=1.0)


# ----------------------------------------------------------------------------------------------
# Designs
# ----------------------------------------------------------------------------------------------
def test_latin_hypercube_stratifies_every_range_and_follows_its_seed():
    n = 16
    x = rb.latin_hypercube(n, seed=7)
    for p in rb.DEEP_UNCERTAINTY:
        bins = np.floor((x[p.key] - p.low) / (p.high - p.low) * n).astype(int)
        assert sorted(bins) == list(range(n)), p.key  # one point in each of n equal slices
    pd.testing.assert_frame_equal(x, rb.latin_hypercube(n, seed=7))
    assert not np.allclose(x.to_numpy(), rb.latin_hypercube(n, seed=8).to_numpy())
    with pytest.raises(ValueError, match="n_points=0"):
        rb.latin_hypercube(0)


def test_every_deep_uncertainty_range_is_inside_its_allowed_range_and_explained():
    from sim.runs.api import compose

    for p in rb.DEEP_UNCERTAINTY:
        assert p.low < p.high and p.why and p.source and p.name
    for end in ("low", "high"):  # a value outside the schema's range is a ConfigError
        compose([f"{p.key}={getattr(p, end)}" for p in rb.DEEP_UNCERTAINTY])


def synthetic_pilot(n: int = 5000, seed: int = 0) -> rb.RatePilot:
    rng = np.random.default_rng(seed)
    s, t = rng.random(n), rng.random(n)
    values = {rb.DISPUTE_RATE: -9.0, rb.VIOLENCE_RATE: 0.002, "params.disputes.dissatisfaction_weight": 3.5,
              "params.disputes.distrust_weight": 2.0, "params.violence.threshold": 0.3,
              "params.violence.punishment_probability": 0.15, "params.violence.doctor_trust_weight": 0.5}  # fmt: skip
    disputes = pd.DataFrame({"log_odds": -9.0 + 3.5 * s + 2.0 * t, "dissatisfaction": s, "distrust": t})
    violence = pd.DataFrame(
        {"hardship": rng.random(n), "trust": rng.random(n), "system": rng.random(n), "risk_aversion": rng.random(n)}
    )
    return rb.RatePilot(disputes, violence, values)


def test_rate_preserving_keeps_the_expected_rates_of_the_pilot():
    """At the calibrated values nothing moves; elsewhere the base log-odds gives the pilot's episodes
    the same expected number of disputes (to 1e-6) and the daily chance of acting times the
    resident-days over the threshold stays the same; a heavier weight lowers the base, a lower
    threshold lowers the chance."""
    pilot = synthetic_pilot()
    keys = ["params.disputes.dissatisfaction_weight", "params.disputes.distrust_weight", "params.violence.threshold",
            "params.violence.punishment_probability", "params.violence.doctor_trust_weight"]  # fmt: skip
    design = pd.DataFrame(
        [[3.5, 2.0, 0.3, 0.15, 0.5], [5.0, 1.0, 0.2, 0.05, 0.3], [2.0, 3.0, 0.4, 0.3, 0.7]], columns=keys
    )
    out = rb.rate_preserving(design, pilot)
    pd.testing.assert_frame_equal(out[keys], design)  # the design's own values are left alone
    assert out[rb.DISPUTE_RATE].iloc[0] == pytest.approx(-9.0, abs=1e-8)
    assert out[rb.VIOLENCE_RATE].iloc[0] == pytest.approx(0.002)
    d, v = pilot.disputes, pilot.violence
    target = (1 / (1 + np.exp(-d["log_odds"]))).sum()
    pool0 = rb.over_threshold(v, 0.3, 0.15, 0.5)
    for i, row in out.iterrows():
        x = row[rb.DISPUTE_RATE] + row[keys[0]] * d["dissatisfaction"] + row[keys[1]] * d["distrust"]
        assert (1 / (1 + np.exp(-x))).sum() == pytest.approx(target, rel=1e-6), i
        pool = rb.over_threshold(v, row[keys[2]], row[keys[3]], row[keys[4]])
        assert row[rb.VIOLENCE_RATE] * pool == pytest.approx(0.002 * pool0), i
    assert out[rb.DISPUTE_RATE].iloc[1] < -9.0 < out[rb.DISPUTE_RATE].iloc[2]  # 1.5*0.5-1*0.5 > 0; < 0
    assert out[rb.VIOLENCE_RATE].iloc[1] < 0.002 < out[rb.VIOLENCE_RATE].iloc[2]
    # nobody over the threshold at a point (or at the calibrated one): nothing to scale by
    calm = rb.RatePilot(pilot.disputes, pilot.violence.assign(hardship=0.0), pilot.values)
    assert (rb.rate_preserving(design, calm)[rb.VIOLENCE_RATE] == 0.002).all()
    # a rate that would leave its allowed range is refused before any run, naming key and range
    far = pd.DataFrame([[50.0, 2.0, 0.3, 0.15, 0.5]], columns=keys)
    with pytest.raises(ValueError, match=r"design point 0: .*params.disputes.base_log_odds=.*\[-30"):
        rb.rate_preserving(far, pilot)


PV = "params.violence."


def test_the_rate_pilot_records_what_the_rules_see():
    """The pilot's episodes at risk and aggrieved residents, put through the rules, expect as many
    disputes and violent acts as the same run makes (baseline, small scale, 180 days, seeds 0-1;
    within 4 Poisson standard deviations of the expected counts): the recording sits where the
    rules read the state."""
    from sim.runs.api import compose, run

    expected = {"disputes": 0.0, "acts": 0.0}
    got = {"disputes": 0.0, "acts": 0.0}
    for seed in (0, 1):
        overrides = ["scale=small", "days=180"]
        pilot = rb.rate_pilot(overrides, seed=seed)
        expected["disputes"] += float((1 / (1 + np.exp(-pilot.disputes["log_odds"]))).sum())
        v = {k: pilot.values[f"{PV}{k}"] for k in ("threshold", "doctor_trust_weight")}
        pool = rb.over_threshold(
            pilot.violence, punishment_probability=pilot.values[f"{PV}punishment_probability"], **v
        )
        expected["acts"] += pool * rb.VIOLENCE_PILOT_EVERY * pilot.values[rb.VIOLENCE_RATE]
        series = run(compose([*overrides, "policies=[]", f"seed={seed}"])).timeseries
        got["disputes"] += series["disputes"].sum()
        got["acts"] += series["disturbances"].sum() + series["assaults"].sum()
    for what in expected:
        assert expected[what] > 20, what  # enough events for the check to mean something
        assert abs(got[what] - expected[what]) < 4 * np.sqrt(expected[what]), (what, got, expected)


def test_crossed_design_gives_every_arm_the_same_points():
    points = rb.latin_hypercube(3, seed=0)
    design, index = rb.crossed_design(points, {"baseline": [], "mediation": ["mediation"], "x": ["a", "b"]})
    assert len(design) == 9 and list(design["policies"][:3]) == ["[]", "[mediation]", "[a,b]"]
    for _, rows in design.join(index).groupby("arm"):
        np.testing.assert_array_equal(rows[points.columns].to_numpy(), points.to_numpy())
    with pytest.raises(ValueError, match="baseline"):
        rb.crossed_design(points, {"mediation": ["mediation"]})


def test_robust_ranking_counts_best_worst_case_and_regret():
    relative = pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2, 2],
            "arm": ["a", "b"] * 3,
            "violent_incidents_per_hospital_year": [-0.5, -0.4, -0.5, -0.6, -0.1, -0.4],
        }
    )
    table = rb.robust_ranking(relative, "violent_incidents_per_hospital_year", ["a", "b"]).set_index("arm")
    assert table.loc["a", "share_best"] == pytest.approx(1 / 3) and table.loc["b", "share_best"] == pytest.approx(2 / 3)
    assert table.loc["a", "worst_case"] == pytest.approx(-0.1) and table.loc["b", "worst_case"] == pytest.approx(-0.4)
    assert table.loc["a", "max_regret"] == pytest.approx(0.3) and table.loc["b", "max_regret"] == pytest.approx(0.1)
    assert table.loc["b", "rank_regret"] == 1 and table.loc["b", "rank_best"] == 1
    tied = relative.assign(violent_incidents_per_hospital_year=[-1.0, -1.0, -0.5, -0.6, -0.1, -0.4])
    table = rb.robust_ranking(tied, "violent_incidents_per_hospital_year", ["a", "b"]).set_index("arm")
    assert table.loc["a", "share_best"] == pytest.approx(1 / 3) and table.loc["b", "share_best"] == pytest.approx(1)


# ----------------------------------------------------------------------------------------------
# The posterior: a clear error without it; the quick comparison over paired draws
# ----------------------------------------------------------------------------------------------
def write_posterior(path):
    pd.DataFrame(
        {
            "params.disputes.base_log_odds": [-11.8, -11.4, -11.0],
            "params.satisfaction.baseline": [-1.4, -1.0, -0.6],
            "weight": [0.3, 0.3, 0.4],
        }
    ).to_csv(path, index=False)
    return path


def test_a_missing_posterior_is_named_with_the_command_that_writes_it(tmp_path, capsys):
    with pytest.raises(
        rb.PosteriorMissing, match=r"posterior\.csv does not exist.*experiments/calibrate\.py --write-config"
    ):
        rb.read_posterior(tmp_path / "posterior.csv")
    comparison = script("policy_comparison").main
    err = refused(
        comparison, ["--quick", "--posterior-draws", "2", "--posterior", str(tmp_path / "posterior.csv")], capsys
    )
    assert "--posterior-draws" in err and "experiments/calibrate.py --write-config" in err
    err = refused(comparison, ["--quick", "--posterior-draws", "1"], capsys)
    assert "--posterior-draws: 1 is out of range: allowed [2, inf]" in err
    (tmp_path / "bad.csv").write_text("params.disputes.base_log_odds\n-11\n")
    with pytest.raises(ValueError, match="'weight' column"):
        rb.read_posterior(tmp_path / "bad.csv")


def test_quick_comparison_over_posterior_draws_pairs_every_arm(tmp_path):
    """Every arm runs the same draws and the same seeds (read back from each run's own record), and
    the table has both intervals and the variance split."""
    posterior = write_posterior(tmp_path / "posterior.csv")
    sweep, out = tmp_path / "sweep", tmp_path / "out"
    args = [sys.executable, str(REPO_ROOT / "experiments" / "policy_comparison.py"), "--quick"]
    args += ["--posterior-draws", "2", "--posterior", str(posterior), "--sweep-dir", str(sweep), "--out", str(out)]
    args += ["scale=tiny", "days=20", "burn_in_days=10", "seed=range(0,2)", "policies=[],[insurance]"]
    args += ["hydra/launcher=basic"]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]

    seen: dict[str, set] = {}
    for run_dir in run_dirs(sweep):
        job = run_dir.parent if run_dir.name.startswith("seed=") else run_dir
        cfg = OmegaConf.load(job / ".hydra" / "config.yaml")
        enabled = tuple(sorted(k for k, v in cfg.policies.items() if v.enabled))
        draw = (cfg.params.disputes.base_log_odds, cfg.params.satisfaction.baseline)
        seen.setdefault(enabled, set()).add((*draw, int(run_dir.name.removeprefix("seed="))))
        assert cfg.scale.name == "tiny" and cfg.days == 20 and cfg.burn_in_days == 10
    assert len(seen) == 2
    pairs = list(seen.values())
    assert all(p == pairs[0] for p in pairs) and len(pairs[0]) == 4  # 2 draws x 2 seeds, in every arm
    assert len({(a, b) for a, b, _ in pairs[0]}) == 2  # two distinct posterior sets

    effects = pd.read_csv(out / "effects_posterior.csv")
    assert set(effects["arm"]) == {"insurance"}
    for column in ("seed_low", "seed_high", "parameter_low", "parameter_high", "var_seed", "var_parameter"):
        assert column in effects
    assert (effects[["draws", "seeds"]] == 2).all().all()
    trust = effects[effects["metric"] == "mean_trust"].iloc[0]
    assert trust["parameter_low"] <= trust["seed_low"] <= trust["effect"] <= trust["seed_high"]
    assert "with parameter uncertainty" in (out / "effects_posterior.md").read_text()
    assert (out / "forest_posterior.png").stat().st_size > 0


# ----------------------------------------------------------------------------------------------
# The script, end to end at the tiny scale
# ----------------------------------------------------------------------------------------------
def test_robustness_script_cheap_setting_end_to_end(tmp_path, capsys):
    robustness = script("robustness")
    out = tmp_path / "robustness"
    args = ["--cheap", "--scale", "tiny", "--days", "20", "--points", "3", "--policies", "legal_deterrence"]
    args += ["--out", str(out), "hydra/launcher=basic", "burn_in_days=10"]
    assert robustness.main(args) == 0
    for name in ("design.csv", "point_effects.csv", "failures.csv", "boxes.csv", "robustness.md"):
        assert (out / name).stat().st_size > 0, name
    for name in ("robustness_trajectories", "robustness_boxes", "robustness_ranking"):
        assert (out / f"{name}.png").stat().st_size > 0, name
    assert len(pd.read_csv(out / "design.csv")) == 3
    effects = pd.read_csv(out / "point_effects.csv")
    assert sorted(effects["point"]) == [0, 1, 2] and set(effects["arm"]) == {"legal_deterrence"}
    text = (out / "robustness.md").read_text()
    assert "Cheap setting" in text and "Not run here" in text and "Where each policy fails" in text
    assert str(out) not in text  # the command it prints is any machine's, without --out
    assert robustness.command_without_out(["--cheap", "--out", "x", "--out=y", "--seeds", "2"]) == [
        "--cheap",
        "--seeds",
        "2",
    ]
    # the same runs analysed again without running them (--reuse-runs): the same effects
    assert robustness.main([*args, "--reuse-runs"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "point_effects.csv"), effects)
    capsys.readouterr()
    assert "--share: 1.5 is out of range" in refused(robustness.main, ["--share", "1.5"], capsys)
    assert "unknown arm(s) ['no_such_policy']" in refused(robustness.main, ["--policies", "no_such_policy"], capsys)
    err = refused(robustness.main, ["--posterior-draws", "2", "--posterior", str(tmp_path / "none.csv")], capsys)
    assert "none.csv does not exist" in err and "--posterior-draws 0" in err


def test_relative_effects_judge_each_draw_against_its_own_baseline():
    """Draws whose baselines differ tenfold, with the same relative effect (-80 %) in each: the
    absolute effect varies between draws (parameter share near 1), the relative one does not
    (share near 0), and its intervals stay near -80 % instead of reaching below -100 %."""
    rng = np.random.default_rng(3)
    n, m = 8, 3
    points = []
    for i, level in enumerate(np.geomspace(2, 20, n)):
        for seed in range(m):
            base = level * (1 + rng.normal(0, 0.05))
            points += [
                {"point": i, "seed": seed, "arm": "baseline", "violence": base},
                {"point": i, "seed": seed, "arm": "x", "violence": base * 0.2 * (1 + rng.normal(0, 0.05))},
            ]
    (row,) = rb.posterior_effects(pd.DataFrame(points), metrics=["violence"]).to_dict("records")
    assert row["parameter_share"] > 0.9 and row["relative_parameter_share"] < 0.2
    assert row["parameter_low"] / row["baseline_mean"] < -1.0  # (the absolute interval, over the mean baseline)
    for key in (
        "relative_change",
        "relative_seed_low",
        "relative_seed_high",
        "relative_parameter_low",
        "relative_parameter_high",
    ):
        assert -0.9 < row[key] < -0.7, (key, row[key])
    assert (
        row["relative_parameter_low"] <= row["relative_seed_low"] <= row["relative_change"] <= row["relative_seed_high"]
    )


def test_a_draw_whose_baseline_has_no_event_leaves_the_relative_effect_undefined():
    points = [
        {"point": i, "seed": seed, "arm": arm, "violence": 0.0 if (i == 0 and arm == "baseline") else 1.0 + seed}
        for i in range(3)
        for seed in range(2)
        for arm in ("baseline", "x")
    ]
    (row,) = rb.posterior_effects(pd.DataFrame(points), metrics=["violence"]).to_dict("records")
    assert np.isfinite(row["effect"]) and np.isfinite(row["parameter_low"])
    assert np.isnan(row["relative_change"]) and np.isnan(row["relative_parameter_low"])
    assert "n/a" in rb.posterior_markdown(pd.DataFrame([row]))
