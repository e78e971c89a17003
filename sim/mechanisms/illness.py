"""Mechanism 1 (illness): onset and severity.

Episodes arrive as a Poisson process: each day ``Poisson(n x rate / 365)`` residents fall ill,
chosen uniformly, each with a beta-distributed severity (most illness is mild, a few cases are
grave). Onsets come from the ``illness`` stream alone and do not depend on anyone's state, so
every policy arm sees exactly the same illnesses (common random numbers).
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import IllnessParams
from sim.engine.state import Episodes
from sim.engine.world import World
from sim.mechanisms.base import Mechanism


def onsets(n_patients: int, params: IllnessParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Today's new episodes: (patient indices, severities in (0, 1))."""
    count = rng.poisson(n_patients * params.episodes_per_person_year / 365.0)
    patients = rng.integers(0, n_patients, count).astype(np.int64)
    severity = rng.beta(params.severity_a, params.severity_b, count)
    return patients, severity


class Illness(Mechanism):
    """Mechanism 1: today's onsets become today's episodes of care (``world.episodes``)."""

    name = "illness"

    def __init__(self, n_patients: int, params: IllnessParams, rng: np.random.Generator):
        self.n_patients, self.p, self.rng = n_patients, params, rng

    @classmethod
    def from_config(cls, config, streams) -> Illness:
        return cls(config.scale.n_patients, config.params.illness, streams.generator("illness"))

    def step(self, world: World) -> None:
        who, severity = onsets(self.n_patients, self.p, self.rng)
        if world.ledger.record_episodes:
            world.ledger.onset_log.append((who.copy(), severity.copy()))
        world.episodes = Episodes(patient=who, severity=severity)
