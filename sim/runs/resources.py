"""Will a run fit in this machine's memory? An estimate from the population, checked before building.

Estimated peak memory of a run (:func:`estimate_bytes`), per resident:

- the residents' arrays: the item sizes of every array of ``sim.population.PatientArrays``
  (read from the arrays themselves: 101 B today);
- the social network: two CSR matrices (the adjacency and its row-normalised copy), 4 B of
  value and 4 B of column index per contact each, plus what their construction holds at its
  peak: :data:`BYTES_PER_CONTACT` (20 B) per contact;
- the resident's Mesa agent (a ``Patient`` object and its place in Mesa's agent sets):
  :data:`BYTES_PER_AGENT` (500 B); made only when the agents are looked at (a notebook, the
  page), not by a plain run or a sweep, so for those the estimate is ~500 B a resident too high;

plus :data:`BASE_BYTES` for Python and the libraries. Measured peak RSS (``resource.getrusage``,
10-730 days, with and without every policy; docs/reliability.md): ~780 B per resident at
1,000,000 residents and ~920 B at 100,000 (fixed costs weigh more there) with 10 contacts each,
~18.5 B per extra contact; the estimate gives ~800 B at 10 contacts.

:func:`check_memory` refuses a run whose estimate exceeds the memory this process may use:
``MemTotal`` of ``/proc/meminfo`` (else ``os.sysconf``), or the cgroup's limit when lower (a
SLURM job's ``--mem``, a container).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

from sim.config.fields import ConfigError
from sim.config.schema import SimConfig

#: Python, numpy, pandas, Mesa, networkx loaded (bytes).
BASE_BYTES = 160 * 2**20
#: Per social contact of a resident: the adjacency, the contact weights and their construction (bytes).
BYTES_PER_CONTACT = 20
#: Per resident: its Mesa agent (measured: peak RSS minus arrays and network, at 1,000,000 residents).
BYTES_PER_AGENT = 500


@functools.cache
def array_bytes_per_resident() -> int:
    """Bytes per resident of the residents' arrays (the item size of each array)."""
    import numpy as np

    from sim.config.schema import PopulationParams
    from sim.engine.state import build_patients

    arrays = build_patients(1, 1, PopulationParams(), np.random.default_rng(0))
    return sum(getattr(arrays, f.name).itemsize for f in dataclasses.fields(arrays))


def bytes_per_resident(config: SimConfig) -> int:
    return array_bytes_per_resident() + BYTES_PER_AGENT + BYTES_PER_CONTACT * config.scale.mean_degree


def estimate_bytes(config: SimConfig) -> int:
    """Estimated peak memory of one run of ``config`` (bytes)."""
    return int(BASE_BYTES + config.scale.n_patients * bytes_per_resident(config))


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
            f"({bytes_per_resident(config)} B per resident with "
            f"scale.mean_degree={scale.mean_degree}), more than the {_gb(available)} this machine has: "
            f"at most about {max(int((available - BASE_BYTES) / (need - BASE_BYTES) * scale.n_patients), 0):,} "
            "residents fit"
        )
