"""Provenance in every summary, and ``python -m sim.reproduce``: a fresh run reproduces, an edited one does not.

Runs are tiny (3,000 residents, a few weeks) and made as a user makes them (``python -m sim``);
the checks run in-process through ``sim.runs.reproduce.main`` (the command's own entry point)
except one, which goes through ``python -m sim.reproduce`` end to end.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from sim.runs import provenance, reproduce
from sim.runs.api import compose, run

TINY_RUN = ["scale=tiny", "days=30", "seed=2"]


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> Path:
    """A run of ``python -m sim`` (copied before a test edits it)."""
    out = tmp_path_factory.mktemp("run") / "run"
    done = run_cli(*TINY_RUN, f"hydra.run.dir={out}")
    assert done.returncode == 0, done.stderr
    return out


def copy_of(run_dir: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run_dir, tmp_path / "copy"))


def edit_config(run_dir: Path, pattern: str, replacement: str) -> None:
    record = run_dir / ".hydra" / "config.yaml"
    text = record.read_text()
    edited, n = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not in the recorded config"
    record.write_text(edited)


# ------------------------------------------------------------------------------------------------
# provenance in the summary
# ------------------------------------------------------------------------------------------------
def test_summary_records_code_packages_and_config_hash():
    config = compose(["scale=tiny", "days=3"])
    summary = run(config).summary
    assert set(provenance.PROVENANCE_KEYS) <= set(summary)
    assert summary["source_sha256"] == provenance.source_hash()
    assert summary["commit"] is None or re.fullmatch(r"[0-9a-f]{40}", summary["commit"])
    assert summary["dirty"] in (None, True, False)
    for name in provenance.KEY_PACKAGES:
        assert summary[provenance.package_key(name)] == version(name)
    assert summary["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert summary["config_sha256"] == provenance.config_hash(config)
    json.dumps(summary)  # flat and JSON-serialisable, as summary.json


def test_config_hash_tells_configs_apart_but_not_the_batching_of_seeds():
    base = provenance.config_hash(compose(["scale=tiny"]))
    assert provenance.config_hash(compose(["scale=tiny"])) == base
    assert provenance.config_hash(compose(["scale=tiny", "seed=1"])) != base
    assert provenance.config_hash(compose(["scale=tiny", "params.violence.threshold=0.123"])) != base
    assert provenance.config_hash(compose(["scale=tiny", "replicates=3"])) == base


def test_other_code_turns_a_config_hash_difference_into_a_note():
    recorded = {"mean_trust": 0.5, "config_sha256": "a", "source_sha256": "x", "commit": "1" * 40}
    same_code = reproduce.compare_summaries(recorded, {**recorded, "config_sha256": "b"})
    assert list(same_code.differences) == ["config_sha256"]
    other_code = reproduce.compare_summaries(recorded, {**recorded, "config_sha256": "b", "source_sha256": "y"})
    assert other_code.matches
    assert any("schema may have changed" in n for n in other_code.notes)
    assert any("other code" in n for n in other_code.notes)
    assert not reproduce.compare_summaries(recorded, {**recorded, "mean_trust": 0.51}).matches
    assert reproduce.compare_summaries(recorded, {**recorded, "mean_trust": 0.5 + 1e-12}, rtol=1e-9).matches


# ------------------------------------------------------------------------------------------------
# python -m sim.reproduce
# ------------------------------------------------------------------------------------------------
def test_a_fresh_run_reproduces(recorded_run):
    done = subprocess.run(
        [sys.executable, "-m", "sim.reproduce", str(recorded_run)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"match: {recorded_run}" in done.stdout
    assert "1 of 1 run(s) reproduced exactly" in done.stdout


def test_a_hand_edited_config_is_a_mismatch_naming_the_keys(recorded_run, tmp_path, capsys):
    run_dir = copy_of(recorded_run, tmp_path)
    edit_config(run_dir, r"^(\s+initial_trust:) .*$", r"\1 0.7")
    assert reproduce.main([str(run_dir)]) == 1
    out = capsys.readouterr().out
    assert f"MISMATCH: {run_dir}" in out
    assert re.search(r"^  mean_trust: recorded [0-9.]+, now [0-9.]+$", out, flags=re.MULTILINE)
    assert "config_sha256: recorded" in out
    assert re.search(r"^  timeseries\.mean_trust \(first on day 0\):", out, flags=re.MULTILINE)


def test_an_edit_that_changes_no_number_is_caught_by_the_config_hash(recorded_run, tmp_path, capsys):
    run_dir = copy_of(recorded_run, tmp_path)
    edit_config(run_dir, r"^record_episodes: false$", "record_episodes: true")  # a log kept, no result changed
    assert reproduce.main([str(run_dir)]) == 1
    out = capsys.readouterr().out
    differing = re.findall(r"^  (\S+): recorded", out, flags=re.MULTILINE)
    assert differing == ["config_sha256"]
    assert "not the one that produced this summary" in out


def test_an_edited_summary_is_a_mismatch(recorded_run, tmp_path, capsys):
    run_dir = copy_of(recorded_run, tmp_path)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["disputes_per_hospital_year"] += 1.0
    (run_dir / "summary.json").write_text(json.dumps(summary))
    assert reproduce.main([str(run_dir)]) == 1
    assert "disputes_per_hospital_year: recorded" in capsys.readouterr().out


def test_a_recorded_config_that_fails_validation_cannot_be_rerun(recorded_run, tmp_path, capsys):
    run_dir = copy_of(recorded_run, tmp_path)
    edit_config(run_dir, r"^days: .*$", "days: -5")
    assert reproduce.main([str(run_dir)]) == 1
    assert "config: recorded 'cannot be rerun', now 'days=-5 is out of range" in capsys.readouterr().out


def test_a_sample_of_a_sweep_reproduces(tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    done = run_cli(
        "-m",
        "scale=tiny",
        "days=20",
        "seed=0,5",
        "replicates=2",
        "hydra/launcher=basic",
        f"hydra.sweep.dir={sweep_dir}",
    )
    assert done.returncode == 0, done.stderr
    assert reproduce.main([str(sweep_dir), "--sample", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    checked = re.findall(r"^match: (\S+)$", out, flags=re.MULTILINE)
    assert len(checked) == 2 and len(set(checked)) == 2
    assert all(Path(c).name.startswith("seed=") for c in checked)  # batched seeds, each with its own seed
    assert "2 of 2 run(s) reproduced exactly" in out


def test_nothing_to_check_exits_2(tmp_path, capsys):
    assert reproduce.main([str(tmp_path)]) == 2
    assert "neither a run" in capsys.readouterr().err


def test_citation_file_names_this_version():
    """CITATION.cff (validated once with cffconvert 2.0: 'valid according to schema version 1.2.0')
    has the format's required keys and the package's version."""
    import tomllib

    import yaml

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert citation["message"] and citation["title"] and citation["authors"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert str(citation["version"]) == project["version"]
    assert citation["license"] == project["license"]["text"]
