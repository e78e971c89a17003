"""Atomic result files: a killed job leaves either the old file or the new one, never half.

Every file is written to a temporary name in its own directory and renamed over the target
(``os.replace``, atomic on POSIX). Files are not fsync'ed (that doubled the cost of a write,
~4 ms each): a file damaged by a machine crash fails the checksum ``sim.runs.sweep`` records for it,
and its run is redone. The temporary file is created like any other file, so the result is
readable as the umask allows (e.g. 0644, like Hydra's own ``.hydra/*.yaml``), not 0600 as
``tempfile.mkstemp`` would leave it. On failure (a full disk, an unwritable directory) the
temporary file is removed and the error raised: the old file, if any, stays in place.

:func:`write_set` replaces several files as one set (``sim.runs.collect``'s tables): a reader who
goes through the set's pointer (a symbolic link) sees all old or all new files, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd


def _temporary(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    # created with mode 0666 minus the umask, as open() does: readable by whoever may read Hydra's files
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data: dict) -> Path:
    """Strict JSON (a NaN or infinity is an error here, not an invalid file: a summary reports a
    missing value as null, ``sim.engine.metrics.summarise``)."""

    def write(tmp):
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=False, allow_nan=False)
            fh.write("\n")

    return _atomic(path, write)


def write_text(path: Path, text: str) -> Path:
    return _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    return _atomic(path, lambda tmp: Path(tmp).write_bytes(data))


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return _atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------
# Sets of files replaced together
# --------------------------------------------------------------------------------------
def _symlink_over(target: str, link: Path) -> None:
    """Make ``link`` a symbolic link to ``target``, atomically replacing whatever is there."""
    tmp = _temporary(link)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_set(
    directory: Path, files: dict[str, Callable[[Path], None]], pointer: str = "current", keep: int = 2
) -> Path:
    """Write ``files`` (name -> function writing that file to the path it is given) as one set.

    The files go into a fresh folder ``directory/.<pointer>/<time>-<random>/``; only when all
    are written does the symbolic link ``directory/<pointer>`` switch to it (one atomic rename).
    Each name also gets a link ``directory/<name>`` -> ``<pointer>/<name>``, so
    ``directory/<name>`` always reads the current set. A failure part-way (a kill, a full disk) leaves the previous
    set current and removes the unfinished folder. The ``keep`` newest sets are kept (a reader
    still in the previous one is not cut off), older ones removed. Returns the new set's folder.
    """
    directory = Path(directory)
    versions = directory / f".{pointer}"
    versions.mkdir(parents=True, exist_ok=True)
    # names sort in the order they were made: the oldest are pruned
    fresh = versions / f"{datetime.now().strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(3)}"
    fresh.mkdir()
    try:
        for name, write in files.items():
            _atomic(fresh / name, write)
        _symlink_over(f"{versions.name}/{fresh.name}", directory / pointer)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    for name in files:
        link = directory / name
        if not (link.is_symlink() and os.readlink(link) == f"{pointer}/{name}"):
            _symlink_over(f"{pointer}/{name}", link)  # (replaces a plain file of an earlier version)
    for old in sorted(p for p in versions.iterdir() if p.is_dir())[:-keep]:
        if old != fresh:
            shutil.rmtree(old, ignore_errors=True)
    return fresh


def current_set(directory: Path, pointer: str = "current") -> Path:
    """The folder of the current set written by :func:`write_set` (resolve once, then read all
    files from it: a set switched meanwhile does not mix into what you read)."""
    link = Path(directory) / pointer
    if not link.is_symlink():
        raise FileNotFoundError(f"no {pointer} set in {directory} (expected the link {link})")
    return (Path(directory) / os.readlink(link)).resolve()
