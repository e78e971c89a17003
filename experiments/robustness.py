"""Robust comparisons: parameter uncertainty in every policy effect, and where each policy fails.

    python experiments/robustness.py --write-docs     # publication setting (below), docs/robustness.md
    python experiments/robustness.py --cheap --posterior-draws 0 --write-docs   # the cheap setting of the docs
    python experiments/robustness.py hydra/launcher=slurm hydra.launcher.partition=compute   # on a cluster

Method: ``sim/analysis/robustness.py``. Three parts, each a resumable design sweep (``--out``/runs/)
on local cores (``--jobs``) or any Hydra launcher (positional launcher overrides; other positional
overrides apply to every run, e.g. ``burn_in_days=90``):

1. the policy comparison over ``--posterior-draws`` draws of the calibration's posterior
   (configs/calibration/posterior.csv, written by ``python experiments/calibrate.py --write-config``)
   x ``--seeds`` seeds: intervals with and without parameter uncertainty, the variance split
   (0 draws: skipped);
2. a Latin hypercube of ``--points`` points over the behavioural parameters the data cannot pin down
   (``DEEP_UNCERTAINTY``), crossed with the baseline, every policy alone, the mission's package and
   the policies of the 2006-2019 history, over ``--seeds`` seeds, every arm with the same points and
   seeds;
3. from those runs: per arm the PRIM box where it fails to cut violence (and disputes) by
   ``--share``, with coverage, density and the peeling trajectory; the robust ranking (how often
   best, worst case, minimax regret) and whether the README's ranking survives.

Publication setting (the defaults; the numbers of docs/robustness.md): 64 points x 3 seeds x 16 arms at
the small scale, 365 days, and 8 posterior draws x 3 seeds x the 15 arms of the quick comparison (3,432
runs, 37 min on 2 cores on 2026-12-07, each point's burn-in shared by its arms; on SLURM: add
hydra/launcher=slurm ...). ``--cheap``: 24 points x 1 seed at the small scale, 365 days (384 runs); the tests
shrink it further (``--scale tiny --days 20 --points 4 --policies ...``).

Writes into --out (default outputs/robustness): design.csv, point_effects.csv, failures.csv,
boxes.csv, trajectories.csv, ranking.csv, posterior_effects.csv (when run), figures (PDF, PNG) and
robustness.md (copied to docs/ with the figures by --write-docs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from sim.analysis import robustness as rb
from sim.analysis.calibration import POSTERIOR_FILE
from sim.policies import POLICY_NAMES
from sim.runs.io import write_bytes, write_csv, write_text
from sim.runs.sweep import add_launcher_arguments, check_run_overrides, in_range, launcher_overrides

ROOT = Path(__file__).resolve().parent.parent

#: The README's claims about the ranking ("Know its limits before you cite it"): the policy first for
#: disputes and the one first for violence stay first across the plausible ranges.
README_FIRST = {"disputes_per_hospital_year": "tiered_care", "violent_incidents_per_hospital_year": "legal_deterrence"}
#: Seeds of the deep-uncertainty design and of the posterior comparison start here (as the comparisons').
FIRST_SEED = 0


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true", help="24 points x 1 seed at the small scale (the docs' setting)")
    ap.add_argument("--points", type=in_range(int, 2), help="Latin-hypercube points (default 64; cheap 24)")
    ap.add_argument("--seeds", type=in_range(int, 1), help="seeds per point and per draw (default 3; cheap 1)")
    ap.add_argument("--scale", default="small", help="scale preset of the runs (tiny, small, default, large)")
    ap.add_argument("--days", type=in_range(int, 1, 36_500), default=365, help="simulated days per run")
    ap.add_argument("--share", type=in_range(float, 0.01, 0.99), default=0.2,
                    help="a policy fails at a point when it cuts the outcome by less than this share")  # fmt: skip
    ap.add_argument("--min-density", type=in_range(float, 0.5, 1.0), default=0.8, help="PRIM: density a box must reach")
    ap.add_argument("--posterior-draws", type=in_range(int, 2, also=(0,)), help="posterior draws (default 8; cheap 0)")
    ap.add_argument("--posterior", type=Path, help=f"the posterior's sets (default {POSTERIOR_FILE.relative_to(ROOT)})")
    ap.add_argument("--design-seed", type=in_range(int, 0), default=0, help="seed of the Latin hypercube's generator")
    ap.add_argument(
        "--fixed-rates",
        action="store_true",
        help="keep the calibrated base log-odds of disputes and daily chance of violence at every design point "
        "(by default both are re-solved per point so that the baseline keeps the calibrated rates)",
    )
    ap.add_argument(
        "--reuse-runs",
        action="store_true",
        help="analyse the complete runs already in --out/runs (made by earlier code: after a change to the "
        "analysis code, which would otherwise redo them); each run's code is named in the note",
    )
    ap.add_argument("--policies", help="comma-separated arms instead of all (e.g. legal_deterrence,historical_package)")
    add_launcher_arguments(ap)
    ap.add_argument("--out", type=Path, default=Path("outputs/robustness"))
    ap.add_argument("--write-docs", action="store_true", help="copy robustness.md and the figures to docs/")
    args = ap.parse_args(argv)
    defaults = (24, 1, 0) if args.cheap else (64, 3, 8)
    for name, default in zip(("points", "seeds", "posterior_draws"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    # positional overrides: the launcher's go to the launcher, the rest to every run (e.g. burn_in_days=90)
    is_launcher = [o.startswith(("hydra/launcher", "hydra.launcher")) for o in args.launcher]
    extra = [o for o, launcher in zip(args.launcher, is_launcher, strict=True) if not launcher]
    args.launcher = [o for o, launcher in zip(args.launcher, is_launcher, strict=True) if launcher]
    args.overrides = [f"scale={args.scale}", f"days={args.days}", *extra]
    check_run_overrides(ap, args.overrides)
    arms = rb.comparison_arms(include_packages=True, historical=True)
    if args.policies:
        chosen = [a.strip() for a in args.policies.split(",") if a.strip()]
        unknown = [a for a in chosen if a not in arms]
        if unknown or not chosen:
            allowed = ", ".join(a for a in arms if a != "baseline")
            ap.error(f"argument --policies: unknown arm(s) {unknown}: allowed {allowed}")
        arms = {"baseline": [], **{a: arms[a] for a in chosen if a != "baseline"}}
    args.arms = arms
    if args.posterior_draws:
        if args.seeds < 2:
            ap.error(f"argument --seeds: {args.seeds} with --posterior-draws: the variance split needs at least 2")
        try:
            rb.read_posterior(args.posterior)
        except (FileNotFoundError, ValueError) as err:
            ap.error(f"argument --posterior-draws: {err}; or skip that part with --posterior-draws 0")
    return args


def label(arm: str) -> str:
    from sim.analysis.plots import arm_name

    return arm_name(arm) if arm in POLICY_NAMES or "+" in arm else arm.replace("_", " ")


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def trajectories_figure(boxes: dict, path: Path, note: str) -> list[Path]:
    """Coverage against density along each arm's peeling trajectory (violence), the chosen box marked."""
    import matplotlib.pyplot as plt

    from sim.analysis.plots import OKABE_ITO, house_style, save

    with house_style():
        fig, axes = plt.subplots(1, len(rb.OUTCOMES), figsize=(9, 3.8), layout="constrained", squeeze=False)
        for ax, (outcome, plain) in zip(axes[0], rb.OUTCOMES.items(), strict=True):
            shown = [(arm, box) for (arm, out), box in boxes.items() if out == outcome and box is not None]
            for i, (arm, box) in enumerate(shown):
                colour = OKABE_ITO[i % len(OKABE_ITO)]
                t = box.trajectory
                ax.plot(t["coverage"], t["density"], "-", color=colour, lw=1, label=label(arm))
                ax.plot(box.coverage, box.density, "o", color=colour, ms=5, mec="black")
            ax.set_xlabel("coverage (share of all failures inside the box)")
            ax.set_ylabel("density (share of the box's points failing)")
            ax.set_title(f"Fails to cut {plain}", fontsize=8)
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.02)
            if shown:
                ax.legend(fontsize=5.5, loc="lower left")
        fig.suptitle(f"PRIM peeling trajectories, chosen boxes marked{note}", fontsize=9)
        return save(fig, path)


def boxes_figure(boxes: dict, design: pd.DataFrame, fails: pd.DataFrame, arms: list[str], path: Path, note: str):
    """For each of ``arms``: the design points on the two most restricted parameters of its violence
    box, failing points filled, the box drawn."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from sim.analysis.plots import OKABE_ITO, house_style, save

    names = {p.key: p.name for p in rb.DEEP_UNCERTAINTY}
    bounds = {p.key: (p.low, p.high) for p in rb.DEEP_UNCERTAINTY}
    outcome = "violent_incidents_per_hospital_year"
    with house_style():
        fig, axes = plt.subplots(1, max(len(arms), 1), figsize=(3.3 * max(len(arms), 1), 3.3), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for ax, arm in zip(axes[0], arms, strict=False):
            box = boxes.get((arm, outcome))
            sub = fails[(fails["arm"] == arm) & (fails["outcome"] == outcome)]
            keys = list(box.limits.index[:2]) if box is not None and len(box.limits) else []
            keys += [k for k in names if k not in keys][: 2 - len(keys)]
            x = design.loc[sub["point"], keys[0]].to_numpy()
            y = design.loc[sub["point"], keys[1]].to_numpy()
            failed = sub["failed"].to_numpy(bool)
            ax.scatter(x[~failed], y[~failed], s=14, facecolors="none", edgecolors="0.5", label="cuts it")
            ax.scatter(x[failed], y[failed], s=14, color=OKABE_ITO[5], label="fails")
            if box is not None and len(box.limits):
                lim = box.limits.reindex(keys)
                lo = [lim.loc[k, "low"] if pd.notna(lim.loc[k, "low"]) else bounds[k][0] for k in keys]
                hi = [lim.loc[k, "high"] if pd.notna(lim.loc[k, "high"]) else bounds[k][1] for k in keys]
                ax.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False, lw=1.4,
                                       ec=OKABE_ITO[1]))  # fmt: skip
                ax.set_title(f"{label(arm)}: coverage {box.coverage:.0%}, density {box.density:.0%}", fontsize=7)
            else:
                ax.set_title(f"{label(arm)}: no box", fontsize=7)
            ax.set_xlabel(names[keys[0]], fontsize=7)
            ax.set_ylabel(names[keys[1]], fontsize=7)
            ax.set_xlim(*bounds[keys[0]])
            ax.set_ylim(*bounds[keys[1]])
        axes[0][0].legend(fontsize=6, loc="best")
        fig.suptitle(f"Where the top policies fail to cut violence{note}", fontsize=9)
        return save(fig, path)


def ranking_figure(rankings: dict[str, pd.DataFrame], path: Path, note: str) -> list[Path]:
    """Per outcome: how often each policy is best, and its maximum regret (percentage points)."""
    import matplotlib.pyplot as plt

    from sim.analysis.plots import OKABE_ITO, house_style, save

    with house_style():
        fig, axes = plt.subplots(2, len(rankings), figsize=(4.2 * len(rankings), 6.4), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for j, (outcome, table) in enumerate(rankings.items()):
            t = table.sort_values("max_regret", ascending=False)
            names = [label(a) for a in t["arm"]]
            axes[0][j].barh(names, t["share_best"] * 100, color=OKABE_ITO[2])
            axes[0][j].set_xlabel("design points where it cuts most (%)")
            axes[0][j].set_title(f"{rb.OUTCOMES[outcome].capitalize()}: how often best", fontsize=8)
            axes[1][j].barh(names, t["max_regret"] * 100, color=OKABE_ITO[1])
            axes[1][j].set_xlabel("maximum regret (percentage points of the outcome)")
            axes[1][j].set_title(f"{rb.OUTCOMES[outcome].capitalize()}: maximum regret (smaller is better)", fontsize=8)
            for ax in axes[:, j]:
                ax.tick_params(axis="y", labelsize=6)
        fig.suptitle(f"Robust ranking of the single policies{note}", fontsize=9)
        return save(fig, path)


# ----------------------------------------------------------------------------------------------
# The note
# ----------------------------------------------------------------------------------------------
def readme_verdict(rankings: dict[str, pd.DataFrame]) -> list[dict]:
    out = []
    for outcome, claimed in README_FIRST.items():
        if outcome not in rankings or claimed not in set(rankings[outcome]["arm"]):
            continue
        t = rankings[outcome].set_index("arm")
        first_best = t["share_best"].idxmax()
        first_regret = t["max_regret"].idxmin()
        held = [first_best == claimed, first_regret == claimed]
        out.append(
            {
                "outcome": outcome,
                "claimed_first": claimed,
                "share_best": float(t.loc[claimed, "share_best"]),
                "most_often_best": first_best,
                "minimax_regret_first": first_regret,
                "rank_worst_case": int(t.loc[claimed, "rank_worst_case"]),
                "verdict": "held" if all(held) else "held in part" if any(held) else "did not hold",
            }
        )
    return out


def markdown(args, design, failure_rows, boxes_table, rankings, verdicts, top, posterior, settings, figures) -> str:
    share = f"{args.share:.0%}"
    lines = [
        "# Robustness: parameter uncertainty in the policy effects, and where each policy fails",
        "",
        f"Produced by `python experiments/robustness.py {settings['command']}` ({settings['text']}); method:",
        "`sim/analysis/robustness.py`. "
        + (
            f"**Cheap setting: few design points and {args.seeds} seed(s) per point, so every number below is "
            "indicative only; the publication setting is in the script's docstring and at the end of this note.**"
            if args.cheap
            else ""
        ),
        "",
        "## The parameters the data cannot pin down",
        "",
        "The calibration fits the levels of the sources' figures (rates, shares, payouts: "
        "[calibration.md](calibration.md)); these behavioural parameters move the outcomes or decide how a "
        "policy acts, and no data set fixes them. Their plausible ranges (`DEEP_UNCERTAINTY`, the one place "
        "they are declared) span a Latin hypercube (scipy.stats.qmc, generator seeded with "
        f"`--design-seed` {args.design_seed}) of {len(design)} points; every arm ran at every point with the "
        f"same {args.seeds} seed(s) (paired). "
        + (
            "The calibrated parameters stay at their configured values (`--fixed-rates`): a point that weights "
            "dissatisfaction more then also has more disputes at baseline."
            if args.fixed_rates
            else "The calibration fixes the dispute and violence rates, not how they split over their causes, so "
            "at each point the two rate parameters (`params.disputes.base_log_odds`, "
            "`params.violence.daily_action_probability`) are re-solved to keep the calibrated baseline's rates, "
            "from one baseline run at the calibrated point (`rate_preserving`: static, so only approximately; the "
            "baseline's spread below shows how close); the other calibrated parameters stay at their configured "
            "values. `--fixed-rates` keeps the two as configured."
        ),
        "",
        "| parameter | range | why it is uncertain | source of the range |",
        "|---|---|---|---|",
        *[f"| `{p.key}` | {p.low:g}-{p.high:g} | {p.why} | {p.source} |" for p in rb.DEEP_UNCERTAINTY],
        "",
        "## Effects over the calibration's posterior",
        "",
    ]
    if posterior is not None:
        lines += [
            f"Every arm over {args.posterior_draws} posterior draws x {args.seeds} seeds (paired by draw and seed). "
            "*Seeds only*: the interval an effect has at one parameter set (seed noise of the mean); *with "
            "parameter uncertainty*: the random-effects prediction interval for the effect under a parameter "
            "set drawn from the posterior (Higgins, Thompson & Spiegelhalter 2009). Both are for the relative "
            "change, each draw against its own baseline (a parameter set that moves the baseline's level does "
            "not count as uncertainty about a relative effect). *Parameter share*: the share of the relative "
            "effect's variance across runs due to the posterior (between draws) rather than seeds (within), "
            "from a one-way random-effects ANOVA.",
            "",
            f"![Effects over posterior draws]({figures['posterior']})",
            "",
            rb.posterior_markdown(posterior),
        ]
    else:
        lines += [
            "Not run here: the calibration's posterior sets (`configs/calibration/posterior.csv`) are written by "
            "`python experiments/calibrate.py --write-config`, which was being rerun when this note was made. "
            "With that file, `python experiments/robustness.py --write-docs` adds this section (and "
            "`python experiments/policy_comparison.py --quick --posterior-draws 8` gives the quick comparison's "
            "table with both intervals).",
            "",
        ]
    lines += [
        f"## Where each policy fails (PRIM, share {share})",
        "",
        f"A policy *fails* at a design point when it cuts the outcome by less than {share} against the baseline "
        "of the same point and seeds (relative change of the mean over seeds). PRIM (EMA Workbench 2.5.3) "
        f"finds the box of the uncertain parameters holding the failures: the box chosen on the peeling "
        f"trajectory has the largest coverage among those of density >= {args.min_density:.0%} (else the densest), "
        "then each limit whose quasi-p value (Bryant & Lempert 2010) exceeds 0.05 is released. A box with no "
        f"significant limit or a density below {args.min_density:.0%} is marked *weak*: a hint, not a finding. "
        "*Coverage*: the share of all the failures that lie in the box; *density*: the share of the box's "
        "points that fail.",
        "",
        f"![Peeling trajectories]({figures['trajectories']})",
        "",
        "PRIM comes from the EMA Workbench 2.5.3 (pinned in `pyproject.toml` as a main dependency, as SALib "
        "and heormodel are): the reference implementation of scenario discovery (Kwakkel, EMS 2017), with the "
        "peeling trajectory and quasi-p values, BSD-licensed like this project (MIT); 2.5.x is its last line "
        "for Python 3.11 (3.0 needs 3.12). The `prim` package (1.0.0, 2024) is a light port of the workbench's "
        "older PRIM (on a test case its trajectory matched the workbench's) but is GPL-3, which this project "
        "would have to take on; the workbench brings ~100 MB of dependencies (statsmodels, seaborn, "
        "platypus-opt) and a pandas-3 deprecation warning, silenced inside `discover`.",
        "",
        "| arm | outcome | fails at | main failure box | coverage | density | mass | quasi-p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in failure_rows:
        box = r["box"]
        limits = (
            "; ".join(
                f"`{k.split('.', 1)[1]}` "
                + (
                    f"{lim.low:.3g}-{lim.high:.3g}"
                    if lim.low_restricted and lim.high_restricted
                    else f">= {lim.low:.3g}"
                    if lim.low_restricted
                    else f"<= {lim.high:.3g}"
                )
                for k, lim in box.limits.iterrows()
            )
            if box is not None and len(box.limits)
            else "-"
        )
        cov = f"{box.coverage:.0%}" if box is not None else "-"
        den = f"{box.density:.0%}" if box is not None else "-"
        mass = f"{box.mass:.0%}" if box is not None else "-"
        qp = (f"{box.quasi_p:.2g}" + (" (weak)" if box.weak else "")) if box is not None and len(box.limits) else "-"
        lines.append(
            f"| {label(r['arm'])} | {rb.OUTCOMES[r['outcome']]} | {r['failed']} of {r['points']} | {limits} "
            f"| {cov} | {den} | {mass} | {qp} |"
        )
    lines += ["", "In words:", ""]
    lines += [f"- {r['sentence']}" for r in failure_rows]
    lines += [
        "",
        f"### The three policies that cut violence most across the design: {', '.join(label(a) for a in top)}",
        "",
        f"![Failure boxes of the top three]({figures['boxes']})",
        "",
    ]
    for r in failure_rows:
        if r["arm"] in top:
            lines.append(f"- {r['sentence']}")
    lines += [
        "",
        "How much there was to cut: the baseline's outcome across the design points, per hospital-year: "
        + "; ".join(f"{rb.OUTCOMES[k]} {lo:.3g} to {hi:.3g}" for k, (lo, hi) in settings["baseline_range"].items())
        + " (a change of a few events moves a relative change by much where there are few).",
        "",
        "## Robust ranking",
        "",
        "The single policies across the design points: how often each cuts the outcome most, its mean and "
        "worst-case relative change, and its maximum regret (the largest gap, over the points, between its "
        "change and that of the best policy there; Savage's minimax-regret criterion). Ranked by maximum regret.",
        "",
        f"![Robust ranking]({figures['ranking']})",
        "",
    ]
    for outcome, table in rankings.items():
        lines += [
            f"**{rb.OUTCOMES[outcome].capitalize()}** ({int(table['points'].iloc[0]) if len(table) else 0} points):",
            "",
            "| policy | best at | mean change | worst case | max regret | rank: regret / worst case / how often best |",
            "|---|---|---|---|---|---|",
        ]
        for r in table.itertuples():
            lines.append(
                f"| {label(r.arm)} | {r.share_best:.0%} | {r.mean:+.1%} | {r.worst_case:+.1%} | {r.max_regret:.1%} "
                f"| {r.rank_regret} / {r.rank_worst_case} / {r.rank_best} |"
            )
        lines.append("")
    lines += [
        "### Does the README's ranking survive?",
        "",
        "The README says the policy first for disputes (tiered care) and the one first for violence (legal "
        "deterrence) stay first across the plausible ranges. Held: first both by how often best and by minimax "
        "regret; held in part: by one of the two.",
        "",
        "| outcome | README's first | best at | most often best | first by minimax regret | its worst-case rank "
        "| verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        lines.append(
            f"| {rb.OUTCOMES[v['outcome']]} | {label(v['claimed_first'])} | {v['share_best']:.0%} "
            f"| {label(v['most_often_best'])} | {label(v['minimax_regret_first'])} | {v['rank_worst_case']} "
            f"| **{v['verdict']}** |"
        )
    lines += [
        "",
        "## Reproduce, publication setting",
        "",
        "```bash",
        "python experiments/robustness.py --write-docs      # 64 points x 3 seeds, small scale, 365 days, "
        "+ 8 posterior draws x 3 seeds",
        "python experiments/robustness.py --write-docs hydra/launcher=slurm hydra.launcher.partition=compute  "
        "# on SLURM",
        "python experiments/robustness.py --write-docs hydra/launcher=ray_cluster   # on a Ray cluster",
        "```",
        "",
        "Every part is a resumable design sweep in `outputs/robustness/runs/` (re-running the same command "
        "skips complete runs). The SLURM route is tested on a real slurmctld and slurmd "
        "(`tests/test_cluster.py`: a small design through SLURM array tasks gives the effects of the same design "
        "run in-process). The historical package is the set of policies the 2006-2019 history switches "
        "on (`configs/scenario/china_2006_2019.yaml`), each at its default intensity from day 0, not the "
        "history's own dates and strengths.",
        "",
    ]
    return "\n".join(lines)


def command_without_out(argv: list[str]) -> list[str]:
    """The command's arguments without ``--out DIR`` / ``--out=DIR`` (a machine's own path)."""
    kept, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--out":
            skip = True
        elif not a.startswith("--out="):
            kept.append(a)
    return kept


def main(argv=None) -> int:
    args = parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    launcher = launcher_overrides(args)
    seeds = range(FIRST_SEED, FIRST_SEED + args.seeds)
    where = f"scale {args.scale}, {args.days} days"
    figures: dict[str, str] = {}
    files: list[Path] = []

    posterior = None
    if args.posterior_draws:
        draws = rb.posterior_draws(args.posterior_draws, seed=FIRST_SEED, path=args.posterior)
        arms = {name: members for name, members in args.arms.items() if name != rb.HISTORICAL}
        runs = rb.run_crossed(draws, arms, seeds, args.overrides, launcher, out / "runs" / "posterior", args.reuse_runs)
        rb.check_paired(runs, list(draws.columns))
        posterior = rb.posterior_effects(runs)
        files.append(write_csv(out / "posterior_effects.csv", posterior))
        files += rb.posterior_forest(posterior, out / "robustness_posterior", note=f" ({where})")
        figures["posterior"] = "robustness_posterior.png"

    design = rb.latin_hypercube(args.points, seed=args.design_seed)
    if not args.fixed_rates:  # the calibration fixes the rates, not how they split over their causes
        design = rb.rate_preserving(design, rb.rate_pilot(args.overrides, seed=FIRST_SEED))
    files.append(write_csv(out / "design.csv", design.rename_axis("point").reset_index()))
    runs = rb.run_crossed(design, args.arms, seeds, args.overrides, launcher, out / "runs" / "deep", args.reuse_runs)
    codes = sorted(set(runs["code"].dropna()))
    complete = runs.attrs.get("complete_points", len(design))
    if complete < len(design):  # (--reuse-runs of an unfinished design: its complete points only)
        design = design.loc[sorted(runs["point"].unique())]
    rb.check_paired(runs, list(design.columns))
    relative = rb.point_effects(runs)
    files.append(write_csv(out / "point_effects.csv", relative))

    keys = [p.key for p in rb.DEEP_UNCERTAINTY]
    boxes, failure_rows, fail_frames, trajectories = {}, [], [], []
    for arm in [a for a in args.arms if a != "baseline"]:
        for outcome in rb.OUTCOMES:
            f = rb.failures(relative[relative["arm"] == arm], outcome, args.share)
            fail_frames.append(f.assign(outcome=outcome).rename(columns={outcome: "relative_change"}))
            box = rb.discover(design.loc[f["point"], keys], f["failed"].to_numpy(), min_density=args.min_density)
            boxes[(arm, outcome)] = box
            share_failed = float(f["failed"].mean()) if len(f) else None
            sentence = rb.box_sentence(arm, outcome, args.share, box, failed_share=share_failed)
            failure_rows.append(
                {"arm": arm, "outcome": outcome, "failed": int(f["failed"].sum()), "points": len(f), "box": box,
                 "sentence": sentence}
            )  # fmt: skip
            if box is not None:
                trajectories.append(
                    box.trajectory.assign(arm=arm, outcome=outcome, chosen=box.trajectory.index == box.step)
                )
    fails = pd.concat(fail_frames, ignore_index=True)
    files.append(write_csv(out / "failures.csv", fails))
    box_rows = []
    for r in failure_rows:
        box = r["box"]
        base = {"arm": r["arm"], "outcome": r["outcome"], "failed": r["failed"], "points": r["points"]}
        base.update(sentence=r["sentence"])
        if box is None or box.limits.empty:
            box_rows.append(base)
        for key, lim in box.limits.iterrows() if box is not None else []:
            box_rows.append({**base, "coverage": box.coverage, "density": box.density, "mass": box.mass,
                             "parameter": key, **lim.to_dict()})  # fmt: skip
    files.append(write_csv(out / "boxes.csv", pd.DataFrame(box_rows)))
    if trajectories:
        files.append(write_csv(out / "trajectories.csv", pd.concat(trajectories, ignore_index=True)))

    singles = [a for a in args.arms if a in POLICY_NAMES]
    rankings = {outcome: rb.robust_ranking(relative, outcome, singles) for outcome in rb.OUTCOMES} if singles else {}
    if rankings:
        files.append(write_csv(out / "ranking.csv", pd.concat([t.assign(outcome=o) for o, t in rankings.items()])))
    verdicts = readme_verdict(rankings)
    violence = rankings.get("violent_incidents_per_hospital_year")
    top = list(violence.sort_values("mean")["arm"][:3]) if violence is not None and len(violence) else singles[:3]

    note = f" ({len(design)} points x {args.seeds} seed(s), {where}{', CHEAP SETTING' if args.cheap else ''})"
    files += trajectories_figure(boxes, out / "robustness_trajectories", note)
    files += boxes_figure(boxes, design, fails, top, out / "robustness_boxes", note)
    figures.update(trajectories="robustness_trajectories.png", boxes="robustness_boxes.png")
    if rankings:
        files += ranking_figure(rankings, out / "robustness_ranking", note)
    figures["ranking"] = "robustness_ranking.png"

    wall = (time.perf_counter() - started) / 60
    command = " ".join(command_without_out(argv if argv is not None else sys.argv[1:]))
    n_runs = len(runs) + (args.posterior_draws * args.seeds * (len(args.arms) - 1) if args.posterior_draws else 0)
    text_settings = f"{len(design)} points x {args.seeds} seed(s) x {len(args.arms)} arms, {where}; {n_runs} runs, "
    text_settings += f"{wall:.0f} min on this machine{' for the analysis' if args.reuse_runs else ''}; "
    text_settings += f"model code (source SHA-256) {', '.join(codes) or '?'}"
    if args.reuse_runs:
        text_settings += ", runs made earlier by that code and reused (--reuse-runs), analysed by this commit's code"
    if complete < args.points:
        text_settings += (
            f"; **only {complete} of the {args.points} design points had all their runs complete** (the sweep was "
            "stopped): the analysis uses those, so the Latin hypercube misses a stratum per parameter"
        )
    doc_figures = {k: f"img/{v}" for k, v in figures.items()} if args.write_docs else figures
    base = runs[runs["arm"] == "baseline"].groupby("point")[list(rb.OUTCOMES)].mean()
    baseline_range = {k: (float(base[k].min()), float(base[k].max())) for k in rb.OUTCOMES}
    text = markdown(args, design, failure_rows, box_rows, rankings, verdicts, top, posterior,
                    {"command": command, "text": text_settings, "baseline_range": baseline_range},
                    doc_figures)  # fmt: skip
    files.append(write_text(out / "robustness.md", text))
    if args.write_docs:
        write_text(ROOT / "docs" / "robustness.md", text)
        for name in figures.values():
            write_bytes(ROOT / "docs" / "img" / name, (out / name).read_bytes())
    print(text)
    print(f"robustness: {n_runs} runs, {wall:.1f} min. Files:")
    for path in files:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
