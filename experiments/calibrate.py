"""Calibrate the pre-reform baseline (ABC), then check it over 10 seeds at the default scale.

    python experiments/calibrate.py                 # full setting (about 256 x 2 runs at the default scale)
    python experiments/calibrate.py --cheap         # minutes: tiny scale, 16 sets, 1 seed (smoke test)

Writes into --out (default outputs/calibration): samples.parquet (every parameter set with its
statistics and distance), accepted.parquet, posterior.csv, predictive_check.csv, fitted.yaml (the
``params`` block to paste into configs/config.yaml) and report.md (copied to docs/calibration.md
with --write-docs). Method and choices: sim/calibration.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.calibration import TARGETS, abc, predictive_check


def fitted_yaml(fitted: dict[str, float]) -> str:
    tree: dict = {}
    for key, value in fitted.items():
        node = tree
        parts = key.split(".")[1:]  # drop "params"
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = float(f"{value:.4g}")
    lines = ["params:"]
    for group, values in tree.items():
        lines.append(f"  {group}:")
        lines += [f"    {k}: {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def report(result, check: pd.DataFrame, settings: dict, wall: float) -> str:
    post = result.posterior.reset_index()
    lines = [
        "# Calibration of the pre-reform baseline",
        "",
        "Produced by `python experiments/calibrate.py` (method: `sim/calibration.py`): rejection ABC over a",
        "scrambled Sobol sample of uniform priors, replicate seeds per parameter set, local-linear regression",
        "adjustment (Beaumont et al. 2002). Fitted values (posterior means) are in `configs/config.yaml`.",
        "",
        f"Settings: {settings}; wall time {wall / 60:.1f} min.",
        "",
        "## Targets",
        "",
        "| statistic | target | tolerance | source |",
        "|---|---|---|---|",
        *[f"| `{t.key}` | {t.value:g} | {t.tolerance:.0%}{' (log)' if t.log else ''} | {t.source} |" for t in TARGETS],
        "",
        "## Priors and posterior",
        "",
        "| parameter | sets | prior | posterior mean | 5 % | 95 % |",
        "|---|---|---|---|---|---|",
        *[
            f"| `{r.key}` | {r.why} | [{r.prior_low:g}, {r.prior_high:g}] | {r['mean']:.4g} "
            f"| {r.q05:.4g} | {r.q95:.4g} |"
            for _, r in post.iterrows()
        ],
        "",
        f"Accepted {len(result.accepted)} of {len(result.samples)} parameter sets; distance of the accepted: "
        f"{result.accepted['distance'].min():.2f} to {result.accepted['distance'].max():.2f} "
        f"(median over all sets {result.samples['distance'].median():.2f}).",
        "",
        "## Posterior-predictive check: the calibrated default",
        "",
        f"{len(check.attrs.get('seeds', [])) or 'several'} seeds at the configured scale; mean over seeds with its",
        "95 % confidence interval, the range over seeds, and whether the mean is within the tolerance.",
        "",
        "| statistic | target | model mean | 95 % CI of the mean | seed range | error | within |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| `{r.target}` | {r['source value']:g} | {r['model mean']:.4g} | [{r['95% CI low']:.4g}, "
            f"{r['95% CI high']:.4g}] | [{r['seed min']:.4g}, {r['seed max']:.4g}] | {r['relative error']:+.1%} | "
            f"{'yes' if r.within else 'no'} |"
            for _, r in check.iterrows()
        ],
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true", help="tiny scale, 16 sets, 1 seed, 120 days")
    ap.add_argument("--samples-power2", type=int, default=8, help="2**k parameter sets (default 256)")
    ap.add_argument("--seeds", type=int, default=2, help="replicate seeds per set")
    ap.add_argument("--check-seeds", type=int, default=10, help="seeds of the predictive check")
    ap.add_argument("--scale", default="default")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--accept", type=float, default=0.1, help="accepted fraction")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("outputs/calibration"))
    ap.add_argument("--write-docs", action="store_true", help="copy report.md to docs/calibration.md")
    ap.add_argument("--skip-abc", action="store_true", help="only the predictive check of the configured default")
    args = ap.parse_args(argv)
    if args.cheap:
        args.samples_power2, args.seeds, args.check_seeds, args.scale, args.days = 4, 1, 2, "tiny", 120
    base = [f"scale={args.scale}", f"days={args.days}"]
    settings = {
        "sets": 2**args.samples_power2,
        "seeds": args.seeds,
        "scale": args.scale,
        "days": args.days,
        "accepted fraction": args.accept,
        "check seeds": args.check_seeds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = None
    if not args.skip_abc:
        result = abc(args.samples_power2, range(args.seeds), args.accept, base, args.jobs)
        result.samples.to_parquet(args.out / "samples.parquet")
        result.accepted.to_parquet(args.out / "accepted.parquet")
        result.posterior.to_csv(args.out / "posterior.csv")
        (args.out / "fitted.yaml").write_text(
            "# posterior means from experiments/calibrate.py; see docs/calibration.md\n" + fitted_yaml(result.fitted())
        )
        print(result.posterior[["prior_low", "prior_high", "mean", "q05", "q95"]].to_string())
    check = predictive_check(base, range(args.check_seeds), args.jobs)
    check.attrs["seeds"] = list(range(args.check_seeds))
    check.to_csv(args.out / "predictive_check.csv", index=False)
    print(check[["target", "source value", "model mean", "95% CI low", "95% CI high", "within"]].to_string())
    if result is not None:
        text = report(result, check, settings, time.perf_counter() - started)
        (args.out / "report.md").write_text(text)
        if args.write_docs:
            Path("docs/calibration.md").write_text(text)
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
