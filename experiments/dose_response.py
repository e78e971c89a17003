"""Dose-response figures: each policy's main intensity over its levels, against the baseline.

One resumable sweep per policy (its main intensity over the dose levels its module declares:
sim.runs.designs.dose_response) and one of baseline runs, each in its own folder of
outputs/sweeps/dose_response/ (named by its overrides); then collect, tables and figures:

    python experiments/dose_response.py                       # every policy, 5 seeds each level
    python experiments/dose_response.py --policies insurance mediation 'seed=range(0,10)'

Writes outputs/dose_response/: dose_violence.pdf/.png, dose_disputes.pdf/.png, dose_trust.pdf/.png
(means over seeds with 95% bootstrap intervals; the baseline as a band) and effects.csv
(paired effects of every level vs the baseline).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.analysis import plots
from sim.analysis.stats import paired_effects
from sim.policies import POLICY_NAMES
from sim.runs.collect import collect, describe
from sim.runs.designs import dose_response
from sim.runs.sweep import REPO_ROOT, launch, preset_sweep_dir

FIGURES = {
    "dose_violence": "violent_incidents_per_hospital_year",
    "dose_disputes": "disputes_per_hospital_year",
    "dose_trust": "mean_trust",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", nargs="+", default=list(POLICY_NAMES), choices=POLICY_NAMES)
    parser.add_argument(
        "--sweep-dir", type=Path, help="one folder per dose in it; default: outputs/sweeps/dose_response/<overrides>"
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "outputs" / "dose_response")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied to every sweep")
    args = parser.parse_args(argv)

    failed, tables = 0, []
    for policy in [None, *args.policies]:
        overrides = [*dose_response(policy), *args.overrides]
        name = policy or "baseline"
        sweep_dir = args.sweep_dir / name if args.sweep_dir else preset_sweep_dir("dose_response", overrides)
        sweep = launch("dose_response", overrides, sweep_dir, check=False)
        failed |= sweep.returncode
        results, _, _ = collect(sweep_dir)
        print(describe(results, sweep_dir))
        tables.append(results.assign(run_id=f"{sweep_dir.name}/" + results["run_id"]))
    results = pd.concat(tables, ignore_index=True)
    doses = [c for c in results.columns if c.startswith("policies.")]
    effects = paired_effects(results, tuple(FIGURES.values()), by=tuple(doses))
    args.out.mkdir(parents=True, exist_ok=True)
    effects.to_csv(args.out / "effects.csv", index=False)
    files = [args.out / "effects.csv"]
    for stem, metric in FIGURES.items():
        files += plots.dose_response_plot(results, args.out / stem, metric=metric)
    print("Figures and tables:", *files, sep="\n  ")
    return failed


if __name__ == "__main__":
    sys.exit(main())
