"""The primitives of the configuration schema: a field with its range, meaning and source.

Every numeric value the model reads is declared with :func:`param` (or :func:`unit` for a
probability or a share), which records its allowed closed range, what it means and where the
value comes from in the field's metadata. Validation (``sim.config.schema.validate``), the
parameter tables of docs/parameters.md and the generated policy YAML files all read this one
place. This module imports nothing from the package, so every layer can use it.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong kind or out of its allowed range."""


def param(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    doc: str = "",
    source: str = "assumption",
    null: float | None = None,
) -> Any:
    """A config field with an allowed closed range ``[lo, hi]``, a meaning and a source.

    ``null`` (policy intensities only): the value at which the intensity does nothing; a
    policy's dose scales every intensity that has one between it and its default
    (``sim.policies.base.Policy.at_dose``). ``None``: a qualifier that acts only through the
    others (e.g. how impartial mediators are, when nobody goes to mediation)."""
    return field(default=default, metadata={"range": (lo, hi), "doc": doc, "source": source, "null": null})


UNIT = (0.0, 1.0)


def unit(default: float, doc: str = "", source: str = "assumption", null: float | None = None) -> Any:
    """A probability or a share: allowed range [0, 1]."""
    return param(default, *UNIT, doc=doc, source=source, null=null)


def allowed_range(f) -> str:
    """The field's range as the error messages and docs write it, e.g. ``[0.0, 1.0]``."""
    lo, hi = f.metadata.get("range", (None, None))
    return f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
