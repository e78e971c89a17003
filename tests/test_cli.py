"""``python -m sim``: the Hydra app writes summary.json, timeseries.parquet and .hydra/ into the
run directory, is deterministic across processes, and refuses bad input before simulating.

Each test starts a separate Python process (about a second each at the tiny scale).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from conftest import run_cli

from sim.runs.api import compose, run

#: The summary keys issue 2 lists (sim/metrics.py may add more).
SUMMARY_KEYS = {
    "disputes_per_hospital_year",
    "violent_incidents_per_hospital_year",
    "doctors_injured_per_hospital_year",
    "mean_compensation_yuan",
    "max_compensation_yuan",
    "mean_trust",
    "mediation_share",
    "mediation_success_rate",
    "litigation_share",
    "out_of_pocket_share",
    "primary_care_visit_share",
    "visits_per_hospital_year",
    "mean_wait_days",
    "doctor_attrition",
    "media_stories",
    "seed",
    "policies",
    "days",
    "n_patients",
    "n_doctors",
    "n_hospitals",
    "n_mediators",
    "n_media_outlets",
    "version",
    "wall_seconds",
}


def _without_wall_time(summary: dict) -> str:
    return json.dumps({k: v for k, v in summary.items() if k != "wall_seconds"}, sort_keys=True)


def _run(out, *overrides):
    proc = run_cli("scale=tiny", "days=40", *overrides, f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text()), proc


def test_the_run_directory_holds_summary_timeseries_and_hydra_record(tmp_path):
    out = tmp_path / "run"
    summary, proc = _run(out, "seed=5", "policies=[mediation,insurance]", "policies.insurance.coverage_gain=0.9")
    assert SUMMARY_KEYS <= set(summary)
    assert (summary["seed"], summary["days"], summary["n_patients"]) == (5, 40, 3000)
    assert summary["policies"] == ["mediation", "insurance"]
    assert summary["n_mediators"] >= 1 and summary["n_media_outlets"] >= 2
    numeric = [k for k in SUMMARY_KEYS if k not in ("policies", "version")]
    assert all(isinstance(summary[k], int | float) and math.isfinite(summary[k]) for k in numeric)
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert len(frame) == 40  # one row per day
    assert frame["day"].is_monotonic_increasing and frame["day"].nunique() == 40
    for name in ("config.yaml", "overrides.yaml", "hydra.yaml"):
        assert (out / ".hydra" / name).is_file()
    assert "policies.insurance.coverage_gain=0.9" in (out / ".hydra" / "overrides.yaml").read_text()
    assert "mean_trust" in proc.stdout  # the headline is printed
    # the process ends without Python's teardown (sim.__main__.leave): the pipe was still flushed
    assert proc.stdout.endswith(f"results: {out}\n")


def test_runs_are_deterministic_across_processes_and_agree_with_the_python_api(tmp_path):
    """Same seed, two processes: the same summary.json (but wall_seconds) and timeseries; the
    Python API gives the same numbers; another seed gives another run."""
    a, _ = _run(tmp_path / "a", "seed=5")
    b, _ = _run(tmp_path / "b", "seed=5")
    other, _ = _run(tmp_path / "other", "seed=6")
    assert _without_wall_time(a) == _without_wall_time(b)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "timeseries.parquet"), pd.read_parquet(tmp_path / "b" / "timeseries.parquet")
    )
    api = json.loads(json.dumps(run(compose(["scale=tiny", "days=40", "seed=5"])).summary))
    assert _without_wall_time(a) == _without_wall_time(api)
    assert other["seed"] == 6
    assert a["mean_trust"] != other["mean_trust"]


#: (overrides, a word the message must contain: the key)
CLI_BAD_INPUTS = {
    "unknown policy": (["policies=[ubi]"], "ubi"),
    "unknown key": (["foo=1"], "foo"),
    "unknown key added with +": (["+unknown=1"], "unknown"),
    "unknown scale": (["scale=huge"], "huge"),
    "wrong type": (["days=abc"], "days"),
    "probability outside [0, 1]": (["params.care.irreducible_risk=1.5"], "params.care.irreducible_risk"),
    "negative count": (["policies=[mediation]", "policies.mediation.capacity=-1"], "policies.mediation.capacity"),
    "zero-patient population": (["scale.n_patients=0"], "scale.n_patients"),
    "intensity of a policy that is off": (["policies.insurance.coverage_gain=0.9"], "policies.insurance.coverage_gain"),
}


@pytest.mark.parametrize("overrides, key", CLI_BAD_INPUTS.values(), ids=CLI_BAD_INPUTS.keys())
def test_bad_input_exits_non_zero_before_simulating(tmp_path, overrides, key):
    out = tmp_path / "run"
    proc = run_cli("scale=tiny", "days=5", *overrides, f"hydra.run.dir={out}")
    assert proc.returncode != 0
    assert key in proc.stderr + proc.stdout
    assert not (out / "summary.json").exists()
    assert not (out / "timeseries.parquet").exists()
