"""What each policy costs and what it buys: cost-effectiveness of the comparison arms and the budget front.

    python experiments/economics.py                      # quick comparison + subsets of <= 2 policies, small scale
    python experiments/economics.py --max-size 11 --seeds 6 hydra/launcher=slurm hydra.launcher.partition=compute
    python experiments/economics.py --comparison-dir DIR --budget-dir DIR2 --no-run   # analyse collected sweeps only
    python experiments/economics.py --write-docs         # also docs/economics.md and docs/img/economics_*.png

1. Cost-effectiveness: the quick comparison's arms (baseline, each policy, the packages, all; preset
   quick_comparison, resumable), paired per seed: net cost, effects averted, the efficiency frontier
   with dominance marked, ICERs, net monetary benefit and acceptability curves (sim.analysis.economics).
2. Budgets: every on-off subset of at most --max-size policies plus the packages (preset budget, through
   the design sweeper: resumable, any launcher); the Pareto front of net cost against violence and
   against disputes averted, single policies and packages marked; the three cheapest combinations
   that halve violence, with intervals (sim.analysis.budget).

Figures (PDF and PNG) and tables in --out (outputs/economics/).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis import economics as ec
from sim.analysis.budget import cheapest_reaching, design, pareto_front, subsets
from sim.policies import PACKAGES, POLICY_NAMES
from sim.runs.collect import collect
from sim.runs.sweep import REPO_ROOT, launch, preset_sweep_dir

COLOURS = plt.get_cmap("tab20").colors


def _save(fig, path: Path) -> list[Path]:
    fig.tight_layout()
    out = []
    for ext in ("png", "pdf"):
        fig.savefig(path.with_suffix(f".{ext}"), dpi=150)
        out.append(path.with_suffix(f".{ext}"))
    plt.close(fig)
    return out


def plane_plot(tables: dict, path: Path) -> list[Path]:
    """Cost-effectiveness planes (one per effect): each arm's paired replicates (light) and mean
    with intervals; the frontier drawn through its arms."""
    fig, axes = plt.subplots(1, len(ec.EFFECTS), figsize=(5.2 * len(ec.EFFECTS), 4.6))
    arms = tables["arms"]
    for ax, effect in zip(axes, ec.EFFECTS, strict=True):
        frontier = tables[f"frontier_{effect}"]
        for k, (arm, row) in enumerate(arms.iterrows()):
            if not np.isfinite(row["net_cost"]):
                continue
            colour = COLOURS[k % len(COLOURS)]
            x, y = row[f"averted_{effect}"], row["net_cost"] / 1e3
            ax.errorbar(
                x,
                y,
                xerr=[[x - row[f"averted_{effect}_low"]], [row[f"averted_{effect}_high"] - x]],
                yerr=[[y - row["net_cost_low"] / 1e3], [row["net_cost_high"] / 1e3 - y]],
                fmt="o",
                color=colour,
                ms=4,
                lw=0.8,
            )
            status = frontier.loc[arm, "status"] if arm in frontier.index else ""
            ax.annotate(f"{arm}{'' if status == 'ND' else f' ({status})'}", (x, y), fontsize=6)
        nd = frontier[frontier["status"] == "ND"]
        ax.plot(nd["effect"], nd["cost"] / 1e3, "k--", lw=1, label="efficiency frontier")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set(
            xlabel=f"{ec.EFFECTS[effect][1]} averted per hospital-year",
            ylabel="net cost, thousand yuan per hospital-year",
        )
        ax.legend(fontsize=7)
    return _save(fig, path)


def ceac_plot(tables: dict, path: Path) -> list[Path]:
    fig, axes = plt.subplots(1, len(ec.EFFECTS), figsize=(5.2 * len(ec.EFFECTS), 4))
    for ax, effect in zip(axes, ec.EFFECTS, strict=True):
        curve = tables[f"ceac_{effect}"]
        for k, arm in enumerate(curve.columns):
            if curve[arm].max() < 0.05:
                continue
            ax.plot(curve.index / 1e3, curve[arm], label=arm, color=COLOURS[k % len(COLOURS)])
        ax.axvline(ec.WTP[effect] / 1e3, color="grey", ls=":", lw=1)
        ax.set(
            xlabel=f"willingness to pay, thousand yuan per {ec.EFFECTS[effect][2]} averted",
            ylabel="probability of the highest net benefit",
            ylim=(0, 1.02),
        )
        ax.legend(fontsize=6)
    return _save(fig, path)


def front_plot(budget: pd.DataFrame, path: Path) -> list[Path]:
    """Net cost against the share of violence (and of disputes) averted for every combination; the
    Pareto front; single policies and packages marked."""
    singles = set(POLICY_NAMES)
    packages = {"+".join(p) for p in PACKAGES.values()} | {"all_policies"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, effect in zip(axes, ("violence", "disputes"), strict=True):
        share = budget[f"averted_{effect}_share"] * 100
        cost = budget["net_cost"] / 1e3
        ax.scatter(share, cost, s=8, color="#BBBBBB", label="combination")
        front = budget[f"front_{effect}"]
        order = np.argsort(share[front].to_numpy())
        ax.plot(share[front].to_numpy()[order], cost[front].to_numpy()[order], "k-", lw=1, label="Pareto front")
        for arm in budget.index:
            if arm in singles or arm in packages:
                marker = "s" if arm in packages else "o"
                ax.scatter(share[arm], cost[arm], s=22, marker=marker, color="#0072B2" if arm in singles else "#D55E00")
                ax.annotate(arm, (share[arm], cost[arm]), fontsize=6)
        if effect == "violence":
            ax.axvline(50, color="grey", ls=":", lw=1, label="violence halved")
        ax.set(
            xlabel=f"{ec.EFFECTS[effect][1]} averted, % of the baseline",
            ylabel="budget, thousand yuan per hospital-year (log scale above 10)",
        )
        ax.set_yscale("symlog", linthresh=10)
        ax.legend(fontsize=7)
    return _save(fig, path)


def gather(dirs) -> pd.DataFrame:
    """The collected runs of one or more sweeps (pairs form within the same context and code)."""
    frames = [collect(d, series=False)[0] for d in dirs]
    results = pd.concat(frames, ignore_index=True)
    done = results[results["status"] == "completed"]
    # the same arm and seed run in two sweeps (e.g. the baseline of each): the first is kept
    keys = [c for c in ("arm", "seed", "context", "code") if c in done]
    return done.drop_duplicates(subset=keys, keep="first").reset_index(drop=True)


def budget_table(results: pd.DataFrame, perspective: str, n_boot: int) -> pd.DataFrame:
    """Per combination: what the policies spend (the budget: ``net_cost``), the net cost from
    ``perspective`` (``<perspective>_net_cost``), effects averted; the Pareto fronts of the budget
    against violence and against disputes averted."""
    table = ec.arm_table(ec.paired(results, "budget"), n_boot=n_boot)
    net = ec.arm_table(ec.paired(results, perspective), effects=(), n_boot=n_boot)
    for column in ("net_cost", "net_cost_low", "net_cost_high"):
        table[f"{perspective}_{column}"] = net[column]
    for effect in ("violence", "disputes"):
        table[f"front_{effect}"] = pareto_front(table["net_cost"].to_numpy(), -table[f"averted_{effect}"].to_numpy())
    table["size"] = [
        0 if a == "baseline" else len(POLICY_NAMES) if a == "all_policies" else a.count("+") + 1 for a in table.index
    ]
    return table


def _pct(row, effect):
    return (
        f"{100 * row[f'averted_{effect}_share']:.0f} % [{100 * row[f'averted_{effect}_share_low']:.0f}, "
        f"{100 * row[f'averted_{effect}_share_high']:.0f}]"
    )


def findings(tables, budget, halving, prices_table, results, args) -> list[str]:
    """Findings computed from the tables, so that they stay true when the analysis is rerun."""
    lines = ["## Findings", ""]
    for effect in ec.EFFECTS:
        t = tables[f"frontier_{effect}"]
        nd = [f"{a} ({t.loc[a, 'on_frontier_share']:.0%} of replicates)" for a in t.index[t["status"] == "ND"]]
        lines.append(f"- Frontier for {ec.EFFECTS[effect][1]} ({args.perspective} perspective): {', '.join(nd)}.")
    for perspective in (p for p in ec.PERSPECTIVES if p != args.perspective):
        pairs = ec.paired(results, perspective, effects=("violence",))
        t = ec.frontier_table(pairs, "violence", n_boot=args.boot)
        nd = [
            f"{a} (ICER {ec._money(t.loc[a, 'icer'])})" if np.isfinite(t.loc[a, "icer"]) else a
            for a in t.index[t["status"] == "ND"]
        ]
        lines.append(f"- Frontier for violent incidents, {perspective} perspective: {', '.join(nd)}.")
    if len(halving):
        cheapest = "; ".join(
            f"{a}: budget {ec._interval(r['net_cost'], r['net_cost_low'], r['net_cost_high'])} yuan, violence "
            f"{_pct(r, 'violence')} averted"
            for a, r in halving.iterrows()
        )
        lines.append(f"- The three cheapest points of the budget front that halve violence: {cheapest}.")
    else:
        lines.append("- No combination on the budget front halves violence.")
    moved = prices_table[~prices_table["same_first"]]
    lines.append(
        f"- Prices: with each of the {prices_table['price'].nunique()} unit prices at either end of its plausible "
        f"range (the others at their defaults), the arm with the highest net monetary benefit for violence "
        + ("stays the same" if moved.empty else f"changes for {', '.join(sorted(set(moved['price'])))}")
        + f"; Spearman's rho of the ranking {prices_table['spearman_rho'].min():.2f} to "
        f"{prices_table['spearman_rho'].max():.2f} (sim.analysis.sensitivity.price_ranking)."
    )
    base = results[results["arm"] == "baseline"]
    per_resident = (base["care_spending_per_hospital_year"] / base["n_patients"] * base["n_hospitals"]).mean()
    lines += [
        f"- Caveat: the baseline spends {per_resident:,.0f} yuan on care per resident and year, several times",
        "  China's total health expenditure per person in the early 2010s (about 2,000 yuan; recalled, not",
        "  re-checked offline): the episode costs of `params.cost` were never calibrated to spending. Every",
        "  cost computed from episodes (extra reimbursement, revenue replaced, the care a policy saves or adds)",
        "  is overstated in proportion; programme costs (salaries, guards, campaigns, fees) are not. In the",
        "  public and health-system perspectives the care that policies move (tiered care and family doctors",
        "  send episodes to cheaper clinics, less violence means less defensive medicine) outweighs what the",
        "  programmes cost, so several arms save money; the budget perspective leaves those savings out.",
        "",
    ]
    return lines


def docs_text(tables, budget, halving, args, described, extra=()) -> str:
    lines = [
        "# Economics: what each policy costs and what it buys",
        "",
        f"Generated by `python experiments/economics.py {args.command}` ({described}).",
        "Costs are yuan per hospital-year (a model hospital is a catchment of 25,000 residents with its",
        'clinics, docs/ODD.md "Scaling"), undiscounted, at the unit prices of `prices.<policy>.<item>`',
        "([parameters](parameters.md): every price with its plausible range and its source, most of them",
        "marked *assumption*). Perspective: "
        + (
            "the **public purse** (programmes, subsidies replacing hospital revenue, everything insurance "
            "pays for care)."
            if args.perspective == "public"
            else "the **health system** (programmes, all spending on care, compensation, replacing doctors who quit)."
        ),
        "Net cost and effects are paired differences against the baseline of the same seed; intervals are",
        "95 % percentile-bootstrap intervals over seeds. Dominance and ICERs: heormodel 0.7.4's `icer_table`",
        "(D: dominated, ED: extendedly dominated); the share of bootstrap replicates in which an arm is on",
        "the frontier says how firm its place is. Willingness to pay (stated, not estimated): "
        + ", ".join(f"{v:,.0f} yuan per {ec.EFFECTS[k][2]} averted" for k, v in ec.WTP.items())
        + ".",
        "",
        *extra,
        "## How the costs are computed",
        "",
        "Each policy module declares its unit prices (`Prices`) and its spending rule (`spending`): quantities",
        "computed from the run each day times the prices they name. Computed from the run, not assumed: the",
        "extra reimbursement insurance pays (each episode's cost minus out of pocket, against the pre-reform",
        "coverage and enrolment of the same episode), the payroll of a pay rise (doctors in post), the subsidy",
        "replacing over-testing revenue that decoupling removes (from each episode), mediators, centres and",
        "cases, prosecutions of the violent acts punished beyond the pre-reform chance, contracted residents,",
        "the clinic staff primary-care investment adds; the system's accounts add compensation paid to",
        "patients, replacing doctors who quit and patients' out-of-pocket spending. Where several policies",
        "move one quantity, it is shared out in the registry's order. Accounting is the last step of the day",
        "and changes nothing (tests/test_costs.py): results of every arm are those without it.",
        "",
        "## Cost-effectiveness of the comparison arms",
        "",
        "![cost-effectiveness planes](img/economics_plane.png)",
        "",
    ]
    for effect in ec.EFFECTS:
        lines += [
            f"### {ec.EFFECTS[effect][1].capitalize()}",
            "",
            ec.markdown_frontier(tables[f"frontier_{effect}"], tables["arms"], effect),
        ]
        nd = tables[f"frontier_{effect}"]
        lines += [f"On the frontier: {', '.join(nd.index[nd['status'] == 'ND'])}.", ""]
    nmb = tables["nmb_violence"]
    lines += [
        "### Net monetary benefit and acceptability (violence)",
        "",
        "| arm | NMB at the stated wtp (yuan/hospital-year) | P(highest NMB) |",
        "|---|---|---|",
        *(
            f"| {arm} | {ec._interval(r['nmb'], r['nmb_low'], r['nmb_high'])} | {r['p_best']:.2f} |"
            for arm, r in nmb.sort_values("nmb", ascending=False).iterrows()
        ),
        "",
        "![acceptability curves](img/economics_ceac.png)",
        "",
        "## Budgets",
        "",
        f"{len(budget)} combinations run: "
        + ", ".join(
            f"{n} of {size} {'policy' if size == 1 else 'policies'}"
            for size, n in budget["size"].value_counts().sort_index().items()
        )
        + f" (the design: every subset of at most {args.max_size} policies, the packages and all policies; "
        "the seeds per combination are in budget.csv, column n).",
        "The budget (what the policies spend per hospital-year: programmes, extra reimbursement,",
        "subsidies) against the share of violence and of disputes averted; the line is the Pareto front (no",
        "other combination spends less and averts more); blue: single policies, orange: packages.",
        "",
        "![budget front](img/economics_budget.png)",
        "",
        "Cheapest combinations on the budget front that halve violence (mean share averted at least 50 %):",
        "",
        f"| combination | budget (yuan/hospital-year) | net {args.perspective} cost | violence averted | "
        "disputes averted |",
        "|---|---|---|---|---|",
        *(
            f"| {arm} | {ec._interval(r['net_cost'], r['net_cost_low'], r['net_cost_high'])} | "
            f"{ec._interval(*(r[f'{args.perspective}_{c}'] for c in ('net_cost', 'net_cost_low', 'net_cost_high')))} | "
            f"{_pct(r, 'violence')} | {_pct(r, 'disputes')} |"
            for arm, r in halving.iterrows()
        ),
        "",
        "Front for violence, cheapest first:",
        "",
        ", ".join(budget[budget["front_violence"]].sort_values("net_cost").index),
        "",
        "## Intensities: a multi-objective search (evaluated, not integrated)",
        "",
        "The on-off subsets above run through the project's own design sweeper (resumable, any launcher;",
        "`--max-size 11` gives all 2,048 subsets on a cluster). For intensities, the Optuna sweeper for Hydra was",
        "evaluated: hydra-optuna-sweeper 1.3.0 (and 1.2.0) pins optuna>=2.10,<3, i.e. optuna 2.10.1 (2021); with",
        "hydra-core 1.3.8 on Python 3.11 (and SQLAlchemy 2.1.9) it installs and ran a two-objective NSGA-II",
        "search (`hydra/sweeper=optuna`, `hydra/sweeper/sampler=nsgaii`, `direction: [minimize, minimize]`) on a",
        "toy task. It is not integrated: the task must return the objectives (budget, violence) averaged over",
        "seeds, while `python -m sim` returns a run's status record; its trials bypass the resumable design",
        "sweeper; and it ties the project to an optuna major version four years old.",
        "",
        "## heormodel",
        "",
        "heormodel 0.7.4 (MIT, alpha) builds the incremental analysis from any table of costs and effects per",
        "iteration, which is what a collected sweep is (iterations: bootstrap replicates over seeds or posterior",
        "draws). It is used for dominance, extended dominance, ICERs (`icer_table`) and acceptability curves",
        "(`ceac`); pairing per seed, bootstrap intervals and the perspectives are this project's",
        "(`sim/analysis/economics.py`). It pulls in scikit-learn (for its value-of-information metamodels).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--comparison-dir", type=Path, nargs="+", help="comparison sweep(s) (default: the quick comparison's)"
    )
    ap.add_argument("--budget-dir", type=Path, nargs="+", help="default: outputs/sweeps/budget/max<N>_seeds<S>")
    ap.add_argument("--max-size", type=int, default=2, help="largest subset of policies in the budget design")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per combination of the budget design")
    ap.add_argument("--no-run", action="store_true", help="analyse the collected sweeps only")
    ap.add_argument("--perspective", choices=tuple(ec.PERSPECTIVES), default="public")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "outputs" / "economics")
    ap.add_argument("--write-docs", action="store_true", help="docs/economics.md and docs/img/economics_*.png")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides of both sweeps (launcher, seeds, scale)")
    args = ap.parse_args(argv)
    args.command = " ".join(sys.argv[1:] if argv is None else argv).replace(f"{REPO_ROOT}/", "")
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)

    comparison_dirs = args.comparison_dir or [preset_sweep_dir("quick_comparison", args.overrides)]
    if not args.no_run:
        launch("quick_comparison", args.overrides, comparison_dirs[0], check=False)
    results = gather(comparison_dirs)
    # the comparison's arms only (sweeps given by --comparison-dir may hold other combinations)
    arms = {"baseline", *POLICY_NAMES, *("+".join(p) for p in PACKAGES.values()), "all_policies"}
    results = results[results["arm"].isin(arms)].reset_index(drop=True)
    tables = ec.cost_effectiveness(results, args.perspective, n_boot=args.boot)
    for name, table in tables.items():
        table.to_csv(args.out / f"{name}.csv")
    files = plane_plot(tables, args.out / "plane") + ceac_plot(tables, args.out / "ceac")

    budget_dirs = args.budget_dir or [
        REPO_ROOT / "outputs" / "sweeps" / "budget" / f"max{args.max_size}_seeds{args.seeds}"
    ]
    budget_dir = budget_dirs[0]
    if not args.no_run:
        from sim.runs.designs import run_design

        launcher = [o for o in args.overrides if o.startswith("hydra")] or ["hydra/launcher=joblib"]
        rest = [o for o in args.overrides if not o.startswith("hydra")]
        run_design(
            design(subsets(args.max_size)), range(args.seeds), ["experiment=budget", *rest], budget_dir, launcher
        )
    budget_results = gather(budget_dirs)
    budget = budget_table(budget_results, args.perspective, args.boot)
    budget.to_csv(args.out / "budget.csv")
    front = budget[budget["front_violence"]]
    halving = cheapest_reaching(front, "violence", 0.5, k=3)
    halving.to_csv(args.out / "halving.csv")
    files += front_plot(budget, args.out / "budget")
    from sim.analysis.sensitivity import price_ranking

    prices_table = price_ranking(results, "violence", args.perspective)
    prices_table.to_csv(args.out / "price_ranking.csv")
    n_runs = len(results) + len(budget_results)
    described = f"{n_runs} runs, {(time.perf_counter() - started) / 60:.0f} min on this machine"
    notes = findings(tables, budget, halving, prices_table, results, args)
    text = docs_text(tables, budget, halving, args, described, notes)
    (args.out / "economics.md").write_text(text)
    print(text)
    if args.write_docs:
        img = REPO_ROOT / "docs" / "img"
        for stem in ("plane", "ceac", "budget"):
            (img / f"economics_{stem}.png").write_bytes((args.out / f"{stem}.png").read_bytes())
        (REPO_ROOT / "docs" / "economics.md").write_text(text)
    print("files:", *files, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
