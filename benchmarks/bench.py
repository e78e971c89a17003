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

Prints a table and writes ``benchmarks/results/bench-<UTC time>.json`` (with the commit, the
machine and the load average, so that runs can be compared over time).

    python -m benchmarks.bench                 # everything (about 7 minutes on 2 cores)
    python -m benchmarks.bench --large-days 60 # shorter large run (the year is extrapolated)
    python -m benchmarks.bench --skip large,sweep
"""

from __future__ import annotations

import argparse
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
TARGETS = {
    "default_patient_days_per_s": 1e7,
    "reference_ratio": 100.0,
    "large_year_s": 75.0,
    "large_peak_rss_mb": 2000.0,
    "sweep_speedup": 1.8,
}
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
    started = time.perf_counter()
    model.run()
    stepping = time.perf_counter() - started
    n = config.scale.n_patients
    peak = peak_rss_mb()
    return {
        "scale": scale,
        "n_patients": n,
        "days": days,
        "setup_s": setup,
        "run_s": stepping,
        "patient_days_per_s": n * days / stepping,
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
    metrics = results.drop(columns=["run_id", "wall_seconds", "status", "error", "replicates"], errors="ignore")
    return {f"{r['arm']}|{r['seed']}": json.dumps(r, sort_keys=True, default=str) for r in metrics.to_dict("records")}


def measure_sweep(scale: str, days: int, seeds: int, workers: int, tiny_seeds: int) -> dict:
    """The quick policy comparison (13 arms) as users run it, through Hydra: serially (basic
    launcher) against ``workers`` processes (joblib launcher); then short tiny-scale runs with one
    seed per job against all seeds of an arm in one job (``replicates``)."""
    import tempfile

    out: dict = {"scale": scale, "days": days, "arms": len(ARMS), "seeds": seeds, "runs": len(ARMS) * seeds}
    out["workers"] = workers
    common = [f"scale={scale}", f"days={days}", f"seed=range(0,{seeds})"]
    with tempfile.TemporaryDirectory() as tmp:
        serial, parallel = Path(tmp, "serial"), Path(tmp, "parallel")
        out["serial_s"] = hydra_sweep(serial, [*common, "hydra/launcher=basic"])
        joblib = ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={workers}"]
        out["parallel_s"] = hydra_sweep(parallel, [*common, *joblib])
        out["identical_results"] = sweep_metrics(serial) == sweep_metrics(parallel)
    out["speedup"] = out["serial_s"] / out["parallel_s"]

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


MEASURES = {"scale": measure_scale, "agents": measure_agents, "reference": measure_reference, "sweep": measure_sweep}


def in_child(kind: str, *args) -> dict:
    """Run one measurement in a fresh interpreter (own peak RSS, no warm caches) and return it."""
    command = [sys.executable, "-m", "benchmarks.bench", "--child", kind, *map(str, args)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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


def verdict(value: float, target: float, lower_is_better: bool = False) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "MISSED"


def table(results: dict) -> str:
    rows = [f"{'':34s}{'small':>12s}{'default':>12s}{'large':>12s}"]
    scales = results.get("scales", {})

    def row(label: str, key: str, fmt: str) -> str:
        cells = [format(scales[s][key], fmt) if s in scales else "-" for s in SCALES]
        return f"{label:34s}" + "".join(f"{c:>12s}" for c in cells)

    if scales:
        rows += [
            row("patients", "n_patients", ",d"),
            row("days stepped", "days", "d"),
            row("set-up (s)", "setup_s", ".2f"),
            row("stepping (s)", "run_s", ".2f"),
            row("patient-days per second", "patient_days_per_s", ".3g"),
            row("a year incl. set-up (s)", "year_s_including_setup", ".1f"),
            row("+ burn-in: a default run (s)", "run_as_configured_s", ".1f"),
            row("peak RSS (MB)", "peak_rss_mb", ".0f"),
            row("bytes per patient", "bytes_per_patient", ".0f"),
            row("media stories per day", "media_stories_per_day", ".1f"),
        ]
    lines = ["", *rows, ""]
    if "agents" in results:
        a = results["agents"]
        lines.append(
            f"Mesa Patient agent: {a['us_per_agent']:.1f} us and {a['bytes_per_agent']:.0f} B each "
            f"(created {a['n']:,} in an empty model)"
        )
    if "reference" in results:
        r = results["reference"]
        lines.append(
            f"per-agent reference, {r['scale']} scale, {r['days']} days: "
            f"{r['reference_patient_days_per_s']:.3g} patient-days/s (set-up {r['reference_setup_s']:.1f} s); "
            f"engine {r['engine_patient_days_per_s']:.3g} on the same days: ratio {r['ratio_same_days']:.0f}x"
        )
        if "default" in scales:
            year_ratio = scales["default"]["patient_days_per_s"] / r["reference_patient_days_per_s"]
            lines.append(f"  engine's whole year against the reference: {year_ratio:.0f}x")
    if "sweep" in results:
        w = results["sweep"]
        lines.append(
            f"sweep through Hydra: {w['runs']} runs ({w['arms']} arms x {w['seeds']} seeds, {w['scale']}, "
            f"{w['days']} days): basic launcher {w['serial_s']:.1f} s, joblib on {w['workers']} cores "
            f"{w['parallel_s']:.1f} s -> speed-up {w['speedup']:.2f}x; identical results: {w['identical_results']}"
        )
        lines.append(
            f"short runs ({w['tiny_runs']} tiny-scale years on {w['workers']} cores): one seed per job "
            f"{w['tiny_one_seed_per_job_s']:.1f} s, {w['tiny_seeds_per_job']} seeds per job (replicates) "
            f"{w['tiny_batched_s']:.1f} s -> {w['batching_speedup']:.2f}x; identical results: "
            f"{w['tiny_identical_results']}"
        )
    lines += ["", "targets:"]
    for key, target in TARGETS.items():
        value = results.get("figures", {}).get(key)
        if value is None:
            continue
        lower = key.startswith("large_")
        sign = "<" if lower else ">"
        lines.append(f"  {key:32s} {value:12.4g}  target {sign} {target:g}: {verdict(value, target, lower)}")
    return "\n".join(lines)


def headline_figures(results: dict) -> dict:
    scales, figures = results.get("scales", {}), {}
    if "default" in scales:
        figures["default_patient_days_per_s"] = scales["default"]["patient_days_per_s"]
    if "reference" in results:
        figures["reference_ratio"] = results["reference"]["ratio_same_days"]
    if "large" in scales:
        figures["large_year_s"] = scales["large"]["year_s_including_setup"]
        figures["large_peak_rss_mb"] = scales["large"]["peak_rss_mb"]
    if "sweep" in results:
        figures["sweep_speedup"] = results["sweep"]["speedup"]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days stepped at small and default")
    parser.add_argument("--large-days", type=int, default=365, help="days stepped at large (year extrapolated)")
    parser.add_argument("--reference-days", type=int, default=3)
    parser.add_argument("--sweep-seeds", type=int, default=6, help="seeds per arm: 6, as in the quick comparison")
    parser.add_argument("--sweep-scale", default="small")
    parser.add_argument("--sweep-days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--tiny-seeds", type=int, default=8, help="seeds per arm of the short-run batching test")
    parser.add_argument("--skip", default="", help="comma-separated: small,default,large,agents,reference,sweep")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        values = [int(v) if v.lstrip("-").isdigit() else v for v in rest]
        print(json.dumps(MEASURES[kind](*values)))
        return 0

    skip = set(filter(None, args.skip.split(",")))
    results: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "scales": {}}
    for scale in SCALES:
        if scale not in skip:
            days = args.large_days if scale == "large" else args.days
            print(f"... {scale}: {days} days", file=sys.stderr, flush=True)
            results["scales"][scale] = in_child("scale", scale, days)
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
    results["figures"] = headline_figures(results)
    results["targets"] = TARGETS
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
