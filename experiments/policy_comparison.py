"""Policy comparison figures: every policy alone, the mission's package and all ten vs the baseline.

Sweep (resumable, local cores) + collect + paired statistics + figures, from nothing:

    python experiments/policy_comparison.py            # 20 seeds, default scale, 2 years
    python experiments/policy_comparison.py --quick    # 6 seeds, small scale, 1 year (make demo)
    python experiments/policy_comparison.py --quick 'seed=range(0,10)' hydra/launcher=submitit_local
    python experiments/policy_comparison.py --write-docs   # also the README's figure and table (docs/)
    python experiments/policy_comparison.py --quick --posterior-draws 8   # every arm over 8 posterior draws x the seeds

With ``--posterior-draws N`` every arm runs over N parameter sets drawn from the calibration's
posterior (configs/calibration/posterior.csv, written by ``python experiments/calibrate.py
--write-config``; ``--posterior FILE`` for another) x the preset's seeds (or ``'seed=range(0,M)'``),
every arm with the same draws and seeds (paired), as one resumable design sweep
(``sim.runs.designs.run_design``: any Hydra launcher). Writes effects_posterior.csv/.md (each
effect with its interval over seeds only and with parameter uncertainty, and the split of its
variance into seed noise and parameter uncertainty: ``sim.analysis.robustness``) and
forest_posterior.pdf/.png.

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
from sim.policies import PACKAGES, POLICY_NAMES, moving
from sim.runs.collect import collect, describe
from sim.runs.sweep import REPO_ROOT, in_range, launch, preset_sweep_dir

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


def split_overrides(overrides: list[str]) -> tuple[dict[str, list], list[str], list[str]]:
    """(the swept ``seed`` and ``policies`` values, launcher overrides, the other overrides)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    swept, launcher, rest = {}, [], []
    for text, parsed in zip(overrides, OverridesParser.create().parse_overrides(list(overrides)), strict=True):
        key = parsed.key_or_group
        if key in ("seed", "policies"):
            swept[key] = list(parsed.sweep_iterator()) if parsed.is_sweep_override() else [parsed.value()]
        elif key.startswith(("hydra/launcher", "hydra.launcher")):
            launcher.append(text)
        else:
            rest.append(text)
    return swept, launcher, rest


def preset_sweep(name: str) -> dict[str, list]:
    """The seeds and arms a preset sweeps (``hydra.sweeper.params``), as lists."""
    from hydra import compose, initialize_config_dir

    from sim.runs.api import CONFIG_DIR

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        params = compose("config", overrides=[f"experiment={name}"], return_hydra_config=True).hydra.sweeper.params
    swept, _, _ = split_overrides([f"{key}={value}" for key, value in params.items()])
    return swept


def run_posterior(parser, args, name: str) -> int:
    """The comparison over posterior draws x seeds (module docstring)."""
    import hashlib

    from sim.analysis import robustness
    from sim.runs.api import compose
    from sim.runs.io import write_csv, write_text

    swept, launcher, rest = split_overrides(args.overrides)
    swept = {**preset_sweep(name), **swept}
    seeds = sorted(int(s) for s in swept["seed"])
    if len(seeds) < 2 or seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        parser.error(f"--posterior-draws needs at least 2 consecutive seeds ('seed=range(0,M)'), got {seeds}")
    arms = {"baseline" if not a else "all_policies" if len(a) == len(POLICY_NAMES) else "+".join(a): list(a)
            for a in swept["policies"]}  # fmt: skip
    if "baseline" not in arms or len(arms) < 2:
        parser.error("--posterior-draws: the arms ('policies=...') must include the baseline ([]) and another arm")
    preset = compose([f"experiment={name}", *rest])  # (a bad value stops here, naming the key)
    base = [f"scale={preset.scale.name}", f"days={preset.days}", *rest]
    try:
        # the draws are chosen by a generator seeded with the comparison's first seed
        draws = robustness.posterior_draws(args.posterior_draws, seed=seeds[0], path=args.posterior)
    except (FileNotFoundError, ValueError) as err:
        parser.error(f"--posterior-draws: {err}")
    tag = hashlib.sha256(" ".join([str(args.posterior or ""), *args.overrides]).encode()).hexdigest()[:8]
    label = f"draws{args.posterior_draws}_seeds{seeds[0]}-{seeds[-1]}_{tag}"
    sweep_dir = args.sweep_dir or REPO_ROOT / "outputs" / "sweeps" / f"{name}_posterior" / label
    out = args.out or REPO_ROOT / "outputs" / f"{name}_posterior"
    started = time.perf_counter()
    runs = robustness.run_crossed(
        draws, arms, range(seeds[0], seeds[-1] + 1), base, launcher or ["hydra/launcher=joblib"], sweep_dir
    )
    robustness.check_paired(runs, list(draws.columns))
    effects = robustness.posterior_effects(runs)
    files = [write_csv(Path(out) / "effects_posterior.csv", effects)]
    table = robustness.posterior_markdown(effects)
    note = (
        f"Paired effects over {args.posterior_draws} posterior draws x {len(seeds)} seeds (scale {preset.scale.name}, "
        f"{preset.days} days); intervals: seed noise only, and the random-effects prediction interval with "
        "parameter uncertainty (sim.analysis.robustness).\n\n"
    )
    files.append(write_text(Path(out) / "effects_posterior.md", note + table))
    files += robustness.posterior_forest(
        effects, Path(out) / "forest_posterior", note=f" ({args.posterior_draws} x {len(seeds)}, {preset.scale.name})"
    )
    print(table)
    share = effects["parameter_share"].dropna()
    share = f"{share.mean():.0%}" if len(share) else "undefined (no variance)"
    print(f"{name} over posterior draws: {len(runs)} runs, {time.perf_counter() - started:.0f} s wall; "
          f"mean share of the effects' variance due to parameters {share}")  # fmt: skip
    for path in files:
        print(f"  {path}")
    return 0


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
    parser.add_argument(
        "--posterior-draws",
        type=in_range(int, 2),
        help="run every arm over N draws of the calibration's posterior x the seeds (paired); at least 2",
    )
    parser.add_argument(
        "--posterior", type=Path, help="the posterior's sets (default configs/calibration/posterior.csv)"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. 'seed=range(0,10)' scale=default")
    args = parser.parse_args(argv)
    name = "quick_comparison" if args.quick else "policy_comparison"
    if args.posterior_draws:
        if args.write_docs:
            parser.error("--write-docs with --posterior-draws: the docs' version is python experiments/robustness.py")
        return run_posterior(parser, args, name)
    if args.posterior:
        parser.error("--posterior needs --posterior-draws N")
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
