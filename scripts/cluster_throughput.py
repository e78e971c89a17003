"""Runs per hour of the analyses' kinds of run through a launcher, end to end (submission,
scheduling, start-up and the runs), on the clusters of scripts/start_slurm.sh and start_ray.sh
or on local cores. Prints one markdown row per setting (docs/cluster.md).

    .venv/bin/python scripts/cluster_throughput.py joblib slurm ray      # all three settings each
    .venv/bin/python scripts/cluster_throughput.py slurm --setting policy_comparison --out /tmp/tp

Settings (each a few jobs of the analysis's own run, so the rate is that analysis's):
policy_comparison (default scale, 730 days, one run per job), calibration (default scale,
365 days, 2 seeds per job: one parameter set), sensitivity (small scale, 365 days, 3 seeds per
job: one design point). Ray runs from .venv-ray, connected to the head at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAUNCHERS = {
    "joblib": (sys.executable, ["hydra/launcher=joblib", "hydra.launcher.n_jobs=-1"], {}),
    "slurm": (sys.executable, ["hydra/launcher=slurm", "hydra.launcher.partition=compute"], {}),
    "ray": (
        str(REPO / ".venv-ray" / "bin" / "python"),
        ["hydra/launcher=ray_cluster", "hydra.launcher.ray.init.address=127.0.0.1:6379"],
        {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_ADDRESS": "127.0.0.1:6379"},
    ),
}
THRESHOLDS = "params.violence.threshold=0.2,0.25,0.3,0.35"
SETTINGS = {
    # 4 arms x 2 seeds, as experiment=policy_comparison runs them
    "policy_comparison": (
        ["experiment=policy_comparison", "seed=0,1", "policies=[],[tiered_care],[mediation],[insurance]"],
        8,
    ),
    # 4 parameter sets x 2 seeds (experiments/calibrate.py: default scale, 1 year, --seeds 2)
    "calibration": (["scale=default", "days=365", "seed=0", "replicates=2", THRESHOLDS], 8),
    # 4 design points x 3 seeds (experiments/sensitivity.py: small scale, 1 year, --seeds 3)
    "sensitivity": (["scale=small", "days=365", "seed=0", "replicates=3", THRESHOLDS], 12),
}


def measure(launcher: str, setting: str, out: Path) -> dict:
    python, launcher_args, env = LAUNCHERS[launcher]
    overrides, runs = SETTINGS[setting]
    sweep_dir = out / f"{setting}-{launcher}"
    args = [python, "-m", "sim", "-m", *overrides, *launcher_args, f"hydra.sweep.dir={sweep_dir}"]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{launcher} {setting} failed:\n{done.stderr[-3000:]}")
    statuses = [json.loads(p.read_text()) for p in sweep_dir.glob("**/status.json")]
    run_walls = [s["wall_seconds"] for s in statuses if "wall_seconds" in s]
    assert len(run_walls) == runs, (len(run_walls), runs)
    return {"launcher": launcher, "setting": setting, "runs": runs, "wall": wall, "run_mean": sum(run_walls) / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("launchers", nargs="+", choices=sorted(LAUNCHERS))
    parser.add_argument("--setting", action="append", choices=sorted(SETTINGS), help="default: all three")
    parser.add_argument("--out", type=Path, help="sweep directories (default: a temporary directory)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="throughput-"))
    print(f"cores: {os.cpu_count()}; sweeps in {out}", file=sys.stderr)
    print("| setting | launcher | runs | wall (s) | mean run (s) | runs per hour |")
    print("|---|---|---|---|---|---|")
    for setting in args.setting or list(SETTINGS):
        for launcher in args.launchers:
            m = measure(launcher, setting, out)
            rate = m["runs"] / m["wall"] * 3600
            print(
                f"| {setting} | {launcher} | {m['runs']} | {m['wall']:.1f} | {m['run_mean']:.1f} | {rate:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
