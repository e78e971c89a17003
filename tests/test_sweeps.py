"""Sweeps through Hydra launchers: identical results, resume, failures recorded, the tidy table.

Every sweep here is tiny (3,000 residents, a few weeks, two seeds) and runs as a subprocess
``python -m sim -m ...`` exactly as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.runs.collect import collect
from sim.runs.sweep import REPO_ROOT, experiment_override, is_complete, job_dirs, read_status, run_dirs

TINY = ["scale=tiny"]
ARMS = "policies=[],[tiered_care,mediation,insurance]"


def sweep(
    sweep_dir: Path, *overrides: str, launcher: str = "basic", days: int = 40, seeds: str = "0,1", check: bool = True
):
    args = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        experiment_override("quick_comparison"),
        *TINY,
        f"days={days}",
        f"seed={seeds}",
        ARMS,
        f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={sweep_dir}",
        *overrides,
    ]
    proc = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"sweep failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def summaries(sweep_dir: Path) -> dict[str, dict]:
    """Every run's summary but its wall time, by the run's directory relative to the sweep's."""
    out = {}
    for run in run_dirs(sweep_dir):
        summary = json.loads((run / "summary.json").read_text())
        summary.pop("wall_seconds")
        out[str(run.relative_to(sweep_dir))] = summary
    return out


def finished_times(sweep_dir: Path) -> dict[str, float]:
    return {run.name: read_status(run)["finished"] for run in run_dirs(sweep_dir)}


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory) -> Path:
    sweep_dir = tmp_path_factory.mktemp("basic")
    sweep(sweep_dir)
    return sweep_dir


def test_every_run_completes_with_its_files(basic_sweep):
    runs = run_dirs(basic_sweep)
    assert [r.name for r in runs] == sorted(
        f"days=40,policies={arm},scale=tiny,seed={s}"
        for arm in ("[]", "[tiered_care,mediation,insurance]")
        for s in (0, 1)
    )
    assert all(is_complete(r) for r in runs)
    assert json.loads((basic_sweep / "sweep.json").read_text())["total"] == 4


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launchers_give_identical_results(basic_sweep, tmp_path, launcher):
    """Same seeds and arms: the same summaries and daily series whichever launcher ran them."""
    sweep(tmp_path, launcher=launcher)
    expected, got = summaries(basic_sweep), summaries(tmp_path)
    assert got.keys() == expected.keys()
    assert got == expected
    for name in expected:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / name / "timeseries.parquet"),
            pd.read_parquet(basic_sweep / name / "timeseries.parquet"),
        )


def by_arm_and_seed(sweep_dir: Path) -> dict[tuple, dict]:
    return {(tuple(s["policies"]), s["seed"]): s for s in summaries(sweep_dir).values()}


def test_a_batch_of_seeds_in_one_job_gives_the_runs_of_those_seeds(basic_sweep, tmp_path):
    """replicates=2 from seed 0: one job per arm runs seeds 0 and 1, each with the results it has
    when run alone; the collector lists one row per seed; a deleted result is redone alone."""
    sweep(tmp_path, "replicates=2", seeds="0", launcher="joblib")
    assert len(job_dirs(tmp_path)) == 2
    runs = run_dirs(tmp_path)
    assert [r.name for r in runs] == ["seed=0", "seed=1", "seed=0", "seed=1"]
    assert json.loads((tmp_path / "sweep.json").read_text())["total"] == 4
    assert by_arm_and_seed(tmp_path) == by_arm_and_seed(basic_sweep)

    results, timeseries, _ = collect(tmp_path)
    assert len(results) == 4 and results["run_id"].is_unique and "replicates" not in results.columns
    assert sorted(results["seed"]) == [0, 0, 1, 1] and (results["status"] == "completed").all()
    assert len(timeseries) == 4 * 40

    before = {str(r): read_status(r)["finished"] for r in runs}
    (runs[1] / "summary.json").unlink()
    sweep(tmp_path, "replicates=2", seeds="0", launcher="joblib")
    after = {str(r): read_status(r)["finished"] for r in runs}
    assert [after[k] > before[k] for k in before] == [False, True, False, False]


def test_policy_changes_results(basic_sweep):
    """Guards the identity test above: the two arms of one seed do differ."""
    s = summaries(basic_sweep)
    assert (
        s["days=40,policies=[],scale=tiny,seed=0"]
        != s["days=40,policies=[tiered_care,mediation,insurance],scale=tiny,seed=0"]
    )


def test_resume_redoes_only_deleted_and_unfinished_runs(tmp_path):
    sweep(tmp_path)
    before = finished_times(tmp_path)
    expected = summaries(tmp_path)
    runs = run_dirs(tmp_path)
    (runs[0] / "summary.json").unlink()  # a result deleted
    status = read_status(runs[1])  # a job killed mid-run: status left at 'running', results gone
    (runs[1] / "status.json").write_text(json.dumps({**status, "status": "running"}))
    (runs[1] / "timeseries.parquet").unlink()
    assert not is_complete(runs[0]) and not is_complete(runs[1])

    sweep(tmp_path)
    after = finished_times(tmp_path)
    assert all(is_complete(r) for r in run_dirs(tmp_path))
    assert after[runs[0].name] > before[runs[0].name]
    assert after[runs[1].name] > before[runs[1].name]
    assert {k: after[k] for k in before if k not in (runs[0].name, runs[1].name)} == {
        k: v for k, v in before.items() if k not in (runs[0].name, runs[1].name)
    }
    assert summaries(tmp_path) == expected


def test_resume_after_the_sweep_process_is_killed(tmp_path):
    """Kill the whole sweep once a first run is complete; re-running finishes the rest only."""
    args = [sys.executable, "-m", "sim", "-m", experiment_override("quick_comparison"), *TINY, "days=150"]
    args += ["seed=0,1", ARMS, "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path}"]
    proc = subprocess.Popen(
        args, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while not any(is_complete(r) for r in run_dirs(tmp_path)) and proc.poll() is None:
            assert time.monotonic() < deadline, "no run completed"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = {r.name: read_status(r)["finished"] for r in run_dirs(tmp_path) if is_complete(r)}
    assert done_before
    # no half-written file survives the kill: only complete files or atomic-write temporaries
    for run in run_dirs(tmp_path):
        for name in ("summary.json",):
            if (run / name).exists():
                json.loads((run / name).read_text())

    sweep(tmp_path, days=150)
    runs = run_dirs(tmp_path)
    assert len(runs) == 4 and all(is_complete(r) for r in runs)
    assert {name: read_status(tmp_path / name)["finished"] for name in done_before} == done_before


def test_failed_run_is_recorded_and_does_not_stop_the_sweep(tmp_path):
    """An out-of-range intensity in one run: that run fails with its error, the others complete."""
    proc = sweep(tmp_path, "policies=[insurance]", "policies.insurance.coverage_gain=0.5,1.5", seeds="0", check=False)
    assert proc.returncode != 0
    assert "1 run(s) failed" in proc.stderr
    assert "[sweep] 2/2 runs done (1 failed)" in proc.stderr  # progress at the end (sim.runs.sweep.SweepCallback)
    statuses = {r.name: read_status(r) for r in run_dirs(tmp_path)}
    assert len(statuses) == 2
    failed = [s for s in statuses.values() if s["status"] == "failed"]
    assert len(failed) == 1 and "policies.insurance.coverage_gain" in failed[0]["error"]
    assert "Traceback" in failed[0]["traceback"]

    results, _, _ = collect(tmp_path)
    assert sorted(results["status"]) == ["completed", "failed"]
    bad = results[results["status"] == "failed"].iloc[0]
    assert bad["policies.insurance.coverage_gain"] == 1.5 and "out of range" in bad["error"]
    assert pd.isna(bad["disputes_per_hospital_year"])


def test_collector_table_has_one_row_per_run_and_the_swept_columns(basic_sweep):
    results, timeseries, trust_end = collect(basic_sweep)
    assert len(results) == 4 and results["run_id"].is_unique
    for column in ("run_id", "status", "error", "arm", "policies", "seed", "days", "scale"):
        assert column in results.columns
    for metric in ("disputes_per_hospital_year", "violent_incidents_per_hospital_year", "mean_trust", "n_hospitals"):
        assert results[metric].notna().all()
    assert sorted(results["arm"].unique()) == ["baseline", "tiered_care+mediation+insurance"]
    assert set(results["days"]) == {40} and set(results["scale"]) == {"tiny"}
    assert sorted(results["seed"]) == [0, 0, 1, 1]
    # the daily table: one row per run and day, tagged with run id, arm and seed
    assert len(timeseries) == 4 * 40
    assert timeseries.groupby("run_id")["day"].nunique().eq(40).all()
    assert {"run_id", "arm", "seed", "disputes", "mean_trust"} <= set(timeseries.columns)
    assert trust_end.groupby("run_id")["trust"].sum().eq(results["n_patients"].iloc[0]).all()
    for name in ("results.parquet", "timeseries.parquet", "trust_end.parquet"):
        assert len(pd.read_parquet(basic_sweep / name)) > 0


def test_collect_command_line(basic_sweep):
    proc = subprocess.run(
        [sys.executable, "-m", "sim.runs.collect", str(basic_sweep)], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "4 runs" in proc.stdout and "4 completed" in proc.stdout


def test_design_sweep_runs_each_row_over_the_seeds_as_a_plain_run_would(tmp_path):
    """hydra/sweeper=design (sim.runs.designs.run_design): every design row x seed is one run whose
    summary is that of ``sim.runs.api.run`` with the same overrides; an empty cell keeps the default;
    running the same design again redoes nothing."""
    from sim.runs.api import compose, run
    from sim.runs.designs import run_design

    design = pd.DataFrame({"params.violence.threshold": [0.2, 0.4], "params.disputes.base_log_odds": [-9.0, None]})
    base = ["scale=tiny", "days=30"]
    results = run_design(design, range(3, 5), base, tmp_path)
    assert list(zip(results["point"], results["seed"], strict=True)) == [(0, 3), (0, 4), (1, 3), (1, 4)]
    assert list(results["params.violence.threshold"]) == [0.2, 0.2, 0.4, 0.4]
    default = compose(base).params.disputes.base_log_odds
    assert list(results["params.disputes.base_log_odds"]) == [-9.0, -9.0, default, default]
    alone = run([*base, "params.violence.threshold=0.4", "seed=4"]).summary
    row = results[(results["point"] == 1) & (results["seed"] == 4)].iloc[0]
    assert row["disputes_per_hospital_year"] == alone["disputes_per_hospital_year"]
    assert row["mean_trust"] == alone["mean_trust"]

    finished = {str(r): read_status(r)["finished"] for r in run_dirs(tmp_path)}
    run_design(design, range(3, 5), base, tmp_path)
    assert {str(r): read_status(r)["finished"] for r in run_dirs(tmp_path)} == finished


def test_the_sweeper_checks_every_kind_of_override_with_few_compositions():
    """hydra/sweeper=checked (the default) composes, before any job, only jobs that together use
    every override of the batch (a number once per key and type): 3 arms x 8 seeds need 3."""
    from hydra_plugins.sim_design_sweeper.design_sweeper import covering_jobs

    arms = ["policies=[]", "policies=[insurance]", "policies=[mediation]"]
    batch = [[arm, f"seed={s}", "days=40"] for arm in arms for s in range(8)]
    chosen = covering_jobs(batch)
    assert len(chosen) == 3 and {job[0] for job in chosen} == set(arms)  # any seed composes as seed 0 does
    # a string value, or a number of another type, is a kind of its own
    batch += [["policies=[]", "seed=0", "days=abc"], ["policies=[]", "seed=0", "days=1.5"]]
    assert covering_jobs(batch)[-2:] == batch[-2:]
    assert {o for job in covering_jobs(batch) for o in job if not o.startswith("seed=")} == {
        o for job in batch for o in job if not o.startswith("seed=")
    }


def test_the_sweeper_checks_each_option_of_a_list_once():
    """A list of options composes each option: the comparison's arm with every policy covers the
    arms of one policy, so the quick comparison's 16 arms x 8 seeds need 2 compositions. A list
    with a repeated option, or with an option not seen before, is checked on its own."""
    from hydra_plugins.sim_design_sweeper.design_sweeper import covering_jobs

    every = "policies=[insurance,mediation,tiered_care]"
    arms = [every, "policies=[insurance]", "policies=[]", "policies=[tiered_care]"]
    batch = [[arm, f"seed={s}"] for arm in arms for s in range(8)]
    assert [job[0] for job in covering_jobs(batch)] == [every, "policies=[]"]
    repeated = [["policies=[insurance,insurance]", "seed=0"]]
    assert covering_jobs(batch + repeated)[-1] == repeated[0]
    new_option = [["policies=[insurance,zero_markup]", "seed=0"]]
    assert covering_jobs(batch + new_option)[-1] == new_option[0]


def test_a_sweep_lists_its_runs_from_records_with_interpolated_seeds(tmp_path):
    """The end-of-sweep tally reads each job's seed and replicates with libyaml; a value that is an
    interpolation is resolved through OmegaConf, and a damaged record lists the job itself."""
    for name, text in {
        "plain": "seed: 3\nreplicates: 2\ndays: 5\n",
        "interpolated": "base: 7\nseed: ${base}\nreplicates: 2\n",
        "damaged": "seed: [\n",
    }.items():
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / ".hydra" / "config.yaml").write_text(text)
    names = [str(r.relative_to(tmp_path)) for r in run_dirs(tmp_path)]
    assert names == ["damaged", "interpolated/seed=7", "interpolated/seed=8", "plain/seed=3", "plain/seed=4"]


def test_a_design_row_that_cannot_compose_stops_the_sweep_before_any_run(tmp_path):
    """A bad value in the design's last row (a string for a number) is found up front: Hydra's
    error, and no run started."""
    design = tmp_path / "design.csv"
    design.write_text("params.violence.threshold\n0.2\n0.3\nnot_a_number\n")
    args = [sys.executable, "-m", "sim", "-m", "hydra/sweeper=design", f"hydra.sweeper.design={design}"]
    args += [*TINY, "days=5", "burn_in_days=0", "seed=0,1", "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path / 's'}"]
    proc = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert "not_a_number" in proc.stderr
    assert not (tmp_path / "s").exists() or not run_dirs(tmp_path / "s")
