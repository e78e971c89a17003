"""``python -m sim``: run one scenario from the Hydra configs in ``configs/``.

Writes ``summary.json`` and ``timeseries.parquet`` into the run directory (``hydra.run.dir``)
beside Hydra's ``.hydra/`` record of the config, and prints the headline figures.

Any configuration error (unknown key or option, wrong type, value out of range, a population
that does not fit in memory) exits with status 2 and ``configuration error: <key>...`` before
a directory is created (``sim.runs.cli``); a directory holding another run's results is refused
with status 2 too (``sim.runs.sweep.RunDirGuard``).
"""

from __future__ import annotations

import atexit
import gc

# The imports below (Hydra, OmegaConf, Mesa, pandas, scipy) leave some 10^5-10^6 objects that live
# as long as the process. The cyclic garbage collector's full passes would walk them again and
# again while Hydra composes, the model is set up and the results are written; collecting is
# paused while they are made, and they are then frozen (set aside from every later pass, Python's
# gc.freeze). A default-scale year's whole command: 3.69 -> 3.48 s (docs/performance.md).
_collecting = gc.isenabled()
gc.disable()

import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from sim.config import ConfigError  # noqa: E402
from sim.runs.api import CONFIG_DIR, run, to_sim_config  # noqa: E402
from sim.runs.cli import exit_on_config_error  # noqa: E402
from sim.runs.io import write_json, write_parquet  # noqa: E402

gc.freeze()
if _collecting:
    gc.enable()

HEADLINE = (
    "disputes_per_hospital_year",
    "violent_incidents_per_hospital_year",
    "doctors_injured_per_hospital_year",
    "mean_compensation_yuan",
    "max_compensation_yuan",
    "mean_trust",
    "mean_satisfaction",
    "mediation_share",
    "out_of_pocket_share",
    "primary_care_visit_share",
    "wall_seconds",
)


def format_headline(summary: dict) -> str:
    lines = [
        f"policies: {summary['policies'] or ['none (pre-reform baseline)']}  seed: {summary['seed']}  "
        f"days: {summary['days']}  patients: {summary['n_patients']:,}  hospitals: {summary['n_hospitals']}"
    ]
    lines += [f"  {key:<38} {summary[key]:>14,.3f}" for key in HEADLINE]
    return "\n".join(lines)


@hydra.main(version_base=None, config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    # Mesa logs every step at INFO, and Hydra's job logging shows INFO
    logging.getLogger("MESA").setLevel(logging.WARNING)
    if HydraConfig.get().mode == RunMode.MULTIRUN or cfg.get("replicates", 1) > 1:
        # sweeps and batches of seeds: resumable jobs that record failures and progress (sim.runs.sweep)
        from sim.runs.sweep import job

        return job(cfg)
    try:
        result = run(to_sim_config(cfg))
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        sys.exit(2)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        write_parquet(out / "timeseries.parquet", result.timeseries)
        write_json(out / "summary.json", result.summary)
    except OSError as err:  # e.g. a full disk: no traceback, nothing half-written (sim.runs.io)
        print(f"could not write the results into {out}: {err}", file=sys.stderr)
        sys.exit(1)
    print(format_headline(result.summary))
    print(f"results: {out}")
    if __name__ == "__main__":  # the program itself, not a process that imported this module
        atexit.register(leave)


def leave() -> None:
    """At exit after a single run, end the process without Python's teardown: the results are
    written (atomically, closed) and printed, and the logs and output are flushed here. The teardown
    (every module's objects freed one by one: numpy, pandas, scipy, numba, Hydra) took ~0.3 s of each
    command, a tenth of a default-scale year (docs/performance.md). Registered last, it runs before
    the other exit handlers, after anything that ran the module (a profiler) has finished. Sweeps
    (whose launchers may have workers and exit handlers of their own) and failures end the usual way."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    exit_on_config_error(sys.argv[1:])
    main()
