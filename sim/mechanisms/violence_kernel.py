"""The violence mechanism's daily pass over the residents, compiled (numba), with the arithmetic
of its numpy definition in :mod:`sim.mechanisms.violence` (bit for bit). ``Violence.setup`` uses it
only for long or large runs (``COMPILED_FROM``, the trust kernels' condition: by then numba is
loaded anyway).

Every day ``Violence.step`` finds the aggrieved residents (harm above 0.005 or an open dispute),
computes their grievance (hardship, legitimacy) and net risk, picks those over Epstein's
threshold, and after the few acts fades harm and the unmet expectation outside an open dispute.
In numpy that is some twenty calls and fancy-indexed temporaries over the ~10^4 aggrieved of a
small-scale city: ~0.5 ms a day, nearly all call overhead. Here:

- ``_over_threshold``: a pass over all residents writes the aggrieved (in increasing order, as
  ``np.flatnonzero`` gives them), a second over those the ones over the threshold with their
  grievance, in the same increasing order: the keyed draws and ``act()`` stay in Python, unchanged;
- ``_fade``: after the acts, one pass over the same aggrieved residents fades them as
  ``Violence.step`` does, reading the open disputes and harm as the acts left them.

The rounding is numpy 2's (NEP 50): a Python float meeting a float32 array is cast to float32
first, and the arithmetic stays float32 (the weights, the system's legitimacy, the chance of
punishment, the decay and the 0.005 floor); the years unresolved are float64, so hardship
becomes float64 once they are added, and so does the grievance. Each such rounding is an explicit
float32 value or operation here; ``tests/test_violence_kernel.py`` checks the result is identical.

Measured in the small-scale history (50,000 residents, ~12,000 aggrieved a day): the violence
step 0.56-0.63 ms a day in numpy, 0.23 ms with these passes (~0.1 ms of it is theirs, the rest
the keyed draws and the acts, in Python).
"""

from __future__ import annotations

import numba  # imported only when a run uses the kernel: sim.mechanisms.violence imports this lazily
import numpy as np

from sim.config.schema import ViolenceParams
from sim.engine.state import NO_DISPUTE

#: harm below this is no grievance (``violence.aggrieved``) and is forgotten when it fades; a
#: float32, as numpy compares ``float32 array > 0.005``
HARM_FLOOR = np.float32(0.005)


class DailyPass:
    """``Violence.step``'s passes over ``n`` residents, compiled: :meth:`over_threshold`, then,
    after the acts, :meth:`fade`. Holds scratch arrays of ``n`` (24 B a resident)."""

    def __init__(self, n: int, p: ViolenceParams):
        self.aggrieved = np.empty(n, np.int64)  # today's, kept for the fading after the acts
        self.n_aggrieved = 0
        self.over = np.empty(n, np.int64)  # int64 as np.flatnonzero's: the keyed draws hash them
        self.grievance = np.empty(n, np.float64)
        # the Python floats as numpy's arithmetic with a float32 array sees them
        self.unmet_weight = np.float32(p.unmet_expectation_weight)
        self.time_weight = float(p.time_weight)
        self.doctor_weight = np.float32(p.doctor_trust_weight)
        self.system_weight = np.float32(1 - p.doctor_trust_weight)
        self.threshold = float(p.threshold)
        self.keep = np.float32(1 - p.hardship_decay)

    def over_threshold(self, pa, day: int, legitimacy: float, punished: float) -> tuple[np.ndarray, np.ndarray]:
        """The residents over the threshold today, in increasing order, and their grievances
        (views of scratch arrays, valid until the next call); records today's aggrieved."""
        self.n_aggrieved, k = _over_threshold(
            pa.harm,
            pa.unmet_expectation,
            pa.open_dispute,
            pa.dispute_opened,
            pa.system_view,
            pa.trust,
            pa.risk_aversion,
            day,
            self.unmet_weight,
            self.time_weight,
            self.doctor_weight,
            self.system_weight,
            np.float32(legitimacy),
            np.float32(punished),
            self.threshold,
            self.aggrieved,
            self.over,
            self.grievance,
        )
        return self.over[:k], self.grievance[:k]

    def fade(self, pa) -> None:
        """Harm and the unmet expectation of today's aggrieved fade outside an open dispute."""
        _fade(self.aggrieved[: self.n_aggrieved], pa.harm, pa.unmet_expectation, pa.open_dispute, self.keep)


@numba.njit(cache=True, nogil=True)
def _over_threshold(
    harm, unmet, open_dispute, dispute_opened, system_view, trust, risk_aversion, day,
    unmet_weight, time_weight, doctor_weight, system_weight, legitimacy, punished, threshold,
    aggrieved, over, grievance,
):  # fmt: skip
    # the aggrieved, about a quarter of the residents and in no pattern: written without a
    # branch (a store at every resident, kept by advancing m), as a branch would be mispredicted
    # for most of them
    m = 0
    for i in range(harm.size):
        aggrieved[m] = i
        m += (harm[i] > HARM_FLOOR) | (open_dispute[i] != NO_DISPUTE)
    k = 0
    for r in range(m):
        i = aggrieved[r]
        disputing = open_dispute[i] != NO_DISPUTE
        years = (day - dispute_opened[i]) / 365.0 if disputing else 0.0
        # harm + w x unmet in float32, then float64 with the years (numpy's promotion)
        h = np.float64(harm[i] + unmet_weight * unmet[i]) + time_weight * years
        h = 1.0 if h > 1.0 else h  # np.minimum(1.0, h), NaN and -0.0 included
        own = system_view[i]
        system = own if own >= 0 else legitimacy
        legit = doctor_weight * trust[i] + system_weight * system  # float32 throughout
        g = h * np.float64(np.float32(1.0) - legit)
        if g - np.float64(punished * risk_aversion[i]) > threshold:
            over[k] = i
            grievance[k] = g
            k += 1
    return m, k


@numba.njit(cache=True, nogil=True)
def _fade(aggrieved, harm, unmet, open_dispute, keep):
    for i in aggrieved:
        if open_dispute[i] == NO_DISPUTE:
            harm[i] *= keep
            unmet[i] *= keep
            if harm[i] < HARM_FLOOR:
                harm[i] = 0.0
