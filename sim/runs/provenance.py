"""The identity of the code that produced a result: what a completed run's record must match.

The package version alone says nothing (it stays 0.1.0 between releases), so the identity is

- ``source_sha256``: SHA-256 over the path and bytes of every ``*.py`` file of the ``sim``
  package (its subpackages included): two runs with the same value ran the same model code;
- ``commit`` and ``dirty``: the git commit of the source tree and whether it had uncommitted
  changes, when the package runs from a git checkout and ``git`` is installed (else ``None``):
  where to find that code again;
- ``version``: the installed package version.

A run's ``summary.json`` carries all of these (:func:`summary_provenance`), with the versions of
Python and of the packages the numbers depend on (:data:`KEY_PACKAGES`) and ``config_sha256``, a
hash of the run's resolved config (:func:`config_hash`), so that a result says which code and
which config produced it and ``python -m sim.runs.reproduce`` can check that it still does.

``sim.runs.sweep`` keeps ``source_sha256`` in every run's ``status.json`` and redoes a completed run
whose code differs (a change to any module of the package, analysis code included: a false
alarm costs a rerun, a missed one mixes results of two models). The values are computed once
per process.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

from sim.version import __version__

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # sim/


def _hash_tree(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(package_dir).rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def _own_source_hash() -> str:
    return _hash_tree(PACKAGE_DIR)


def source_hash(package_dir: Path | None = None) -> str:
    """SHA-256 (hex) over the relative path and the bytes of every Python file of the package
    (this one, computed once per process, unless ``package_dir`` is given)."""
    return _own_source_hash() if package_dir is None else _hash_tree(package_dir)


def _git(*args: str, cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def git_state(package_dir: Path = PACKAGE_DIR) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}`` of the checkout holding the package."""
    if shutil.which("git") is None:
        return {"commit": None, "dirty": None}
    commit = _git("rev-parse", "HEAD", cwd=package_dir)
    if commit is None:  # not a git checkout (e.g. installed into site-packages)
        return {"commit": None, "dirty": None}
    status = _git("status", "--porcelain", cwd=package_dir)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def code_identity() -> dict:
    """``version``, ``source_sha256``, ``commit`` and ``dirty`` of the running code (see the module docstring)."""
    return {"version": __version__, "source_sha256": source_hash(), **git_state()}


def describe(identity: dict | None) -> str:
    """A short label, e.g. ``source 1a2b3c4d5e6f (commit 89a7c2c, uncommitted changes)``."""
    if not identity or not identity.get("source_sha256"):
        return "unknown code (recorded by an earlier version)"
    text = f"source {identity['source_sha256'][:12]}"
    if identity.get("commit"):
        text += f" (commit {identity['commit'][:7]}{', uncommitted changes' if identity.get('dirty') else ''})"
    return text


#: Distributions whose versions a summary records (the model's numbers depend on them), and the
#: summary key of each: ``mesa_version``, ``numpy_version``, ..., ``hydra_core_version``.
KEY_PACKAGES = ("mesa", "numpy", "scipy", "pandas", "hydra-core", "networkx")


def package_key(distribution: str) -> str:
    return distribution.replace("-", "_") + "_version"


@functools.cache
def package_versions() -> dict[str, str | None]:
    """``{"mesa_version": "3.3.1", ...}`` (``None`` for a package that is not installed) and
    ``python_version``."""
    versions: dict[str, str | None] = {"python_version": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[package_key(name)] = installed_version(name)
        except PackageNotFoundError:
            versions[package_key(name)] = None
    return versions


#: Config keys left out of :func:`config_hash`: ``replicates`` only batches seeds into one job
#: (each seed's run is that of the seed alone, ``sim.runs.sweep.replicate_configs``); ``burn_in_cache``
#: only says where the state after the burn-in is kept (the same numbers either way, sim.engine.snapshot).
UNHASHED_CONFIG_KEYS = ("replicates", "burn_in_cache")


def config_hash(config) -> str:
    """SHA-256 (hex) of a run's resolved config (a ``SimConfig``, or the same as a plain dict):
    every value, keys sorted, as canonical JSON, without :data:`UNHASHED_CONFIG_KEYS`.

    Two runs with the same hash had the same configuration. A later version of the schema (a
    new parameter, even one whose default changes nothing) changes the hash of the same run."""
    data = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    for key in UNHASHED_CONFIG_KEYS:
        data.pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


#: Summary keys that say which code, machine and config produced a result (not what it found).
#: They vary between commits (``commit``, ``dirty``, ``source_sha256``; ``config_sha256`` when the
#: schema changes) or machines (the versions): the golden records leave them out and
#: ``sim.runs.reproduce`` reports them beside, not as, a difference in results.
PROVENANCE_KEYS = (
    "version",
    "commit",
    "dirty",
    "source_sha256",
    "config_sha256",
    "python_version",
    *(package_key(name) for name in KEY_PACKAGES),
)


def summary_provenance(config) -> dict:
    """The :data:`PROVENANCE_KEYS` of a run of ``config``, for its ``summary.json`` (flat, like the
    rest of the summary: ``sim.runs.collect`` makes one column of each)."""
    record = {**code_identity(), "config_sha256": config_hash(config), **package_versions()}
    return {key: record[key] for key in PROVENANCE_KEYS}
