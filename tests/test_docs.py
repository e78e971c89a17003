"""The generated parameter table is current, and the docs name every policy and summary key."""

from __future__ import annotations

from pathlib import Path

from sim.config import POLICY_NAMES
from sim.docs import markdown

ROOT = Path(__file__).resolve().parent.parent


def test_parameter_table_is_current():
    assert (ROOT / "docs" / "parameters.md").read_text() == markdown(), (
        "docs/parameters.md is stale: run `python -m sim.docs > docs/parameters.md`"
    )


def test_odd_describes_every_policy():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    missing = [name for name in POLICY_NAMES if f"`{name}`" not in odd]
    assert not missing, f"docs/ODD.md does not describe {missing}"
