"""Validate the calibrated baseline against literature patterns not used in fitting.

    python experiments/validate.py            # full: default scale, 10 seeds, 6 scenarios (~3 min on 2 cores)
    python experiments/validate.py --cheap    # tiny scale, 2 seeds, 120 days (smoke test)

Writes --out/validation.csv and validation.md (copied to docs/validation.md with --write-docs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.validation import markdown, validate
from sim.runs.sweep import check_run_overrides, in_range


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cheap", action="store_true")
    ap.add_argument("--seeds", type=in_range(int, 2), default=10)
    ap.add_argument("--scale", default="default")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--jobs", type=in_range(int, 1, also=(-1,)), default=2)
    ap.add_argument("--out", type=Path, default=Path("outputs/validation"))
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    if args.cheap:
        args.seeds, args.scale, args.days = 2, "tiny", 120
    base = [f"scale={args.scale}", f"days={args.days}"]
    check_run_overrides(ap, base)
    table = validate(range(args.seeds), base, args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "validation.csv", index=False)
    text = markdown(table, f"scale={args.scale}, days={args.days}, {args.seeds} seeds")
    (args.out / "validation.md").write_text(text)
    if args.write_docs:
        Path("docs/validation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
