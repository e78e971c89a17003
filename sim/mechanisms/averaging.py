"""The trust mechanism's network kernels, compiled (numba), each with the arithmetic of its numpy
definition in :mod:`sim.mechanisms.trust` (bit for bit): DeGroot averaging of both trust arrays in
one pass (``DegrootAveraging``, of ``degroot``) and word of mouth (``WordOfMouth``, of
``word_of_mouth``). ``Trust.setup`` uses them only for long or large runs (``COMPILED_FROM``).

DeGroot. ``degroot`` is one scipy CSR product per trust array and day: about half of the
stepping time (issue 14). scipy's loop walks one row at a time, adding that row's products in a
single chain; its speed is bound by the latency of that chain and by the mispredicted loop exit
at the end of every row (rows have 5-20 contacts). Here:

- both arrays are averaged in the same pass (the contacts' indices and weights are read once,
  their two trust values sit side by side in one cache line);
- rows are grouped in blocks of four rows with the same number of contacts, stored column by
  column, so the kernel keeps eight independent sums (four rows x two arrays) in registers and
  every block's loop has the same, well-predicted, length;
- where every row's weights are equal (the model's: ``row_normalised`` of an unweighted network
  gives each contact of a resident 1/degree), each row's weight is kept once and only the
  contacts' indices are read: the kernel streams the 4 bytes of an index a contact instead of 8,
  and the matrix does not fit in the cache at the default scale or above. The products are the
  same float32 products, so the numbers are too.

Each row's sum still adds its products in the CSR order of that row, in float32 as scipy does for
float32 trust and weights, and the update rounds as ``trust *= 1 - mu; trust += mu * W t`` does:
the result is identical to ``degroot`` (``tests/test_mechanisms.py`` checks it). Measured on the
default scale (10^6 non-zeros): 2.3 ms a day for the two scipy products, 1.55 ms here with a
weight per contact, 1.08 ms with a weight per row (2026-12-07; small scale 0.56 -> 0.46 ms, large
29 -> 24 ms).

Word of mouth. ``word_of_mouth`` touches only the contacts of the day's speakers (a few thousand
of the residents), but in numpy it gathers them through half a dozen temporaries and two
``bincount`` calls over the whole population, each allocating and zeroing an array of n float64.
Here one pass over the speakers' contacts adds each heard listener's pulls into float64 scratch
sums kept between days, and a second pass over the listeners heard today writes their trust and
zeroes their sums: nothing of size n is allocated or swept. The rounding is numpy's: the news is
float64, so ``told - trust`` is computed in float64 as numpy's promotion does; each listener's
sums add the pulls in the order ``bincount`` does (speakers in order, each speaker's contacts in
CSR order, from 0.0); the new trust is ``trust + change / max(1, total)`` in float64, rounded once
to float32 on the store. Every delta is taken before any write, so the update stays synchronous.
Measured on days of the model (the two calls of a day, hospital and clinic news): 0.35 -> 0.11 ms
at the small scale (5 x 10^4 residents, ~580 speakers a day), 0.92 -> 0.35 ms at the default
(10^5, ~1,170); scratch allocated on every call instead would cost 0.03 and 0.2 ms a day more.
"""

from __future__ import annotations

import numba  # imported only when a run uses the kernel: sim.mechanisms.trust imports this lazily
import numpy as np
import scipy.sparse as sp

#: rows per block: eight running sums fit in registers; more did not help
BLOCK = 4


class DegrootAveraging:
    """``degroot`` of two float32 trust arrays over one float32 weight matrix, compiled.

    Built once per network (the layout is ~30 ms at 10^5 residents); call it every day."""

    def __init__(self, weights: sp.csr_matrix):
        weights = weights.tocsr()
        if weights.dtype != np.float32:
            raise TypeError("DegrootAveraging works on float32 weights (row_normalised builds them)")
        n = weights.shape[0]
        degree = np.diff(weights.indptr)
        # rows sorted by their number of contacts; each run of equal degree cut into blocks
        order = np.argsort(degree, kind="stable")
        sorted_degree = degree[order]
        run_starts = np.flatnonzero(np.r_[True, sorted_degree[1:] != sorted_degree[:-1]])
        run_ends = np.r_[run_starts[1:], n]
        block_start = np.concatenate([np.arange(a, b, BLOCK) for a, b in zip(run_starts, run_ends, strict=True)])
        block_stop = np.minimum(np.r_[block_start[1:], n], block_start + BLOCK)
        block_rows = block_stop - block_start  # BLOCK, or fewer at the end of a run
        block_degree = sorted_degree[block_start]
        entry_start = np.zeros(block_start.size + 1, np.int64)
        np.cumsum(block_rows * block_degree, out=entry_start[1:])
        self.columns = np.empty(weights.nnz, np.int32)
        self.values = np.empty(weights.nnz, np.float32)
        #: each row's weight where all of a row's weights are equal (by position in block order)
        self.row_weight = np.zeros(n, np.float32)
        # compiled too: numpy's index arithmetic would hold ~5 temporaries of 8 B a contact
        # (~400 MB at a million residents) at the peak
        self.uniform_rows = _lay_out(
            weights.indptr, weights.indices, weights.data, order, block_start, block_rows, entry_start,
            self.columns, self.values, self.row_weight,
        )  # fmt: skip
        if self.uniform_rows:
            self.values = np.empty(0, np.float32)  # one weight a row is enough: not kept, not read
        self.order = order.astype(np.int32)
        self.block_start = block_start.astype(np.int64)
        self.block_rows = block_rows.astype(np.int64)
        self.block_degree = block_degree.astype(np.int64)
        self.entry_start = entry_start
        self.both = np.empty((n, 2), np.float32)  # today's trust, both arrays, before averaging

    def __call__(self, trust: np.ndarray, trust_primary: np.ndarray, rate: float) -> None:
        """t <- (1 - mu) t + mu W t for both arrays, in place (synchronous: W t of the old values)."""
        if rate == 0:
            return
        _average(
            self.order,
            self.block_start,
            self.block_rows,
            self.block_degree,
            self.entry_start,
            self.columns,
            self.values,
            self.row_weight,
            self.uniform_rows,
            trust,
            trust_primary,
            np.float32(1.0 - rate),
            np.float32(rate),
            self.both,
        )


@numba.njit(cache=True, nogil=True)
def _lay_out(indptr, indices, data, order, block_start, block_rows, entry_start, columns, values, row_weight):
    # entry k of the r-th row of a block of m rows goes to entry_start + k * m + r; returns whether
    # every row's weights are equal (then row_weight holds them; a row without entries keeps 0)
    alike = True
    for blk in range(block_start.size):
        m, e = block_rows[blk], entry_start[blk]
        for r in range(m):
            i = order[block_start[blk] + r]
            for k in range(indptr[i + 1] - indptr[i]):
                columns[e + k * m + r] = indices[indptr[i] + k]
                values[e + k * m + r] = data[indptr[i] + k]
                if k == 0:
                    row_weight[block_start[blk] + r] = data[indptr[i]]
                elif data[indptr[i] + k] != data[indptr[i]]:
                    alike = False
    return alike


@numba.njit(cache=True, nogil=True)
def _average(
    order, block_start, block_rows, block_degree, entry_start, columns, values, row_weight, per_row, t, u, keep, rate,
    both,
):  # fmt: skip
    # per_row: each row's weights are equal and read once a row from row_weight (values unused);
    # otherwise each contact's weight is read from values. The same float32 products either way
    # (the branch is the same for the whole call: the compiler takes it out of the loops).
    # a snapshot of both arrays, side by side: the sums read the values before today's averaging
    for i in range(t.size):
        both[i, 0] = t[i]
        both[i, 1] = u[i]
    for blk in range(block_start.size):
        first, m, d, e = block_start[blk], block_rows[blk], block_degree[blk], entry_start[blk]
        if m == 4:
            # four rows at once: eight independent float32 sums, each in its row's CSR order
            w0, w1, w2, w3 = row_weight[first], row_weight[first + 1], row_weight[first + 2], row_weight[first + 3]
            s0 = s1 = s2 = s3 = q0 = q1 = q2 = q3 = np.float32(0.0)
            for k in range(d):
                at = e + 4 * k
                # uint32 indices: no negative-index wrap-around test in the inner loop
                j0, j1, j2, j3 = (
                    np.uint32(columns[at]),
                    np.uint32(columns[at + 1]),
                    np.uint32(columns[at + 2]),
                    np.uint32(columns[at + 3]),
                )
                if not per_row:
                    w0, w1, w2, w3 = values[at], values[at + 1], values[at + 2], values[at + 3]
                s0 += w0 * both[j0, 0]
                q0 += w0 * both[j0, 1]
                s1 += w1 * both[j1, 0]
                q1 += w1 * both[j1, 1]
                s2 += w2 * both[j2, 0]
                q2 += w2 * both[j2, 1]
                s3 += w3 * both[j3, 0]
                q3 += w3 * both[j3, 1]
            # numpy's rounding: trust *= (1 - mu), then += (mu * sum), each step in float32
            i = order[first]
            t[i] = t[i] * keep + rate * s0
            u[i] = u[i] * keep + rate * q0
            i = order[first + 1]
            t[i] = t[i] * keep + rate * s1
            u[i] = u[i] * keep + rate * q1
            i = order[first + 2]
            t[i] = t[i] * keep + rate * s2
            u[i] = u[i] * keep + rate * q2
            i = order[first + 3]
            t[i] = t[i] * keep + rate * s3
            u[i] = u[i] * keep + rate * q3
        else:  # the last rows of a degree: one at a time
            for r in range(m):
                w = row_weight[first + r]
                s = q = np.float32(0.0)
                for k in range(d):
                    at = e + k * m + r
                    j = np.uint32(columns[at])
                    if not per_row:
                        w = values[at]
                    s += w * both[j, 0]
                    q += w * both[j, 1]
                i = order[first + r]
                t[i] = t[i] * keep + rate * s
                u[i] = u[i] * keep + rate * q


class WordOfMouth:
    """``word_of_mouth`` over one network, compiled; call it for any trust array of its residents.

    Holds scratch sums, flags and room for listeners for every resident (21 B each at int32
    indices); the sums and flags are zero between calls."""

    def __init__(self, adjacency: sp.csr_matrix):
        adjacency = adjacency.tocsr()
        n = adjacency.shape[0]
        self.indptr, self.indices = adjacency.indptr, adjacency.indices
        # change and total weight of a listener side by side: both in one cache line
        self.sums = np.zeros((n, 2), np.float64)
        self.heard = np.zeros(n, np.bool_)
        # today's distinct listeners, in the order first heard (the indices' type: int32 below 2^31)
        self.listeners = np.empty(n, adjacency.indices.dtype)

    def __call__(
        self,
        trust: np.ndarray,
        speakers: np.ndarray,
        told: np.ndarray,
        rate: float,
        negativity_bias: float,
        confidence_bound: float,
    ) -> None:
        """Every contact of ``speakers[k]`` hears ``told[k]``: ``word_of_mouth``, in place."""
        if speakers.size == 0 or rate == 0:
            return
        if told.dtype != np.float64 or trust.size != self.heard.size:
            # float32 news would be compared with the bound in float32 by numpy, not here
            raise TypeError("WordOfMouth takes float64 news and one trust value per resident of its network")
        _word_of_mouth(
            self.indptr,
            self.indices,
            speakers,
            told,
            trust,
            # numpy's min(1, rate x (bias for bad news, else 1)), for the two signs of the news
            min(1.0, rate * 1.0),
            min(1.0, rate * negativity_bias),
            float(confidence_bound),
            self.sums,
            self.heard,
            self.listeners,
        )


@numba.njit(cache=True, nogil=True)
def _word_of_mouth(indptr, indices, speakers, told, trust, good, bad, bound, sums, heard, listeners):
    m = 0
    for k in range(speakers.size):
        s, news = speakers[k], told[k]
        for at in range(indptr[s], indptr[s + 1]):
            i = indices[at]
            delta = news - trust[i]  # float64, from the trust held before today's word of mouth
            if abs(delta) < bound:
                pull = bad if delta < 0 else good
                sums[i, 0] += pull * delta
                sums[i, 1] += pull
                if not heard[i]:
                    heard[i] = True
                    listeners[m] = i
                    m += 1
    # each listener written once, in float64 and rounded to trust's type on the store; then the
    # scratch is left as found (zero) for the next call
    for r in range(m):
        i = listeners[r]
        trust[i] = trust[i] + sums[i, 0] / max(1.0, sums[i, 1])
        sums[i, 0] = 0.0
        sums[i, 1] = 0.0
        heard[i] = False
