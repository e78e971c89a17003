"""Policy comparison figures: every policy alone, the mission's package and all ten vs the baseline.

Sweep (resumable, local cores) + collect + paired statistics + figures, from nothing:

    python experiments/policy_comparison.py            # 20 seeds, default scale, 2 years
    python experiments/policy_comparison.py --quick    # 6 seeds, small scale, 1 year (make demo)
    python experiments/policy_comparison.py --quick 'seed=range(0,10)' hydra/launcher=submitit_local
    python experiments/policy_comparison.py --write-docs   # also the README's figure and table (docs/)

Writes into outputs/<experiment>/: effects.csv and effects.md (paired effects with 95%
bootstrap intervals over seeds), forest.pdf/.png, timeseries.pdf/.png, trust_end.pdf/.png.
The runs stay in outputs/sweeps/<experiment>/<overrides>/ (results.parquet, timeseries.parquet):
one folder per set of overrides, so runs of different configurations are never pooled.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.analysis import plots
from sim.analysis.stats import METRICS, markdown_table, paired_effects, write_tables
from sim.policies import PACKAGES, moving
from sim.runs.collect import collect, describe
from sim.runs.sweep import REPO_ROOT, launch, preset_sweep_dir

#: Arms of the time-series figure: the baseline, the policies that cut out-of-pocket costs and open
#: mediation, the packages, all policies.
TRAJECTORY_ARMS = [
    "baseline",
    *moving("uninsured_share"),
    *moving("mediation_uptake"),
    *("+".join(p) for p in PACKAGES.values()),
    "all_policies",
]
TABLE_METRICS = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year", "mean_trust")


def write_docs(forest_png: Path, table: str, described: str, name: str, overrides: list[str], wall: float):
    """The README's figure (docs/img/policy_comparison.png) and its table (docs/policy_comparison.md)."""
    figure = REPO_ROOT / "docs" / "img" / "policy_comparison.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_bytes(forest_png.read_bytes())
    command = " ".join(["python experiments/policy_comparison.py", *(["--quick"] if name.startswith("quick") else [])])
    command = " ".join([command, *overrides, "--write-docs"])
    text = "\n".join(
        [
            "# Policy comparison",
            "",
            f"Produced by `{command}` ({wall / 60:.0f} min on this machine's 2 cores; experiment preset",
            f"`configs/experiment/{name}.yaml`). Effects are paired differences against the pre-reform",
            "baseline with the same seed (common random numbers), mean over seeds with a 95 % bootstrap",
            "interval; `relative` is the mean effect over the baseline's mean.",
            "",
            "```",
            described.replace(f"{REPO_ROOT}/", ""),
            "```",
            "",
            "![forest plot](img/policy_comparison.png)",
            "",
            table,
            "",
        ]
    )
    doc = REPO_ROOT / "docs" / "policy_comparison.md"
    doc.write_text(text)
    return [figure, doc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick_comparison preset (make demo)")
    parser.add_argument("--sweep-dir", type=Path, help="default: outputs/sweeps/<experiment>/<overrides>")
    parser.add_argument("--out", type=Path, help="figures and tables; default: outputs/<experiment>")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="copy the forest plot to docs/img/policy_comparison.png and the table to docs/policy_comparison.md",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. 'seed=range(0,10)' scale=default")
    args = parser.parse_args(argv)
    name = "quick_comparison" if args.quick else "policy_comparison"
    sweep_dir = args.sweep_dir or preset_sweep_dir(name, args.overrides)
    out = args.out or REPO_ROOT / "outputs" / name
    started = time.perf_counter()

    sweep = launch(name, args.overrides, sweep_dir, check=False)
    results, timeseries, trust_end = collect(sweep_dir)
    print(describe(results, sweep_dir))
    effects = paired_effects(results, tuple(METRICS))
    files = write_tables(effects, out)
    files += plots.forest_plot(effects, out / "forest", results=results)
    arms = [a for a in TRAJECTORY_ARMS if a in set(timeseries["arm"])]
    files += plots.timeseries_plot(timeseries, results, out / "timeseries", arms=arms)
    files += plots.trust_distribution_plot(trust_end, out / "trust_end", arms=arms, results=results)

    table = markdown_table(effects[effects["metric"].isin(TABLE_METRICS)])
    print(table)
    wall = time.perf_counter() - started
    if args.write_docs:
        files += write_docs(out / "forest.png", table, describe(results, sweep_dir), name, args.overrides, wall)
    print(f"{name}: {len(results)} runs, {wall:.0f} s wall. Figures and tables:")
    for path in files:
        print(f"  {path}")
    return sweep.returncode


if __name__ == "__main__":
    sys.exit(main())
