"""Composing a run's configuration with Hydra, from the same override strings as the command line.

>>> from sim.config.compose import compose
>>> cfg = compose(["scale=tiny", "days=30", "seed=3"])
"""

from __future__ import annotations

import dataclasses
import re

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.fields import ConfigError
from sim.config.schema import POLICY_NAMES, SimConfig
from sim.paths import CONFIG_DIR


def check_policy_overrides(overrides) -> None:
    """Reject ``policies=[...]`` naming an unknown policy, listing the allowed names (Hydra itself
    only says it could not load the file). Sweep syntax (``policies=[a],[b,c]``) is covered too."""
    for override in overrides:
        key, _, value = str(override).partition("=")
        if key.lstrip("+~") != "policies":
            continue
        unknown = [name for name in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", value) if name not in POLICY_NAMES]
        if unknown:
            raise ConfigError(f"policies: unknown policy {unknown[0]!r}; allowed: {', '.join(POLICY_NAMES)}")


def _reject_unknown_keys(node: DictConfig, schema: type, prefix: str) -> None:
    """Raise :class:`ConfigError` for keys the dataclass ``schema`` lacks, at any depth."""
    fields = schema.__dataclass_fields__
    extra = sorted(set(node.keys()) - set(fields))
    if extra:
        raise ConfigError(f"unknown key(s) {[prefix + k for k in extra]}: allowed keys are {sorted(fields)}")
    for name, f in fields.items():
        child = node.get(name)
        if isinstance(child, DictConfig) and f.default_factory is not dataclasses.MISSING:
            _reject_unknown_keys(child, type(f.default_factory()), f"{prefix}{name}.")


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Validate a composed Hydra config into a :class:`SimConfig` (ranges checked here)."""
    try:
        _reject_unknown_keys(cfg, SimConfig, "")  # '+key=value' slips past the schema
        config = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as err:
        cause = err.__cause__ if isinstance(err.__cause__, ConfigError) else None
        raise ConfigError(str(cause or err)) from err
    if not isinstance(config, SimConfig):
        raise ConfigError("the composed config does not follow the schema (defaults must start with sim_schema)")
    return config


def compose(overrides: list[str] | tuple[str, ...] = (), config_name: str = "config") -> SimConfig:
    """Compose ``configs/`` with Hydra override strings and validate the result."""
    check_policy_overrides(overrides)
    try:
        if GlobalHydra.instance().is_initialized():
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
        else:
            with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
                cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
    except ConfigError:
        raise
    except Exception as err:  # hydra's composition errors: unknown key, group option, bad type
        reason = f"\n{err.__cause__}" if err.__cause__ is not None else ""  # e.g. what type is allowed
        raise ConfigError(f"{err}{reason}") from err
    return to_sim_config(cfg)
