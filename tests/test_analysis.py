"""Calibration, validation and sensitivity scripts run end to end at a minimal setting."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration import PRIORS, TARGETS, distance, regression_adjust, sobol_prior_sample

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


def test_regression_adjustment_recovers_a_linear_relation():
    # theta = 2 + 0.5 * s_error exactly: the adjustment maps every sample to theta at s_obs (= 2)
    rng = np.random.default_rng(0)
    errors = rng.normal(size=(40, 1))
    theta = (2 + 0.5 * errors[:, 0])[:, None]
    dist = np.abs(errors[:, 0])
    adjusted = regression_adjust(theta, errors, dist, dist.max() * 1.01)
    assert np.allclose(adjusted, 2.0)


def test_calibration_script_minimal(tmp_path):
    _script("calibrate").main(
        [
            "--samples-power2",
            "3",
            "--seeds",
            "1",
            "--check-seeds",
            "2",
            "--scale",
            "tiny",
            "--days",
            "60",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    posterior = pd.read_csv(tmp_path / "posterior.csv", index_col="key")
    assert set(posterior.index) == {p.key for p in PRIORS}
    assert (posterior["mean"] >= posterior["prior_low"]).all() and (posterior["mean"] <= posterior["prior_high"]).all()
    samples = pd.read_parquet(tmp_path / "samples.parquet")
    assert len(samples) == 8 and np.isfinite(samples["distance"]).all()
    check = pd.read_csv(tmp_path / "predictive_check.csv")
    assert list(check["target"]) == [t.key for t in TARGETS]
    assert "params:" in (tmp_path / "fitted.yaml").read_text()
    assert "Posterior-predictive check" in (tmp_path / "report.md").read_text()


def test_validation_script_minimal(tmp_path):
    _script("validate").main(["--seeds", "2", "--scale", "tiny", "--days", "60", "--jobs", "1", "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "validation.csv")
    assert {"pattern", "source value", "model mean", "verdict"} <= set(table.columns)
    assert len(table) >= 8
    assert set(table["verdict"]) <= {"agrees", "disagrees", "no data"}


def test_sensitivity_script_minimal(tmp_path):
    _script("sensitivity").main(
        [
            "--scale",
            "tiny",
            "--days",
            "30",
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
