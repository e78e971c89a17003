"""Will a run fit in this machine's memory? An estimate from the population, checked before building.

Peak resident memory of a run, measured (``resource.getrusage`` max RSS, 10-730 days, every
policy on or off; docs/reliability.md): about 160 MB for Python and the libraries, plus per
resident ~780 B at 1,000,000 residents and ~920 B at 100,000 with 10 contacts each, of which
~18.5 B per contact (the sparse adjacency and its row-normalised copy) and the rest the
residents' arrays and their Mesa agents. :func:`estimate_bytes` uses 700 B per resident plus
20 B per contact (900 B at 10 contacts), so it errs a little on the high side at large scales.

:func:`check_memory` refuses a run whose estimate exceeds the memory this process may use:
``MemTotal`` of ``/proc/meminfo`` (else ``os.sysconf``), or the cgroup's limit when lower (a
SLURM job's ``--mem``, a container).
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.config import ConfigError, SimConfig

#: Python, numpy, pandas, Mesa, networkx loaded (bytes).
BASE_BYTES = 160 * 2**20
#: Per resident: the residents' arrays and their Mesa agents (bytes).
BYTES_PER_RESIDENT = 700
#: Per social contact of a resident: the adjacency and the contact weights (bytes).
BYTES_PER_CONTACT = 20


def estimate_bytes(config: SimConfig) -> int:
    """Estimated peak memory of one run of ``config`` (bytes)."""
    scale = config.scale
    return int(BASE_BYTES + scale.n_patients * (BYTES_PER_RESIDENT + BYTES_PER_CONTACT * scale.mean_degree))


def _meminfo_total(path: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_limit() -> int | None:
    for path in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # 'max' or a huge number: no limit
            return int(text)
    return None


def total_memory() -> int | None:
    """Memory this process may use (bytes): the machine's, or its cgroup's limit when lower;
    ``None`` if neither can be read."""
    total = _meminfo_total()
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = None
    limit = _cgroup_limit()
    candidates = [m for m in (total, limit) if m]
    return min(candidates) if candidates else None


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_memory(config: SimConfig) -> None:
    """Raise :class:`ConfigError` if the run's estimated memory exceeds :func:`total_memory`."""
    available = total_memory()
    need = estimate_bytes(config)
    if available is not None and need > available:
        scale = config.scale
        raise ConfigError(
            f"scale.n_patients={scale.n_patients} needs an estimated {_gb(need)} of memory "
            f"({BYTES_PER_RESIDENT + BYTES_PER_CONTACT * scale.mean_degree} B per resident with "
            f"scale.mean_degree={scale.mean_degree}), more than the {_gb(available)} this machine has: "
            f"at most about {max(int((available - BASE_BYTES) / (need - BASE_BYTES) * scale.n_patients), 0):,} "
            "residents fit"
        )
