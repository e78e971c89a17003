"""Gather a sweep into tidy tables: ``python -m sim.collect SWEEP_DIR`` (or :func:`collect`).

Writes into the sweep directory (readable with ``pandas.read_parquet``):

- ``results.parquet``: one row per run (a job directory Hydra created, or each seed of a
  job that ran a batch of seeds, ``replicates``): ``run_id`` (the directory, relative to the
  sweep's), ``status`` (``completed``, ``failed``, ``running`` for a job killed or still going,
  ``missing`` when no status was written), ``error``, ``arm`` (the policies in effect during
  the run, see :func:`arm_label`), ``policies``, ``seed``, every swept config value (each key
  overridden on the command line or by the sweeper, and every other config value that
  differs between runs) and every metric of ``summary.json`` (``sim/metrics.py``);
- ``timeseries.parquet``: one row per run and day (``run_id``, ``arm``, ``seed`` and the
  daily reporters of ``sim/model.py``);
- ``trust_end.parquet``: each run's end-of-run trust histogram (``sim/sweep.py``).

Failed and unfinished runs keep their row (metrics empty), so nothing is dropped silently.
Intensities of a policy that is switched off are left empty: they do not act.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from sim.policies import PACKAGES, POLICY_NAMES
from sim.sweep import SWEEP_FILE, read_status, run_config, run_dirs

#: Group choices and launcher settings that are not config values of the run.
NOT_SWEPT = ("experiment", "replicates")
#: Summary keys that repeat config values (the config's value is kept).
SUMMARY_CONFIG_KEYS = ("seed", "policies", "scale", "days")


def flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def effective_policies(config: dict) -> dict[str, int]:
    """Switched-on policies that take effect within the run, with their start days."""
    days = config["days"]
    out = {}
    for name in POLICY_NAMES:
        policy = config["policies"].get(name, {"enabled": False})
        if policy["enabled"] and policy["start_day"] < days:
            out[name] = policy["start_day"]
    return out


def arm_label(config: dict) -> str:
    """``baseline``, a policy name, ``a+b+c``, or ``all_policies``; ``@dayN`` if they start late.

    A policy switched on with a start day at or after the run's end never acts: its arm is
    the baseline (the reform_path experiment's pre-reform arm).
    """
    starts = effective_policies(config)
    if not starts:
        return "baseline"
    label = "all_policies" if len(starts) == len(POLICY_NAMES) else "+".join(starts)
    late = sorted(set(starts.values()) - {0})
    return label + "".join(f"@day{day}" for day in late)


def arm_order(arm: str) -> tuple:
    """Sort key: baseline, the single policies in the registry's order, packages, the rest."""
    base = arm.split("@")[0]
    order = ["baseline", *POLICY_NAMES, *("+".join(p) for p in PACKAGES.values()), "all_policies"]
    return (order.index(base) if base in order else len(order), arm)


def _override_key(override: str) -> str:
    key = override.split("=", 1)[0].lstrip("+~")
    return key.split("@", 1)[0]


def read_run(run_dir: Path, sweep_dir: Path | None = None) -> tuple[dict, dict, list[str]]:
    """(flattened run config with off policies' intensities emptied, row basics, override keys)."""
    config, overrides = run_config(run_dir)
    flat = flatten(config)
    for name in POLICY_NAMES:
        if not config["policies"].get(name, {}).get("enabled", False):
            for key in list(flat):
                if key.startswith(f"policies.{name}."):
                    flat[key] = None
        flat.pop(f"policies.{name}.enabled", None)
    status = read_status(run_dir) or {"status": "missing"}
    row = {
        "run_id": str(run_dir.relative_to(sweep_dir)) if sweep_dir else run_dir.name,
        "status": status.get("status"),
        "error": status.get("error"),
        "arm": arm_label(config),
        "policies": "+".join(effective_policies(config)) or "none",
        "seed": config["seed"],
    }
    keys = [k for k in map(_override_key, overrides) if k not in NOT_SWEPT and not k.startswith("experiment/")]
    return flat, row, keys


def collect(
    sweep_dir: Path, write: bool = True, series: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy tables of a sweep: (results, timeseries, trust_end); written next to the runs.
    ``series=False`` reads the summaries only (large designs): the other two are empty."""
    sweep_dir = Path(sweep_dir)
    runs = run_dirs(sweep_dir)
    if not runs:
        raise FileNotFoundError(f"no runs in {sweep_dir} (expected <run>/.hydra/config.yaml)")
    flats, rows, swept = [], [], []
    for run_dir in runs:
        flat, row, keys = read_run(run_dir, sweep_dir)
        flats.append(flat)
        rows.append(row)
        swept += [k for k in keys if k not in swept]
    configs = pd.DataFrame(flats)
    # values that differ between runs without being overridden (e.g. set by a sub-preset);
    # policy intensities count only when swept (they differ whenever arms differ)
    varying = [
        c for c in configs.columns if not c.startswith("policies.") and configs[c].astype(str).nunique(dropna=False) > 1
    ]
    columns = []
    for key in swept + varying:
        if key == "policies" or key in columns or key in rows[0]:
            continue
        if key not in configs.columns and f"{key}.name" in configs.columns:  # a group choice, e.g. scale
            configs[key] = configs[f"{key}.name"]
        if key in configs.columns:
            columns.append(key)
    results = pd.concat([pd.DataFrame(rows), configs[columns].reset_index(drop=True)], axis=1)

    metrics, series_, trust = [], [], []
    for run_dir, row in zip(runs, rows, strict=True):
        summary = {}
        if row["status"] == "completed":
            summary = json.loads((run_dir / "summary.json").read_text())
            tag = {"run_id": row["run_id"], "arm": row["arm"], "seed": row["seed"]}
            for name, bucket in (("timeseries.parquet", series_), ("trust_end.parquet", trust)) if series else ():
                frame = pd.read_parquet(run_dir / name)
                bucket.append(frame.assign(**tag)[[*tag, *frame.columns]])
        metrics.append({k: v for k, v in summary.items() if k not in SUMMARY_CONFIG_KEYS})
    results = pd.concat([results, pd.DataFrame(metrics, index=results.index)], axis=1)
    timeseries = pd.concat(series_, ignore_index=True) if series_ else pd.DataFrame()
    trust_end = pd.concat(trust, ignore_index=True) if trust else pd.DataFrame()
    if write:
        from sim.io import write_parquet

        write_parquet(sweep_dir / "results.parquet", results)
        write_parquet(sweep_dir / "timeseries.parquet", timeseries)
        write_parquet(sweep_dir / "trust_end.parquet", trust_end)
    return results, timeseries, trust_end


def expected_runs(sweep_dir: Path) -> int | None:
    """The sweep's total number of runs, as recorded at its last start (``sweep.json``)."""
    try:
        return json.loads((Path(sweep_dir) / SWEEP_FILE).read_text()).get("total")
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def describe(results: pd.DataFrame, sweep_dir: Path) -> str:
    counts = results["status"].value_counts().to_dict()
    lines = [f"{len(results)} runs in {sweep_dir}: " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    total = expected_runs(sweep_dir)
    if total is not None and total > len(results):
        lines.append(f"  {total - len(results)} of the sweep's {total} runs never started")
    for row in results[results["status"] == "failed"].itertuples():
        lines.append(f"  failed: {row.run_id}: {row.error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.collect", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        results, timeseries, _ = collect(args.sweep_dir)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    print(describe(results, args.sweep_dir))
    print(f"wrote {args.sweep_dir / 'results.parquet'} ({results.shape[0]} rows x {results.shape[1]} columns)")
    print(f"wrote {args.sweep_dir / 'timeseries.parquet'} ({len(timeseries)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
