"""Experiment presets compose into valid runs; an experiment script regenerates its figures from nothing."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from sim.api import CONFIG_DIR, compose, run
from sim.collect import arm_label
from sim.config import POLICY_NAMES
from sim.sweep import REPO_ROOT, count_jobs, experiment_override

PRESETS = ["policy_comparison", "quick_comparison", "dose_response", "interaction", "reform_path"]
DOSES = sorted(p.stem for p in (CONFIG_DIR / "experiment" / "dose").glob("*.yaml"))
PAIRS = sorted(p.stem for p in (CONFIG_DIR / "experiment" / "pair").glob("*.yaml"))


def hydra_config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True).hydra


def sweep_values(hydra_cfg, key: str) -> list[str]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    (override,) = OverridesParser.create().parse_overrides([f"{key}={hydra_cfg.sweeper.params[key]}"])
    return [f"[{','.join(v)}]" if isinstance(v, list) else str(v) for v in override.sweep_iterator()]


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_composes_into_a_valid_run(preset):
    cfg = compose([experiment_override(preset)])
    assert cfg.days >= 365


def test_policy_comparison_has_the_thirteen_arms_and_twenty_seeds():
    hc = hydra_config(experiment_override("policy_comparison"))
    assert count_jobs(hc) == 13 * 20
    arms = sweep_values(hc, "policies")
    assert arms[0] == "[]"
    assert sorted(a.strip("[]") for a in arms[1:11]) == sorted(POLICY_NAMES)
    assert arms[11] == "[tiered_care,mediation,insurance]"
    assert sorted(arms[12].strip("[]").split(",")) == sorted(POLICY_NAMES)
    quick = hydra_config(experiment_override("quick_comparison"))
    assert sweep_values(quick, "policies") == arms
    assert count_jobs(quick) == 13 * len(sweep_values(quick, "seed"))
    assert compose([experiment_override("quick_comparison")]).scale.name == "small"


@pytest.mark.parametrize("dose", DOSES)
def test_every_dose_level_is_a_valid_config(dose):
    """Every level in each dose sub-preset passes the schema's range checks."""
    selector = f"experiment/dose@dose={dose}"
    params = {
        k: v
        for k, v in hydra_config(experiment_override("dose_response"), selector).sweeper.params.items()
        if k != "seed"
    }
    if dose == "baseline":
        assert not params and compose([experiment_override("dose_response"), selector]).policies.enabled() == []
        return
    (key,) = params
    assert key.startswith(f"policies.{dose}.")
    levels = sweep_values(hydra_config(experiment_override("dose_response"), selector), key)
    assert len(levels) >= 4
    for level in levels:
        cfg = compose([experiment_override("dose_response"), selector, f"{key}={level}"])
        assert cfg.policies.enabled() == [dose]


@pytest.mark.parametrize("pair", PAIRS)
def test_every_interaction_cell_is_a_valid_config(pair):
    selector = f"experiment/pair@pair={pair}"
    hc = hydra_config(experiment_override("interaction"), selector)
    x, y = (k for k in hc.sweeper.params if k != "seed")
    for vx in sweep_values(hc, x):
        for vy in sweep_values(hc, y):
            assert (
                len(
                    compose([experiment_override("interaction"), selector, f"{x}={vx}", f"{y}={vy}"]).policies.enabled()
                )
                == 2
            )


def test_reform_path_arms_and_its_never_starting_reform_is_the_baseline():
    """Start day after the last day: the package never acts; the run equals the pre-reform baseline."""
    never = compose(
        [experiment_override("reform_path"), "scale=tiny", "days=60", "policies.tiered_care.start_day=100000"]
    )
    mid = compose([experiment_override("reform_path"), "scale=tiny", "days=60", "policies.tiered_care.start_day=30"])
    assert arm_label(dataclasses.asdict(never)) == "baseline"
    assert arm_label(dataclasses.asdict(mid)) == "tiered_care+mediation+insurance@day30"
    base = compose(["scale=tiny", "days=60"])
    a, b = run(never), run(base)
    for key in ("wall_seconds", "policies"):
        a.summary.pop(key), b.summary.pop(key)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


def test_policy_comparison_script_regenerates_table_and_figures(tmp_path):
    sweep_dir, out = tmp_path / "sweep", tmp_path / "figures"
    args = [sys.executable, str(REPO_ROOT / "experiments" / "policy_comparison.py"), "--quick"]
    args += ["--sweep-dir", str(sweep_dir), "--out", str(out), "hydra/launcher=basic", "scale=tiny", "days=30"]
    args += ["seed=range(0,2)", "policies=[],[insurance],[tiered_care,mediation,insurance]"]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for name in ("effects.csv", "effects.md", "forest.pdf", "forest.png", "timeseries.pdf", "timeseries.png"):
        assert (out / name).stat().st_size > 0, name
    effects = pd.read_csv(out / "effects.csv")
    assert set(effects["arm"]) == {"insurance", "tiered_care+mediation+insurance"}
    assert (effects["n_seeds"] == 2).all()
    assert str(out / "forest.pdf") in proc.stdout
    assert len(pd.read_parquet(sweep_dir / "results.parquet")) == 6


def test_experiments_readme_lists_every_script():
    readme = (REPO_ROOT / "experiments" / "README.md").read_text()
    for script in sorted(Path(REPO_ROOT / "experiments").glob("*.py")):
        assert f"experiments/{script.name}" in readme


def test_slurm_launcher_preset_composes_to_submitits_slurm_launcher():
    """``hydra/launcher=slurm`` (configs/hydra/launcher/slurm.yaml) over any preset: submitit's
    SLURM launcher with the shipped resources, site keys overridable. (Sweeps submitted to a real
    SLURM cluster: tests/test_cluster.py.)"""
    hc = hydra_config(experiment_override("policy_comparison"), "hydra/launcher=slurm", "hydra.launcher.partition=gpu")
    launcher = hc.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.cpus_per_task, launcher.mem_gb, launcher.partition) == (1, 4, "gpu")
    assert launcher.timeout_min > 0 and launcher.array_parallelism > 0
