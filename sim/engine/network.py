"""The residents' social network: who tells whom about their doctors.

A Watts-Strogatz small world (ring lattice of ``mean_degree`` neighbours, each edge rewired to
a random resident with probability ``rewiring``), built directly as a ``scipy.sparse`` matrix
with numpy, so that a city of a million residents takes well under a second. The same graph is
available as a :class:`networkx.Graph` (``model.graph``) for students and plots; word of mouth
itself runs as sparse matrix products (``sim.trust``).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp


def small_world(n: int, mean_degree: int, rewiring: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency (CSR, float32) of a Watts-Strogatz graph without self-loops.

    Rewired edges that land on an existing edge merge with it, so the realised mean degree is
    a little below ``mean_degree`` when ``rewiring`` > 0 (as in networkx's generator).
    """
    half = mean_degree // 2
    index = np.int32 if n + half < 2**31 else np.int64  # half the memory traffic of int64 at 1e6
    source = np.repeat(np.arange(n, dtype=index), half)
    target = source + np.tile(np.arange(1, half + 1, dtype=index), n)
    target[target >= n] -= n  # the ring closes
    rewired = rng.random(source.size) < rewiring
    target[rewired] = rng.integers(0, n, int(rewired.sum()))
    keep = source != target
    source, target = source[keep], target[keep]
    rows = np.concatenate([source, target])
    cols = np.concatenate([target, source])
    adjacency = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n, n))
    adjacency.sum_duplicates()
    adjacency.data[:] = 1.0
    return adjacency


def row_normalised(adjacency: sp.csr_matrix) -> sp.csr_matrix:
    """Each row sums to 1: a resident's contacts weigh equally, and a resident without contacts
    weighs only themself (so DeGroot averaging leaves their trust where it is instead of pulling
    it towards 0)."""
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    weights = sp.diags(inverse.astype(np.float32)) @ adjacency
    isolated = (degree == 0).astype(np.float32)
    if isolated.any():
        weights = (weights + sp.diags(isolated)).tocsr()
    return weights


def to_networkx(adjacency: sp.csr_matrix) -> nx.Graph:
    """The same network as a networkx graph (nodes are patient indices)."""
    return nx.from_scipy_sparse_array(adjacency, edge_attribute=None)
