"""The project's Hydra sweepers: ``hydra/sweeper=checked`` (the default) and, for experimental
designs, ``hydra/sweeper=design``.

Hydra's basic sweeper composes every job's config in the sweep's own process before launching any
(``validate_batch_is_legal``), ~0.1 s each: the workers wait ~10 s for a sweep of 100 jobs and
minutes for a design of thousands. :class:`CheckedSweeper` composes instead only jobs that together
use every override of the batch once (a number once per key and type: a config composes or not
whatever the number; ranges are checked by each run, ``sim.runs.sweep``; each option of a list of
options once), which catches the same unknown keys, options and types before any job starts.

Hydra's basic sweeper runs the Cartesian product of its swept values. Sampling designs (a
Sobol or Morris sample for sensitivity analysis, the parameter sets of an ABC calibration) are
instead a table: one row per point, one column per config key. This sweeper runs every row of
such a table, crossed with whatever the command line sweeps as usual (seeds, scales), through
the configured launcher, so that a design runs on the local cores (joblib), on SLURM (submitit)
or on Ray exactly like any other sweep, resumably (``sim.runs.sweep``).

    python -m sim -m hydra/sweeper=design hydra.sweeper.design=design.csv 'seed=range(0,3)'

The design is a CSV file whose header names config keys (``params.violence.threshold``) and
whose cells are override values; an empty cell leaves that key at its configured value. Jobs
are numbered row by row (row ``r``, combination ``c`` of the other sweeps: job ``r x C + c``).
"""

# No ``from __future__ import annotations``: OmegaConf reads the schema's annotations at run time,
# while Hydra's plugin scan imports this module. Optional[...] for the same reason (OmegaConf 2.3).
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class CheckedSweeperConf:
    _target_: str = "hydra_plugins.sim_design_sweeper.design_sweeper.CheckedSweeper"
    max_batch_size: Optional[int] = None  # noqa: UP045
    params: Optional[dict[str, str]] = None  # noqa: UP045


@dataclass
class DesignSweeperConf:
    _target_: str = "hydra_plugins.sim_design_sweeper.design_sweeper.DesignSweeper"
    design: Optional[str] = None  # noqa: UP045 -- the CSV file of the design (required)
    max_batch_size: Optional[int] = None  # noqa: UP045
    params: Optional[dict[str, str]] = None  # noqa: UP045


ConfigStore.instance().store(group="hydra/sweeper", name="checked", node=CheckedSweeperConf, provider="sim")
ConfigStore.instance().store(group="hydra/sweeper", name="design", node=DesignSweeperConf, provider="sim")


def _value_kind(value: str) -> str:
    """``<int>`` or ``<float>`` for a number (any number of that type composes alike), else the value."""
    for number in (int, float):
        try:
            number(value)
        except ValueError:
            continue
        return f"<{number.__name__}>"
    return value


def _kinds(override: str) -> set[str]:
    """What an override contributes to composing: ``key=<int>`` or ``key=<float>`` for a number,
    for a list (``policies=[mediation,insurance]``, several options of a config group) each of its
    elements as ``key=[element]`` (an option composes or not whatever the others beside it; an empty
    list is ``key=[]``, a list with a repeated, quoted or nested element is a kind of its own), the
    override itself otherwise. A config group whose options had numbers for names would be checked
    for one of them only: no group in configs/ has."""
    key, sep, value = override.partition("=")
    if value.startswith("[") and value.endswith("]"):
        inner = value[1:-1].strip()
        elements = [e.strip() for e in inner.split(",")] if inner else []
        simple = all(e and not any(c in e for c in "[]{}'\"\\") for e in elements)
        if simple and len(set(elements)) == len(elements):
            return {f"{key}{sep}[{_value_kind(e)}]" for e in elements} or {f"{key}{sep}[]"}
        return {override}
    return {f"{key}{sep}{_value_kind(value)}"} if sep else {override}


def covering_jobs(batch):
    """The jobs of ``batch``, in order, that together use every kind of override (:func:`_kinds`)
    in it at least once."""
    seen, chosen = set(), []
    for job in batch:
        kinds = set().union(*(_kinds(o) for o in job))
        if not kinds <= seen:
            chosen.append(job)
            seen |= kinds
    return chosen


class CheckedSweeper(BasicSweeper):
    """Hydra's basic sweeper (the Cartesian product of the swept values), checking a batch by
    composing only :func:`covering_jobs` (module docstring)."""

    def validate_batch_is_legal(self, batch) -> None:
        super().validate_batch_is_legal(covering_jobs(batch))


def read_design(path) -> list[list[str]]:
    """The override strings of each row of a design CSV (empty cells are left out)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [[f"{key}={value}" for key, value in row.items() if value not in (None, "")] for row in rows]


class DesignSweeper(CheckedSweeper):
    """Every row of ``design`` x the product of the other swept values (as the basic sweeper)."""

    def __init__(self, design=None, max_batch_size=None, params=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        if not design:
            raise ValueError("hydra/sweeper=design needs hydra.sweeper.design=<design CSV file>")
        if not Path(design).is_file():
            raise FileNotFoundError(f"hydra.sweeper.design: no such file {design!r}")
        self.design = design

    def split_arguments(self, overrides, max_batch_size):  # called by BasicSweeper.sweep
        (combinations,) = BasicSweeper.split_arguments(overrides, None)
        jobs = [[*row, *combination] for row in read_design(self.design) for combination in combinations]
        if max_batch_size is None:
            return [jobs]
        return list(BasicSweeper.split_overrides_to_chunks(jobs, max_batch_size))
