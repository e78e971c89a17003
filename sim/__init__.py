"""Agent-based simulation of doctor-patient trust, disputes and violence against doctors.

The public API (loaded on first use, so that ``import sim`` stays cheap):

>>> from sim import compose, run, TrustModel, Patient
>>> result = run(compose(["scale=tiny", "days=30"]))
>>> model = TrustModel(compose(["scale=tiny"])).run(days=30)

The package's layers, lowest first: ``sim.config.fields`` (schema primitives),
``sim.policies`` (one module per policy, the registry, levers), ``sim.config`` (the schema
and Hydra composition), ``sim.engine`` (state, streams, world, agents, schedule, model),
``sim.mechanisms`` (the rules of the day), the runs (``sim.runs.api``, sweeps, collection), the
analysis (statistics, plots, calibration, validation, sensitivity) and the page (``sim.app.page``).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "__version__": "sim.version",
    "compose": "sim.config.compose",
    "SimConfig": "sim.config.schema",
    "ConfigError": "sim.config.fields",
    "POLICIES": "sim.policies",
    "run": "sim.runs.api",
    "RunResult": "sim.runs.api",
    "TrustModel": "sim.engine.model",
    "Patient": "sim.engine.agents",
    "Doctor": "sim.engine.agents",
    "Mediator": "sim.engine.agents",
    "MediaOutlet": "sim.engine.agents",
    "Hospital": "sim.engine.agents",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
