"""The benchmark suite (issue 3): ``make bench`` or ``python -m benchmarks.bench``.

Measures, each in a fresh process so that peak memory is the run's own:

- the full model (``TrustModel``, pre-reform baseline) for one simulated year at the ``small``,
  ``default`` and ``large`` scales: set-up time, stepping time, patient-days per second, peak
  resident memory (RSS) and bytes per patient;
- what a Mesa agent costs: creating 100,000 bare :class:`~sim.agents.Patient` agents;
- the per-agent Mesa reference (``sim.reference.ReferenceModel``) on the same rules at the
  ``default`` scale for a few days, against the engine over the same days: the speed ratio;
- the sweep speed-up: the quick policy comparison (every arm of
  ``configs/experiment/policy_comparison.yaml``, a few seeds, small scale) as a user runs it,
  ``python -m sim -m experiment=quick_comparison``, with Hydra's basic launcher (serial)
  and with the joblib launcher on all local cores; and, for runs so short that the launcher's
  per-job overhead matters (tiny scale), one seed per job against a batch of seeds per job
  (``replicates``). Both pairs are checked to give identical results.

- the whole command a user types (issue 14), ``python -m sim ...`` in a fresh process: imports,
  set-up, the burn-in, the run and the files written; wall time and peak memory: a year at the
  default scale, the 14-year history (``scenario=china_2006_2019``) at the default and small
  scales, a year at the large scale.

With ``--baseline REF`` (a commit, e.g. ``main``), the stepping and whole-command figures are
measured for that commit's code too (``git archive`` into a temporary folder, run with this
environment), interleaved in the same run, and printed side by side.

Prints every figure beside its target (``TARGETS``) and writes
``benchmarks/results/bench-<UTC time>.json`` (with the commit, the machine and the load average,
so that runs can be compared over time).

    python -m benchmarks.bench                      # everything (about 12 minutes on 2 cores)
    python -m benchmarks.bench --baseline 12367b0   # and the same figures for an older commit
    python -m benchmarks.bench --large-days 60      # shorter large stepping run (year extrapolated)
    python -m benchmarks.bench --skip large,sweep,commands
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sim.policies import comparison_arms

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
SCALES = {"small": 50_000, "default": 100_000, "large": 1_000_000}
#: figure -> (target, "max" when lower is better, what it is); issue 14 (issue 3's were looser)
TARGETS = {
    "default_patient_days_per_s": (4e7, "min", "stepping, default scale, one core (patient-days/s)"),
    "command_default_year_s": (3.0, "max", "python -m sim scale=default: a year, whole command (s)"),
    "command_history_default_s": (15.0, "max", "python -m sim scenario=china_2006_2019 scale=default (s)"),
    "command_history_small_s": (8.0, "max", "python -m sim scenario=china_2006_2019 scale=small (s)"),
    "command_large_year_s": (20.0, "max", "python -m sim scale=large: a year, whole command (s)"),
    "command_large_peak_rss_mb": (1000.0, "max", "python -m sim scale=large: peak resident memory (MB)"),
    "reference_ratio": (500.0, "min", "engine / per-agent Mesa reference, same days (x)"),
    "sweep_speedup": (1.9, "min", "~100 small runs through Hydra: joblib on 2 cores / serial (x)"),
}
#: the whole commands measured: name -> overrides of ``python -m sim``
COMMANDS = {
    "command_default_year": ["scale=default"],
    "command_history_default": ["scenario=china_2006_2019", "scale=default"],
    "command_history_small": ["scenario=china_2006_2019", "scale=small"],
    "command_large_year": ["scale=large"],
}
#: docs/calibration.md: the ABC of the pre-reform baseline (default scale, 365 days) on 2 cores
CALIBRATION_MINUTES = 69.7
#: The arms of the policy comparison (configs/experiment/policy_comparison.yaml).
ARMS = comparison_arms()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ----- measurements, each run in a child process -------------------------------------------------
def measure_scale(scale: str, days: int) -> dict:
    """One model of ``scale``: set-up, ``days`` days of stepping, peak RSS."""
    from sim.engine.model import TrustModel
    from sim.runs.api import compose

    # the burn-in is stepping like any other day: measured apart, set-up is the build alone
    config = compose([f"scale={scale}", f"days={days}", "burn_in_days=0"])
    burn_in_days = compose([]).burn_in_days
    before = current_rss_mb()
    started = time.perf_counter()
    model = TrustModel(config).setup()
    setup = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    model.run()
    stepping = time.perf_counter() - started
    stepping_cpu = time.process_time() - cpu
    n = config.scale.n_patients
    peak = peak_rss_mb()
    return {
        "scale": scale,
        "n_patients": n,
        "days": days,
        "setup_s": setup,
        "run_s": stepping,
        "patient_days_per_s": n * days / stepping,
        "stepping_cpu_s": stepping_cpu,
        "patient_days_per_cpu_s": n * days / stepping_cpu,
        "year_s_including_setup": setup + stepping * 365 / days,
        "burn_in_days": burn_in_days,
        "run_as_configured_s": setup + stepping * (365 + burn_in_days) / days,
        "peak_rss_mb": peak,
        "rss_before_model_mb": before,
        "bytes_per_patient": (peak - before) * 2**20 / n,
        "mean_trust_end": float(model.patients.trust.mean()),
        "media_stories_per_day": model.ledger.totals["media_stories"] / days,
    }


def measure_agents(n: int = 100_000) -> dict:
    """Creating ``n`` bare Patient agents (Mesa registration included) in an empty model."""
    import gc

    import mesa

    from sim.engine.agents import Patient

    model = mesa.Model(seed=0)
    gc.collect()
    before = current_rss_mb()
    started = time.perf_counter()
    agents = [Patient(model, i) for i in range(n)]
    seconds = time.perf_counter() - started
    after = current_rss_mb()
    assert len(agents) == n
    return {"n": n, "us_per_agent": seconds / n * 1e6, "bytes_per_agent": (after - before) * 2**20 / n}


def measure_reference(scale: str, days: int) -> dict:
    """The per-agent reference and the engine over the same ``days`` of the same config."""
    from sim.engine.model import TrustModel
    from sim.engine.reference import ReferenceModel
    from sim.runs.api import compose

    config = compose([f"scale={scale}", f"days={days}", "burn_in_days=0"])
    out = {"scale": scale, "n_patients": config.scale.n_patients, "days": days}
    for name, cls in (("engine", TrustModel), ("reference", ReferenceModel)):
        started = time.perf_counter()
        model = cls(config).setup()
        out[f"{name}_setup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        model.run()
        out[f"{name}_run_s"] = time.perf_counter() - started
        out[f"{name}_patient_days_per_s"] = config.scale.n_patients * days / out[f"{name}_run_s"]
    out["ratio_same_days"] = out["reference_run_s"] / out["engine_run_s"]
    return out


def hydra_sweep(sweep_dir: Path, overrides: list[str]) -> float:
    """Wall time of the user's command, ``python -m sim -m experiment=quick_comparison ...``
    (Hydra's start-up, the launcher, every job, the files written)."""
    from sim.runs.sweep import experiment_override

    args = [sys.executable, "-m", "sim", "-m", experiment_override("quick_comparison"), *overrides]
    started = time.perf_counter()
    subprocess.run([*args, f"hydra.sweep.dir={sweep_dir}"], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def sweep_metrics(sweep_dir: Path) -> dict:
    """Every run's metrics (but its wall time), keyed by arm and seed, for the identity check."""
    from sim.runs.collect import collect

    results, _, _ = collect(sweep_dir, write=False)
    assert (results["status"] == "completed").all(), results.loc[results["status"] != "completed", "error"]
    # the shared burn-in's cache directory and the config hash that includes it are settings, not results
    volatile = ["run_id", "wall_seconds", "status", "error", "replicates", "context", "burn_in_cache"]
    metrics = results.drop(columns=volatile, errors="ignore")
    return {f"{r['arm']}|{r['seed']}": json.dumps(r, sort_keys=True, default=str) for r in metrics.to_dict("records")}


def measure_sweep(scale: str, days: int, seeds: int, workers: int, tiny_seeds: int) -> dict:
    """The quick policy comparison (13 arms) as users run it, through Hydra: serially (basic
    launcher) against ``workers`` processes (joblib launcher); then short tiny-scale runs with one
    seed per job against all seeds of an arm in one job (``replicates``); and the parallel sweep
    again with each seed's burn-in stepped once and loaded by the other arms (``burn_in_cache``,
    what ``experiments/*.py`` do)."""
    import tempfile

    out: dict = {"scale": scale, "days": days, "arms": len(ARMS), "seeds": seeds, "runs": len(ARMS) * seeds}
    out["workers"] = workers
    common = [f"scale={scale}", f"days={days}", f"seed=range(0,{seeds})"]
    with tempfile.TemporaryDirectory() as tmp:
        serial, parallel = Path(tmp, "serial"), Path(tmp, "parallel")
        out["serial_s"] = hydra_sweep(serial, [*common, "hydra/launcher=basic"])
        joblib = ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={workers}"]
        out["parallel_s"] = hydra_sweep(parallel, [*common, *joblib])
        shared = Path(tmp, "shared")
        out["shared_burn_in_s"] = hydra_sweep(shared, [*common, *joblib, f"burn_in_cache={Path(tmp, 'burn_in')}"])
        reference = sweep_metrics(serial)
        out["identical_results"] = reference == sweep_metrics(parallel)
        out["shared_burn_in_identical"] = reference == sweep_metrics(shared)
    out["speedup"] = out["serial_s"] / out["parallel_s"]
    out["shared_burn_in_speedup"] = out["parallel_s"] / out["shared_burn_in_s"]

    # short runs: launcher overhead per job against a batch of seeds per job
    tiny = ["scale=tiny", "days=365", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={workers}"]
    with tempfile.TemporaryDirectory() as tmp:
        one, batched = Path(tmp, "one"), Path(tmp, "batched")
        out["tiny_runs"] = len(ARMS) * tiny_seeds
        out["tiny_one_seed_per_job_s"] = hydra_sweep(one, [*tiny, f"seed=range(0,{tiny_seeds})"])
        out["tiny_batched_s"] = hydra_sweep(batched, [*tiny, "seed=0", f"replicates={tiny_seeds}"])
        out["tiny_identical_results"] = sweep_metrics(one) == sweep_metrics(batched)
    out["tiny_seeds_per_job"] = tiny_seeds
    out["batching_speedup"] = out["tiny_one_seed_per_job_s"] / out["tiny_batched_s"]
    return out


def measure_command(overrides: list[str], tree: Path = REPO) -> dict:
    """Wall time and peak RSS of ``python -m sim *overrides`` in a fresh process, as a user runs it
    (imports, set-up, burn-in, the run, summary.json and timeseries.parquet written)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp, "log"), "w+b") as log:
        command = [sys.executable, "-m", "sim", *overrides, f"hydra.run.dir={tmp}/run"]
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=tree, env=_env(tree), stdout=log, stderr=subprocess.STDOUT)
        # wait4: this child's own peak memory (RUSAGE_CHILDREN would be the largest of all children)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{log.read().decode()[-3000:]}")
        summary = json.loads(Path(tmp, "run", "summary.json").read_text())
    return {
        "overrides": overrides,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        # CPU time of the command: what it costs, less disturbed than the wall time by other load
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "model_wall_s": summary.get("wall_seconds"),
        "days": summary.get("days"),
        "n_patients": summary.get("n_patients"),
        "mean_trust": summary.get("mean_trust"),
    }


def _env(tree: Path) -> dict:
    """The environment of a child running ``tree``'s code: its folder first on the path (this
    environment's editable install of ``sim`` is found only after it)."""
    env = dict(os.environ)
    if tree != REPO:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
    return env


def baseline_tree(ref: str, folder: Path) -> Path:
    """The code of commit ``ref`` in ``folder`` (``git archive``): measured with this environment."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


#: a run long enough to use (and so compile and cache) every compiled kernel
WARM_UP = ["scale=default", "days=30"]

MEASURES = {"scale": measure_scale, "agents": measure_agents, "reference": measure_reference, "sweep": measure_sweep}


def in_child(kind: str, *args, tree: Path = REPO) -> dict:
    """Run one measurement in a fresh interpreter (own peak RSS, no warm caches) and return it;
    with ``tree``, on that folder's code (this benchmark's measuring code)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *map(str, args)]
    done = subprocess.run(command, cwd=tree, env=_env(tree), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def middle(measurements: list[dict], key: str) -> dict:
    """The measurement whose ``key`` is the median (the upper middle of an even number), with every
    repeat's ``key`` in ``repeats`` when there are several."""
    ordered = sorted(measurements, key=lambda m: m[key])
    chosen = dict(ordered[len(ordered) // 2])
    if len(measurements) > 1:
        chosen["repeats"] = [m[key] for m in measurements]
    return chosen


# ----- report ------------------------------------------------------------------------------------
def machine() -> dict:
    import mesa
    import numpy
    import scipy

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    status = subprocess.run(["git", "status", "--porcelain", "sim"], cwd=REPO, capture_output=True, text=True)
    dirty = bool(status.stdout)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
        "commit": commit,
        "sim_has_uncommitted_changes": dirty,
        "load_average_at_start": os.getloadavg(),
    }


def verdict(value: float, target: float, sense: str) -> str:
    ok = value <= target if sense == "max" else value >= target
    return "met" if ok else "MISSED"


def scale_table(scales: dict) -> list[str]:
    rows = [f"{'':34s}{'small':>12s}{'default':>12s}{'large':>12s}"]

    def row(label: str, key: str, fmt: str) -> str:
        cells = [format(scales[s][key], fmt) if key in scales.get(s, {}) else "-" for s in SCALES]
        return f"{label:34s}" + "".join(f"{c:>12s}" for c in cells)

    return [
        *rows,
        row("patients", "n_patients", ",d"),
        row("days stepped", "days", "d"),
        row("set-up (s)", "setup_s", ".2f"),
        row("stepping (s)", "run_s", ".2f"),
        row("patient-days per second", "patient_days_per_s", ".3g"),
        row("patient-days per CPU second", "patient_days_per_cpu_s", ".3g"),
        row("a year incl. set-up (s)", "year_s_including_setup", ".1f"),
        row("+ burn-in: a default run (s)", "run_as_configured_s", ".1f"),
        row("peak RSS (MB)", "peak_rss_mb", ".0f"),
        row("bytes per patient", "bytes_per_patient", ".0f"),
        row("media stories per day", "media_stories_per_day", ".1f"),
    ]


def table(results: dict) -> str:
    lines = [""]
    base = results.get("baseline", {})
    if results.get("scales"):
        lines += ["in-process (TrustModel): this code", *scale_table(results["scales"]), ""]
    if base.get("scales"):
        lines += [f"in-process: baseline {base['ref']} ({base['commit'][:7]})", *scale_table(base["scales"]), ""]
    if results.get("commands"):
        head = f"{'whole command (python -m sim ...)':50s}{'wall s':>8s}{'cpu s':>8s}{'peak MB':>9s}"
        if base.get("commands"):
            head += f"{'| base wall':>11s}{'cpu s':>8s}{'MB':>6s}{'wall x':>8s}{'cpu x':>7s}"
        lines.append(head)
        for name, c in results["commands"].items():
            cpu = c.get("cpu_s", float("nan"))
            line = f"  {' '.join(c['overrides']):48s}{c['wall_s']:8.2f}{cpu:8.2f}{c['peak_rss_mb']:9.0f}"
            if name in base.get("commands", {}):
                b = base["commands"][name]
                bcpu = b.get("cpu_s", float("nan"))
                line += f"{b['wall_s']:11.2f}{bcpu:8.2f}{b['peak_rss_mb']:6.0f}"
                line += f"{b['wall_s'] / c['wall_s']:7.2f}x{bcpu / cpu:6.2f}x"
            lines.append(line)
        repeated = [(name, c) for name, c in results["commands"].items() if "repeats" in c]
        if repeated:
            lines.append(
                f"  (each the median of {len(repeated[0][1]['repeats'])} runs, alternating the codes; wall s of each:)"
            )
            for name, c in repeated:
                runs = " ".join(f"{v:.2f}" for v in c["repeats"])
                if "repeats" in base.get("commands", {}).get(name, {}):
                    runs += " | base " + " ".join(f"{v:.2f}" for v in base["commands"][name]["repeats"])
                lines.append(f"    {' '.join(c['overrides']):46s}{runs}")
        lines.append("")
    if "agents" in results:
        a = results["agents"]
        lines.append(
            f"Mesa Patient agent: {a['us_per_agent']:.1f} us and {a['bytes_per_agent']:.0f} B each "
            f"(created {a['n']:,} in an empty model; a run makes none, a look at the agents makes them all)"
        )
    if "reference" in results:
        r = results["reference"]
        lines.append(
            f"per-agent reference, {r['scale']} scale, {r['days']} days: "
            f"{r['reference_patient_days_per_s']:.3g} patient-days/s (set-up {r['reference_setup_s']:.1f} s); "
            f"engine {r['engine_patient_days_per_s']:.3g} on the same days: ratio {r['ratio_same_days']:.0f}x"
        )
        if "default" in results.get("scales", {}):
            year_ratio = results["scales"]["default"]["patient_days_per_s"] / r["reference_patient_days_per_s"]
            lines.append(f"  engine's whole year against the reference: {year_ratio:.0f}x")
    if "sweep" in results:
        w = results["sweep"]
        lines.append(
            f"sweep through Hydra: {w['runs']} runs ({w['arms']} arms x {w['seeds']} seeds, {w['scale']}, "
            f"{w['days']} days): basic launcher {w['serial_s']:.1f} s, joblib on {w['workers']} cores "
            f"{w['parallel_s']:.1f} s -> speed-up {w['speedup']:.2f}x; identical results: {w['identical_results']}"
        )
        if "shared_burn_in_s" in w:
            lines.append(
                f"  the same on {w['workers']} cores with each seed's burn-in shared by the arms (burn_in_cache): "
                f"{w['shared_burn_in_s']:.1f} s -> {w['shared_burn_in_speedup']:.2f}x; identical results: "
                f"{w['shared_burn_in_identical']}"
            )
        lines.append(
            f"short runs ({w['tiny_runs']} tiny-scale years on {w['workers']} cores): one seed per job "
            f"{w['tiny_one_seed_per_job_s']:.1f} s, {w['tiny_seeds_per_job']} seeds per job (replicates) "
            f"{w['tiny_batched_s']:.1f} s -> {w['batching_speedup']:.2f}x; identical results: "
            f"{w['tiny_identical_results']}"
        )
    if "calibration_history_min" in results:
        c = results["calibration_history_min"]
        lines.append(
            f"calibration (docs/calibration.md: {CALIBRATION_MINUTES} min on 2 cores for one-year default runs) "
            f"redone on the 14-year history, estimated: {c['estimate_min']:.0f} min ({c['how']})"
        )
    lines += ["", f"{'targets (issue 14)':62s}{'measured':>12s}{'target':>10s}"]
    for key, (target, sense, label) in TARGETS.items():
        value = results.get("figures", {}).get(key)
        if value is None:
            continue
        sign = "<=" if sense == "max" else ">="
        lines.append(f"  {label:60s}{value:12.4g}  {sign} {target:<8g}{verdict(value, target, sense)}")
    return "\n".join(lines)


def headline_figures(results: dict) -> dict:
    scales, commands, figures = results.get("scales", {}), results.get("commands", {}), {}
    if "default" in scales:
        figures["default_patient_days_per_s"] = scales["default"]["patient_days_per_s"]
    for name in COMMANDS:
        if name in commands:
            figures[f"{name}_s"] = commands[name]["wall_s"]
    if "command_large_year" in commands:
        figures["command_large_peak_rss_mb"] = commands["command_large_year"]["peak_rss_mb"]
    if "reference" in results:
        figures["reference_ratio"] = results["reference"]["ratio_same_days"]
    if "sweep" in results:
        figures["sweep_speedup"] = results["sweep"]["speedup"]
    return figures


def calibration_estimate(results: dict) -> dict | None:
    """The documented calibration's wall time, its one-year runs replaced by the 14-year history:
    scaled by (history run now) / (one-year run when it was measured: the baseline's, if given)."""
    commands, base = results.get("commands", {}), results.get("baseline", {}).get("commands", {})
    if "command_history_default" not in commands or "command_default_year" not in commands:
        return None
    year = base.get("command_default_year", commands["command_default_year"])["wall_s"]
    history = commands["command_history_default"]["wall_s"]
    which = "baseline's" if "command_default_year" in base else "this code's"
    return {
        "estimate_min": CALIBRATION_MINUTES * history / year,
        "how": f"{CALIBRATION_MINUTES} min x history command {history:.1f} s / {which} one-year command {year:.1f} s",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days stepped at small and default")
    parser.add_argument("--large-days", type=int, default=365, help="days stepped at large (year extrapolated)")
    parser.add_argument("--reference-days", type=int, default=3)
    parser.add_argument("--sweep-seeds", type=int, default=8, help="seeds per arm: 13 arms x 8 = 104 runs")
    parser.add_argument("--sweep-scale", default="small")
    parser.add_argument("--sweep-days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--tiny-seeds", type=int, default=8, help="seeds per arm of the short-run batching test")
    parser.add_argument("--baseline", help="also measure this commit's code (stepping, whole commands), side by side")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure stepping and whole commands this many times, alternating the codes, and keep the median",
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated: small,default,large,commands,agents,reference,sweep"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--table", type=Path, help="print the table of an earlier JSON result and stop")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be a whole number of runs, at least 1 (got {args.repeat})")

    if args.child:
        kind, *rest = args.child
        values = [int(v) if v.lstrip("-").isdigit() else v for v in rest]
        print(json.dumps(MEASURES[kind](*values)))
        return 0

    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0

    import tempfile

    skip = set(filter(None, args.skip.split(",")))
    results: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "scales": {}}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": REPO}
        if args.baseline:
            trees["baseline"] = baseline_tree(args.baseline, Path(tmp, "baseline"))
            commit = subprocess.run(["git", "rev-parse", args.baseline], cwd=REPO, capture_output=True, text=True)
            results["baseline"] = {"ref": args.baseline, "commit": commit.stdout.strip(), "scales": {}, "commands": {}}

        def store(which: str) -> dict:
            return results if which == "this" else results["baseline"]

        # numba writes its compiled kernels to each tree's __pycache__ on first use: a fresh tree
        # (the baseline's archive, a fresh clone) would otherwise count compiling in its first
        # measurements (seen: 0.8 s of a default-scale year's stepping). A short default-scale run
        # reaches the kernels' threshold (1e5 residents x 210 days >= COMPILED_FROM)
        for which, tree in trees.items():
            print(f"... {which}: warming the compiled kernels' cache", file=sys.stderr, flush=True)
            measure_command(WARM_UP, tree)

        # each figure for this code and the baseline one after the other, so that both see the same
        # load; with --repeat, the pair again and again (a shared machine's single runs move by 10-30 %)
        repeats = range(args.repeat)
        for scale in SCALES:
            if scale not in skip:
                days = args.large_days if scale == "large" else args.days
                runs: dict[str, list[dict]] = {which: [] for which in trees}
                for _, (which, tree) in itertools.product(repeats, trees.items()):
                    print(f"... {which}: {scale}, {days} days stepped", file=sys.stderr, flush=True)
                    runs[which].append(in_child("scale", scale, days, tree=tree))
                for which in trees:
                    store(which)["scales"][scale] = middle(runs[which], "run_s")
        if "commands" not in skip:
            results["commands"] = {}
            for name, overrides in COMMANDS.items():
                if "large" in skip and "scale=large" in overrides:
                    continue
                runs = {which: [] for which in trees}
                for _, (which, tree) in itertools.product(repeats, trees.items()):
                    print(f"... {which}: python -m sim {' '.join(overrides)}", file=sys.stderr, flush=True)
                    runs[which].append(measure_command(overrides, tree))
                for which in trees:
                    store(which)["commands"][name] = middle(runs[which], "wall_s")
    if "agents" not in skip:
        results["agents"] = in_child("agents", 100_000)
    if "reference" not in skip:
        print(f"... reference: default scale, {args.reference_days} days", file=sys.stderr, flush=True)
        results["reference"] = in_child("reference", "default", args.reference_days)
    if "sweep" not in skip:
        print(f"... sweep: {len(ARMS)} arms x {args.sweep_seeds} seeds", file=sys.stderr, flush=True)
        results["sweep"] = in_child(
            "sweep", args.sweep_scale, args.sweep_days, args.sweep_seeds, args.workers, args.tiny_seeds
        )
    estimate = calibration_estimate(results)
    if estimate:
        results["calibration_history_min"] = estimate
    results["figures"] = headline_figures(results)
    results["targets"] = {key: {"target": t, "sense": sense, "what": what} for key, (t, sense, what) in TARGETS.items()}
    results["load_average_at_end"] = os.getloadavg()
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("+0000", "Z")
    path = args.out / f"bench-{stamp}.json"
    from sim.runs.io import write_json

    write_json(path, results)
    print(f"\nsaved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
