"""Calibrate the model on China's history before 2013 (ABC), then check it over 10 fresh seeds.

Every run is the history scenario (configs/scenario/china_2006_2019.yaml) from 2006-01-01 up to
--until (at the latest 2012-12-31: calibration may use only what was observed before 2013); the
targets are the statistics of its years (sim.analysis.calibration.TARGETS).

    python experiments/calibrate.py --write-config --write-docs  # full (make calibrate)
    python experiments/calibrate.py --cheap                      # minutes: tiny scale, 2006 only, few sets
    python experiments/calibrate.py --skip-abc                   # the predictive check of the configured default
    python experiments/calibrate.py --mediation-only --write-config --write-docs
        # stage 3 alone, the other fitted values kept (the share of disputes the committees take)
    python experiments/calibrate.py --payouts-only --write-config --write-docs
        # stage 2 alone, the other fitted values kept (payouts feed back into nothing)

Writes into --out (default outputs/calibration): wave_1.parquet (the history-matching wave's
sets and statistics), emulator.csv (its fit per statistic), generations.csv (tolerance, acceptance and
sets simulated per generation), population_<g>.parquet (each generation's kept sets with their
statistics, distances and weights), posterior.csv (the last generation's), selection.csv (the
candidates of the point estimate, best first), predictive_check.csv
(the fitted values over seeds 0..9, out of sample), fitted.yaml and report.md; the runs
themselves in runs/ (re-running resumes: complete runs are skipped). Runs go through Hydra's
launchers: local cores by default, a cluster with e.g.
`python experiments/calibrate.py hydra/launcher=slurm hydra.launcher.partition=compute`.
--write-config puts fitted.yaml into configs/calibration/pre_reform.yaml (the default config's
calibration) and the posterior's sets into configs/calibration/posterior.csv (for comparisons over
posterior draws), --write-docs copies report.md to docs/calibration.md. Method:
sim/analysis/calibration.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.analysis.calibration import (
    ABC_SEED_OFFSET,
    CALIBRATION_CONFIG,
    CALIBRATION_END,
    DYNAMIC_PRIORS,
    DYNAMIC_TARGETS,
    HISTORY,
    MEDIATION_SHARE_KEY,
    MEDIATION_SHARE_START,
    MEDIATION_VOLUME_TARGET,
    PAYOUT_PRIORS,
    POSTERIOR_FILE,
    PRIORS,
    SELECTION_SEED_OFFSET,
    TARGETS,
    DynamicsFit,
    Generation,
    calibrate_dynamics,
    calibrate_mediation_share,
    calibrate_payouts,
    config_yaml,
    overrides_for,
    predictive_check,
    recorded_payouts,
)
from sim.runs.sweep import add_launcher_arguments, check_run_overrides, in_range, launcher_overrides

ROOT = Path(__file__).resolve().parent.parent


def _posterior_table(posterior: pd.DataFrame) -> list[str]:
    post = posterior.reset_index()
    return [
        "| parameter | sets | prior | posterior mean | 5 % | 95 % |",
        "|---|---|---|---|---|---|",
        *[
            f"| `{r.key}` | {r.why} | [{r.prior_low:.4g}, {r.prior_high:.4g}] | {r['mean']:.4g} "
            f"| {r.q05:.4g} | {r.q95:.4g} |"
            for _, r in post.iterrows()
        ],
    ]


def generations_table(generations: list[Generation]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "generation": g,
                "sets simulated": gen.simulated,
                "tolerance": gen.tolerance,
                "acceptance": gen.acceptance,
                "best distance": gen.particles["distance"].min(),
            }
            for g, gen in enumerate(generations)
        ]
    )


def check_table(check: pd.DataFrame) -> list[str]:
    return [
        "| statistic | target | model mean | 95 % CI of the mean | seed range | error | within |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| `{r.target}` | {r['source value']:g} | {r['model mean']:.4g} | [{r['95% CI low']:.4g}, "
            f"{r['95% CI high']:.4g}] | [{r['seed min']:.4g}, {r['seed max']:.4g}] | {r['relative error']:+.1%} | "
            f"{'yes' if r.within else 'no'} |"
            for _, r in check.iterrows()
        ],
    ]


def emulator_table(fit: DynamicsFit) -> pd.DataFrame:
    e = fit.emulator
    return pd.DataFrame(
        {"statistic": [t.key for t in e.targets], "r_squared": e.r_squared, "residual_sd_log": e.residual_sd}
    )


def _selection_section(fit: DynamicsFit, settings: dict) -> list[str]:
    if fit.selection is None or fit.selection.empty:
        return ["The dynamics' fitted values are the posterior means (no point-estimate selection).", ""]
    sel = fit.selection
    keys = [p.key.rsplit(".", 1)[-1] for p in fit.generations[-1].priors]
    stats = [t.key for t in DYNAMIC_TARGETS if t.key in sel.columns]
    return [
        "## Point estimate of the dynamics",
        "",
        "A set of the posterior, not its mean (why: `sim.analysis.calibration.choose_point`). A local emulator",
        "trained on every set APMC simulated ranked the posterior's sets; the "
        f"{len(sel)} it predicted closest to the targets",
        f"ran again over {settings['selection seeds']} fresh seeds (from {SELECTION_SEED_OFFSET}), and the first row,",
        "closest there, is the default. Distances as in the ABC (RMS of errors in tolerance units).",
        "",
        "| " + " | ".join([*keys, "emulated", "ABC", *stats, "distance"]) + " |",
        "|" + "---|" * (len(keys) + len(stats) + 3),
        *[
            "| "
            + " | ".join(
                [
                    *[f"{r[p.key]:.4g}" for p in fit.generations[-1].priors],
                    f"{r.emulated_distance:.3f}",
                    f"{r.abc_distance:.3f}",
                    *[f"{r[k]:.4g}" for k in stats],
                    f"{r.distance:.3f}",
                ]
            )
            + " |"
            for _, r in sel.iterrows()
        ],
        "",
    ]


def report(
    fit: DynamicsFit,
    payouts: Generation,
    mediation: tuple[float, pd.DataFrame],
    check: pd.DataFrame,
    settings: dict,
    wall: float,
    args: argparse.Namespace,
) -> str:
    generations = fit.generations
    table = generations_table(generations)
    final = generations[-1]
    lines = [
        "# Calibration on China's history before 2013",
        "",
        "Every run is the history scenario (`configs/scenario/china_2006_2019.yaml`: the reforms as they",
        f"came, dated) from 2006-01-01 to {settings['history until']}: calibration uses only what was observed",
        "before 2013 (HISTORY.md, rules of use); what happened from 2013 on is kept for validation",
        "([validation.md](validation.md), [history.md](history.md)).",
        "",
        "Produced by `python experiments/calibrate.py --write-config --write-docs` (method and choices:",
        "`sim/analysis/calibration.py`), in two stages: the parameters of the dynamics by history matching",
        "(Vernon et al. 2010) then adaptive population Monte Carlo ABC (Lenormand et al. 2013) inside",
        "the space history matching leaves plausible, on simulations; the payout parameters, which feed back",
        "into nothing, by rejection ABC on the payout draws recorded at the first stage's fit. The",
        "fitted values are in `configs/calibration/pre_reform.yaml`, which the default config loads",
        "(`calibration=none` runs the uncalibrated schema defaults): for the dynamics, the posterior's",
        "set that reproduces the targets best over fresh seeds (see 'Point estimate'); for the payouts,",
        "the posterior means.",
        "",
        f"Settings: {settings}; wall time {wall / 60:.1f} min.",
        "",
        *reduced_setting_note(args),
        *targets_section(check),
        "## Stage 1: the dynamics",
        "",
        f"History matching: a first wave of {len(fit.wave)} Sobol sets over the priors trained an emulator of",
        "each statistic (quadratic regression of its logarithm on the parameters); sets whose predicted",
        f"statistic lies more than {settings['cutoff']} standard deviations (emulator error and tolerance",
        f"combined) from any target are ruled out. Not ruled out: {fit.nroy_share:.1%} of the prior.",
        "",
        "| statistic | emulator R² | residual sd (log) |",
        "|---|---|---|",
        *[
            f"| `{r.statistic}` | {r.r_squared:.3f} | {r.residual_sd_log:.3f} |"
            for _, r in emulator_table(fit).iterrows()
        ],
        "",
        "APMC inside that space (generation 0: a Sobol sample of it):",
        "",
        "| generation | sets simulated | tolerance | acceptance | best distance |",
        "|---|---|---|---|---|",
        *[
            f"| {r.generation:.0f} | {r['sets simulated']:.0f} | {r.tolerance:.3f} | {r.acceptance:.2f} | "
            f"{r['best distance']:.3f} |"
            for _, r in table.iterrows()
        ],
        "",
        f"Posterior: the {len(final.particles)} weighted sets of the last generation.",
        "",
        *_posterior_table(final.posterior()),
        "",
        *_selection_section(fit, settings),
        *payouts_section(payouts),
        *mediation_section(*mediation),
        *check_section(check),
    ]
    return "\n".join(lines)


def targets_section(check: pd.DataFrame) -> list[str]:
    return [
        "## Targets",
        "",
        "Statistics of the history's years (`<statistic>_<year>` in a run's summary; counts per",
        "secondary/tertiary hospital, a catchment of 25,000 residents, and year). The distance is the root",
        "mean square of the errors in units of each tolerance.",
        "",
        "| statistic | target | tolerance | source |",
        "|---|---|---|---|",
        *[
            f"| `{t.key}` | {t.value:g} | {t.tolerance:.0%}{' (log)' if t.log else ''} | {t.source} |"
            for t in TARGETS
            if t.key in set(check["target"])
        ],
        "",
        "Priors: " + ", ".join(f"`{p.key}` {'log-' if p.log else ''}uniform" for p in PRIORS) + ".",
        "",
    ]


def payouts_section(payouts: Generation, note: str = "") -> list[str]:
    return [
        "## Stage 2: the payouts (rejection ABC on recorded draws)",
        "",
        *([note, ""] if note else []),
        "The sources' largest payout (about 3,000,000 yuan) is the largest of all the payouts of the",
        "hospitals they surveyed (270, recalled): the model's statistic is the payout that as many",
        "hospitals' payouts of a year would exceed once, under the fitted payout law and the run's mix of",
        "harms and channels (`sim.mechanisms.disputes.expected_largest_payout`). Until 2026-12-07 it was",
        "the largest payout of a run (two hospitals at the small scale, a few dozen payouts): to reach",
        "3,000,000 among so few, the fit spread the law (sigma 2.23, a median of 14,640 yuan), which put",
        "the median court award at a quarter of the litigation records' and the mean mediated payout at",
        "almost twice Guangdong's (docs/validation.md).",
        "",
        f"{payouts.simulated} (median, sigma) pairs, the best {len(payouts.particles)} kept.",
        "",
        *_posterior_table(payouts.posterior()),
        "",
    ]


def mediation_section(share: float, rounds: pd.DataFrame) -> list[str]:
    t = MEDIATION_VOLUME_TARGET
    if rounds.empty:
        return [
            "## Stage 3: the share of disputes the mediation committees take",
            "",
            f"Not fitted: the history stops before the end of 2011. `{MEDIATION_SHARE_KEY}` = {share:g}, the",
            "value the first stage ran at.",
            "",
        ]
    return [
        "## Stage 3: the share of disputes the mediation committees take",
        "",
        "The model's disputes are the broad per-hospital count of the mid-2000s (66 a hospital-year,",
        "every complaint a hospital records); the committees took a small part of them. In 2011 they",
        f"mediated about {t.value:.1f} disputes per graded secondary or tertiary hospital ({t.source}).",
        f"`{MEDIATION_SHARE_KEY}` (the disputes of the kind the committees take; the mediation policy's",
        "uptake applies to these) is fitted to that volume with the other parameters at their fitted",
        "values: the committees opened in 2010, so the share moves no first-stage statistic but the 2011",
        "success rate, a rate. The volume is proportional to the share while the centres have free",
        "mediators, so each round rescales the share by target / mean volume over fresh seeds",
        f"(from {ABC_SEED_OFFSET}; `sim.analysis.calibration.calibrate_mediation_share`). Before this",
        "stage existed the uptake applied to all the model's disputes (share 1): about 80 a hospital-year",
        "went to centres that could close about 34, and the queue grew without limit (docs/ODD.md, 10).",
        "",
        "| round | share | mediated per hospital, 2011 (mean) | 95 % CI | seeds |",
        "|---|---|---|---|---|",
        *[
            f"| {r['round']:.0f} | {r['share']:.4f} | {r['mean volume']:.2f} | "
            f"[{r['95% CI low']:.2f}, {r['95% CI high']:.2f}] | {r['seeds']:.0f} |"
            for _, r in rounds.iterrows()
        ],
        "",
        f"Fitted: `{MEDIATION_SHARE_KEY}` = {share:.4g} (target {t.value:.2f}, tolerance a factor "
        f"{1 + t.tolerance:g}).",
        "",
    ]


def check_section(check: pd.DataFrame) -> list[str]:
    return [
        "## Posterior-predictive check: the calibrated default",
        "",
        f"The fitted values over seeds {check.attrs.get('seeds', [])} (the ABC used seeds from "
        f"{ABC_SEED_OFFSET}: out of sample) at the",
        "calibration's scale: mean over seeds with its 95 % confidence interval (t), the range over",
        "seeds, the relative error of the mean and whether it is within the tolerance.",
        "",
        *check_table(check),
        "",
    ]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true", help="tiny scale, 2006 only, 128 + 16 sets, 1 seed, 2 generations")
    ap.add_argument(
        "--wave-power2", type=in_range(int, 2), default=7, help="2**k sets in the history-matching wave (default 128)"
    )
    ap.add_argument(
        "--cutoff", type=in_range(float, 0.5), default=3.0, help="implausibility above which sets are ruled out"
    )
    ap.add_argument(
        "--population-power2", type=in_range(int, 2), default=5, help="2**k sets in the APMC population (default 32)"
    )
    ap.add_argument(
        "--alpha", type=in_range(float, 0.05, 0.95), default=0.5, help="share of the population kept each generation"
    )
    ap.add_argument(
        "--min-acceptance", type=in_range(float, 0.0, 1.0), default=0.1, help="stop when fewer new sets are accepted"
    )
    ap.add_argument("--max-generations", type=in_range(int, 1), default=5)
    ap.add_argument("--seeds", type=in_range(int, 1), default=2, help="replicate seeds per set")
    ap.add_argument(
        "--candidates", type=in_range(int, 0), default=4, help="posterior sets compared for the point estimate"
    )
    ap.add_argument("--selection-seeds", type=in_range(int, 1), default=6, help="fresh seeds the candidates run over")
    ap.add_argument("--payout-seeds", type=in_range(int, 1), default=6, help="runs recording payout draws (stage 2)")
    ap.add_argument("--check-seeds", type=in_range(int, 2), default=10, help="seeds of the predictive check")
    ap.add_argument("--scale", default="default")
    ap.add_argument("--until", default=CALIBRATION_END, help="last simulated date (at the latest 2012-12-31)")
    add_launcher_arguments(ap)
    ap.add_argument("--out", type=Path, default=Path("outputs/calibration"))
    ap.add_argument(
        "--write-config", action="store_true", help=f"write the fitted values to {CALIBRATION_CONFIG}, the posterior"
    )
    ap.add_argument("--write-docs", action="store_true", help="copy report.md to docs/calibration.md")
    ap.add_argument("--skip-abc", action="store_true", help="only the predictive check of the configured default")
    ap.add_argument(
        "--mediation-only",
        action="store_true",
        help="only stage 3 (the share of disputes the mediation committees take), the configured values kept",
    )
    ap.add_argument("--mediation-seeds", type=in_range(int, 2), default=16, help="seeds of each round of stage 3")
    ap.add_argument(
        "--payouts-only",
        action="store_true",
        help="only stage 2 (the payout parameters, on recorded draws), the configured values kept",
    )
    args = ap.parse_args(argv)
    if args.cheap:
        args.wave_power2, args.population_power2, args.seeds, args.check_seeds, args.max_generations = 7, 4, 1, 2, 2
        args.payout_seeds, args.candidates, args.selection_seeds = 2, 2, 1
        args.scale, args.until = "tiny", "2006-12-31"
    alone = [o for o in ("skip_abc", "mediation_only", "payouts_only") if getattr(args, o)]
    if len(alone) > 1:
        ap.error(" and ".join(f"--{o.replace('_', '-')}" for o in alone) + ": choose one of them")
    if args.mediation_only and args.until < "2011-12-31":  # else it would write the start value as a fit
        ap.error(
            f"--mediation-only fits the volume mediated in 2011: --until must be 2011-12-31 or later, not {args.until}"
        )
    # the emulator is a quadratic regression: 1 + d + d (d + 1) / 2 coefficients for d parameters
    d = len(DYNAMIC_PRIORS)
    coefficients = 1 + d + d * (d + 1) // 2
    if 2**args.wave_power2 <= coefficients:
        smallest = next(k for k in range(2, 30) if 2**k > coefficients)
        ap.error(
            f"--wave-power2 {args.wave_power2}: the emulator of {d} parameters has {coefficients} coefficients, "
            f"so the wave needs more sets than that: --wave-power2 {smallest} or more"
        )
    if args.until > CALIBRATION_END:
        ap.error(
            f"--until {args.until}: calibration may use only what was observed before 2013 (at most {CALIBRATION_END})"
        )
    args.base = [f"scale={args.scale}", *HISTORY, f"end_date={args.until}"]
    check_run_overrides(ap, args.base)
    return args


def reduced_setting_note(args: argparse.Namespace) -> list[str]:
    """A paragraph naming every option set below ``make calibrate``'s (the documented setting), so
    that a reader of a fit made cheaper for lack of time knows what it lacks; empty when none is."""
    documented = parse_args([])
    options = ("wave_power2", "population_power2", "max_generations", "seeds", "candidates",
               "selection_seeds", "payout_seeds", "check_seeds", "scale")  # fmt: skip
    pairs = {o: (getattr(args, o), getattr(documented, o)) for o in options}
    smaller = {o: pair for o, pair in pairs.items() if pair[0] != pair[1]}
    if not smaller:
        return []
    listed = ", ".join(f"--{o.replace('_', '-')} {v} (documented: {d})" for o, (v, d) in smaller.items())
    return [
        "**A reduced setting.** This fit was made with fewer or smaller runs than `make calibrate`'s",
        f"documented setting: {listed}. Its posterior is coarse (few weighted sets, wide intervals) and",
        "its point estimate less certain than the documented setting's would be; `make calibrate` (on a",
        "cluster: docs/cluster.md) refits it.",
        "",
    ]


def settings_of(args, generations: int) -> dict:
    return {
        "wave": 2**args.wave_power2,
        "cutoff": args.cutoff,
        "population": 2**args.population_power2,
        "kept share": args.alpha,
        "seeds per set": args.seeds,
        "candidates": args.candidates,
        "selection seeds": args.selection_seeds,
        "payout seeds": args.payout_seeds,
        "generations": generations,
        "scale": args.scale,
        "history until": args.until,
        "check seeds": args.check_seeds,
    }


def fit_dynamics(args, launcher: list[str], runs: Path) -> DynamicsFit:
    """Stage 1, from the schema defaults (not from an earlier calibration); tables into --out."""
    options = {"alpha": args.alpha, "min_acceptance": args.min_acceptance, "max_generations": args.max_generations}
    fit = calibrate_dynamics(
        args.population_power2,
        range(ABC_SEED_OFFSET, ABC_SEED_OFFSET + args.seeds),
        [*args.base, "calibration=none", f"{MEDIATION_SHARE_KEY}={MEDIATION_SHARE_START}"],
        launcher,
        runs,
        args.wave_power2,
        args.cutoff,
        args.candidates,
        range(SELECTION_SEED_OFFSET, SELECTION_SEED_OFFSET + args.selection_seeds),
        **options,
    )
    fit.wave.to_parquet(args.out / "wave_1.parquet")
    emulator_table(fit).to_csv(args.out / "emulator.csv", index=False)
    print(emulator_table(fit).to_string(index=False), f"\nnot ruled out: {fit.nroy_share:.1%} of the prior")
    table = generations_table(fit.generations)
    table.to_csv(args.out / "generations.csv", index=False)
    print(table.to_string(index=False))
    for g, generation in enumerate(fit.generations):
        generation.particles.to_parquet(args.out / f"population_{g}.parquet")
    if fit.selection is not None:
        fit.selection.to_csv(args.out / "selection.csv", index=False)
        print(fit.selection.to_string())
    return fit


def fit_payouts(args, dynamics: dict) -> Generation:
    """Stage 2 on payout draws recorded at the dynamics' fitted values."""
    payout_seeds = range(ABC_SEED_OFFSET, ABC_SEED_OFFSET + args.payout_seeds)
    payouts = calibrate_payouts(
        recorded_payouts([*args.base, "calibration=none", *overrides_for(dynamics)], payout_seeds, args.jobs)
    )
    payouts.particles.to_parquet(args.out / "payouts.parquet")
    return payouts


def fit_mediation(args, launcher: list[str], runs: Path, base: list[str], theta: dict | None):
    """Stage 3 at the fitted values ``theta`` (None: the configured ones); the rounds into --out."""
    if args.until < "2011-12-31":  # cheap settings: no 2011 to fit on
        print(f"stage 3 skipped: the history stops at {args.until}; {MEDIATION_SHARE_KEY} = {MEDIATION_SHARE_START}")
        return MEDIATION_SHARE_START, pd.DataFrame()
    seeds = range(ABC_SEED_OFFSET, ABC_SEED_OFFSET + args.mediation_seeds)
    share, rounds = calibrate_mediation_share(base, seeds, launcher, runs / "mediation", theta)
    rounds.to_csv(args.out / "mediation.csv", index=False)
    print(rounds.to_string(index=False), f"\n{MEDIATION_SHARE_KEY} = {share:.4g}")
    return share, rounds


def configured_values() -> tuple[dict[str, float], str]:
    """The values in configs/calibration/pre_reform.yaml, flattened, and its settings note."""
    import yaml

    text = CALIBRATION_CONFIG.read_text()

    def flat(node, prefix=""):
        for k, v in node.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", float(v)

    note = [line[2:] for line in text.splitlines() if line.startswith("# Settings:")]
    return dict(flat(yaml.safe_load(text))), "\n".join(note)


def replace_section(text: str, heading: str, lines: list[str]) -> str:
    """``text`` with the section under ``heading`` (up to the next ``## `` heading) replaced by ``lines``;
    appended at the end when ``text`` has no such section."""
    if heading not in text:
        return text.rstrip("\n") + "\n\n" + "\n".join(lines).rstrip("\n") + "\n\n"
    start = text.index(heading)
    after = text.find("\n## ", start + len(heading))
    rest = "" if after < 0 else text[after + 1 :]
    return text[:start] + "\n".join(lines).rstrip("\n") + "\n\n" + rest


def check_refit(args, launcher: list[str], runs: Path, values: dict, note: str, stage: str) -> tuple[str, pd.DataFrame]:
    """After one stage was refitted alone (``stage``: 'mediation' or 'payouts'): the config's text with
    the refitted ``values`` (written to --out/fitted.yaml) and the predictive check of those values
    (--out/predictive_check.csv)."""
    yaml_text = config_yaml(values, note=note)
    (args.out / "fitted.yaml").write_text(yaml_text)
    check = predictive_check(
        [*args.base, "calibration=none"], range(args.check_seeds), launcher, theta=values,
        sweep_dir=runs / f"predictive_check_{stage}",
    )  # fmt: skip
    check.attrs["seeds"] = list(range(args.check_seeds))
    check.to_csv(args.out / "predictive_check.csv", index=False)
    print("\n".join(check_table(check)))
    return yaml_text, check


def mediation_only(args, launcher: list[str], runs: Path) -> None:
    """Stage 3 alone, the other configured values kept; the config and docs/calibration.md updated
    in place (its stage-3 and predictive-check sections)."""
    share, rounds = fit_mediation(args, launcher, runs, list(args.base), None)
    values, note = configured_values()
    values[MEDIATION_SHARE_KEY] = share
    note += f"\nStage 3 refitted alone (--mediation-only, {args.mediation_seeds} seeds per round, scale {args.scale})"
    yaml_text, check = check_refit(args, launcher, runs, values, note, "mediation")
    if args.write_config:
        CALIBRATION_CONFIG.write_text(yaml_text)
    if args.write_docs:
        path = ROOT / "docs" / "calibration.md"
        text = replace_section(path.read_text(), "## Stage 3", mediation_section(share, rounds))
        path.write_text(replace_section(text, "## Posterior-predictive check", check_section(check)))


def payouts_only(args, launcher: list[str], runs: Path) -> None:
    """Stage 2 alone at the configured values of the dynamics (payouts feed back into nothing); the
    config, the posterior's sets (their payout columns) and docs/calibration.md (its targets, stage-2
    and predictive-check sections) updated in place."""
    values, note = configured_values()
    payout_keys = [p.key for p in PAYOUT_PRIORS]
    payouts = fit_payouts(args, {k: v for k, v in values.items() if k not in payout_keys})
    payouts.posterior().to_csv(args.out / "payouts_posterior.csv")
    print(payouts.posterior().to_string())
    values.update(payouts.fitted())
    note += f"\nStage 2 refitted alone (--payouts-only, {args.payout_seeds} seeds, scale {args.scale})"
    yaml_text, check = check_refit(args, launcher, runs, values, note, "payouts")
    if args.write_config:
        CALIBRATION_CONFIG.write_text(yaml_text)
        sets = pd.read_csv(POSTERIOR_FILE)
        for key, value in payouts.fitted().items():
            sets[key] = value
        sets.to_csv(POSTERIOR_FILE, index=False)
    if args.write_docs:
        path = ROOT / "docs" / "calibration.md"
        text = replace_section(path.read_text(), "## Targets", targets_section(check))
        refit = f"Refitted alone (`--payouts-only`), the other stages' values kept; {args.payout_seeds} seeds."
        text = replace_section(text, "## Stage 2", payouts_section(payouts, refit))
        path.write_text(replace_section(text, "## Posterior-predictive check", check_section(check)))


def posterior_sets(fit: DynamicsFit, payouts: Generation) -> pd.DataFrame:
    """Weighted parameter sets of the posterior: the dynamics' last generation, each paired with
    the payouts' posterior mean (payouts feed back into nothing), normalised weights."""
    final = fit.generations[-1].particles
    keys = [p.key for p in fit.generations[-1].priors]
    sets = final[keys].copy()
    for key, value in payouts.fitted().items():
        sets[key] = value
    sets["weight"] = final["weight"].to_numpy() / final["weight"].sum()
    return sets.reset_index(drop=True)


def main(argv=None) -> None:
    args = parse_args(argv)
    check_seeds = range(args.check_seeds)
    launcher = launcher_overrides(args)
    runs = args.out / "runs"  # every run's files, so that an interrupted calibration resumes
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.skip_abc:
        check = predictive_check(args.base, check_seeds, launcher, sweep_dir=runs / "configured_default")
        check.to_csv(args.out / "predictive_check.csv", index=False)
        print("\n".join(check_table(check)))
        return
    if args.mediation_only:
        mediation_only(args, launcher, runs)
        return
    if args.payouts_only:
        payouts_only(args, launcher, runs)
        return
    fit = fit_dynamics(args, launcher, runs)
    dynamics = fit.fitted()
    payouts = fit_payouts(args, dynamics)
    mediation = fit_mediation(args, launcher, runs, [*args.base, "calibration=none"], {**dynamics, **payouts.fitted()})
    posterior = pd.concat([fit.generations[-1].posterior(), payouts.posterior()])
    posterior.to_csv(args.out / "posterior.csv")
    sets = posterior_sets(fit, payouts)
    sets.to_csv(args.out / "posterior_sets.csv", index=False)
    print(posterior[["prior_low", "prior_high", "mean", "q05", "q95"]].to_string())
    fitted = {**dynamics, **payouts.fitted(), MEDIATION_SHARE_KEY: mediation[0]}
    settings = settings_of(args, len(fit.generations))
    yaml_text = config_yaml(fitted, note=f"Settings: {settings}")
    (args.out / "fitted.yaml").write_text(yaml_text)
    check = predictive_check(
        [*args.base, "calibration=none"], check_seeds, launcher, theta=fitted, sweep_dir=runs / "predictive_check"
    )
    check.attrs["seeds"] = list(check_seeds)
    check.to_csv(args.out / "predictive_check.csv", index=False)
    print("\n".join(check_table(check)))
    text = report(fit, payouts, mediation, check, settings, time.perf_counter() - started, args)
    (args.out / "report.md").write_text(text)
    if args.write_config:
        CALIBRATION_CONFIG.write_text(yaml_text)
        sets.to_csv(POSTERIOR_FILE, index=False)
    if args.write_docs:
        (ROOT / "docs" / "calibration.md").write_text(text)
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
