"""Resumable sweeps: the multirun job, its completion record, progress, and a launcher helper.

A Hydra multirun (``python -m sim -m experiment=quick_comparison``) calls :func:`job`
once per run, in whatever process the launcher chose (basic: this one; joblib: a pool of local
worker processes; submitit: SLURM or local subprocesses). Each run directory then holds

- ``summary.json``, ``timeseries.parquet`` (as ``python -m sim``) and ``trust_end.parquet``
  (the patients' end-of-run trust histogram, for the distribution figure);
- ``status.json``: ``running`` when the job starts, then ``completed`` or ``failed`` (with the
  error and traceback), plus the fingerprint of the run's config, the identity of the code
  (``sim.runs.provenance``) and, once completed, the SHA-256 of each result file.

A job with ``replicates=k`` runs the seeds ``seed, ..., seed+k-1`` in turn, each into a
subdirectory ``seed=<s>/`` of the job directory with the files above: short runs are batched
so that a launcher's per-job overhead (~0.1 s) does not dominate, and each seed's results are
those an unbatched run of that seed gives (its config differs only in ``replicates``).

Every file is written atomically (``sim.runs.io``), and ``status.json`` last, so a run counts as
complete only when all its results are on disk: a killed job leaves ``running`` (or nothing),
never a half file. A run is complete only if its status says so *for the same config and the
same code* and every result file still has the checksum recorded when it was written
(:func:`completion_problem`). Re-running the same sweep skips complete runs and redoes the
rest: deleted, damaged, killed, failed or changed runs, and runs of other code.
A failed run (an error in the model, or a result that cannot be written: a full disk) does not
stop the sweep; :class:`SweepCallback` reports the failures at the end and makes the command
exit with status 1, and ``python -m sim.runs.collect`` lists them with their errors.

A sweep directory belongs to one sweep: :class:`SweepCallback` records the sweep's definition
(its set of jobs, ``sim.runs.rundirs.sweep_definition``) in ``sweep.json`` and refuses, with exit
status 2, a different sweep into a directory that holds runs (resuming the same sweep is fine).
A single run likewise refuses a directory holding another run's results. Workers started by
the sweep's process end when it dies (``sim.runs.orphans``).

Nothing is shared between runs of one worker process: each run builds its model, its random
streams and its config from scratch, so results do not depend on the launcher
(tests/test_sweeps.py compares basic, joblib and submitit_local).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.runs import orphans, rundirs
from sim.runs.api import CONFIG_DIR, run, to_sim_config
from sim.runs.io import sha256, write_json, write_parquet, write_text
from sim.runs.provenance import code_identity
from sim.runs.provenance import describe as describe_code

#: libyaml's loader where PyYAML was built with it (the wheels are), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

log = logging.getLogger("sim.runs.sweep")

STATUS_FILE = "status.json"
SWEEP_FILE = "sweep.json"
RESULT_FILES = ("summary.json", "timeseries.parquet", "trust_end.parquet")
TRUST_BINS = np.linspace(0.0, 1.0, 41)
REPO_ROOT = CONFIG_DIR.parent


def harden_hydra_records() -> None:
    """Hydra writes its record of a job (``.hydra/config.yaml`` etc.) before the job runs, in
    place (a failed write leaves an empty file) and inside the launcher (on a full disk the
    error ends the whole sweep with a joblib traceback). Write that record atomically instead,
    and let a failure to write it be logged: the job then fails to write its own results, is
    counted as failed at the end of the sweep and redone when it is resumed.
    (Replaces ``hydra.core.utils._save_config`` of hydra-core 1.3.8; left alone if absent.)"""
    import hydra.core.utils as hydra_utils

    original = getattr(hydra_utils, "_save_config", None)
    if original is None or getattr(original, "atomic", False):
        return

    def save_config(cfg, filename: str, output_dir: Path) -> None:
        target = Path(output_dir) / filename
        try:
            write_text(target, OmegaConf.to_yaml(cfg))
        except OSError as err:
            log.error("could not write Hydra's record %s: %s", target, err)

    save_config.atomic = True
    hydra_utils._save_config = save_config


harden_hydra_records()


def fingerprint(cfg: DictConfig) -> str:
    """SHA-256 of the run's resolved config (without ``hydra``): what makes a result reusable."""
    return rundirs.config_fingerprint(OmegaConf.to_container(cfg, resolve=True))


def read_status(run_dir: Path) -> dict | None:
    """The run's status record; ``None`` if missing or unreadable."""
    try:
        status = json.loads((Path(run_dir) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def completion_problem(run_dir: Path, config_hash: str | None = None, code_hash: str | None = None) -> str | None:
    """Why ``run_dir`` does not hold a complete result (of that config and that code, if given),
    or ``None`` if it does: status ``completed``, and every result file present with the
    checksum recorded when it was written (so a truncated or edited file is caught)."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if status is None:
        return f"{STATUS_FILE} is {'unreadable' if (run_dir / STATUS_FILE).exists() else 'missing'}"
    if status.get("status") != "completed":
        return f"its status is {status.get('status')!r}"
    if config_hash is not None and status.get("config_hash") != config_hash:
        return "its config differs"
    recorded_code = status.get("code") or {}
    if code_hash is not None and recorded_code.get("source_sha256") != code_hash:
        return f"the code changed since it ran (it ran with {describe_code(recorded_code)})"
    files = status.get("files")
    if not isinstance(files, dict):
        return "no checksums of its result files were recorded (an earlier version)"
    for name in RESULT_FILES:
        path = run_dir / name
        if not path.is_file():
            return f"{name} is missing"
        if sha256(path) != files.get(name):
            return f"{name} does not match the checksum recorded when it was written (changed or damaged since)"
    return None


def is_complete(run_dir: Path, config_hash: str | None = None, code_hash: str | None = None) -> bool:
    """All result files intact (checksums), status ``completed`` and (if given) the same config and code."""
    return completion_problem(run_dir, config_hash, code_hash) is None


def trust_histogram(model) -> pd.DataFrame:
    """Patients' trust in doctors and in primary clinics at the end, as counts in 40 bins."""
    trust, _ = np.histogram(model.patients.trust, bins=TRUST_BINS)
    primary, _ = np.histogram(model.patients.trust_primary, bins=TRUST_BINS)
    return pd.DataFrame(
        {"bin_left": TRUST_BINS[:-1], "bin_right": TRUST_BINS[1:], "trust": trust, "trust_primary": primary}
    )


REPLICATE_DIR = "seed={}"


def replicate_configs(cfg: DictConfig) -> list[tuple[int, DictConfig]]:
    """The runs of one job: ``(seed, config)`` for each seed of its batch, with ``replicates=1``
    (a batched seed's config, and so its fingerprint, is that of the same seed run alone)."""
    k = int(cfg.get("replicates", 1))
    if k <= 1:
        return [(int(cfg.seed), cfg)]
    runs = []
    for i in range(k):
        one = cfg.copy()
        one.seed, one.replicates = int(cfg.seed) + i, 1
        runs.append((int(one.seed), one))
    return runs


def run_job(cfg: DictConfig, out_dir: Path) -> dict:
    """Run one job into ``out_dir``: one run, or each seed of a ``replicates`` batch into
    ``out_dir/seed=<s>/``; runs already complete are skipped. Returns the job's status record
    (``failed`` if any of its runs failed)."""
    runs = replicate_configs(cfg)
    if len(runs) == 1:
        return run_one(cfg, out_dir)
    records = [run_one(one, Path(out_dir) / REPLICATE_DIR.format(seed)) for seed, one in runs]
    failed = [r for r in records if r["status"] == "failed"]
    return {
        "status": "failed" if failed else "completed",
        "runs": len(records),
        "skipped": sum(bool(r.get("skipped")) for r in records),
        "error": failed[0]["error"] if failed else None,
    }


# --------------------------------------------------------------------------------------
# A run stopped by SLURM (scancel, the time limit, preemption): failed, with the reason
# --------------------------------------------------------------------------------------
class StoppedBySlurm(Exception):
    """Raised inside a run when SLURM sends its job SIGTERM (see :func:`records_slurm_stops`)."""


_slurm_stop: dict = {"reason": None, "warned": False, "in_run": False}


def slurm_job_id() -> str | None:
    """This SLURM job as ``sacct`` names it: ``<array job>_<task>`` for an array task."""
    array, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    return f"{array}_{task}" if array and task else os.environ.get("SLURM_JOB_ID")


def _squeue_seconds(text: str) -> int:
    """squeue's ``[days-][hours:]minutes:seconds`` in seconds (ValueError for ``UNLIMITED``)."""
    days, _, clock = text.rpartition("-")
    hours, minutes, seconds = ([0, 0] + [int(part) for part in clock.split(":")])[-3:]
    return ((int(days or 0) * 24 + hours) * 60 + minutes) * 60 + seconds


def slurm_stop_reason() -> str:
    """Why SLURM is stopping this job: ``time limit`` (the job has used its time limit, or
    squeue's reason says so; if squeue cannot be asked: the SIGUSR2 warning came first),
    ``preempted``, else ``cancelled``."""
    try:
        args = ["squeue", "--noheader", "--jobs", os.environ["SLURM_JOB_ID"], "--format", "%r|%M|%l"]
        reason, used, limit = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip().split("|")
    except (OSError, subprocess.SubprocessError, ValueError):
        return "time limit" if _slurm_stop["warned"] else "cancelled"
    try:
        over = _squeue_seconds(used) >= _squeue_seconds(limit)
    except ValueError:
        over = False
    if over or reason == "TimeLimit":
        return "time limit"
    return "preempted" if "Preempt" in reason else "cancelled"


def records_slurm_stops(run_one):
    """In a SLURM job (``SLURM_JOB_ID`` set), while ``run_one`` runs: SIGTERM (sent by ``scancel``,
    at the time limit, on preemption; SIGKILL follows after ``KillWait``) stops the run, which is
    recorded as ``failed`` with ``reason`` (``cancelled``, ``time limit``, ``preempted``) and
    ``slurm_job_id``; the job's further runs (a ``replicates`` batch) are recorded so without
    starting, and the job returns normally, so that the launcher and ``sim.runs.collect`` report the
    failure and a re-run of the sweep redoes these runs only. SIGUSR2, submitit's warning
    ``signal_delay_s`` before the time limit, is logged and the run goes on (it may still finish).
    Elsewhere (other launchers, not the main thread) nothing changes."""
    import functools
    import signal
    import threading

    def on_term(signum, frame):
        if _slurm_stop["reason"] is not None:  # srun and slurmstepd both send it: once is enough
            return
        _slurm_stop["reason"] = "cancelled"
        _slurm_stop["reason"] = slurm_stop_reason()
        if _slurm_stop["in_run"]:
            raise StoppedBySlurm(f"{_slurm_stop['reason']}: SLURM stopped job {slurm_job_id()} (SIGTERM)")

    def on_usr2(signum, frame):
        _slurm_stop["warned"] = True
        log.warning("SLURM job %s: time limit near (SIGUSR2); the run goes on", slurm_job_id())

    def stopped(cfg: DictConfig, out_dir: Path, record: dict | None) -> dict:
        reason = _slurm_stop["reason"]
        record = record or {
            "config_hash": fingerprint(cfg),
            "error": f"StoppedBySlurm: {reason}: not started, SLURM stopped job {slurm_job_id()}",
            "finished": time.time(),
        }
        record.update(status="failed", reason=reason, slurm_job_id=slurm_job_id())
        write_json(Path(out_dir) / STATUS_FILE, record)
        return record

    @functools.wraps(run_one)
    def wrapper(cfg: DictConfig, out_dir: Path) -> dict:
        if "SLURM_JOB_ID" not in os.environ or threading.current_thread() is not threading.main_thread():
            return run_one(cfg, out_dir)
        if _slurm_stop["reason"] is not None and not is_complete(out_dir, fingerprint(cfg)):
            return stopped(cfg, out_dir, None)
        previous = {
            sig: signal.signal(sig, handler) for sig, handler in ((signal.SIGTERM, on_term), (signal.SIGUSR2, on_usr2))
        }
        try:
            _slurm_stop["in_run"] = True
            record = run_one(cfg, out_dir)
        except StoppedBySlurm:  # the signal came after the run had recorded its outcome
            record = read_status(out_dir) or {}
        finally:
            _slurm_stop["in_run"] = False
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if _slurm_stop["reason"] is not None and record.get("status") != "completed":
            return stopped(cfg, out_dir, record)
        return record

    return wrapper


@records_slurm_stops
def run_one(cfg: DictConfig, out_dir: Path) -> dict:
    """Run one configuration into ``out_dir`` unless already complete; record the outcome.

    Returns the final status record. Exceptions (a bad config, a crash in the model, a result
    that cannot be written) are recorded as ``failed`` with their message and traceback, not
    raised; if even the record cannot be written (a full disk), the returned record says so.
    """
    out_dir = Path(out_dir)
    config_hash = fingerprint(cfg)
    code = code_identity()
    problem = completion_problem(out_dir, config_hash, code["source_sha256"])
    if problem is None:
        log.info("skip (complete): %s", out_dir.name)
        return {**read_status(out_dir), "skipped": True}
    if (out_dir / STATUS_FILE).exists():
        log.info("redo %s: %s", out_dir.name, problem)
    started = time.time()
    record = {
        "config_hash": config_hash,
        "code": code,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": started,
    }
    try:
        for name in RESULT_FILES:  # a stale result of another config must not survive a failure
            (out_dir / name).unlink(missing_ok=True)
        write_json(out_dir / STATUS_FILE, {**record, "status": "running"})
        config = to_sim_config(cfg)
        result = run(config)
        write_parquet(out_dir / "timeseries.parquet", result.timeseries)
        write_parquet(out_dir / "trust_end.parquet", trust_histogram(result.model))
        write_json(out_dir / "summary.json", result.summary)
        files = {name: sha256(out_dir / name) for name in RESULT_FILES}
        record.update(status="completed", files=files, finished=time.time(), wall_seconds=time.time() - started)
        write_json(out_dir / STATUS_FILE, record)
    except Exception as err:
        record.pop("files", None)
        record.update(
            status="failed",
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
            finished=time.time(),
        )
        try:
            write_json(out_dir / STATUS_FILE, record)
        except OSError as again:  # e.g. the disk is full: the run stays not complete, and is redone
            record["error"] += f" (and its {STATUS_FILE} could not be written: {again})"
        log.error("run failed: %s: %s", out_dir.name, record["error"])
    return record


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job directories of a sweep: those Hydra wrote a ``.hydra`` record into (at any depth:
    an override value with a ``/`` nests the directory named after it)."""
    return sorted(
        p.parent.parent for p in Path(sweep_dir).glob("**/.hydra/config.yaml") if p.parent.parent != Path(sweep_dir)
    )


def run_dirs(sweep_dir: Path) -> list[Path]:
    """The directory of every run of a sweep, finished or not: each job directory, or for a job
    of ``replicates=k`` seeds its ``seed=<s>/`` subdirectories (from the job's recorded config,
    so a run that never started is listed too)."""
    out = []
    for job_dir in job_dirs(sweep_dir):
        try:
            k, seed = _replicates_and_seed(job_dir / ".hydra" / "config.yaml")
        except Exception:  # an empty or damaged record: listed as the job itself (sim.runs.collect reports it)
            k, seed = 1, 0
        out += [job_dir] if k <= 1 else [job_dir / REPLICATE_DIR.format(seed + i) for i in range(k)]
    return sorted(out)


def _replicates_and_seed(record: Path) -> tuple[int, int]:
    """A job's ``replicates`` and ``seed`` from its recorded config. Read with libyaml, which is
    ~15 times faster than ``OmegaConf.load`` on these 8 kB records (the end of a 128-job sweep
    spent 3.2 s here, in both the serial and the parallel sweep); through OmegaConf only if a
    value is not a plain integer (an interpolation)."""
    with open(record, encoding="utf-8") as f:
        cfg = yaml.load(f, Loader=_YAML_LOADER)
    k, seed = cfg.get("replicates", 1), cfg["seed"]
    if type(k) is not int or type(seed) is not int:
        cfg = OmegaConf.load(record)
        k, seed = cfg.get("replicates", 1), cfg.seed
    return int(k), int(seed)


def run_config(run_dir: Path) -> tuple[dict, list[str]]:
    """(the run's resolved config, the job's override strings): from the run's own ``.hydra``
    record, or for a batched seed from its job's, with that seed and ``replicates=1``."""
    run_dir = Path(run_dir)
    job_dir = run_dir if (run_dir / ".hydra").is_dir() else run_dir.parent
    record = job_dir / ".hydra" / "config.yaml"
    config = OmegaConf.to_container(OmegaConf.load(record), resolve=True)
    if not isinstance(config, dict) or "seed" not in config:
        raise ValueError(f"{record} is empty or not a run's config")
    overrides = list(OmegaConf.load(job_dir / ".hydra" / "overrides.yaml"))
    if job_dir != run_dir:
        config["seed"] = int(run_dir.name.removeprefix(REPLICATE_DIR.format("")))
        config["replicates"] = 1
    return config, overrides


def progress(sweep_dir: Path) -> dict:
    """Runs done out of the sweep's total, failures, elapsed time and an ETA (from ``sweep.json``)."""
    sweep_dir = Path(sweep_dir)
    try:
        meta = json.loads((sweep_dir / SWEEP_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        meta = {}
    started = meta.get("started", float("nan"))
    # every run's status file, without reading the jobs' configs: cheap enough to call per job
    statuses = [read_status(f.parent) or {} for f in sweep_dir.glob(f"**/{STATUS_FILE}")]
    completed = sum(s.get("status") == "completed" for s in statuses)
    failed = sum(s.get("status") == "failed" and s.get("finished", 0) >= started for s in statuses)
    ran_now = sum(s.get("status") in ("completed", "failed") and s.get("finished", 0) >= started for s in statuses)
    total = meta.get("total")
    elapsed = time.time() - started
    remaining = max(total - completed - failed, 0) if total else None
    eta = elapsed / ran_now * remaining if ran_now and remaining is not None else float("nan")
    return {"total": total, "completed": completed, "failed": failed, "elapsed": elapsed, "eta": eta}


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def format_progress(p: dict) -> str:
    done = p["completed"] + p["failed"]
    return (
        f"[sweep] {done}/{p['total'] or '?'} runs done ({p['failed']} failed)  "
        f"elapsed {_clock(p['elapsed'])}  ETA {_clock(p['eta'])}"
    )


def expand_jobs(hydra_cfg: DictConfig) -> list[list[str]]:
    """The override list of every job the sweeper will launch: sweeper params plus command-line
    overrides (each crossed with every row of the design with ``hydra/sweeper=design``)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from hydra_plugins.sim_design_sweeper.design_sweeper import read_design

    params = [f"{k}={v}" for k, v in (hydra_cfg.sweeper.get("params") or {}).items()]
    overrides = OverridesParser.create().parse_overrides(params + list(hydra_cfg.overrides.task))
    jobs = [list(job) for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]
    design = hydra_cfg.sweeper.get("design")  # hydra/sweeper=design: every row of the design
    return [[*row, *job] for row in read_design(design) for job in jobs] if design else jobs


def count_jobs(hydra_cfg: DictConfig) -> int:
    """Number of jobs the sweeper will launch (:func:`expand_jobs`)."""
    return len(expand_jobs(hydra_cfg))


def _refuse(message: str) -> None:
    """Stop before any run: the message on stderr, exit status 2 (as for a configuration error).
    (Hydra turns a callback's exceptions into warnings, but not SystemExit.)"""
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)


def read_sweep_record(sweep_dir: Path) -> dict | None:
    try:
        record = json.loads((Path(sweep_dir) / SWEEP_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def final_tally(sweep_dir: Path, total: int | None) -> tuple[dict, list[tuple[str, str]]]:
    """At the end of a sweep: its progress counts, every run that is not complete counted as
    failed (also one whose failure could not be recorded, e.g. on a full disk), and
    ``(run, why)`` for each of those."""
    sweep_dir = Path(sweep_dir)
    code_hash = code_identity()["source_sha256"]
    problems = []
    runs = run_dirs(sweep_dir)
    for run_dir in runs:
        problem = completion_problem(run_dir, code_hash=code_hash)
        if problem is not None:
            status = read_status(run_dir) or {}
            problems.append((str(run_dir.relative_to(sweep_dir)), status.get("error") or problem))
    found = len(runs)
    total = max(total or 0, found)
    p = progress(sweep_dir)
    p.update(total=total, completed=found - len(problems), failed=total - (found - len(problems)), eta=0.0)
    never = total - found
    if never:
        problems.append((f"{never} run(s)", "never started (no run directory)"))
    return p, problems


class SweepCallback(Callback):
    """At the start: refuses a sweep into another sweep's directory, writes ``sweep.json`` (the
    sweep's definition, total runs, start time); at the end: reports what failed."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        jobs = expand_jobs(config.hydra)
        replicates = int(config.get("replicates", 1))
        self.total = len(jobs) * replicates
        definition = rundirs.definition_hash({**rundirs.sweep_definition(config.hydra, jobs), "replicates": replicates})
        try:
            rundirs.check_sweep_dir(sweep_dir, definition, read_sweep_record(sweep_dir), bool(job_dirs(sweep_dir)))
        except rundirs.DirectoryInUse as err:
            _refuse(f"[sweep] refused: {err}")
        orphans.mark_main_process()  # the workers it starts end if it dies
        record = {
            "total": self.total,
            "started": time.time(),
            "overrides": list(config.hydra.overrides.task),
            "definition": definition,
        }
        try:
            write_json(sweep_dir / SWEEP_FILE, record)
        except OSError as err:
            print(f"[sweep] warning: could not write {sweep_dir / SWEEP_FILE}: {err}", file=sys.stderr, flush=True)
        print(f"[sweep] {self.total} runs into {sweep_dir} (complete runs are skipped)", file=sys.stderr, flush=True)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        p, problems = final_tally(sweep_dir, getattr(self, "total", None))
        print(format_progress(p), file=sys.stderr, flush=True)
        if problems:  # Hydra turns a callback's exceptions into warnings: exit explicitly
            examples = "; ".join(f"{name}: {why}" for name, why in problems[:3])
            free = shutil.disk_usage(sweep_dir).free if sweep_dir.exists() else None
            disk = f" (only {free / 2**20:.0f} MB free on its disk)" if free is not None and free < 2**28 else ""
            raise SystemExit(
                f"[sweep] {p['failed']} run(s) failed{disk}, e.g. {examples}; errors in <run>/status.json, "
                f"table: python -m sim.runs.collect {sweep_dir}; rerun the same command to redo them"
            )


class RunDirGuard(Callback):
    """A single run (``python -m sim``) refuses a directory holding another run's results."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        try:
            rundirs.check_run_dir(Path(config.hydra.run.dir), config)
        except rundirs.DirectoryInUse as err:
            _refuse(f"refused: {err}")


#: A job prints the sweep's progress at most this often (each print reads every run's status).
PROGRESS_EVERY_S = 5.0
_last_progress = -float("inf")


def job(cfg: DictConfig) -> dict:
    """One run of a (multi)run, resumable and failure-recording (see the module docstring).

    ``python -m sim`` delegates its multiruns (and batches of seeds) here.
    In a sweep it never raises: a failure is recorded and reported at the end (an exception
    would reach the launcher and end the whole sweep with its traceback).
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    if hc.mode == RunMode.MULTIRUN:
        orphans.exit_with_main_process()
        # a log line that cannot be written (a full disk) is dropped, not printed as a traceback:
        # the run's failure is recorded and reported at the end of the sweep
        logging.raiseExceptions = False
        try:
            record = run_job(cfg, out)
        except Exception as err:
            record = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        global _last_progress
        if time.monotonic() - _last_progress >= PROGRESS_EVERY_S or record["status"] == "failed":
            _last_progress = time.monotonic()
            error = f": {record['error']}" if record["status"] == "failed" else ""
            line = format_progress(progress(Path(hc.sweep.dir)))
            print(f"{line}  [{record['status']}: {out.name}{error}]", flush=True)
        return record
    record = run_job(cfg, out)
    if record["status"] == "failed" and "runs" in record:
        raise SystemExit(f"{record['runs']} runs in {out}, some failed: {record['error']} (see seed=*/status.json)")
    elif record["status"] == "failed":
        raise SystemExit(f"run failed: {record['error']}")
    else:
        print(f"results: {out}")
    return record


# --------------------------------------------------------------------------------------
# Launching a sweep from Python (experiments/*.py, tests)
# --------------------------------------------------------------------------------------
def experiment_override(name: str) -> str:
    """The override selecting an experiment preset (``configs/experiment/NAME.yaml``)."""
    return f"experiment={name}"


def preset_sweep_dir(experiment: str, overrides: Sequence[str] = ()) -> Path:
    """The directory a preset's sweep uses by default for these overrides (the presets' own
    ``outputs/sweeps/<experiment>/${sim.sweep_label:}``): one folder per set of task overrides,
    so a sweep with other overrides never lands among these runs, and the same command resumes."""
    tasks = rundirs.command_line_task_overrides(["-m", experiment_override(experiment), *overrides])
    return REPO_ROOT / "outputs" / "sweeps" / experiment / rundirs.sweep_label(tasks)


def launch(
    experiment: str, overrides: list[str] = (), sweep_dir: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run ``python -m sim -m <experiment> <overrides>`` (resumable) from the repository root,
    into ``sweep_dir`` (default: :func:`preset_sweep_dir`). The presets sweep policy arms over
    seeds: each seed's burn-in is stepped once and loaded by the other arms
    (``burn_in_cache=<sweep_dir>/burn_in``, ``sim.engine.snapshot``: the same numbers)."""
    args = [sys.executable, "-m", "sim", "-m", experiment_override(experiment), *overrides]
    if sweep_dir is not None:
        args.append(f"hydra.sweep.dir={Path(sweep_dir).resolve()}")
        if not any(str(o).startswith("burn_in_cache=") for o in overrides):
            args.append(f"burn_in_cache={Path(sweep_dir).resolve() / 'burn_in'}")
    print("$", " ".join(args[1:]), flush=True)
    return subprocess.run(args, cwd=REPO_ROOT, check=check)


def in_range(kind: type, low: float, high: float | None = None, also: tuple = ()):
    """An argparse type for the analysis scripts' options: a ``kind`` (int or float) in
    ``[low, high]`` (or one of ``also``); otherwise argparse exits naming the option and the range."""
    import argparse

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value in also or (value >= low and (high is None or value <= high)):
            return value
        allowed = f"[{low}, {'inf' if high is None else high}]" + "".join(f" or {a}" for a in also)
        raise argparse.ArgumentTypeError(f"{value} is out of range: allowed {allowed}")

    return convert


def check_run_overrides(parser, overrides: Sequence[str]) -> None:
    """Compose the configuration the script's runs will use, so that a bad scale, length or value
    stops it with the config's own message (key and allowed range) before any run."""
    from sim.config import ConfigError
    from sim.runs.api import compose

    try:
        compose(list(overrides))
    except ConfigError as error:
        parser.error(str(error).split("Config search path")[0].strip())


def add_launcher_arguments(parser) -> None:
    """The launcher options of the analysis scripts (calibration, sensitivity): local processes,
    or any Hydra launcher given as overrides."""
    parser.add_argument(
        "--jobs", type=in_range(int, 1, also=(-1,)), default=-1, help="local processes (joblib launcher; -1: all cores)"
    )
    parser.add_argument(
        "launcher",
        nargs="*",
        help="Hydra launcher overrides instead of local processes: hydra/launcher=slurm hydra.launcher.partition=p",
    )


def launcher_overrides(args) -> list[str]:
    return args.launcher or ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.jobs}"]
