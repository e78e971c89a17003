"""Interaction heatmaps: two policies' main intensities on a grid (insurance x mediation by default).

    python experiments/interaction.py
    python experiments/interaction.py --pair tiered_care insurance 'seed=range(0,8)'

The grid: each policy's main intensity over four of its dose levels (sim.runs.designs.interaction).
Writes outputs/interaction/<a>_<b>/: heatmap_violence, heatmap_disputes, heatmap_trust
(.pdf/.png; means over seeds per cell) and cells.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis import plots
from sim.policies import POLICY_NAMES
from sim.runs.collect import collect, describe
from sim.runs.designs import interaction, main_intensity_key
from sim.runs.sweep import REPO_ROOT, launch, preset_sweep_dir

FIGURES = {
    "heatmap_violence": "violent_incidents_per_hospital_year",
    "heatmap_disputes": "disputes_per_hospital_year",
    "heatmap_trust": "mean_trust",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", nargs=2, default=["insurance", "mediation"], choices=POLICY_NAMES, metavar="POLICY")
    parser.add_argument("--out", type=Path, help="default: outputs/interaction/<a>_<b>")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    if args.pair[0] == args.pair[1]:
        parser.error("--pair needs two different policies")
    overrides = [*interaction(*args.pair), *args.overrides]
    sweep_dir = preset_sweep_dir("interaction", overrides)
    out = args.out or REPO_ROOT / "outputs" / "interaction" / "_".join(args.pair)

    sweep = launch("interaction", overrides, sweep_dir, check=False)
    results, _, _ = collect(sweep_dir)
    print(describe(results, sweep_dir))
    x, y = (main_intensity_key(p) for p in args.pair)
    out.mkdir(parents=True, exist_ok=True)
    cells = results.groupby([x, y])[list(FIGURES.values())].agg(["mean", "std", "count"])
    cells.to_csv(out / "cells.csv")
    files = [out / "cells.csv"]
    for stem, metric in FIGURES.items():
        files += plots.interaction_heatmap(results, out / stem, x=x, y=y, metric=metric)
    print("Figures and tables:", *files, sep="\n  ")
    return sweep.returncode


if __name__ == "__main__":
    sys.exit(main())
