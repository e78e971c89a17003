"""Per-purpose random streams for common random numbers.

One :class:`numpy.random.SeedSequence` is built from the run's seed and spawned into one
independent child per subsystem, always in the same order, so that a policy which draws more
(or fewer) numbers in one subsystem cannot shift the numbers any other subsystem sees.
Switching a policy therefore leaves the population, the network and the illness onsets
identical, and the paired difference between two arms of an experiment measures the
policy rather than the noise (common random numbers; cf. Starsim's ``distributions.py``).
"""

from __future__ import annotations

import numpy as np

#: The subsystems, in spawn order. Append new names at the end: reordering changes every run.
STREAMS: tuple[str, ...] = (
    "population",  # who the residents are: income, literacy, expectations, risk aversion
    "network",  # who talks to whom
    "illness",  # when residents fall ill, how badly
    "care",  # tier choice, hospital and doctor, outcome (drawn per episode, fixed-size)
    "disputes",  # whether a patient disputes (per episode), channel, duration, payout
    "mediation",  # mediators' case durations and agreements
    "violence",  # who acts on a grievance, how
    "media",  # which outlet covers what, positive stories
    "workforce",  # doctors: skills, attrition, hiring
    "infrastructure",  # hospitals and clinics
    "complaints",  # per-episode draw deciding a dispute (fixed-size, so aligned across arms)
)


class Streams:
    """Named, independent :class:`numpy.random.Generator` s derived from one seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        children = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        self._generators = {
            name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, children, strict=True)
        }

    def __getattr__(self, name: str) -> np.random.Generator:
        try:
            return self.__dict__["_generators"][name]
        except KeyError:
            raise AttributeError(f"no random stream {name!r}; streams: {', '.join(STREAMS)}") from None
