"""China 2006-2019: the figure researchers look for, and what each reform did.

    python experiments/history.py --write-docs      # full: 8 posterior draws x 2 seeds, default scale,
                                                     # with each reform removed in turn (docs/history.md)
    python experiments/history.py --cheap           # tiny scale, the configured default, 2 seeds

Runs the history (configs/scenario/china_2006_2019.yaml) over draws of the calibration's posterior
(configs/calibration/posterior.csv; fitted on 2006-2012 only) x seeds, then the same with each
reform removed (it never starts) and with none of them, and with each reform's assumed strengths
(those no source gives) halved, paired by draw and seed. Writes into --out (default
outputs/history): history.pdf/.png (observed against modelled, the reforms' dates marked),
attribution.csv, assumptions_halved.csv, history_runs.parquet and history.md (copied to docs/history.md
with --write-docs). Every run goes through the resumable design sweeps (--out/runs/), on local
cores or a cluster (e.g. hydra/launcher=slurm). The validation (experiments/validate.py) reads
the same runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.analysis import history
from sim.analysis.calibration import POSTERIOR_FILE
from sim.policies import POLICIES
from sim.runs.sweep import add_launcher_arguments, check_run_overrides, in_range, launcher_overrides

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true", help="tiny scale, the configured default, no removals")
    ap.add_argument("--draws", type=in_range(int, 1), default=8, help="posterior draws (each a point of the design)")
    ap.add_argument("--seeds", type=in_range(int, 1), default=2, help="seeds per draw")
    ap.add_argument("--scale", default="default")
    ap.add_argument(
        "--no-attribution",
        action="store_true",
        help="only the history with every reform (no removals, no halved assumptions)",
    )
    add_launcher_arguments(ap)
    ap.add_argument("--out", type=Path, default=Path("outputs/history"))
    ap.add_argument("--write-docs", action="store_true", help="copy history.md and the figure to docs/")
    args = ap.parse_args(argv)
    if args.cheap:
        args.scale, args.draws, args.no_attribution = "tiny", 1, True
    args.overrides = [f"scale={args.scale}"]
    check_run_overrides(ap, [history.SCENARIO, *args.overrides])
    return args


def draws_of(args) -> list[dict[str, float]]:
    """Posterior draws, or the configured default (one empty draw) without a posterior."""
    if args.cheap or not POSTERIOR_FILE.is_file():
        return [{}] * args.draws
    return history.posterior_draws(args.draws)


def run_history(
    args, removed: tuple[str, ...] = (), name: str = "full", extra: list[str] | None = None
) -> pd.DataFrame:
    overrides = [*args.overrides, *(extra or [])]
    runs = history.history_runs(
        draws_of(args), range(args.seeds), removed, overrides, launcher_overrides(args), args.out / "runs" / name
    )
    return runs.assign(removed=name)


def markdown(
    runs: pd.DataFrame, table: pd.DataFrame | None, settings: str, figure: str, halved: pd.DataFrame | None = None
) -> str:
    lines = [
        "# China 2006-2019: the history",
        "",
        f"Produced by `python experiments/history.py --write-docs` ({settings}); method: `sim/analysis/history.py`,",
        "scenario: `configs/scenario/china_2006_2019.yaml` (every dated input with its HISTORY.md source ID).",
        "The model was calibrated on 2006-2012 only ([calibration.md](calibration.md)); what happened from",
        "2013 on was never fitted ([validation.md](validation.md)).",
        "",
        f"![Observed and modelled, 2006-2019]({figure})",
        "",
        "Model: median and the range of 95 % of the runs (posterior draws x seeds) per year; observed: the",
        "national changes 2013-2017 (NHC 2018), the out-of-pocket series (A1), the share of disputes going to",
        "mediation from 2013 (over 60 %, NHC 2018). Dotted lines: the reforms as they arrived.",
        "",
        "## Inputs and how they were mapped",
        "",
        "- Dates and coverage: as in HISTORY.md (A1-A6); a policy covering part of the country acts as the",
        "  expected lever over the country (docs/ODD.md, section 8).",
        "- Insurance: the national out-of-pocket share of health spending is mapped onto the model's",
        "  out-of-pocket share relative to 2006 (`sim.analysis.history.insurance_schedule`: enrolment from the",
        "  insured share, reimbursement solved from the model's coverage of the insured);",
        "  `python -m sim.analysis.history insurance-schedule` prints the schedule the scenario holds.",
        "- Incomes (NBS, +10.4 %/yr) and prices of care (~+6 %/yr, secondary sources) grow; expectations rise",
        "  with incomes (`satisfaction.expectation_income_elasticity`, calibrated).",
        "- Strengths without a source are stated as assumptions in the scenario file: the steps of legal",
        "  deterrence; tiered care in a pilot city (gatekeeping 0.3, and the policy's default referral,",
        "  investment in clinics and price differential); what a committee, a secured hospital and a",
        "  family-doctor contract do (the policies' defaults).",
        "",
    ]
    if table is not None:
        lines += [
            "## What each reform did",
            "",
            "The history with one reform removed (it never starts; everything else as it was), paired with the",
            "full history by posterior draw and seed. *Accounted*: the change 2013-2017 with every reform minus",
            "the change without this one (negative: the reform deepened the fall), mean over pairs and bootstrap",
            "95 % interval; `none` removes every reform at once.",
            "",
            "| removed | pairs | disputes 2013-17 with / without | accounted "
            "| violence 2013-17 with / without | accounted | primary-care share 2013-17, points, with / without |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in table.iterrows():
            lines.append(
                f"| {r.removed} | {r.pairs} | {r.disputes_change_with:+.1%} / {r.disputes_change_without:+.1%} "
                f"| {r.disputes_accounted:+.1%} [{r.disputes_low:+.1%}, {r.disputes_high:+.1%}] "
                f"| {r.violence_change_with:+.1%} / {r.violence_change_without:+.1%} "
                f"| {r.violence_accounted:+.1%} [{r.violence_low:+.1%}, {r.violence_high:+.1%}] "
                f"| {r.primary_points_with:+.1f} / {r.primary_points_without:+.1f} |"
            )
        lines.append("")
    if halved is not None:
        lines += [
            "## How much hangs on the strengths no source gives",
            "",
            "Each reform's assumed strengths (its policy's `assumed`: the intensities no source gives; every other",
            "input, its dates and coverage included, as it was) halved, paired with the full history by draw and",
            "seed (a dated schedule of an assumed strength: every value halved).",
            "*Accounted*: the change 2013-2017 as assumed minus the change with them halved. This measures how",
            "far the validation's verdicts depend on each assumption; it changes no input of the scenario.",
            "",
            "| reform | strengths halved | disputes 2013-17 as assumed / halved | accounted "
            "| violence 2013-17 as assumed / halved | accounted "
            "| primary-care share 2013-17, points, as assumed / halved |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in halved.iterrows():
            keys = ", ".join(f"`{k}`" for k in POLICIES[r.removed].assumed)
            lines.append(
                f"| {r.removed} | {keys} | {r.disputes_change_with:+.1%} / {r.disputes_change_without:+.1%} "
                f"| {r.disputes_accounted:+.1%} [{r.disputes_low:+.1%}, {r.disputes_high:+.1%}] "
                f"| {r.violence_change_with:+.1%} / {r.violence_change_without:+.1%} "
                f"| {r.violence_accounted:+.1%} [{r.violence_low:+.1%}, {r.violence_high:+.1%}] "
                f"| {r.primary_points_with:+.1f} / {r.primary_points_without:+.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    full = run_history(args)
    full.to_parquet(args.out / "history_runs.parquet")
    figure = history.history_figure(full, args.out / "history", note=f", scale {args.scale}")
    table = halved = None
    if not args.no_attribution:
        reforms = history.scenario_policies()
        without = {name: run_history(args, (name,), f"without_{name}") for name in reforms}
        without["none"] = run_history(args, tuple(reforms), "without_all")
        table = history.attribution(full, without)
        table.to_csv(args.out / "attribution.csv", index=False)
        print(table.to_string(index=False))
        variants = {
            name: run_history(args, name=f"halved_{name}", extra=history.scaled_assumptions(name, 0.5))
            for name in history.assumed_strengths()
        }
        halved = history.attribution(full, variants)
        halved.to_csv(args.out / "assumptions_halved.csv", index=False)
        print(halved.to_string(index=False))
    wall = (time.perf_counter() - started) / 60
    settings = f"scale {args.scale}, {args.draws} posterior draws x {args.seeds} seeds, {wall:.0f} min"
    figure_path = "img/history.png" if args.write_docs else figure[1].name
    text = markdown(full, table, settings, figure_path, halved)
    (args.out / "history.md").write_text(text)
    if args.write_docs:
        (ROOT / "docs" / "history.md").write_text(text)
        (ROOT / "docs" / "img" / "history.png").write_bytes(figure[1].read_bytes())
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
