"""The state after the burn-in, saved once and loaded by every run that shares it.

The burn-in (``TrustModel.burn_in``: the pre-reform days before day 0) depends on the seed, the
scale, the behavioural parameters and the calendar, never on the policies as long as none of
them starts before day 0. The arms of a policy sweep therefore step the same burn-in again and
again (a third of a one-year run's days). With ``burn_in_cache=<directory>`` the first run of a
(seed, config) saves the world on day 0 and the state of every random stream; the other arms
load it and go on from there, with the same numbers as if they had stepped it themselves
(``tests/test_snapshot.py`` checks every policy arm against a fresh run, number for number).
Common random numbers hold: the streams are restored to where the burn-in left them, and the
keyed draws are functions of (day, agent, purpose) with no state.

The key of a saved state (:func:`state_key`) is a hash of the config without its policies (and
without the keys that only organise runs: the cache's directory and ``replicates``) and of the
package's source (``sim.runs.provenance.source_hash``): a change of code or of any parameter makes
a new state, never reuses an old one. The network (adjacency and contact weights), which the
burn-in does not change and set-up rebuilds from the seed, is not saved. Writes are atomic
(``sim.runs.io``): two jobs that compute the same state at once both write whole files, and the
last rename wins with the same content.

Not used when someone watches the burn-in (``model.observers``: the page and notebooks) or when a
policy starts before day 0; the residents' Mesa agents are made on first use as always, the
doctors' agents are made for the loaded world (agents of doctors who left during the burn-in are
not kept).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import warnings
from pathlib import Path

from sim.runs.io import write_bytes

#: keys of the config that do not change the burn-in's state
UNKEYED = ("policies", "burn_in_cache", "replicates")
#: parts of the world that set-up rebuilds, identical, from the seed (large, and never changed)
REBUILT = ("adjacency", "contact_weights")


def state_key(config) -> str:
    """SHA-256 (hex) of what the state after the burn-in depends on: the config without
    :data:`UNKEYED` keys, and the package's source."""
    from sim.runs.provenance import source_hash

    data = dataclasses.asdict(config)
    for key in UNKEYED:
        data.pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True, default=str)
    return hashlib.sha256((source_hash() + "\0" + text).encode()).hexdigest()


def path_for(directory: str | Path, config) -> Path:
    return Path(directory) / f"seed{config.seed}-{state_key(config)[:24]}.pkl"


def reusable(model) -> bool:
    """Whether the model's burn-in may come from (or go into) a saved state: no policy acts
    before day 0 and nobody watches the burn-in."""
    starts = model.policies.start_days.values()
    return not model.observers and all(day >= 0 for day in starts)


def capture(model) -> dict:
    """What the runs that load it need: the world on day 0 (without :data:`REBUILT`), the state
    of every named random stream and of Mesa's own, and the accounting's count of cases."""
    world = dataclasses.replace(model.world, **dict.fromkeys(REBUILT))
    return {
        "world": world,
        "streams": {name: g.bit_generator.state for name, g in model.streams._generators.items()},
        "mesa_random": model.random.getstate(),
        "cases_started_before": model.mechanisms["accounting"].cases_started_before,
    }


def save(model, path: Path) -> bool:
    """Save the state; a cache that cannot be written (full disk, not a directory) costs the
    other arms their reuse, never this run: a warning, and ``False``."""
    try:
        write_bytes(path, pickle.dumps(capture(model), protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as err:
        warnings.warn(f"burn_in_cache: could not save the state after the burn-in to {path}: {err}", stacklevel=2)
        return False
    return True


def load(path: Path) -> dict | None:
    """The saved state, or ``None`` if there is none (or it cannot be read: it is made again)."""
    try:
        return pickle.loads(Path(path).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def restore(model, state: dict) -> None:
    """Put a saved state into a model that has been set up (its network built from the seed)."""
    built = model.world
    model.world = dataclasses.replace(state["world"], **{name: getattr(built, name) for name in REBUILT})
    for name, bit_state in state["streams"].items():
        model.streams.generator(name).bit_generator.state = bit_state
    model.random.setstate(state["mesa_random"])
    model.mechanisms["accounting"].cases_started_before = state["cases_started_before"]
