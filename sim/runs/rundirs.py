"""Run and sweep directories: unique default names, short names, and who owns a directory.

- **Unique defaults.** ``configs/hydra/default.yaml`` names a run ``<date>_<time>_seed<s>_<uid>``
  and a sweep ``<date>_<time>_<uid>``, where ``${sim.uid:}`` is a random 6-hex-digit suffix drawn
  once per composed config (Hydra copies it into every job of a sweep, as it does the time), so
  two runs started in the same second get two directories.
- **Short names.** ``${sim.dirname:...}`` keeps a directory name readable but at most
  :data:`MAX_NAME` bytes: a longer name (a run named after its overrides, e.g. the all-policies
  arm with a few ``params.*`` overrides) is cut and ends in a hash of the whole name, so it stays
  unique and the same on every resume.
- **Preset sweeps** go to ``outputs/sweeps/<experiment>/${sim.sweep_label:}``: a folder per
  command line (its task overrides, sorted; ``default`` without any), so ``scale=tiny`` and the
  default scale never share a directory. The label is read from the command line of the
  process that starts the sweep and cached in the config (Hydra copies the cache into every
  job, as for ``${now:}``), so all jobs agree on it whichever process runs them.
- **One directory, one run or sweep.** :func:`check_run_dir` refuses a run whose directory holds
  the results of a run with another config; :func:`check_sweep_dir` refuses a sweep whose
  directory holds another sweep (a different set of jobs, see :func:`sweep_definition`).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

#: Longest directory name ``${sim.dirname:}`` gives, in bytes (file systems allow 255).
MAX_NAME = 120
HASH_CHARS = 10


def short_name(text: str, limit: int = MAX_NAME) -> str:
    """``text`` if it fits in ``limit`` bytes, else its first bytes, ``-`` and a hash of all of it."""
    data = str(text).encode()
    if len(data) <= limit:
        return str(text)
    digest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    head = data[: limit - HASH_CHARS - 1].decode(errors="ignore")
    return f"{head}-{digest}"


def command_line_task_overrides(argv: list[str] | None = None) -> list[str]:
    """The task overrides (not ``hydra...``) of a Hydra command line (default: this process's)."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args, _ = get_args_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    try:
        parsed = OverridesParser.create().parse_overrides(args.overrides or [])
    except Exception:  # not a Hydra command line (e.g. pytest's)
        return []
    return [o.input_line for o in parsed if not o.is_hydra_override()]


def sweep_label(overrides: list[str]) -> str:
    """The folder of a preset's sweep for these task overrides (``experiment=`` itself left out):
    ``default`` without any, else the overrides, sorted, in characters that need no quoting in
    an override or a shell (e.g. ``days-30_scale-tiny_seed-range_0_2``), and a hash of them."""
    rest = sorted(o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "experiment")
    if not rest:
        return "default"
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", "_".join(rest).replace("=", "-")).strip("_")
    digest = hashlib.sha256("\n".join(rest).encode()).hexdigest()[:8]
    return short_name(f"{slug}-{digest}", limit=MAX_NAME)


def register_resolvers() -> None:
    """``sim.uid``, ``sim.dirname`` and ``sim.sweep_label`` (idempotent; at import of sim.runs.api)."""
    if OmegaConf.has_resolver("sim.uid"):
        return
    # cached per config (like Hydra's ${now:}): one value per run, copied into each job of a sweep
    OmegaConf.register_new_resolver("sim.uid", lambda: secrets.token_hex(3), use_cache=True)
    OmegaConf.register_new_resolver("sim.dirname", lambda text: short_name(str(text)))
    # from the command line, in the process that starts the sweep, where Hydra first resolves
    # hydra.sweep.dir; cached, so every job (in any process) gets that value, as with ${now:}
    OmegaConf.register_new_resolver(
        "sim.sweep_label", lambda: sweep_label(command_line_task_overrides()), use_cache=True
    )


# --------------------------------------------------------------------------------------
# Who owns a directory
# --------------------------------------------------------------------------------------
class DirectoryInUse(RuntimeError):
    """The directory holds the results of another run or sweep."""


RUN_RESULTS = ("summary.json", "timeseries.parquet", "status.json")


def config_fingerprint(container: dict) -> str:
    """SHA-256 of a resolved config (as a plain dict, without ``hydra`` and without
    ``burn_in_cache``, which only says where a state that gives the same numbers is kept)."""
    data = {k: v for k, v in container.items() if k not in ("hydra", "burn_in_cache")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def task_config(config: DictConfig) -> dict:
    """The run's own config, resolved, without the ``hydra`` node."""
    return OmegaConf.to_container(
        OmegaConf.masked_copy(config, [k for k in config if k != "hydra"]), resolve=True, throw_on_missing=False
    )


def holds_results(run_dir: Path) -> bool:
    run_dir = Path(run_dir)
    return any((run_dir / name).exists() for name in RUN_RESULTS) or any(run_dir.glob("seed=*/status.json"))


def check_run_dir(run_dir: Path, config: DictConfig) -> None:
    """Raise :class:`DirectoryInUse` if ``run_dir`` holds results of a run with another config
    (or results whose config is not recorded). The same config may write there again: a rerun,
    or the resumption of a batch of seeds (``replicates``)."""
    run_dir = Path(run_dir)
    if not holds_results(run_dir):
        return
    recorded = run_dir / ".hydra" / "config.yaml"
    try:
        old = OmegaConf.to_container(OmegaConf.load(recorded), resolve=True)
        same = isinstance(old, dict) and config_fingerprint(old) == config_fingerprint(task_config(config))
    except Exception:  # missing, empty or broken record
        same = False
    if not same:
        raise DirectoryInUse(
            f"{run_dir} already holds the results of another run "
            f"({'its config differs' if recorded.is_file() else 'with no config recorded'}); "
            "choose another hydra.run.dir, or remove that directory first"
        )


def sweep_definition(hydra_cfg: DictConfig, jobs: list[list[str]]) -> dict:
    """What makes two sweeps the same: the set of jobs (each one's overrides, sorted), the
    replicates per job and how run directories are named. The launcher is not part of it
    (results do not depend on it)."""
    naming = hydra_cfg.job.config.get("override_dirname")
    return {
        "jobs": sorted(sorted(job) for job in jobs),
        "subdir": OmegaConf.to_container(hydra_cfg.sweep, resolve=False).get("subdir"),
        "override_dirname": OmegaConf.to_container(naming, resolve=True) if naming is not None else None,
    }


def definition_hash(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()


def check_sweep_dir(sweep_dir: Path, definition: str, recorded: dict | None, has_runs: bool) -> None:
    """Raise :class:`DirectoryInUse` if ``sweep_dir`` holds runs of a sweep other than the one
    with this ``definition`` hash (``recorded``: the directory's ``sweep.json``, if any)."""
    if not has_runs or (recorded is not None and recorded.get("definition") == definition):
        return
    if recorded is not None and recorded.get("definition"):
        what = f"the runs of another sweep ({' '.join(recorded.get('overrides', [])) or 'no overrides'})"
    elif recorded is not None:
        what = "runs of a sweep recorded by an earlier version (no sweep definition)"
    else:
        what = "runs but no sweep.json"
    raise DirectoryInUse(
        f"{sweep_dir} holds {what}; a sweep directory belongs to one sweep. "
        "Run this sweep into a new directory (hydra.sweep.dir=...), or remove the old one first"
    )
