"""Global sensitivity analysis: Morris screening of the uncertain behavioural parameters, Sobol indices
for the most influential ones, and whether the policy ranking flips inside the plausible range.

    python experiments/sensitivity.py --cheap     # minutes: tiny scale, few trajectories and samples
    python experiments/sensitivity.py             # publication setting (about 2 hours on 2 cores)
    python experiments/sensitivity.py hydra/launcher=slurm hydra.launcher.partition=compute   # on a cluster

Every run goes through Hydra's launchers (sim.runs.designs.run_design) and is kept in --out/runs/: an
interrupted analysis resumes where it stopped.

Writes --out/morris.csv, sobol.csv, ranking.csv, noise.csv, morris.{png,pdf}, sobol.{png,pdf} and
sensitivity.md (copied to docs/sensitivity.md with --write-docs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.analysis.sensitivity import (
    OUTPUTS,
    morris,
    ranking_flips,
    ranking_stability,
    seed_noise,
    sobol,
    top_parameters,
)
from sim.runs.sweep import add_launcher_arguments, check_run_overrides, in_range, launcher_overrides


def plot_morris(table, noise, path: Path, note: str = "") -> None:
    """mu* and sigma of each parameter's elementary effects per output; ``note``: N, scale, days."""
    fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(4.2 * len(OUTPUTS), 4))
    for ax, out in zip(axes, OUTPUTS, strict=True):
        t = table[table.output == out]
        ax.scatter(t.mu_star, t.sigma, s=18, color="#0072B2")
        for _, r in t.nlargest(5, "mu_star").iterrows():
            ax.annotate(r.parameter.split(".")[-1], (r.mu_star, r.sigma), fontsize=7)
        ax.axvline(noise[out], color="#D55E00", ls="--", lw=1, label="seed noise (sd)")
        ax.set(xlabel="mu* (mean |elementary effect|)", ylabel="sigma", title=out.replace("_", " "))
        ax.legend(fontsize=7)
    if note:
        fig.suptitle(f"Morris screening (no interval): {note}", fontsize=9)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(path.with_suffix(f".{ext}"), dpi=150)
    plt.close(fig)


def plot_sobol(table, path: Path, note: str = "") -> None:
    """First-order and total Sobol indices with their 95 % bootstrap intervals; ``note``: N, scale, days."""
    fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(4.2 * len(OUTPUTS), 4), sharey=True)
    for ax, out in zip(axes, OUTPUTS, strict=True):
        t = table[table.output == out].reset_index(drop=True)
        y = range(len(t))
        ax.barh([v - 0.2 for v in y], t.S1, xerr=t.S1_conf, height=0.4, color="#0072B2", label="first order")
        ax.barh([v + 0.2 for v in y], t.ST, xerr=t.ST_conf, height=0.4, color="#E69F00", label="total")
        ax.set_yticks(list(y), [p.split(".")[-1] for p in t.parameter], fontsize=8)
        ax.set(xlabel="Sobol index (95 % CI)", title=out.replace("_", " "))
        ax.legend(fontsize=7)
    if note:
        fig.suptitle(f"Sobol indices: {note}", fontsize=9)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(path.with_suffix(f".{ext}"), dpi=150)
    plt.close(fig)


def findings(morris_table, noise, sobol_table, r, stability) -> list[str]:
    """The findings, computed from the tables (so that they stay true when the analysis is rerun)."""
    lines = ["## Findings", ""]
    for out in OUTPUTS:
        t = morris_table[morris_table.output == out].nlargest(3, "mu_star")
        top = ", ".join(f"`{p.split('.')[-1]}` ({v:.3g})" for p, v in zip(t.parameter, t.mu_star, strict=True))
        above = int((morris_table[morris_table.output == out].mu_star > noise[out]).sum())
        lines.append(
            f"- **{out}**: largest mu* {top}; {above} of {len(morris_table[morris_table.output == out])} "
            f"parameters above the seed noise ({noise[out]:.3g})."
        )
    for out in OUTPUTS:
        t = sobol_table[sobol_table.output == out]
        drivers = ", ".join(
            f"`{p.split('.')[-1]}` (ST {v:.2f})" for p, v in zip(t.parameter, t.ST, strict=True) if v > 0.1
        )
        lines.append(
            f"- Sobol, **{out}**: total effects above 0.1: {drivers or 'none'}; first-order indices sum to "
            f"{t.S1.sum():.2f} (1 minus the sum is the share due to interactions; a sum above 1 is estimation error)."
        )
    for metric, group in stability.groupby("metric", sort=False):
        flips = group[~group.same_top3]
        leaders = sorted({ranking[0] for ranking in r[r.metric == metric].ranking})
        lines.append(
            f"- Policy ranking by effect on **{metric}**: "
            + ("the same policy first everywhere (" if len(leaders) == 1 else "the first policy changes (")
            + ", ".join(leaders)
            + "); "
            + (
                "the top three change within the range of "
                + ", ".join(f"`{p.split('.')[-1]}`" for p in flips.parameter)
                if len(flips)
                else "the top three stay the same at both ends of every range tested"
            )
            + f"; Spearman's rho between the ends {group.spearman_rho.min():.2f} to "
            f"{group.spearman_rho.max():.2f} (median standard error of an effect "
            f"{group.median_effect_se.median():.2g})."
        )
    return [*lines, ""]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true")
    ap.add_argument("--scale", default="small")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=in_range(int, 2), default=3)
    ap.add_argument("--trajectories", type=in_range(int, 2), default=20)
    ap.add_argument("--sobol-samples", type=in_range(int, 2), default=128, help="Saltelli base sample (power of 2)")
    ap.add_argument("--top", type=in_range(int, 1), default=6, help="parameters carried from Morris to Sobol")
    add_launcher_arguments(ap)
    ap.add_argument("--out", type=Path, default=Path("outputs/sensitivity"))
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    if args.cheap:
        args.scale, args.days, args.seeds, args.trajectories, args.sobol_samples, args.top = "tiny", 90, 2, 2, 8, 3
    if args.sobol_samples & (args.sobol_samples - 1):
        ap.error(f"argument --sobol-samples: {args.sobol_samples} is not a power of 2 (Saltelli's sample needs one)")
    base = [f"scale={args.scale}", f"days={args.days}"]
    check_run_overrides(ap, base)
    seeds = range(args.seeds)
    launcher = launcher_overrides(args)
    runs = args.out / "runs"  # every run's files, so that an interrupted analysis resumes
    args.out.mkdir(parents=True, exist_ok=True)
    noise = seed_noise(seeds, base, launcher, runs / "noise")
    noise.to_csv(args.out / "noise.csv")
    m = morris(args.trajectories, seeds=seeds, base=base, launcher=launcher, sweep_dir=runs / "morris")
    m.to_csv(args.out / "morris.csv", index=False)
    where = f"scale {args.scale}, {args.days} days, each point the mean over {args.seeds} seeds"
    plot_morris(m, noise, args.out / "morris", f"N = {args.trajectories} trajectories; {where}")
    top = top_parameters(m, args.top)
    s = sobol(top, args.sobol_samples, seeds, base, launcher, sweep_dir=runs / "sobol")
    s.to_csv(args.out / "sobol.csv", index=False)
    plot_sobol(s, args.out / "sobol", f"N = {args.sobol_samples} base samples (Saltelli); {where}")
    r = ranking_flips(top[: min(3, len(top))], seeds, base, launcher, runs / "ranking")
    r.drop(columns=["ranking"]).to_csv(args.out / "ranking.csv", index=False)
    stability = ranking_stability(r)
    stability.to_csv(args.out / "ranking_stability.csv", index=False)
    lines = [
        "# Sensitivity analysis",
        "",
        f"Produced by `python experiments/sensitivity.py` (scale={args.scale}, days={args.days}, "
        f"{args.seeds} seeds per "
        f"point, {args.trajectories} Morris trajectories, Sobol base sample {args.sobol_samples}); method: "
        "`sim/analysis/sensitivity.py`.",
        "",
        "Seed noise (sd over seeds at the default point): " + ", ".join(f"{k} {v:.3g}" for k, v in noise.items()),
        "",
        *findings(m, noise, s, r, stability),
        "## Morris screening (top 8 per output by mu*)",
        "",
        "![Morris](img/morris.png)",
        "",
        "| output | parameter | mu* | mu* 95 % CI | sigma |",
        "|---|---|---|---|---|",
    ]
    for out in OUTPUTS:
        for _, row in m[m.output == out].nlargest(8, "mu_star").iterrows():
            lines.append(
                f"| {out} | `{row.parameter}` | {row.mu_star:.3g} | ±{row.mu_star_conf:.2g} | {row.sigma:.3g} |"
            )
    lines += [
        "",
        f"## Sobol indices for the {len(top)} most influential parameters",
        "",
        "![Sobol](img/sobol.png)",
        "",
        "| output | parameter | S1 | ST |",
        "|---|---|---|---|",
    ]
    for _, row in s.iterrows():
        lines.append(
            f"| {row.output} | `{row.parameter}` | {row.S1:.2f} ± {row.S1_conf:.2f} | "
            f"{row.ST:.2f} ± {row.ST_conf:.2f} |"
        )
    lines += [
        "",
        "## Does the policy ranking flip?",
        "",
        "The ten policies ranked by their paired effect (most reducing first) on disputes and on violent",
        "incidents per hospital-year, with each of the three most influential parameters at the low and",
        "the high end of its plausible range (the others at their defaults):",
        "",
        "| outcome | parameter | end | top three |",
        "|---|---|---|---|",
    ]
    for _, row in r.iterrows():
        lines.append(f"| {row.metric} | `{row.parameter}` | {row.end} | {row.ranking_top3} |")
    lines += [
        "",
        "Between the two ends of each range: Spearman's rho of the ten policies' effects, whether the first",
        "policy and the top three (as a set) stay the same, the policies whose rank moves by three places or",
        "more, and the median",
        f"standard error of an effect over the {args.seeds} seeds: policies whose effects differ by less than",
        "about twice that can swap places by seed noise alone.",
        "",
        "| outcome | parameter | rho | same first | same top three | moved by 3+ | median SE |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {row.metric} | `{row.parameter}` | {row.spearman_rho:.2f} | {'yes' if row.same_first else 'no'} | "
            f"{'yes' if row.same_top3 else 'no'} | "
            f"{row.moved_3_or_more or '-'} | {row.median_effect_se:.2g} |"
            for _, row in stability.iterrows()
        ],
    ]
    text = "\n".join(lines) + "\n"
    (args.out / "sensitivity.md").write_text(text)
    if args.write_docs:
        Path("docs/sensitivity.md").write_text(text)
        Path("docs/img").mkdir(parents=True, exist_ok=True)
        for name in ("morris", "sobol"):
            (Path("docs/img") / f"{name}.png").write_bytes((args.out / f"{name}.png").read_bytes())
    print(text)


if __name__ == "__main__":
    main()
