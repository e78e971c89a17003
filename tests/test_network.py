"""The residents' social network (``sim.network``): a Watts-Strogatz small world built with
numpy/scipy, compared with networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import tiny_model

from sim.engine.network import row_normalised, small_world, to_networkx


@pytest.fixture(scope="module")
def world():
    return small_world(3_000, 10, 0.1, np.random.default_rng(7))


def test_symmetric_without_self_loops(world):
    assert (world != world.T).nnz == 0
    assert world.diagonal().sum() == 0
    assert set(np.unique(world.data)) == {1.0}


def test_mean_degree_close_to_the_configured_one(world):
    degree = np.asarray(world.sum(axis=1)).ravel()
    # rewired edges landing on an existing edge or on the resident merge: slightly below 10
    assert 9.8 <= degree.mean() <= 10.0
    assert degree.min() >= 1


def test_without_rewiring_it_is_a_ring_lattice():
    ring = small_world(100, 6, 0.0, np.random.default_rng(0))
    degree = np.asarray(ring.sum(axis=1)).ravel()
    assert (degree == 6).all()
    assert nx.is_isomorphic(to_networkx(ring), nx.watts_strogatz_graph(100, 6, 0.0))


def test_small_world_clustering_well_above_a_random_graph_of_the_same_density(world):
    graph = to_networkx(world)
    random_graph = nx.gnm_random_graph(graph.number_of_nodes(), graph.number_of_edges(), seed=1)
    clustering, random_clustering = nx.average_clustering(graph), nx.average_clustering(random_graph)
    # Watts-Strogatz: C(p) ~ C(0) (1 - p)^3 = 2/3 x 4/9 x 0.73 ~ 0.49; random: ~ k / n = 0.003
    assert clustering > 0.4
    assert clustering > 20 * random_clustering
    # and short paths like a random graph (the "small world"): far shorter than the ring's n / 2k
    sample = list(range(0, 3_000, 300))
    lengths = [np.mean(list(nx.single_source_shortest_path_length(graph, s).values())) for s in sample]
    assert np.mean(lengths) < 10


def test_the_same_generator_state_gives_the_same_network():
    a = small_world(500, 8, 0.2, np.random.default_rng(3))
    b = small_world(500, 8, 0.2, np.random.default_rng(3))
    c = small_world(500, 8, 0.2, np.random.default_rng(4))
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


def test_row_normalised_weights_sum_to_one(world):
    weights = row_normalised(world)
    np.testing.assert_allclose(np.asarray(weights.sum(axis=1)).ravel(), 1.0, rtol=1e-5)


def test_degroot_leaves_a_resident_without_contacts_alone():
    """Residents 3 and 4 have no contacts: averaging keeps their trust; the others' rows sum to 1."""
    import scipy.sparse as sp

    from sim.mechanisms.trust import degroot

    adjacency = sp.csr_matrix(np.array([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [1, 1, 0, 0, 0], [0] * 5, [0] * 5], float))
    weights = row_normalised(adjacency)
    np.testing.assert_allclose(np.asarray(weights.sum(axis=1)).ravel(), 1.0)
    trust = np.array([0.2, 0.4, 0.6, 0.9, 0.1])
    degroot(trust, weights, 0.5)
    np.testing.assert_allclose(trust[3:], [0.9, 0.1])
    np.testing.assert_allclose(trust[0], 0.5 * 0.2 + 0.5 * 0.5)


def test_the_models_network_as_networkx():
    model = tiny_model()
    graph = model.graph
    assert graph.number_of_nodes() == model.patients.n
    assert 2 * graph.number_of_edges() == model.adjacency.nnz
    mean_degree = model.adjacency.nnz / model.patients.n
    assert mean_degree == pytest.approx(model.config.scale.mean_degree, rel=0.05)
    assert nx.number_of_selfloops(graph) == 0
