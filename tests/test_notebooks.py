"""The students' notebooks (``notebooks/*.ipynb``) run top to bottom, at a small setting.

Each notebook starts with a parameters cell (tagged ``parameters``, so papermill can inject
values too) holding the laptop setting; its ``nbmake.mock`` metadata holds the small setting
the tests use: nbmake assigns those values right after the cell runs. The notebooks are
executed here with nbmake's own runner, one test each (so ``pytest -n 2`` spreads them), and
``pytest --nbmake notebooks/`` runs them the same way.

Notebooks are stored without outputs: outputs in git bloat diffs and go stale when the model
changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbmake.nb_run import NotebookRun

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ("01_quickstart", "02_trust_on_the_network", "03_policy_comparison", "04_what_drives_violence")
#: Per-cell limit (seconds) at the small setting: a hung kernel fails instead of stalling the suite.
CELL_TIMEOUT = 300


def test_the_four_notebooks_exist():
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
