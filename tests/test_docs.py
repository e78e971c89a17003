"""The generated parameter table is current, and the docs name every policy and summary key."""

from __future__ import annotations

from pathlib import Path

from sim.config.docs import markdown, policy_file, policy_yaml
from sim.policies import POLICY_NAMES

ROOT = Path(__file__).resolve().parent.parent


def test_parameter_table_is_current():
    assert (ROOT / "docs" / "parameters.md").read_text() == markdown(), (
        "docs/parameters.md is stale: run `python -m sim.config.docs parameters > docs/parameters.md`"
    )


def test_odd_describes_every_policy():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    missing = [name for name in POLICY_NAMES if f"`{name}`" not in odd]
    assert not missing, f"docs/ODD.md does not describe {missing}"


def test_each_policy_config_file_shows_its_schema_defaults():
    """configs/policies/<name>.yaml is generated from sim/policies/<name>.py (every intensity at
    its default, with range and meaning); a change to the module without regenerating fails."""
    stale = [name for name in POLICY_NAMES if policy_file(name).read_text() != policy_yaml(name)]
    assert not stale, f"stale policy files {stale}: run `python -m sim.config.docs policy-files --write`"
    extra = {p.stem for p in policy_file(POLICY_NAMES[0]).parent.glob("*.yaml")} - set(POLICY_NAMES)
    assert not extra, f"configs/policies/ has files for policies the registry lacks: {sorted(extra)}"
