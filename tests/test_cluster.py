"""Sweeps on real schedulers: the one-node SLURM cluster and the Ray head that the project's
scripts start on this machine, each running the small sweep of tests/test_sweeps.py.

    bash scripts/start_slurm.sh && bash scripts/start_ray.sh
    .venv/bin/python -m pytest -m cluster        # or: make cluster-test (starts, tests, stops)

Marked ``cluster``: ``make test`` deselects them (pyproject.toml). Without a running scheduler a
test skips, naming the command that starts it; under CI (``CI`` set) that is a failure.

- SLURM (``hydra/launcher=slurm``, submitit): every job is a SLURM array task that ``sacct``
  lists as COMPLETED, and the collected results equal those of the joblib launcher number for
  number; a job cancelled with ``scancel`` mid-run is recorded as failed (reason ``cancelled``)
  and a re-run of the sweep redoes it alone; a job past its time limit is recorded as failed
  with reason ``time limit`` (``sacct``: TIMEOUT), its unstarted runs too.
- Ray (``hydra/launcher=ray_cluster``, from .venv-ray): the sweep's driver connects to the
  running head by address (``ray list jobs`` shows it there) and gives the joblib results.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.runs.collect import collect
from sim.runs.sweep import REPO_ROOT, is_complete, read_status, run_dirs

pytestmark = pytest.mark.cluster

PARTITION = "compute"  # scripts/start_slurm.sh
RAY_ADDRESS = "127.0.0.1:6379"  # scripts/start_ray.sh
RAY_PYTHON = REPO_ROOT / ".venv-ray" / "bin" / "python"
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_ADDRESS": RAY_ADDRESS}  # as env.sh of start_ray.sh
ARMS = "policies=[],[tiered_care,mediation,insurance]"
SLURM = ["hydra/launcher=slurm", f"hydra.launcher.partition={PARTITION}"]


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str, start: str, detail: str = "") -> None:
    message = (
        f"no {what} ({detail or 'not running'}): start it with `{start}`, then `.venv/bin/python -m pytest -m cluster`"
    )
    if under_ci():
        pytest.fail(f"{message}; under CI a missing scheduler is a failure")
    pytest.skip(message)


def sh(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def sweep(sweep_dir: Path, *overrides: str, python: Path | str = sys.executable, env: dict | None = None, **opts):
    """``python -m sim -m`` the tiny sweep (2 arms x 2 seeds, 40 days unless overridden)."""
    days, seeds, arms = opts.pop("days", 40), opts.pop("seeds", "0,1"), opts.pop("arms", ARMS)
    args = [str(python), "-m", "sim", "-m", "experiment=quick_comparison", "scale=tiny"]
    args += [f"days={days}", f"seed={seeds}", arms, f"hydra.sweep.dir={sweep_dir}", *overrides]
    return subprocess.Popen(
        args,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **opts,
    )


def finish(proc: subprocess.Popen, timeout: float = 900, check: bool = True) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"sweep failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}")
    return proc.returncode, out, err


def results(sweep_dir: Path) -> dict[str, tuple[dict, pd.DataFrame, pd.DataFrame]]:
    """Every run's summary (without its wall time), daily series and trust histogram."""
    out = {}
    for run in run_dirs(sweep_dir):
        summary = json.loads((run / "summary.json").read_text())
        summary.pop("wall_seconds")
        frames = (pd.read_parquet(run / name) for name in ("timeseries.parquet", "trust_end.parquet"))
        out[str(run.relative_to(sweep_dir))] = (summary, *frames)
    return out


def assert_same_results(got_dir: Path, expected_dir: Path) -> None:
    got, expected = results(got_dir), results(expected_dir)
    assert len(expected) == 4 and got.keys() == expected.keys()
    for name, (summary, series, trust) in expected.items():
        assert got[name][0] == summary, name
        pd.testing.assert_frame_equal(got[name][1], series, check_exact=True)
        pd.testing.assert_frame_equal(got[name][2], trust, check_exact=True)
    table, expected_table = collect(got_dir, write=False)[0], collect(expected_dir, write=False)[0]
    metrics = [
        "run_id",
        "arm",
        "seed",
        "disputes_per_hospital_year",
        "violent_incidents_per_hospital_year",
        "mean_trust",
    ]
    pd.testing.assert_frame_equal(table[metrics], expected_table[metrics], check_exact=True)


# --------------------------------------------------------------------------------------
# the schedulers, and the reference sweep
# --------------------------------------------------------------------------------------
@functools.cache
def slurm_missing() -> str | None:
    """Why there is no SLURM cluster with accounting whose partition ``compute`` has a node up."""
    if shutil.which("sinfo") is None:
        return "sinfo not installed"
    try:
        state = sh("sinfo", "--noheader", f"--partition={PARTITION}", "--format=%t", timeout=30)
        if state.returncode != 0 or not set(state.stdout.split()) & {"idle", "mix", "alloc"}:
            return (state.stderr or state.stdout or f"no node up in {PARTITION}").strip()
        accounting = sh("sacct", "--noheader", "--allocations", "--starttime=now-1minute", timeout=30)
    except subprocess.TimeoutExpired as err:
        return f"{err.cmd[0]} does not answer"
    return accounting.stderr.strip() or "sacct fails" if accounting.returncode != 0 else None


@functools.cache
def ray_missing() -> str | None:
    """Why there is no Ray head of scripts/start_ray.sh answering at 127.0.0.1:6379 (or no .venv-ray)."""
    if not RAY_PYTHON.exists():
        return f"{RAY_PYTHON} missing"
    host, port = RAY_ADDRESS.split(":")
    try:  # `ray status` takes 40 s to give up on an address where nothing listens
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError:
        return f"nothing listens at {RAY_ADDRESS}"
    try:
        status = sh(str(RAY_PYTHON.parent / "ray"), "status", f"--address={RAY_ADDRESS}", env={**os.environ, **RAY_ENV})
    except subprocess.TimeoutExpired:
        status = None
    return None if status and status.returncode == 0 else f"nothing answers at {RAY_ADDRESS}"


@pytest.fixture
def slurm() -> None:
    if reason := slurm_missing():
        missing("SLURM cluster", "bash scripts/start_slurm.sh", reason)


@pytest.fixture
def ray_head() -> None:
    if reason := ray_missing():
        missing("Ray head", "bash scripts/start_ray.sh", reason)


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory) -> Path:
    sweep_dir = tmp_path_factory.mktemp("joblib")
    finish(sweep(sweep_dir, "hydra/launcher=joblib"))
    return sweep_dir


def sacct(job_ids: list[str]) -> dict[str, str]:
    """``sacct``'s state of each job (array tasks as ``<job>_<task>``), once accounting has them all."""
    deadline = time.monotonic() + 60
    while True:
        done = sh(
            "sacct", "--noheader", "--parsable2", "--allocations", "--format=JobID,State", f"--jobs={','.join(job_ids)}"
        )
        states = dict(line.split("|")[:2] for line in done.stdout.splitlines() if line)
        if set(job_ids) <= states.keys() and not {"PENDING", "RUNNING"} & set(states.values()):
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(1)


def submitted_jobs(sweep_dir: Path) -> list[str]:
    """The SLURM jobs of a sweep: submitit's folders ``.submitit/<job>_<task>``."""
    return sorted(p.name for p in (sweep_dir / ".submitit").iterdir() if p.is_dir() and "_" in p.name)


# --------------------------------------------------------------------------------------
# SLURM
# --------------------------------------------------------------------------------------
def test_slurm_sweep_runs_as_slurm_jobs_with_the_joblib_results(slurm, joblib_sweep, tmp_path):
    _, _, err = finish(sweep(tmp_path, *SLURM))
    assert "[sweep] 4/4 runs done (0 failed)" in err
    jobs = submitted_jobs(tmp_path)
    assert len(jobs) == 4 and len({job.split("_")[0] for job in jobs}) == 1  # one array job, 4 tasks
    assert sacct(jobs) == dict.fromkeys(jobs, "COMPLETED")
    assert_same_results(tmp_path, joblib_sweep)


def running_job(sweep_dir: Path, deadline: float) -> tuple[Path, str]:
    """A run of the sweep that is running inside a SLURM job, and that job (from the environment
    of the process its status names)."""
    while time.monotonic() < deadline:
        for run in run_dirs(sweep_dir) if sweep_dir.exists() else ():
            status = read_status(run) or {}
            if status.get("status") != "running":
                continue
            try:
                env = dict(
                    item.split("=", 1)
                    for item in Path(f"/proc/{status['pid']}/environ").read_text().split("\0")
                    if "=" in item
                )
            except OSError:
                continue
            if "SLURM_ARRAY_JOB_ID" in env:
                return run, f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
        time.sleep(0.1)
    raise AssertionError(f"no run of {sweep_dir} seen running in a SLURM job")


def test_a_job_cancelled_mid_run_is_recorded_failed_and_redone_alone_by_a_rerun(slurm, tmp_path):
    """scancel on a running job: its run fails with reason ``cancelled``, the others complete,
    the sweep reports the failure; the same command again redoes that run only."""
    proc = sweep(tmp_path, *SLURM, days=6000)
    try:
        run, job = running_job(tmp_path, time.monotonic() + 300)
        assert sh("scancel", job).returncode == 0
        code, _, err = finish(proc, check=False)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code != 0 and "1 run(s) failed" in err, err[-2000:]
    statuses = {r: read_status(r) for r in run_dirs(tmp_path)}
    failed = {r: s for r, s in statuses.items() if s["status"] != "completed"}
    assert list(failed) == [run]
    assert failed[run]["status"] == "failed" and failed[run]["reason"] == "cancelled"
    assert failed[run]["slurm_job_id"] == job and "SIGTERM" in failed[run]["error"]
    assert sacct([job])[job].startswith("CANCELLED")

    results_table = collect(tmp_path, write=False)[0]
    assert sorted(results_table["status"]) == ["completed", "completed", "completed", "failed"]

    finished = {r: s["finished"] for r, s in statuses.items()}
    finish(sweep(tmp_path, *SLURM, days=6000))
    again = {r: read_status(r) for r in run_dirs(tmp_path)}
    assert all(is_complete(r) for r in again)
    assert [r for r in again if again[r]["finished"] != finished[r]] == [run]


def test_a_job_killed_outright_fails_its_run_and_the_sweep_waits_for_the_others(slurm, tmp_path):
    """SIGKILL to a running job's Python (as the out-of-memory killer would): the job ends without a result;
    the sweep does not stop there with a traceback but waits for the other jobs, logs the killed
    job with SLURM's state, and its tally reports the one run that did not complete."""
    proc = sweep(tmp_path, *SLURM, days=6000)
    try:
        run, job = running_job(tmp_path, time.monotonic() + 300)
        os.kill(read_status(run)["pid"], signal.SIGKILL)  # the run's own process, as the OOM killer does
        code, _, err = finish(proc, check=False)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code != 0 and "1 run(s) failed" in err and "Traceback" not in err, err[-2000:]
    assert f"SLURM job {job} ended without a result" in err, err[-2000:]
    statuses = {r: read_status(r) for r in run_dirs(tmp_path)}
    assert [r for r, s in statuses.items() if s["status"] != "completed"] == [run]
    assert statuses[run]["status"] == "running"  # the killed process could record nothing


def test_a_job_past_its_time_limit_is_recorded_as_such(slurm, tmp_path):
    """A one-minute limit on a job of 8 long runs: SLURM ends it at the limit (sacct: TIMEOUT);
    the run it was in and those it never started are failed with reason ``time limit``, none
    is left ``running`` or missing; the sweep reports the failures."""
    proc = sweep(
        tmp_path,
        *SLURM,
        "hydra.launcher.timeout_min=1",
        "hydra.launcher.signal_delay_s=20",  # SIGUSR2 past start-up (hydra_plugins/sim_slurm_launcher)
        "replicates=8",
        days=36_500,
        seeds="0",
        arms="policies=[]",
    )
    code, _, err = finish(proc, check=False)
    assert code != 0 and "run(s) failed" in err, err[-2000:]
    statuses = [read_status(r) for r in run_dirs(tmp_path)]
    assert len(statuses) == 8 and all(statuses)
    failed = [s for s in statuses if s["status"] != "completed"]
    assert failed and all(s["status"] == "failed" and s["reason"] == "time limit" for s in failed)
    assert sum("SIGTERM" in s["error"] for s in failed) == 1  # the run SLURM stopped; the rest never started
    (job,) = {s["slurm_job_id"] for s in failed}
    assert sacct([job])[job] == "TIMEOUT"


def test_robustness_design_runs_as_slurm_jobs_with_the_local_results(slurm, tmp_path):
    """experiments/robustness.py through hydra/launcher=slurm, the route of its publication setting
    (here 3 design points x 2 arms at the tiny scale): every run is a SLURM array task that
    completes, and the effects at each point are those of the same design run in-process."""
    args = ["--cheap", "--scale", "tiny", "--days", "20", "--points", "3", "--policies", "legal_deterrence"]
    outs = {}
    for name, launcher in (("slurm", SLURM), ("local", ["hydra/launcher=basic"])):
        outs[name] = tmp_path / name
        cmd = [
            sys.executable,
            "experiments/robustness.py",
            *args,
            "--out",
            str(outs[name]),
            "burn_in_days=10",
            *launcher,
        ]
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
    jobs = submitted_jobs(outs["slurm"] / "runs" / "deep")
    assert len(jobs) == 6 and sacct(jobs) == dict.fromkeys(jobs, "COMPLETED")
    assert not (outs["local"] / "runs" / "deep" / ".submitit").exists()
    pd.testing.assert_frame_equal(
        pd.read_csv(outs["slurm"] / "point_effects.csv"), pd.read_csv(outs["local"] / "point_effects.csv")
    )
    pd.testing.assert_frame_equal(pd.read_csv(outs["slurm"] / "design.csv"), pd.read_csv(outs["local"] / "design.csv"))


# --------------------------------------------------------------------------------------
# Ray
# --------------------------------------------------------------------------------------
def ray_jobs() -> list[dict]:
    listed = sh(str(RAY_PYTHON.parent / "ray"), "list", "jobs", "--format=json", env={**os.environ, **RAY_ENV})
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_ray_sweep_on_the_running_head_gives_the_joblib_results(ray_head, joblib_sweep, tmp_path):
    address = f"hydra.launcher.ray.init.address={RAY_ADDRESS}"
    _, _, err = finish(sweep(tmp_path, "hydra/launcher=ray_cluster", address, python=RAY_PYTHON, env=RAY_ENV))
    assert "[sweep] 4/4 runs done (0 failed)" in err
    # the sweep's driver ran on the running cluster, not on a Ray it started
    drivers = [job for job in ray_jobs() if str(tmp_path) in (job.get("entrypoint") or "")]
    assert len(drivers) == 1 and drivers[0]["status"] == "SUCCEEDED", drivers
    assert_same_results(tmp_path, joblib_sweep)
