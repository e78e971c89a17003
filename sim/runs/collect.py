"""Gather a sweep into tidy tables: ``python -m sim.runs.collect SWEEP_DIR`` (or :func:`collect`).

Writes into the sweep directory (readable with ``pandas.read_parquet``):

- ``results.parquet``: one row per run (a job directory Hydra created, or each seed of a
  job that ran a batch of seeds, ``replicates``): ``run_id`` (the directory, relative to the
  sweep's), ``status`` (``completed``, ``failed``, ``running`` for a job killed or still going,
  ``missing`` when no status was written), ``error``, ``arm`` (the policies in effect during
  the run, see :func:`arm_label`), ``policies``, ``seed``, ``scale``, ``days``, every swept config value (each key
  overridden on the command line or by the sweeper, and every other config value that
  differs between runs) and every metric of ``summary.json`` (``sim/metrics.py``);
- ``timeseries.parquet``: one row per run and day (``run_id``, ``arm``, ``seed`` and the
  daily reporters of ``sim/model.py``);
- ``trust_end.parquet``: each run's end-of-run trust histogram (``sim/runs/sweep.py``).

The three are replaced as one set (``sim.runs.io.write_set``): they live in
``collected/`` (a link to a fresh folder, switched only once all three are written) and
``<sweep>/<name>.parquet`` links through it; :func:`read_collected` reads one consistent set.
A kill or a full disk while collecting leaves the previous set in place.

Failed and unfinished runs keep their row (metrics empty), so nothing is dropped silently; so do
runs whose files are damaged (status ``corrupt``: a result file that no longer matches the
checksum recorded when it was written, or does not parse) or whose Hydra record is unreadable
(status ``unreadable``): their error names the file, they are left out of the daily tables, and
:func:`describe` lists them. Intensities of a policy that is switched off are left empty: they do
not act. Two columns say which runs may be compared: ``context`` (a hash of the run's config
without the arm, i.e. the policies, and the seed) and ``code`` (``sim.runs.provenance``); paired
effects (``sim.analysis.stats``) pair runs only within the same context and code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

from sim.policies import PACKAGES, POLICY_NAMES
from sim.runs.io import current_set, write_set
from sim.runs.sweep import SWEEP_FILE, completion_problem, read_status, run_config, run_dirs

#: The tables collect writes, and the link to their current set inside the sweep directory.
TABLES = ("results.parquet", "timeseries.parquet", "trust_end.parquet")
COLLECTED = "collected"
#: Statuses of runs left out of the tables' metrics because a file is damaged or unreadable.
LEFT_OUT = ("corrupt", "unreadable")

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


def context_of(config: dict) -> str:
    """A short hash of a run's config without its arm (``policies``) and seed: runs with the same
    context differ only in the arm and the seed, so they may be paired."""
    rest = {k: v for k, v in config.items() if k not in ("policies", "seed", "replicates")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()[:12]


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
    status = read_status(run_dir)
    if status is None and (run_dir / "status.json").exists():
        status = {"status": "corrupt", "error": f"{_name(run_dir, sweep_dir)}/status.json: unreadable"}
    status = status or {"status": "missing"}
    row = {
        "run_id": _name(run_dir, sweep_dir),
        "status": status.get("status"),
        "error": status.get("error"),
        "arm": arm_label(config),
        "policies": "+".join(effective_policies(config)) or "none",
        "seed": config["seed"],
        # what every figure states (sim.analysis.plots.run_context), swept or not
        "scale": (config.get("scale") or {}).get("name"),
        "days": config.get("days"),
        "context": context_of(config),
        "code": ((status.get("code") or {}).get("source_sha256") or "")[:12] or None,
    }
    keys = [k for k in map(_override_key, overrides) if k not in NOT_SWEPT and not k.startswith("experiment/")]
    return flat, row, keys


def _name(run_dir: Path, sweep_dir: Path | None) -> str:
    return str(Path(run_dir).relative_to(sweep_dir)) if sweep_dir else Path(run_dir).name


def _read_results(run_dir: Path, row: dict, series: bool) -> tuple[dict, list[pd.DataFrame]]:
    """A completed run's summary and (if ``series``) its two tables; a damaged file turns the
    row's status to ``corrupt`` with the file named in its error, and nothing is read."""
    problem = completion_problem(run_dir)
    try:
        if problem is not None:
            raise ValueError(problem)
        summary = json.loads((run_dir / "summary.json").read_text())
        if not isinstance(summary, dict):
            raise ValueError("summary.json: not a JSON object")
        frames = (
            [pd.read_parquet(run_dir / name) for name in ("timeseries.parquet", "trust_end.parquet")] if series else []
        )
    except Exception as err:
        row.update(status="corrupt", error=f"{row['run_id']}: {err}")
        return {}, []
    return summary, frames


def collect(
    sweep_dir: Path, write: bool = True, series: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy tables of a sweep: (results, timeseries, trust_end); written next to the runs, as one
    set (see the module docstring). ``series=False`` reads the summaries only (large designs):
    the other two are empty. A run whose record or results cannot be read keeps its row with
    status ``unreadable`` or ``corrupt`` and the file named in ``error``; the others are collected."""
    sweep_dir = Path(sweep_dir)
    runs = run_dirs(sweep_dir)
    if not runs:
        raise FileNotFoundError(f"no runs in {sweep_dir} (expected <run>/.hydra/config.yaml)")
    flats, rows, swept = [], [], []
    for run_dir in runs:
        try:
            flat, row, keys = read_run(run_dir, sweep_dir)
        except Exception as err:  # an empty or damaged .hydra record: reported, the others collected
            flat, keys = {}, []
            row = {"run_id": _name(run_dir, sweep_dir), "status": "unreadable", "error": f"{type(err).__name__}: {err}"}
        flats.append(flat)
        rows.append(row)
        swept += [k for k in keys if k not in swept]
    configs = pd.DataFrame(flats)
    # values that differ between runs without being overridden (e.g. set by a sub-preset);
    # policy intensities count only when swept (they differ whenever arms differ)
    known = configs[[bool(flat) for flat in flats]]  # (an unreadable run has no config to compare)
    varying = [
        c for c in known.columns if not c.startswith("policies.") and known[c].astype(str).nunique(dropna=False) > 1
    ]
    columns = []
    basics = {key for row in rows for key in row}
    for key in swept + varying:
        if key == "policies" or key in columns or key in basics:
            continue
        if key not in configs.columns and f"{key}.name" in configs.columns:  # a group choice, e.g. scale
            configs[key] = configs[f"{key}.name"]
        if key in configs.columns:
            columns.append(key)
    results = pd.concat([pd.DataFrame(rows), configs[columns].reset_index(drop=True)], axis=1)

    metrics, series_, trust = [], [], []
    for i, (run_dir, row) in enumerate(zip(runs, rows, strict=True)):
        summary = {}
        if row["status"] == "completed":
            summary, frames = _read_results(run_dir, row, series)
            results.loc[i, ["status", "error"]] = [row["status"], row["error"]]
            tag = {"run_id": row["run_id"], "arm": row["arm"], "seed": row["seed"]}
            for frame, bucket in zip(frames, (series_, trust), strict=False):
                bucket.append(frame.assign(**tag)[[*tag, *frame.columns]])
        metrics.append({k: v for k, v in summary.items() if k not in SUMMARY_CONFIG_KEYS})
    results = pd.concat([results, pd.DataFrame(metrics, index=results.index)], axis=1)
    for column in results.columns:  # true/false with gaps (e.g. ``dirty``): a nullable boolean, which
        values = results[column].dropna()  # a parquet file gives back as it was (not None for NaN)
        if results[column].dtype == object and len(values) and values.map(type).eq(bool).all():
            results[column] = results[column].astype("boolean")
    timeseries = pd.concat(series_, ignore_index=True) if series_ else pd.DataFrame()
    trust_end = pd.concat(trust, ignore_index=True) if trust else pd.DataFrame()
    if write:
        write_tables(sweep_dir, results, timeseries, trust_end)
    return results, timeseries, trust_end


def write_tables(sweep_dir: Path, results: pd.DataFrame, timeseries: pd.DataFrame, trust_end: pd.DataFrame) -> Path:
    """The three tables as one set (``sim.runs.io.write_set``): all replaced, or none."""
    frames = dict(zip(TABLES, (results, timeseries, trust_end), strict=True))
    writers = {name: (lambda path, frame=frame: frame.to_parquet(path, index=False)) for name, frame in frames.items()}
    try:
        return write_set(sweep_dir, writers, pointer=COLLECTED)
    except OSError as err:
        raise OSError(
            err.errno,
            f"could not write the collected tables into {sweep_dir} ({err.strerror or err}); "
            "the previous tables, if any, are unchanged",
        ) from err


def read_collected(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(results, timeseries, trust_end) as last collected: the three of one collection, even if
    another collection replaces them meanwhile."""
    folder = current_set(sweep_dir, pointer=COLLECTED)
    return tuple(pd.read_parquet(folder / name) for name in TABLES)


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
    left_out = results[results["status"].isin(LEFT_OUT)]
    if len(left_out):
        lines.append(f"  left out ({len(left_out)}: damaged or unreadable files; rerun the sweep to redo them):")
        lines += [f"    {row.status}: {row.error}" for row in left_out.itertuples()]
    if "code" in results and results["code"].nunique() > 1:
        lines.append(
            f"  warning: runs of {results['code'].nunique()} code versions (column code); "
            "paired effects only pair runs of the same code"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.runs.collect", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        results, timeseries, _ = collect(args.sweep_dir)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    except OSError as err:
        print(err, file=sys.stderr)
        return 1
    print(describe(results, args.sweep_dir))
    print(f"wrote {args.sweep_dir / 'results.parquet'} ({results.shape[0]} rows x {results.shape[1]} columns)")
    print(f"wrote {args.sweep_dir / 'timeseries.parquet'} ({len(timeseries)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
