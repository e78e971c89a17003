"""Rerun a recorded run from its recorded config and check that it gives the same results.

    python -m sim.runs.reproduce RUN_DIR                 # a run of python -m sim, or one run of a sweep
    python -m sim.runs.reproduce SWEEP_DIR --sample 5    # 5 completed runs of a sweep, drawn at random
    python -m sim.runs.reproduce SWEEP_DIR               # every completed run of the sweep

A run directory holds Hydra's record of the config that produced it (``.hydra/config.yaml``; a
seed of a ``replicates`` batch, ``seed=<s>/``, takes its job's with its own seed), its
``summary.json`` and its ``timeseries.parquet``. The run is done again from that record, through
the same entry point (``sim.runs.api.run``), and compared with what is on disk:

- every result in the summary (the provenance keys apart, ``sim.runs.provenance.PROVENANCE_KEYS``,
  and the wall time), exactly by default (the same code, packages and platform give the same
  numbers bit for bit; ``--rtol`` allows a relative tolerance, e.g. across platforms);
- every column of the daily series (``timeseries.parquet``), when there is one;
- the config: a summary records the hash of the config that produced it (``config_sha256``). If
  the recorded config now hashes differently under the same code, the record was changed after
  the run (edited by hand, say): a mismatch even if the numbers happen to agree. Under other code
  the hash may differ because the schema changed (a new parameter), so that is reported as a note
  and the numbers decide.

Differences of code (commit, uncommitted changes, source hash) or of package versions between the
recorded run and this one are reported as notes: they explain a mismatch, they are not one.

Exit status: 0 when every checked run matches; 1 when any differs (each differing key is printed
with the recorded and the new value) or cannot be rerun (its recorded config cannot be read or
fails validation: printed too, the other runs are still checked); 2 when there is nothing to
check (not a run directory, nor a sweep directory with a completed run).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.config.compose import to_sim_config
from sim.config.fields import ConfigError
from sim.config.schema import SimConfig
from sim.runs.provenance import KEY_PACKAGES, PROVENANCE_KEYS, package_key

#: Summary keys that are not results: the provenance and how long the run took.
NOT_RESULTS = frozenset({*PROVENANCE_KEYS, "wall_seconds"})
CODE_KEYS = ("source_sha256", "commit", "dirty", "version")
MACHINE_KEYS = ("python_version", *(package_key(name) for name in KEY_PACKAGES))


class NothingToCheck(Exception):
    """The path holds no run that can be rerun (exit status 2)."""


@dataclass
class Check:
    """The outcome for one run: ``differences`` (key -> (recorded, now)) and explanatory ``notes``."""

    run_dir: Path
    differences: dict[str, tuple] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences


# ------------------------------------------------------------------------------------------------
# what to rerun
# ------------------------------------------------------------------------------------------------
def recorded_config(run_dir: Path) -> SimConfig:
    """The validated config a run recorded (``.hydra/config.yaml``; a batched seed's from its job)."""
    from sim.runs.sweep import run_config

    try:
        config, _overrides = run_config(Path(run_dir))
    except (OSError, ValueError) as err:
        raise NothingToCheck(f"{run_dir}: no readable record of its config (.hydra/config.yaml): {err}") from err
    except Exception as err:  # OmegaConf's parse errors of a damaged record
        raise NothingToCheck(f"{run_dir}: its recorded config cannot be read: {err}") from err
    try:
        merged = OmegaConf.merge(OmegaConf.structured(SimConfig), config)
    except Exception as err:  # a key the schema does not know, a value of the wrong type
        raise ConfigError(f"{str(err).strip().splitlines()[0]}") from err
    return to_sim_config(merged)


def runs_to_check(path: Path, sample: int | None = None, seed: int = 0) -> list[Path]:
    """``path`` itself if it holds a run's summary; else the completed runs of the sweep in
    ``path`` (all, or ``sample`` of them drawn with ``random.Random(seed)``, in order)."""
    from sim.runs.sweep import run_dirs

    path = Path(path)
    if (path / "summary.json").is_file():
        return [path]
    if not path.is_dir():
        raise NothingToCheck(f"{path}: no such directory")
    done = [d for d in run_dirs(path) if (d / "summary.json").is_file()]
    if not done:
        raise NothingToCheck(f"{path}: neither a run (no summary.json) nor a sweep with a completed run")
    if sample is not None and sample < len(done):
        done = sorted(random.Random(seed).sample(done, sample))
    return done


# ------------------------------------------------------------------------------------------------
# comparing
# ------------------------------------------------------------------------------------------------
def same_value(recorded, now, rtol: float = 0.0) -> bool:
    if isinstance(recorded, float | int) and isinstance(now, float | int) and not isinstance(recorded, bool):
        if isinstance(recorded, float) and isinstance(now, float) and math.isnan(recorded) and math.isnan(now):
            return True
        return recorded == now if rtol == 0 else math.isclose(recorded, now, rel_tol=rtol, abs_tol=0.0)
    return recorded == now


def compare_summaries(recorded: dict, now: dict, rtol: float = 0.0) -> Check:
    """Differences of results and config hash between two summaries, with notes on code and packages."""
    check = Check(Path())
    for key in sorted((set(recorded) | set(now)) - NOT_RESULTS):
        a, b = recorded.get(key, "<missing>"), now.get(key, "<missing>")
        if not same_value(a, b, rtol):
            check.differences[key] = (a, b)
    same_code = recorded.get("source_sha256") is not None and recorded.get("source_sha256") == now.get("source_sha256")
    if "config_sha256" not in recorded:
        check.notes.append("the summary records no config hash (written by an earlier version)")
    elif recorded["config_sha256"] != now.get("config_sha256"):
        if same_code:
            check.differences["config_sha256"] = (recorded["config_sha256"], now.get("config_sha256"))
            check.notes.append(
                "config_sha256: the recorded config is not the one that produced this summary "
                "(changed after the run, with the same code)"
            )
        else:
            check.notes.append(
                "config_sha256 differs, but so does the code: the schema may have changed (the numbers decide)"
            )
    code = [k for k in CODE_KEYS if k in recorded and recorded.get(k) != now.get(k)]
    if code:
        check.notes.append(
            "other code than the recorded run's: "
            + ", ".join(f"{k} {_short(recorded.get(k))} -> {_short(now.get(k))}" for k in code)
        )
    machine = [k for k in MACHINE_KEYS if k in recorded and recorded.get(k) != now.get(k)]
    if machine:
        check.notes.append(
            "other package versions: " + ", ".join(f"{k} {recorded.get(k)} -> {now.get(k)}" for k in machine)
        )
    return check


def compare_timeseries(recorded: pd.DataFrame, now: pd.DataFrame, rtol: float = 0.0) -> dict[str, tuple]:
    """``timeseries.<column> (first on day d)`` -> (recorded, now) on the first day a column's
    values differ; also a column or rows present in one only."""
    out: dict[str, tuple] = {}
    if len(recorded) != len(now):
        out["timeseries.rows"] = (len(recorded), len(now))
        return out
    for column in sorted(set(recorded.columns) | set(now.columns)):
        if column not in recorded or column not in now:
            out[f"timeseries.{column}"] = ("<missing>" if column not in recorded else "present", "<missing>")
            continue
        a, b = recorded[column].to_numpy(dtype=float), now[column].to_numpy(dtype=float)
        same = np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True) if rtol else (a == b) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            day = recorded["day"].iloc[first] if "day" in recorded else first
            out[f"timeseries.{column} (first on day {day})"] = (float(a[first]), float(b[first]))
    return out


def _short(value) -> str:
    return value[:12] if isinstance(value, str) and len(value) > 12 else repr(value)


def reproduce(run_dir: Path, rtol: float = 0.0) -> Check:
    """Rerun ``run_dir`` from its recorded config and compare (see the module docstring)."""
    from sim.runs.api import run

    run_dir = Path(run_dir)
    try:
        recorded = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as err:
        raise NothingToCheck(f"{run_dir}: summary.json cannot be read: {err}") from err
    config = recorded_config(run_dir)
    result = run(config)
    now = json.loads(json.dumps(result.summary, allow_nan=True))  # the JSON round trip the record went through
    check = compare_summaries(recorded, now, rtol)
    check.run_dir = run_dir
    series = run_dir / "timeseries.parquet"
    if series.is_file():
        check.differences.update(compare_timeseries(pd.read_parquet(series), result.timeseries, rtol))
    else:
        check.notes.append("no timeseries.parquet: the summary alone was compared")
    return check


def format_check(check: Check) -> str:
    head = f"{'match' if check.matches else 'MISMATCH'}: {check.run_dir}"
    lines = [head]
    for key, (recorded, now) in check.differences.items():
        lines.append(f"  {key}: recorded {recorded!r}, now {now!r}")
    lines += [f"  note: {note}" for note in check.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.runs.reproduce",
        description="Rerun a run (or a sample of a sweep's runs) from its recorded config and compare the results.",
    )
    parser.add_argument("path", type=Path, help="a run directory (with summary.json) or a sweep directory")
    parser.add_argument("--sample", type=int, default=None, help="check this many of a sweep's completed runs")
    parser.add_argument("--seed", type=int, default=0, help="which runs --sample draws (default 0)")
    parser.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for numbers (default: exact)")
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be at least 1")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        runs = runs_to_check(args.path, args.sample, args.seed)
    except NothingToCheck as err:
        print(f"cannot reproduce: {err}", file=sys.stderr)
        return 2
    checks = []
    for run_dir in runs:
        try:
            check = reproduce(run_dir, args.rtol)
        except (NothingToCheck, ConfigError) as err:  # this run's record: the others are still checked
            check = Check(run_dir, {"config": ("cannot be rerun", str(err))})
        print(format_check(check), flush=True)
        checks.append(check)
    failed = [c for c in checks if not c.matches]
    how = "exactly" if args.rtol == 0 else f"within a relative tolerance of {args.rtol:g}"
    print(f"{len(checks) - len(failed)} of {len(checks)} run(s) reproduced {how}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
