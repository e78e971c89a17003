"""Sweep designs over the policies, derived from the registry (``sim.policies``).

Each function returns Hydra override strings that an experiment preset
(``configs/experiment/*.yaml``: seeds, scale, days, sweep directory) is run with, so that no
preset names a policy and a new policy joins every design by being registered:

- :func:`dose_response`: one policy's main intensity over its declared dose levels;
- :func:`interaction`: two policies' main intensities on a grid;
- :func:`reform_path`: a package of policies that all start on one swept day;

and :func:`run_design`, which runs a sampling design (the parameter sets of a calibration or a
sensitivity analysis) through Hydra's design sweeper on any launcher.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.paths import REPO_ROOT
from sim.policies import PACKAGES, POLICIES


def _levels(values: Sequence[float]) -> str:
    return ",".join(f"{v:g}" for v in values)


def main_intensity_key(policy: str) -> str:
    """``policies.<policy>.<main intensity>``."""
    return f"policies.{policy}.{POLICIES[policy].main_intensity}"


def dose_response(policy: str | None, levels: Sequence[float] | None = None) -> list[str]:
    """The overrides of a dose-response sweep of ``policy`` (``None``: the pre-reform runs)."""
    if policy is None:
        return ["policies=[]"]
    levels = POLICIES[policy].dose_levels if levels is None else levels
    return [f"policies=[{policy}]", f"{main_intensity_key(policy)}={_levels(levels)}"]


def interaction(first: str, second: str, levels: int = 4) -> list[str]:
    """Two policies switched on together, each main intensity over ``levels`` of its dose levels
    (the lowest, the highest and evenly spread ones between)."""
    out = [f"policies=[{first},{second}]"]
    for policy in (first, second):
        doses = POLICIES[policy].dose_levels
        picks = sorted({round(i * (len(doses) - 1) / (levels - 1)) for i in range(levels)})
        out.append(f"{main_intensity_key(policy)}={_levels([doses[i] for i in picks])}")
    return out


def reform_path(package: str, start_days: Sequence[int]) -> list[str]:
    """A package of policies (``sim.policies.PACKAGES``) switched on together on each of
    ``start_days``: the first member's start day is swept, the others follow it. A start day
    after the run's last day is the pre-reform baseline (``sim.runs.collect.arm_label``)."""
    lead, *others = PACKAGES[package]
    out = [f"policies=[{','.join(PACKAGES[package])}]", f"policies.{lead}.start_day={_levels(start_days)}"]
    out += [f"policies.{name}.start_day=${{policies.{lead}.start_day}}" for name in others]
    return out


def shares_burn_in(design: pd.DataFrame) -> bool:
    """Whether some rows of a design differ only in their policies (``policies`` and
    ``policies.*`` columns), so that they share each seed's burn-in."""
    others = [c for c in design.columns if c != "policies" and not str(c).startswith("policies.")]
    if len(design) < 2 or len(others) == len(design.columns):
        return False
    return bool(design[others].astype(str).duplicated().any()) if others else True


def run_design(
    design: pd.DataFrame,
    seeds: range,
    overrides: Sequence[str] = (),
    sweep_dir: Path | None = None,
    launcher: Sequence[str] = ("hydra/launcher=joblib",),
) -> pd.DataFrame:
    """Run every row of ``design`` (columns: config keys, values: override values; a missing value
    leaves the key at its configured value) over ``seeds``, through Hydra's design sweeper
    (``hydra/sweeper=design``) and the given launcher overrides (local cores by default; e.g.
    ``["hydra/launcher=slurm", "hydra.launcher.partition=compute"]`` on a cluster). Returns the
    collected results (``sim.runs.collect``), one row per run, with ``point``: the design row.

    Resumable like any sweep: run again into the same ``sweep_dir``, complete runs are skipped.
    Each job runs all seeds of one row (``replicates``), so that short runs are not dominated by
    the launcher's per-job overhead. Where rows differ only in their policies (the arms of a
    comparison), each seed's burn-in is stepped once and loaded by the other arms
    (``burn_in_cache=<sweep_dir>/burn_in``, ``sim.engine.snapshot``: the same numbers). Raises
    if a run failed, naming its error (the whole table: ``python -m sim.runs.collect <sweep_dir>``).
    """
    import tempfile

    from sim.runs.io import write_csv

    if len(seeds) == 0 or (len(seeds) > 1 and seeds.step != 1):
        raise ValueError(f"seeds must be a non-empty range of consecutive seeds, got {seeds!r}")
    sweep_dir = Path(sweep_dir or tempfile.mkdtemp(prefix="design-")).resolve()
    table = design.reset_index(drop=True).astype(object)
    table = table.where(table.notna(), "")
    # the design names the rows; the seeds of a row are its job's batch
    table = table.assign(seed=seeds.start) if table.shape[1] else pd.DataFrame({"seed": [seeds.start] * len(table)})
    # named by its content: a sweep of another design into this directory is refused (sim.runs.rundirs)
    # without overwriting the design of the runs already there
    digest = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()[:12]
    design_file = write_csv(sweep_dir / f"design-{digest}.csv", table)
    args = [sys.executable, "-m", "sim", "-m", "hydra/sweeper=design", f"hydra.sweeper.design={design_file}"]
    args += [f"hydra.sweep.dir={sweep_dir}", "hydra.sweep.subdir=${hydra.job.num}", *launcher, *overrides]
    if shares_burn_in(design) and not any(o.startswith("burn_in_cache=") for o in overrides):
        args.append(f"burn_in_cache={sweep_dir / 'burn_in'}")
    args.append(f"replicates={len(seeds)}")
    done = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True)
    return design_results(table, seeds, sweep_dir, done.returncode, done.stderr)


def design_results(
    design: pd.DataFrame, seeds: range, sweep_dir: Path, returncode: int = 0, stderr: str = "", partial: bool = False
) -> pd.DataFrame:
    """The collected runs of a design sweep in ``sweep_dir`` (one row per run, ``point``: the
    design's row, sorted by point and seed). Raises if a run is not complete (naming its error) or
    runs are missing. :func:`run_design` calls it after its sweep; called alone it reads the runs
    already on disk (whichever code made them: each run's ``code`` column says which).
    ``partial``: the complete runs of an unfinished sweep instead (no error; each job of
    :func:`run_design` is one row of the design, so its number is the row)."""
    from sim.runs.collect import collect

    try:
        results, _, _ = collect(sweep_dir, write=False, series=False)
    except FileNotFoundError:
        raise RuntimeError(f"design sweep {sweep_dir} ran nothing:\n{stderr[-3000:]}") from None
    if partial:
        done = results[results["status"] == "completed"]
        return done.assign(point=done["run_id"].str.split("/").str[0].astype(int)).sort_values(["point", "seed"])
    failed = results[results["status"] != "completed"]
    if returncode != 0 or len(failed) or len(results) != len(design) * len(seeds):
        detail = failed["error"].dropna().head(3).tolist() or stderr[-3000:]
        raise RuntimeError(f"design sweep {sweep_dir}: {len(failed)} of {len(results)} runs not complete: {detail}")
    # job numbers follow the design's rows (hydra_plugins/sim_design_sweeper)
    job = results["run_id"].str.split("/").str[0].astype(int)
    return results.assign(point=job // (len(results) // (len(design) * len(seeds)))).sort_values(["point", "seed"])
