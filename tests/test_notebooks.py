"""The students' notebooks (``notebooks/*.ipynb``) run top to bottom, at a small setting.

Each notebook starts with a parameters cell (tagged ``parameters``, so papermill can inject
values too) holding the laptop setting; its ``nbmake.mock`` metadata holds the small setting
the tests use: nbmake assigns those values right after the cell runs. The notebooks are
executed here with nbmake's own runner, one test each (so ``pytest -n 2`` spreads them), and
``pytest --nbmake notebooks/`` runs them the same way.

Notebooks are stored without outputs: outputs in git bloat diffs and go stale when the model
changes.

They need the base install and the ``dev`` extra only, not the page's ``app`` extra (solara):
checked here from their imports, with the page's packages blocked, and in CI by running them in
a clean virtualenv made with ``pip install -e '.[dev]'`` (``scripts/notebooks_without_app.sh``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbmake.nb_run import NotebookRun

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = (
    "01_quickstart",
    "02_trust_on_the_network",
    "03_policy_comparison",
    "04_what_drives_violence",
    "05_history",
    "06_costs",
)
#: Per-cell limit (seconds) at the small setting: a hung kernel fails instead of stalling the suite.
CELL_TIMEOUT = 300


def test_the_notebooks_exist():
    assert tuple(p.stem for p in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_starts_with_a_parameters_cell_and_a_small_setting(path):
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])
    mock = first.metadata.get("nbmake", {}).get("mock", {})
    assert mock, "the parameters cell needs nbmake.mock values for the test setting"
    for name in mock:
        assert f"{name} = " in first.source, f"mocked {name} is not a parameter of the cell"
    json.dumps(mock)  # plain values only


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
    result = NotebookRun(path, default_timeout=CELL_TIMEOUT, kernel="python3").execute()
    assert result.error is None, f"{path.name}, cell {result.error.failing_cell_index}:\n{result.error.trace}"


#: What the ``app`` extra brings (and the page itself): a notebook must need none of it.
APP_ONLY = ("solara", "reacton", "ipyvuetify", "ipyvue", "altair", "mesa.visualization", "sim.app")


def notebook_imports(path: Path) -> set[str]:
    """Modules a notebook's code cells import (``import a.b``, ``from a.b import c``)."""
    found = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    return found


def _app_only(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in APP_ONLY)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_nothing_of_the_page(path):
    assert not [m for m in notebook_imports(path) if _app_only(m)]


def test_what_the_notebooks_import_loads_without_the_app_extra():
    """Every module the notebooks import, imported in a fresh interpreter in which the app extra's
    packages and the page cannot be imported: nothing they use pulls in solara."""
    modules = sorted(set().union(*(notebook_imports(p) for p in NOTEBOOKS)))
    assert "sim" in modules or any(m.startswith("sim.") for m in modules)
    blocker = f"""
import importlib, importlib.abc, sys
BLOCKED = {APP_ONLY!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"{{name}} belongs to the app extra")
sys.meta_path.insert(0, Block())
for name in {modules!r}:
    importlib.import_module(name)
import sim
for name in sim.__all__:  # the lazy public API (from sim import TrustModel, run, ...)
    getattr(sim, name)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
