"""Composing a run's configuration with Hydra, from the same override strings as the command line.

>>> from sim.config.compose import compose
>>> cfg = compose(["scale=tiny", "days=30", "seed=3"])

Every configuration error is a :class:`~sim.config.fields.ConfigError` whose message starts with
the key (``days: Value 'abc' ... could not be converted to Integer``,
``params.violence.threshold=1.5 is out of range: allowed [0.0, 1.0]``): Hydra's composition errors
are reworded to that style here, and the command line prints them as
``configuration error: <message>`` with exit status 2 (``sim.runs.cli``).
"""

from __future__ import annotations

import dataclasses
import re
import typing

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.fields import ConfigError
from sim.config.schema import POLICY_NAMES, SimConfig
from sim.paths import CONFIG_DIR
from sim.runs.rundirs import register_resolvers

register_resolvers()  # ${sim.uid:} and friends in configs/hydra and the experiment presets


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
        raise ConfigError(f"{prefix}{extra[0]}: unknown key; allowed keys here: {', '.join(sorted(fields))}")
    for name, f in fields.items():
        child = node.get(name)
        if isinstance(child, DictConfig) and f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
            if dataclasses.is_dataclass(default):  # (a free mapping, e.g. a policy's schedules, is checked later)
                _reject_unknown_keys(child, type(default), f"{prefix}{name}.")


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Validate a composed Hydra config into a :class:`SimConfig` (ranges checked here)."""
    try:
        _reject_unknown_keys(cfg, SimConfig, "")  # '+key=value' slips past the schema
        config = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as err:
        if isinstance(err.__cause__, ConfigError):
            raise ConfigError(str(err.__cause__)) from err
        raise composition_error(err) from err
    if not isinstance(config, SimConfig):
        raise ConfigError("the composed config does not follow the schema (defaults must start with sim_schema)")
    return config


def _first_line(text: object) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def composition_error(err: Exception) -> ConfigError:
    """Hydra's and OmegaConf's composition errors as a :class:`ConfigError` starting with the key."""
    from hydra.errors import MissingConfigException, OverrideParseException

    cause = err.__cause__ if isinstance(err.__cause__, OmegaConfBaseException) else err
    key = getattr(cause, "full_key", None)
    if isinstance(err, MissingConfigException) or "Could not find" in str(err) or "Could not load" in str(err):
        found = re.search(r"Could not (?:find|load) '([^']+)'", str(err))
        group, _, option = (found.group(1) if found else "?").rpartition("/")
        options = re.findall(r"^\t(\S+)$", str(err), flags=re.MULTILINE)
        available = f"; available: {', '.join(options)}" if options else ""
        return ConfigError(f"{group}={option}: no such option{available}")
    if isinstance(err, OverrideParseException):
        return ConfigError(f"{_first_line(err)} (override syntax: key=value)")
    if key:
        message = getattr(cause, "msg", None) or _first_line(cause)
        if "not in" in message:  # OmegaConf's 'Key 'foo' not in 'SimConfig''
            return ConfigError(f"{key}: unknown key ({_first_line(message)}); see python -m sim --cfg job")
        return ConfigError(f"{key}: {_first_line(message)}")
    return ConfigError(f"{_first_line(err)}{f': {_first_line(err.__cause__)}' if err.__cause__ else ''}")


def _schema_type(key: str) -> str | None:
    """The declared type of a dotted config key (``'bool'``, ``'int'``...), ``None`` if not a leaf."""
    schema: type = SimConfig
    *parents, leaf = key.split(".")
    for name in parents:
        hints = typing.get_type_hints(schema)
        if name not in hints or not dataclasses.is_dataclass(hints[name]):
            return None
        schema = hints[name]
    field = getattr(schema, "__dataclass_fields__", {}).get(leaf)
    return field.type if field is not None and isinstance(field.type, str) else None


def check_overrides(overrides) -> None:
    """Checks of the override strings themselves, for what composition cannot see afterwards:
    unknown policies (named, with the allowed list), ``scale.name`` (the preset's name: setting
    it would relabel the run), and booleans given as anything but ``true``/``false`` (OmegaConf
    would take ``record_episodes=5`` as true). Sweep syntax (``a,b``) is checked value by value."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    overrides = [str(o) for o in overrides]
    check_policy_overrides(overrides)
    parser = OverridesParser.create()
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except OverrideParseException as err:
            raise ConfigError(f"{_first_line(err)} (override syntax: key=value)") from err
        key = override.key_or_group
        if override.is_hydra_override() or override.is_delete():
            continue
        if key == "scale.name":
            raise ConfigError(
                "scale.name: is the name of the scale preset and cannot be set (it would relabel the run); "
                "choose a preset with scale=tiny|small|default|large and override its values, e.g. scale.n_patients"
            )
        if _schema_type(key) == "bool":
            values = list(override.sweep_iterator()) if override.is_sweep_override() else [override.value()]
            for value in values:
                if not isinstance(value, bool):
                    raise ConfigError(f"{key}={value!r} is not a boolean: allowed true or false")


def compose_dict(
    overrides: list[str] | tuple[str, ...] = (), config_name: str = "config", return_hydra_config: bool = False
) -> DictConfig:
    """Compose ``configs/`` with Hydra override strings, unvalidated (composition errors, e.g. an
    unknown key or group option or a wrong type, raise :class:`ConfigError`)."""
    check_overrides(overrides)
    kwargs = {"config_name": config_name, "overrides": list(overrides), "return_hydra_config": return_hydra_config}
    try:
        if GlobalHydra.instance().is_initialized():
            return hydra_compose(**kwargs)
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            return hydra_compose(**kwargs)
    except ConfigError:
        raise
    except Exception as err:  # hydra's composition errors: unknown key, group option, bad type
        raise composition_error(err) from err


def compose(overrides: list[str] | tuple[str, ...] = (), config_name: str = "config") -> SimConfig:
    """Compose ``configs/`` with Hydra override strings and validate the result."""
    return to_sim_config(compose_dict(overrides, config_name))
