"""Configuration: the schema every run is validated against, and composing it with Hydra.

- ``sim.config.fields``: ``param`` / ``unit`` (a field with range, meaning and source) and
  ``ConfigError``; imports nothing else, so policies can declare their parameters with it;
- ``sim.config.schema``: ``SimConfig`` (scale, behavioural parameters, the policies of the
  registry ``sim.policies``), its validation and the parameter table;
- ``sim.config.compose``: Hydra composition from override strings (``compose``).

The names below are loaded on first use (PEP 562), so that importing ``sim.config.fields``
does not pull in the schema, which itself imports the policies.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ConfigError": "sim.config.fields",
    "param": "sim.config.fields",
    "unit": "sim.config.fields",
    "SimConfig": "sim.config.schema",
    "ScaleConfig": "sim.config.schema",
    "BehaviourParams": "sim.config.schema",
    "PoliciesConfig": "sim.config.schema",
    "validate": "sim.config.schema",
    "parameter_table": "sim.config.schema",
    "compose": "sim.config.compose",
    "to_sim_config": "sim.config.compose",
    "check_policy_overrides": "sim.config.compose",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.config' has no attribute {name!r}")
