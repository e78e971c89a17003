"""Mechanism 7: trust from one's own experience, from contacts (word of mouth) and from
media stories (``sim.media``).

- Own experience: trust moves towards the satisfaction of the visit, faster when the visit
  disappointed (negativity bias; Giardini & Vilone, JASSS 2021).
- Word of mouth: each patient tells today's experience to every contact; a listener moves
  towards it only if it is within the confidence bound of their own trust (Deffuant et al.
  2000), again faster for bad news. Clinic visits move trust in primary care, hospital visits
  trust in doctors.
- DeGroot averaging: every day each resident's trust in doctors drifts a little towards the
  mean of their contacts'. One sparse product over the whole network.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.config import TrustParams


def _rate(delta: np.ndarray, rate: float, negativity_bias: float) -> np.ndarray:
    return np.minimum(1.0, rate * np.where(delta < 0, negativity_bias, 1.0))


def own_experience(trust: np.ndarray, who: np.ndarray, satisfaction: np.ndarray, p: TrustParams) -> None:
    """trust_i += a * (S_i - trust_i), with a multiplied by the negativity bias when S_i < trust_i."""
    delta = satisfaction - trust[who]
    # a patient with two episodes in a day keeps the last; rare and harmless
    trust[who] = np.clip(trust[who] + _rate(delta, p.own_experience_rate, p.negativity_bias) * delta, 0, 1)


def word_of_mouth(
    trust: np.ndarray, adjacency: sp.csr_matrix, speakers: np.ndarray, told: np.ndarray, p: TrustParams
) -> None:
    """Every contact of a speaker hears ``told`` (the speaker's satisfaction) and moves towards
    it if it lies within the confidence bound: t_i += w * (S_j - t_i) summed over speakers j."""
    if speakers.size == 0 or p.word_of_mouth_rate == 0:
        return
    counts = adjacency.indptr[speakers + 1] - adjacency.indptr[speakers]
    listeners = adjacency[speakers].indices
    message = np.repeat(told, counts)
    delta = message - trust[listeners]
    heard = np.abs(delta) < p.confidence_bound
    change = np.bincount(
        listeners[heard],
        weights=_rate(delta[heard], p.word_of_mouth_rate, p.negativity_bias) * delta[heard],
        minlength=trust.size,
    )
    np.clip(trust + change, 0.0, 1.0, out=trust, casting="unsafe")


def degroot(trust: np.ndarray, weights: sp.csr_matrix, rate: float) -> None:
    """t <- (1 - mu) t + mu W t, with W the row-normalised adjacency."""
    if rate == 0:
        return
    trust *= 1.0 - rate
    trust += rate * (weights @ trust)
