"""Mechanism 1, illness onset and severity.

Episodes arrive as a Poisson process: each day ``Poisson(n x rate / 365)`` residents fall ill,
chosen uniformly, each with a beta-distributed severity (most illness is mild, a few cases are
grave). Onsets come from the ``illness`` stream alone and do not depend on anyone's state, so
every policy arm sees exactly the same illnesses (common random numbers).
"""

from __future__ import annotations

import numpy as np

from sim.config import IllnessParams


def onsets(n_patients: int, params: IllnessParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Today's new episodes: (patient indices, severities in (0, 1))."""
    count = rng.poisson(n_patients * params.episodes_per_person_year / 365.0)
    patients = rng.integers(0, n_patients, count).astype(np.int64)
    severity = rng.beta(params.severity_a, params.severity_b, count)
    return patients, severity
