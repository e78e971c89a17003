"""Validate the history on the reform years (2013 on): patterns never fitted.

    python experiments/validate.py --write-docs      # 8 posterior draws x 2 seeds, default scale
    python experiments/validate.py --cheap           # tiny scale, the configured default, 2 seeds

Reads (or runs, resumably) the history runs of experiments/history.py (--out/runs/full) and
writes --out/validation.csv and validation.md (copied to docs/validation.md with --write-docs).
Patterns and verdict rules: sim/analysis/validation.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.analysis.validation import markdown, validate

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("history_script", Path(__file__).with_name("history.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = sys.argv[1:] if argv is None else argv
    args = script.parse_args([*argv, "--no-attribution"])
    args.out.mkdir(parents=True, exist_ok=True)
    runs = script.run_history(args)
    table = validate(runs)
    table.to_csv(args.out / "validation.csv", index=False)
    text = markdown(table, f"scale {args.scale}, {args.draws} posterior draws x {args.seeds} seeds")
    (args.out / "validation.md").write_text(text)
    if args.write_docs:
        (ROOT / "docs" / "validation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
