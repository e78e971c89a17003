"""Workarounds for known problems of the pinned Mesa, each behind a version check.

``install()`` is called once by ``sim.engine.model``; a Mesa release with the fix makes it a
no-op, so upgrading Mesa retires the patch instead of hiding behind it. ``skip_agent_ids`` and
``agent_ids_from`` give agents made on demand the ids they would have had if made at set-up; they
use Mesa 3.3's per-model id counters (``mesa.Agent._ids``): check them when upgrading Mesa.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref

import mesa
from packaging.version import Version


class _AgentIdCounters(weakref.WeakKeyDictionary):
    """Mesa 3.3's per-model counters of agent ids, without keeping the models alive.

    ``mesa.Agent._ids`` is a class-level ``defaultdict`` keyed by model: every model ever built
    stays in memory for the life of the process (mesa/mesa#3179, fixed upstream by #3180; Mesa
    3.4+ needs Python 3.12). A sweep running several seeds in one process grew by a whole
    model per run (~40 MB at the small scale, ~0.9 GB at the large one), and joblib's workers
    were restarted by loky's leak detection. Keyed weakly, a model's counter goes with it; ids
    still count from 1 in each model.
    """

    def __getitem__(self, model):
        try:
            return self.data[weakref.ref(model)]  # (WeakKeyDictionary's own lookup, without the call)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def install() -> None:
    """Apply the patches the installed Mesa needs (idempotent)."""
    if Version(mesa.__version__) < Version("3.4") and not isinstance(mesa.Agent._ids, _AgentIdCounters):
        mesa.Agent._ids = _AgentIdCounters()


# ----- agent ids for agents made on demand (sim.engine.model: residents' agents) -------------------
def skip_agent_ids(model: mesa.Model, count: int) -> None:
    """Reserve the model's next ``count`` agent ids (Mesa 3.3 counts ids per model from 1): the
    agents made later with :func:`agent_ids_from` get them, the others count on after them."""
    counters = mesa.Agent._ids
    counters[model] = itertools.count(next(counters[model]) + count)


@contextlib.contextmanager
def agent_ids_from(model: mesa.Model, first: int):
    """Agents of ``model`` created inside the block get the ids ``first, first + 1, ...``; the
    model's own count of ids is left where it was."""
    counters = mesa.Agent._ids
    saved = counters[model]
    counters[model] = itertools.count(first)
    try:
        yield
    finally:
        counters[model] = saved
