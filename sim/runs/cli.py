"""Configuration errors on the command line: one exit status (2), one message style.

Hydra composes the config before any of our code runs, and reports its own errors (an unknown
key, a wrong type, a missing group option) in its words with exit status 1. So
``python -m sim`` (runs and sweeps alike) first composes the command line's config through
``sim.runs.api`` (the same configs and overrides, ~0.1 s), and stop on any
:class:`~sim.config.ConfigError` with

    configuration error: <key>...

on stderr and exit status 2, before Hydra creates a directory or a run starts:

- a single run: the whole config, validated (ranges included), and its memory estimate;
- a sweep (``-m``): every swept value composes (each string value, and one value of each other
  type per key) and the keys exist; range errors are left to each run, which records them as a
  failure without stopping the others (``sim.runs.sweep``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sim.config import ConfigError


def _variants(overrides: list) -> list[list[str]]:
    """Override lists that together try every value of a sweep that can fail to compose: the
    first value of each swept key, then each other value of a key alone (strings all; numbers,
    booleans and lists once per type)."""
    fixed, swept = [], []
    for override in overrides:
        if not override.is_sweep_override():
            fixed.append(override.input_line)
            continue
        try:
            texts = list(override.sweep_string_iterator())
            values = list(override.sweep_iterator())
        except Exception:  # an interval or other non-enumerable sweep: left to the sweeper
            continue
        key = override.get_key_element()
        chosen, types = [], set()
        for text, value in zip(texts, values, strict=True):
            if isinstance(value, str) or type(value) not in types:
                chosen.append(f"{key}={text}")
                types.add(type(value))
        if chosen:
            swept.append(chosen)
    first = fixed + [values[0] for values in swept]
    variants = [first]
    for i, values in enumerate(swept):
        for value in values[1:]:
            variants.append([*first[: len(fixed) + i], value, *first[len(fixed) + i + 1 :]])
    return variants


def precheck(argv: Sequence[str]) -> None:
    """Raise :class:`ConfigError` for the first configuration error of a Hydra command line."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    from sim.config.compose import _reject_unknown_keys, check_overrides, compose, compose_dict
    from sim.config.schema import SimConfig
    from sim.runs.resources import check_memory

    args, _ = get_args_parser().parse_known_args(list(argv))
    if args.help or args.hydra_help or args.info or args.shell_completion or args.config_path or args.config_dir:
        return  # nothing to run, or configs we do not know
    config_name = args.config_name or "config"
    overrides = list(args.overrides or [])
    check_overrides(overrides)
    if not args.multirun:
        check_memory(compose(overrides, config_name=config_name))
        return
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except OverrideParseException as err:
        raise ConfigError(str(err).strip().splitlines()[0]) from err
    parsed = [o for o in parsed if not (o.is_hydra_override() and o.is_sweep_override())]
    for variant in _variants(parsed):
        _reject_unknown_keys(compose_dict(variant, config_name=config_name), SimConfig, "")


def exit_on_config_error(argv: Sequence[str] | None = None) -> None:
    """:func:`precheck` for a command's entry point: print the error and exit with status 2."""
    try:
        precheck(sys.argv[1:] if argv is None else argv)
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        sys.exit(2)
