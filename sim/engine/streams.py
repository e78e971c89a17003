"""Random streams by name, and draws aligned by agent and day (common random numbers).

Two kinds of randomness, both derived from the run's seed and a purpose's *name* alone (no
ordered list of streams: adding, removing or renaming one leaves every other stream as it was):

- :meth:`Streams.generator`: a :class:`numpy.random.Generator` for draws whose number does not
  depend on anyone's state, so they line up across policy arms by construction: the set-up
  (who the residents are, the network), the day's illness onsets, the per-episode uniforms of
  care. Seeded with ``SeedSequence(seed, spawn_key=(hash of the name,))``.
- :meth:`Streams.keyed`: counter-based draws for per-agent decisions (a dispute's channel, a
  violent act, a resignation, a hire, a mediation case, a story). The uniform an agent gets for
  a purpose on a day is a hash of (seed, stream name, day, agent, purpose) and nothing else, so
  two arms that differ in who is drawing on a day still give every agent the same number: they
  stay paired after their first different event, as in Starsim's slot-based draws (starsim
  ``distributions.py``), without drawing a whole population's worth of numbers every day.

The hash is SplitMix64's finaliser (Steele, Lea & Flood, OOPSLA 2014), chained over the key's
parts: a bijective 64-bit mixer with full avalanche, the construction counter-based generators
use. numpy has no vectorised counter-based API (``Philox`` takes one counter per generator), so
it is written here in a few vectorised uint64 operations; tests/test_streams.py checks
uniformity and the independence of neighbouring agents, days, purposes and names.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import special

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_DAY_OFFSET = 1 << 32  # days run negative during the burn-in


def name_key(name: str) -> int:
    """A stable 64-bit key of a stream's name (not Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


_MASK = (1 << 64) - 1
_GAMMA_INT, _M1_INT, _M2_INT = int(_GAMMA), int(_M1), int(_M2)


def _mix_int(z: int) -> int:
    """:func:`_mix` on one Python int: for single draws, ~20 times faster than a 1-element array."""
    z = ((z ^ (z >> 30)) * _M1_INT) & _MASK
    z = ((z ^ (z >> 27)) * _M2_INT) & _MASK
    return z ^ (z >> 31)


class KeyedDraws:
    """Draws of one named stream, each a function of (day, agent, purpose) only."""

    def __init__(self, seed: int, name: str):
        self.name = name
        with np.errstate(over="ignore"):
            key = np.array([seed & 0xFFFFFFFFFFFFFFFF, name_key(name)], dtype=np.uint64)
            self._key = _mix(_mix(key[:1] * _GAMMA) + key[1:])[0]
        self._key_int = int(self._key)

    def bits(self, day: int, agents, purpose: int = 0) -> np.ndarray:
        """64 random bits for each of ``agents`` (integer ids) on ``day`` for ``purpose``."""
        agents = np.asarray(agents, dtype=np.int64).astype(np.uint64)
        head = np.array([day + _DAY_OFFSET, purpose], dtype=np.uint64)
        with np.errstate(over="ignore"):
            # SplitMix64's own stream (state + i x golden gamma) from a state that mixes in the
            # day and the purpose: each (day, purpose) is a stream indexed by agent
            z = _mix(np.array([self._key], dtype=np.uint64) + head[:1] * _GAMMA)
            z = _mix(z + (head[1:] + np.uint64(1)) * _M1)
            return _mix(z + (agents + np.uint64(1)) * _GAMMA)

    def uniform(self, day: int, agents, purpose: int = 0) -> np.ndarray:
        """Uniforms in the open interval (0, 1), one per agent."""
        return ((self.bits(day, agents, purpose) >> _S11).astype(np.float64) + 0.5) * 2.0**-53

    def uniform1(self, day: int, agent: int, purpose: int = 0) -> float:
        """The uniform of one agent: ``uniform(day, [agent], purpose)[0]``, computed in Python ints."""
        z = _mix_int((self._key_int + (day + _DAY_OFFSET) * _GAMMA_INT) & _MASK)
        z = _mix_int((z + (purpose + 1) * _M1_INT) & _MASK)
        z = _mix_int((z + (agent + 1) * _GAMMA_INT) & _MASK)
        return ((z >> 11) + 0.5) * 2.0**-53

    def poisson_counts(self, day: int, agents, mean: float, purpose: int = 0) -> np.ndarray:
        """Poisson(``mean``) counts by inversion of each agent's uniform (small means)."""
        u = self.uniform(day, agents, purpose)
        k = np.zeros(u.size, np.int64)
        term = cdf = np.exp(-mean)
        n = 0
        while (more := u > cdf).any() and term > 0:
            n += 1
            term *= mean / n
            cdf += term
            k[more] += 1
        return k

    def normal(self, day: int, agents, purpose: int = 0) -> np.ndarray:
        return special.ndtri(self.uniform(day, agents, purpose))

    def exponential(self, day: int, agents, mean: float, purpose: int = 0) -> np.ndarray:
        return -mean * np.log1p(-self.uniform(day, agents, purpose))

    def gamma(self, day: int, agents, shape: float, scale: float, purpose: int = 0) -> np.ndarray:
        return scale * special.gammaincinv(shape, self.uniform(day, agents, purpose))

    def beta(self, day: int, agents, a, b, purpose: int = 0) -> np.ndarray:
        return special.betaincinv(a, b, self.uniform(day, agents, purpose))

    def integers(self, day: int, agents, high: int, purpose: int = 0) -> np.ndarray:
        """Integers in ``[0, high)``."""
        return np.minimum((self.uniform(day, agents, purpose) * high).astype(np.int64), high - 1)


class Streams:
    """The named random streams of one run (seed)."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}
        self._keyed: dict[str, KeyedDraws] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The run's generator for ``name`` (the same object on every call)."""
        if name not in self._generators:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(name_key(name),))
            self._generators[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._generators[name]

    def keyed(self, name: str) -> KeyedDraws:
        """The run's draws for ``name`` keyed by day, agent and purpose."""
        if name not in self._keyed:
            self._keyed[name] = KeyedDraws(self.seed, name)
        return self._keyed[name]
