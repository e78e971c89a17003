"""Running the model from Python: the same configs and override strings as the command line.

>>> from sim.runs.api import compose, run
>>> cfg = compose(["scale=tiny", "days=30", "seed=3"])
>>> result = run(cfg)
>>> result.summary["disputes_per_hospital_year"], result.timeseries.tail()

The summary ends with the run's provenance (``sim.runs.provenance.summary_provenance``: code version,
git commit and uncommitted changes, source hash, package versions, config hash).

:func:`run` validates the config it is given (it may have been changed since it was composed)
and refuses a population that does not fit in memory (``sim.runs.resources``); configuration errors
are :class:`~sim.config.fields.ConfigError` naming the key (``sim.config.compose``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from sim.config.compose import compose, compose_dict, composition_error, to_sim_config
from sim.config.fields import ConfigError
from sim.config.schema import SimConfig, validate
from sim.paths import CONFIG_DIR

__all__ = [
    "CONFIG_DIR",
    "ConfigError",
    "RunResult",
    "compose",
    "compose_dict",
    "composition_error",
    "run",
    "to_sim_config",
]


@dataclass
class RunResult:
    summary: dict
    timeseries: pd.DataFrame
    model: object


def run(config: SimConfig | list[str] | tuple[str, ...] = ()) -> RunResult:
    """Build and run the model for ``config.days`` days; return summary, daily frame and model.

    A :class:`SimConfig` is validated again (it may have been changed since it was composed), and
    a population whose estimated memory exceeds this machine's is refused before anything is
    built; both raise :class:`ConfigError` naming the key."""
    from sim.engine.metrics import summarise
    from sim.engine.model import TrustModel
    from sim.runs.provenance import summary_provenance
    from sim.runs.resources import check_memory

    if isinstance(config, SimConfig):
        validate(config)
    else:
        config = compose(config)
    check_memory(config)
    started = time.perf_counter()
    model = TrustModel(config).run()
    wall = time.perf_counter() - started
    # which code, packages and config produced it (sim.runs.provenance): sim.runs.reproduce checks it
    summary = {**summarise(model, wall), **summary_provenance(config)}
    return RunResult(summary=summary, timeseries=model.timeseries(), model=model)
