"""Mechanism 7 (trust): trust from one's own experience, from contacts (word of mouth) and from
media stories (``sim.mechanisms.media``).

- Own experience: trust moves towards the satisfaction of the visit, faster when the visit
  disappointed (negativity bias; Giardini & Vilone, JASSS 2021).
- Word of mouth: each patient tells today's experience to every contact; a listener moves
  towards it only if it is within the confidence bound of their own trust (Deffuant et al.
  2000), again faster for bad news. Clinic visits move trust in primary care, hospital visits
  trust in doctors. ``word_of_mouth`` is the definition; long or large runs use the same
  arithmetic compiled (``sim.mechanisms.averaging``), without its day's temporaries of size n.
- DeGroot averaging: every day each resident's trust in doctors drifts a little towards the
  mean of their contacts'. One sparse product over the whole network (``degroot``); the model
  runs the same arithmetic compiled, for both trust arrays at once (``sim.mechanisms.averaging``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.config.schema import TrustParams
from sim.engine.state import PRIMARY
from sim.engine.world import World
from sim.mechanisms.base import Mechanism

#: runs of at least this many patient-days (residents x days stepped) use the compiled kernels:
#: DeGroot and word of mouth (``Trust.setup``), violence's daily pass (``Violence.setup``). Measured
#: (2026-12-07, fresh processes, set-up and run): together they save ~15 ns a patient-day, against
#: ~0.25 s once per process for importing numba and loading the cached kernels, so they pay from
#: ~1.7e7. A year with its burn-in: tiny scale (1.6e6) 0.53 s without, 0.77 s with; small
#: (2.7e7) 1.92 -> 1.66 s; default (5.5e7) 3.35 -> 2.80 s. Numba adds ~100-130 MB to the peak.
COMPILED_FROM = 2e7


def _rate(delta: np.ndarray, rate: float, negativity_bias: float) -> np.ndarray:
    return np.minimum(1.0, rate * np.where(delta < 0, negativity_bias, 1.0))


def pull(delta, rate: float, negativity_bias: float):
    """How far trust moves towards news ``delta`` away from it: ``rate x delta``, with the rate
    multiplied by the negativity bias for bad news (``delta < 0``) and capped at 1."""
    return _rate(delta, rate, negativity_bias) * delta


def own_experience(
    trust: np.ndarray, who: np.ndarray, satisfaction: np.ndarray, p: TrustParams, weight: float = 1.0
) -> None:
    """trust_i += w a (S_i - trust_i), with a multiplied by the negativity bias when S_i < trust_i
    (``weight`` w < 1 for a lesson that only partly applies, e.g. a clinic visit for trust in doctors)."""
    delta = satisfaction - trust[who]
    # a share (at most all) of the way towards S: stays in [0, 1] by construction. A patient
    # with two episodes in a day keeps the last; rare and harmless
    trust[who] = trust[who] + weight * pull(delta, p.own_experience_rate, p.negativity_bias)


def contacts_of(adjacency: sp.csr_matrix, speakers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contacts of each speaker, concatenated in the order of ``speakers``, and how many each has.

    Reads the CSR arrays directly (the same result as ``adjacency[speakers].indices``, without
    building a sub-matrix): the contacts of speaker ``s`` are ``indices[indptr[s]:indptr[s + 1]]``.
    """
    starts = adjacency.indptr[speakers]
    counts = adjacency.indptr[speakers + 1] - starts
    first_position = np.cumsum(counts) - counts  # where each speaker's contacts start in the output
    positions = np.repeat(starts - first_position, counts) + np.arange(int(counts.sum()))
    return adjacency.indices[positions], counts


def word_of_mouth(
    trust: np.ndarray, adjacency: sp.csr_matrix, speakers: np.ndarray, told: np.ndarray, p: TrustParams
) -> None:
    """Every contact of a speaker hears ``told`` (the speaker's satisfaction) and moves towards
    it if it lies within the confidence bound: t_i += sum_j w_j (S_j - t_i) over speakers j,
    with the weights scaled down to sum to at most 1 for a listener told by many on one day, so
    that the new trust is a weighted mean of the old one and what was heard (stays in [0, 1]).

    Every listener's change is computed from the trust held before today's word of mouth
    (synchronous update); only the listeners' entries of ``trust`` are touched.
    """
    if speakers.size == 0 or p.word_of_mouth_rate == 0:
        return
    listeners, counts = contacts_of(adjacency, speakers)
    delta = np.repeat(told, counts) - trust[listeners]
    heard = np.abs(delta) < p.confidence_bound
    listeners, delta = listeners[heard], delta[heard]
    rate = _rate(delta, p.word_of_mouth_rate, p.negativity_bias)
    change = np.bincount(listeners, weights=rate * delta, minlength=trust.size)
    total = np.bincount(listeners, weights=rate, minlength=trust.size)
    # a listener told by several speakers appears several times: each write stores the same value
    trust[listeners] = trust[listeners] + change[listeners] / np.maximum(1.0, total[listeners])


def degroot(trust: np.ndarray, weights: sp.csr_matrix, rate: float) -> None:
    """t <- (1 - mu) t + mu W t, with W the row-normalised adjacency."""
    if rate == 0:
        return
    neighbours = weights @ trust  # before scaling trust in place
    trust *= 1.0 - rate
    trust += rate * neighbours


class Trust(Mechanism):
    """Mechanism 7: today's episodes move trust (own experience, then word of mouth), then
    every resident's trust drifts towards their contacts' (DeGroot). Clinic visits move trust in
    primary care, hospital visits trust in doctors; part of a clinic visit's lesson carries over
    to trust in doctors (``clinic_spillover``), and part of a hospital visit's to trust in primary
    clinics (``hospital_spillover``)."""

    name = "trust"

    def __init__(self, params: TrustParams, days: int = 0):
        self.p = params
        self.days = days  # days the run will step (burn-in included): is compiling worth it?
        self.averaging = None  # sim.mechanisms.averaging.DegrootAveraging, for long or large runs
        self.word_of_mouth = None  # sim.mechanisms.averaging.WordOfMouth, under the same condition

    def setup(self, world: World) -> None:
        # The compiled DeGroot of both arrays gives the same numbers as ``degroot``, 1.5x faster,
        # and the compiled word of mouth those of ``word_of_mouth``, 3x faster; but loading numba
        # costs a fixed time and memory once per process: worth it only for runs of at least
        # COMPILED_FROM patient-days (a year at the small scale or more; not the tiny scale's).
        pa = world.patients
        float32 = world.contact_weights.dtype == pa.trust.dtype == pa.trust_primary.dtype == np.float32
        if float32 and pa.n * self.days >= COMPILED_FROM:
            from sim.mechanisms.averaging import DegrootAveraging, WordOfMouth

            self.averaging = DegrootAveraging(world.contact_weights)
            self.word_of_mouth = WordOfMouth(world.adjacency)

    @classmethod
    def from_config(cls, config, streams) -> Trust:
        return cls(config.params.trust, config.days + config.burn_in_days)

    def step(self, world: World) -> None:
        ep, pa, tp = world.episodes, world.patients, self.p
        who = ep.patient
        at_clinic = ep.tier == PRIMARY
        own_experience(pa.trust, who[~at_clinic], ep.satisfaction[~at_clinic], tp)
        own_experience(pa.trust_primary, who[at_clinic], ep.satisfaction[at_clinic], tp)
        # a clinic doctor is a doctor too: part of a clinic visit's lesson carries over
        own_experience(pa.trust, who[at_clinic], ep.satisfaction[at_clinic], tp, tp.clinic_spillover)
        if tp.hospital_spillover > 0:
            own_experience(pa.trust_primary, who[~at_clinic], ep.satisfaction[~at_clinic], tp, tp.hospital_spillover)
        self._tell(pa.trust, world.adjacency, who[~at_clinic], ep.satisfaction[~at_clinic])
        self._tell(pa.trust_primary, world.adjacency, who[at_clinic], ep.satisfaction[at_clinic])
        if self.averaging is not None:
            self.averaging(pa.trust, pa.trust_primary, tp.degroot_rate)
        else:
            degroot(pa.trust, world.contact_weights, tp.degroot_rate)
            degroot(pa.trust_primary, world.contact_weights, tp.degroot_rate)

    def _tell(self, trust: np.ndarray, adjacency: sp.csr_matrix, speakers: np.ndarray, told: np.ndarray) -> None:
        tp = self.p
        if self.word_of_mouth is None:
            word_of_mouth(trust, adjacency, speakers, told, tp)
        else:
            self.word_of_mouth(trust, speakers, told, tp.word_of_mouth_rate, tp.negativity_bias, tp.confidence_bound)
