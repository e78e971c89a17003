"""The package's structure: policies are self-contained units, no import cycles, any order of policies.

- A policy's name appears in ``sim/``, ``benchmarks/`` and ``configs/experiment/`` only in its own
  module, the registry (``sim/policies/__init__.py``) and its generated YAML: everything else
  derives from the registry.
- The import graph of ``sim/`` has no cycle, counting imports inside functions and the lazy
  re-exports of the packages' ``__init__``.
- ``policies=[a,b]`` and ``policies=[b,a]`` run identically (the levers of every pair are
  compared in tests/test_policies.py; here one whole run through the command line).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import networkx as nx
from conftest import run_cli

from sim.engine.schedule import day_schedule
from sim.engine.streams import Streams
from sim.mechanisms.base import Mechanism
from sim.mechanisms.disputes import FAIRNESS
from sim.policies import POLICY_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCOPE = [ROOT / "sim", ROOT / "benchmarks", ROOT / "configs" / "experiment"]


def _files():
    for folder in SCOPE:
        yield from (p for p in folder.rglob("*") if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts)


def test_policy_names_appear_only_in_their_own_module_the_registry_and_their_yaml():
    from sim.config.compose import compose

    generic_words = set(day_schedule(compose(["scale=tiny"]), Streams(0))) | set(FAIRNESS) | {"mediation"}
    found = []
    for name in POLICY_NAMES:
        own = {ROOT / "sim" / "policies" / f"{name}.py", ROOT / "sim" / "policies" / "__init__.py"}
        patterns = [rf"policies\.{name}\b", rf"policies=\[[^\]\n]*\b{name}\b", rf"\[{name}\b"]
        if "_" in name:  # a compound identifier is never an ordinary word
            patterns.append(rf"\b{name}\b")
        elif name not in generic_words:
            patterns.append(rf"[\"']{name}[\"']")
        for path in _files():
            if path in own:
                continue
            text = path.read_text()
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    line = text[: match.start()].count("\n") + 1
                    found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not found, "policy names outside their own files:\n" + "\n".join(sorted(set(found)))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> nx.DiGraph:
    """Edges module -> module it imports (at any depth of the file), within ``sim``."""
    modules = {_module_name(p): p for p in (ROOT / "sim").rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                targets += [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
                ]
            elif isinstance(node, ast.Dict) and name in ("sim", "sim.config"):  # lazy re-exports (PEP 562)
                targets += [v.value for v in node.values if isinstance(v, ast.Constant) and str(v.value) in modules]
        for target in targets:
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def test_no_import_cycle_inside_sim():
    graph = import_graph()
    assert graph.number_of_edges() > 50  # the parser sees the imports
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_mechanisms_never_import_the_model_agents_or_policies_registry():
    """A mechanism receives the world; it never reaches the Mesa model, the agent views or the
    policies themselves (only the levers)."""
    graph = import_graph()
    forbidden = {"sim.engine.model", "sim.engine.agents", "sim.policies", "sim.engine.schedule"}
    for module in (m for m in graph if m.startswith("sim.mechanisms")):
        assert not (set(nx.descendants(graph, module)) & forbidden - {"sim.policies"}), module
        assert "sim.policies" not in graph.successors(module), module


def test_every_step_of_the_day_is_a_mechanism():
    from sim.config.compose import compose

    schedule = day_schedule(compose(["scale=tiny"]), Streams(0))
    assert all(isinstance(m, Mechanism) for m in schedule.values())
    assert list(schedule) == [
        "economy",
        "illness",
        "care",
        "workforce",
        "trust",
        "disputes",
        "mediation",
        "violence",
        "media",
        "accounting",
    ]


def test_the_order_of_policies_does_not_matter_for_a_run(tmp_path):
    summaries = []
    for order in ("[insurance,tiered_care]", "[tiered_care,insurance]"):
        out = tmp_path / order.strip("[]").replace(",", "_")
        proc = run_cli("scale=tiny", "days=60", f"policies={order}", f"hydra.run.dir={out}")
        assert proc.returncode == 0, proc.stderr[-2000:]
        summary = json.loads((out / "summary.json").read_text())
        summary.pop("wall_seconds")
        summaries.append(summary)
    assert summaries[0] == summaries[1]
