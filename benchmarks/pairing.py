"""How much common random numbers help: paired against unpaired spread of each policy's effect.

    python -m benchmarks.pairing                          # 12 seeds, small scale, one year
    python -m benchmarks.pairing --sweep-dir DIR --seeds 12 --collect-only

Runs the quick policy comparison (every arm, ``--seeds`` seeds, small scale, a year; resumable)
and reports, per policy and metric, the ratio

    sd over seeds of (arm - baseline with the same seed)  /  sqrt(var(arm) + var(baseline))

the standard deviation of the paired effect over that of the difference of independent runs.
1 means pairing gains nothing; the smaller, the more of the seed-to-seed noise the arms share.
Prints the table and writes ``<sweep-dir>/pairing.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

METRICS = {
    "disputes_per_hospital_year": "disputes",
    "violent_incidents_per_hospital_year": "violent incidents",
    "mean_trust": "mean trust",
}


def pairing_ratios(results: pd.DataFrame, log: bool = False) -> pd.DataFrame:
    """One row per arm: the ratio for each metric (``results``: collected runs with ``arm``, ``seed``).

    ``log``: of the logarithms (relative effects). A large relative effect caps what pairing can
    show on the absolute scale: an arm that is exactly 0.2 x the baseline in every seed has the
    ratio 0.8 / sqrt(1.04) = 0.78 however well the arms are paired; on the log scale it has 0."""
    done = results[results["status"] == "completed"]
    rows = []
    for arm in [a for a in done["arm"].unique() if a != "baseline"]:
        row = {"arm": arm}
        for metric, label in METRICS.items():
            wide = done[done["arm"].isin(["baseline", arm])].pivot_table(index="seed", columns="arm", values=metric)
            wide = wide.dropna()
            if log:
                wide = np.log(wide.clip(lower=1e-9))
            paired = (wide[arm] - wide["baseline"]).std(ddof=1)
            unpaired = np.sqrt(wide[arm].var(ddof=1) + wide["baseline"].var(ddof=1))
            row[label] = paired / unpaired if unpaired > 0 else np.nan
        row["seeds"] = len(wide)
        rows.append(row)
    return pd.DataFrame(rows)


def read_summaries(sweep_dir: Path) -> pd.DataFrame:
    """Every run's arm, seed and summary, read straight from the run directories, so that sweeps
    made by earlier versions of the code (the "before" measurement) can be compared too."""
    from sim.runs.collect import arm_label
    from sim.runs.sweep import run_config, run_dirs

    rows = []
    for run_dir in run_dirs(sweep_dir):
        summary_file = run_dir / "summary.json"
        if not summary_file.is_file():
            continue
        config, _ = run_config(run_dir)
        summary = json.loads(summary_file.read_text())
        rows.append({"arm": arm_label(config), "seed": config["seed"], "status": "completed", **summary})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    from sim.paths import OUTPUTS
    from sim.runs.sweep import launch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-dir", type=Path, default=OUTPUTS / "bench" / "pairing")
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--collect-only", action="store_true", help="use the runs already in --sweep-dir")
    args = parser.parse_args(argv)
    if not args.collect_only:
        launch("quick_comparison", [f"seed=range(0,{args.seeds})"], args.sweep_dir)
    summaries = read_summaries(args.sweep_dir)
    out = {}
    for scale, log in (("absolute", False), ("log", True)):
        table = pairing_ratios(summaries, log=log)
        print(f"\n{scale} scale:")
        print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
        ratios = table[list(METRICS.values())].to_numpy().ravel()
        print(f"median ratio {np.nanmedian(ratios):.2f}, largest {np.nanmax(ratios):.2f}")
        out[scale] = table.to_dict(orient="records")
    (args.sweep_dir / "pairing.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
