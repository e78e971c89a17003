"""Reform-path figures: the pre-reform baseline, then a package of policies switched on mid-run.

    python experiments/reform_path.py                                   # the mission's package, day 365
    python experiments/reform_path.py --start-days 365 730 100000 'seed=range(0,10)'

The package's members start together (sim.runs.designs.reform_path); a start day after the last day
is the pre-reform baseline.

Writes outputs/reform_path/: trajectories.pdf/.png (daily disputes, violence and trust, mean
over seeds with 95% bootstrap bands, the reform day marked), trust_end.pdf/.png and
effects.csv/.md (paired end-of-run effects of each reform path vs no reform).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis import plots
from sim.analysis.stats import METRICS, paired_effects, write_tables
from sim.policies import PACKAGES
from sim.runs.collect import collect, describe
from sim.runs.designs import reform_path
from sim.runs.sweep import REPO_ROOT, launch, preset_sweep_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-dir", type=Path, help="default: outputs/sweeps/reform_path/<overrides>")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "outputs" / "reform_path")
    parser.add_argument("--package", default="mission_package", choices=sorted(PACKAGES))
    parser.add_argument("--start-days", nargs="+", type=int, default=[100_000, 365], metavar="DAY")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)

    overrides = [*reform_path(args.package, args.start_days), *args.overrides]
    sweep_dir = args.sweep_dir or preset_sweep_dir("reform_path", overrides)
    sweep = launch("reform_path", overrides, sweep_dir, check=False)
    results, timeseries, trust_end = collect(sweep_dir)
    print(describe(results, sweep_dir))
    # arms '...@dayN': reforms that start on day N (within the run, by sim.runs.collect.arm_label)
    starts = sorted({int(a.split("@day")[1]) for a in results["arm"] if "@day" in a})
    marks = {f"reform (day {d})": d for d in starts}
    files = plots.timeseries_plot(timeseries, results, args.out / "trajectories", marks=marks)
    files += plots.trust_distribution_plot(trust_end, args.out / "trust_end", results=results)
    files += write_tables(paired_effects(results, tuple(METRICS)), args.out)
    print("Figures and tables:", *files, sep="\n  ")
    return sweep.returncode


if __name__ == "__main__":
    sys.exit(main())
