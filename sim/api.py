"""Running the model from Python: the same configs and override strings as the command line.

>>> from sim.api import compose, run
>>> cfg = compose(["scale=tiny", "days=30", "seed=3"])
>>> result = run(cfg)
>>> result.summary["disputes_per_hospital_year"], result.timeseries.tail()
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from sim.config.compose import compose, to_sim_config
from sim.config.schema import SimConfig
from sim.paths import CONFIG_DIR

__all__ = ["CONFIG_DIR", "RunResult", "compose", "run", "to_sim_config"]


@dataclass
class RunResult:
    summary: dict
    timeseries: pd.DataFrame
    model: object


def run(config: SimConfig | list[str] | tuple[str, ...] = ()) -> RunResult:
    """Build and run the model for ``config.days`` days; return summary, daily frame and model."""
    from sim.engine.metrics import summarise
    from sim.engine.model import TrustModel

    if not isinstance(config, SimConfig):
        config = compose(config)
    started = time.perf_counter()
    model = TrustModel(config).run()
    wall = time.perf_counter() - started
    return RunResult(summary=summarise(model, wall), timeseries=model.timeseries(), model=model)
