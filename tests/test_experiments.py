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

from sim.policies import PACKAGES, POLICIES, POLICY_NAMES
from sim.runs import designs
from sim.runs.api import CONFIG_DIR, compose, run
from sim.runs.collect import arm_label
from sim.runs.sweep import REPO_ROOT, count_jobs, experiment_override

PRESETS = ["policy_comparison", "quick_comparison", "dose_response", "interaction", "reform_path"]


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


def test_policy_comparison_arms_come_from_the_registry():
    """The baseline, each policy alone, each package, all policies; twenty seeds."""
    n_arms = 1 + len(POLICY_NAMES) + len(PACKAGES) + 1
    hc = hydra_config(experiment_override("policy_comparison"))
    assert count_jobs(hc) == n_arms * 20
    arms = sweep_values(hc, "policies")
    assert arms[0] == "[]"
    assert [a.strip("[]") for a in arms[1 : 1 + len(POLICY_NAMES)]] == list(POLICY_NAMES)
    assert arms[1 + len(POLICY_NAMES) : -1] == [f"[{','.join(p)}]" for p in PACKAGES.values()]
    assert arms[-1].strip("[]").split(",") == list(POLICY_NAMES)
    quick = hydra_config(experiment_override("quick_comparison"))
    assert sweep_values(quick, "policies") == arms
    assert count_jobs(quick) == n_arms * len(sweep_values(quick, "seed"))
    assert compose([experiment_override("quick_comparison")]).scale.name == "small"


def _sweep(override: str) -> tuple[str, list[str]]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    (parsed,) = OverridesParser.create().parse_overrides([override])
    values = parsed.sweep_iterator() if parsed.is_sweep_override() else [parsed.value()]
    return parsed.key_or_group, [str(v) for v in values]


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_every_dose_level_is_a_valid_config_and_the_series_rises(policy):
    """Each policy's dose series (its module's main intensity and levels) passes the schema's
    range checks, rises, and switches on that policy alone."""
    switch, levels = designs.dose_response(policy)
    key, values = _sweep(levels)
    assert key == f"policies.{policy}.{POLICIES[policy].main_intensity}"
    assert [float(v) for v in values] == sorted(float(v) for v in values) and len(values) >= 3
    for value in values:
        cfg = compose([experiment_override("dose_response"), switch, f"{key}={value}"])
        assert cfg.policies.enabled() == [policy]
    assert compose([experiment_override("dose_response"), *designs.dose_response(None)]).policies.enabled() == []


def test_every_interaction_cell_is_a_valid_config():
    first, second = POLICY_NAMES[:2]
    switch, *grid = designs.interaction(first, second)
    (x, xs), (y, ys) = (_sweep(g) for g in grid)
    assert len(xs) == len(ys) == 4
    for vx in xs:
        for vy in ys:
            cfg = compose([experiment_override("interaction"), switch, f"{x}={vx}", f"{y}={vy}"])
            assert cfg.policies.enabled() == [first, second]


def test_reform_path_arms_and_its_never_starting_reform_is_the_baseline():
    """Start day after the last day: the package never acts; the run equals the pre-reform baseline.
    The package's members start together on the swept day."""
    package = PACKAGES["mission_package"]

    def reform_on(day: int):
        switch, lead, *follow = designs.reform_path("mission_package", [day])
        return compose([experiment_override("reform_path"), "scale=tiny", "days=60", switch, lead, *follow])

    never, mid = reform_on(100_000), reform_on(30)
    assert [getattr(mid.policies, p).start_day for p in package] == [30] * len(package)
    assert arm_label(dataclasses.asdict(never)) == "baseline"
    assert arm_label(dataclasses.asdict(mid)) == "+".join(package) + "@day30"
    base = compose(["scale=tiny", "days=60"])
    a, b = run(never), run(base)
    for key in ("wall_seconds", "policies", "config_sha256"):  # (two configs: two config hashes)
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


def test_slurm_launcher_preset_composes_to_the_projects_slurm_launcher():
    """``hydra/launcher=slurm`` (configs/hydra/launcher/slurm.yaml) over any preset: the project's
    subclass of submitit's SLURM launcher (hydra_plugins/sim_slurm_launcher), found by Hydra's plugin
    scan, with the shipped resources, site keys overridable. (Sweeps submitted to a real SLURM
    cluster: tests/test_cluster.py.)"""
    from hydra.core.plugins import Plugins
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher as SubmititSlurmLauncher

    from hydra_plugins.sim_slurm_launcher.slurm_launcher import SlurmLauncher, check_time_limit

    hc = hydra_config(experiment_override("policy_comparison"), "hydra/launcher=slurm", "hydra.launcher.partition=gpu")
    launcher = hc.launcher
    assert launcher._target_ == "hydra_plugins.sim_slurm_launcher.slurm_launcher.SlurmLauncher"
    assert launcher._target_ in Plugins.instance().class_name_to_class
    # by name: Hydra's plugin scan may load the plugin modules again (other class objects)
    base = f"{SubmititSlurmLauncher.__module__}.{SubmititSlurmLauncher.__qualname__}"
    assert base in {f"{c.__module__}.{c.__qualname__}" for c in SlurmLauncher.__mro__[1:]}
    assert (launcher.cpus_per_task, launcher.mem_gb, launcher.partition) == (1, 4, "gpu")
    assert launcher.timeout_min > 0 and launcher.array_parallelism > 0
    check_time_limit(launcher.timeout_min, launcher.signal_delay_s)  # the shipped values pass


def test_slurm_launcher_refuses_a_time_limit_its_warning_signal_cannot_fit():
    """SIGUSR2 within 30 s of a job's start can kill it before it runs (this happened in CI with a
    one-minute limit and submitit's 120 s delay): refused before submitting, naming both keys."""
    from hydra_plugins.sim_slurm_launcher.slurm_launcher import check_time_limit

    check_time_limit(1, 30)
    with pytest.raises(ValueError, match=r"timeout_min=1 .*signal_delay_s=120.*60 - signal_delay_s >= 30"):
        check_time_limit(1, 120)
    with pytest.raises(ValueError, match="signal_delay_s=31"):
        check_time_limit(1, 31)


def test_slurm_launcher_counts_a_job_without_a_result_and_goes_on():
    """A job that ended without a result (submitit's UncompletedJobError: killed by a signal, the
    out-of-memory killer, a lost node) becomes a record the sweep goes past, naming the job and
    SLURM's state, so that the sweep's tally is printed; any other error is not swallowed."""
    import submitit
    from hydra.core.utils import JobStatus

    from hydra_plugins.sim_slurm_launcher.slurm_launcher import job_outcome

    class Job:
        job_id, state = "39_0", "FAILED"

        def __init__(self, error):
            self.error = error

        def results(self):
            raise self.error

    ret = job_outcome(Job(submitit.core.utils.UncompletedJobError("no output")), ["seed=0"])
    assert ret.status == JobStatus.COMPLETED and ret.overrides == ["seed=0"]
    assert ret.return_value["status"] == "failed"
    assert "SLURM job 39_0 ended without a result (state FAILED): no output" == ret.return_value["error"]
    with pytest.raises(KeyError):
        job_outcome(Job(KeyError("a bug")), ["seed=0"])
