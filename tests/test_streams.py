"""Random streams by name and draws aligned by agent and day (sim/engine/streams.py).

The keyed draws are a hand-written counter-based generator, so they are tested as one:
uniform marginals (Kolmogorov-Smirnov over many streams, days and purposes: the p-values must
themselves be uniform), no correlation between neighbouring agents, days, purposes, names or
seeds, and the alignment property the engine relies on: an agent's number for a purpose on a
day does not depend on who else draws.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.engine.streams import Streams

N = 20_000


def test_keyed_uniforms_are_uniform_over_streams_days_and_purposes():
    p_values = [
        stats.kstest(Streams(seed).keyed(name).uniform(day, np.arange(N), purpose), "uniform").pvalue
        for seed in (0, 1)
        for name in ("violence", "disputes", "media")
        for day in (-180, -1, 0, 1, 365)
        for purpose in (0, 3)
    ]
    # under uniformity the 60 p-values are uniform themselves
    assert stats.kstest(p_values, "uniform").pvalue > 0.001
    assert min(p_values) > 1e-4


def test_neighbouring_keys_give_uncorrelated_draws():
    base = Streams(0).keyed("violence")
    agents = np.arange(200_000)
    u = base.uniform(1, agents)
    se = 1 / np.sqrt(agents.size)  # standard error of a correlation of independent uniforms
    others = {
        "next agent": u[1:],
        "next day": base.uniform(2, agents)[:-1],
        "next purpose": base.uniform(1, agents, 1)[:-1],
        "other name": Streams(0).keyed("violencf").uniform(1, agents)[:-1],
        "next seed": Streams(1).keyed("violence").uniform(1, agents)[:-1],
    }
    for what, v in others.items():
        assert abs(np.corrcoef(u[:-1], v)[0, 1]) < 5 * se, what


def test_an_agents_draw_does_not_depend_on_who_else_draws():
    draws = Streams(7).keyed("workforce")
    everyone = draws.uniform(12, np.arange(1_000), 2)
    some = np.array([3, 500, 999])
    np.testing.assert_array_equal(draws.uniform(12, some, 2), everyone[some])
    assert draws.uniform1(12, 500, 2) == everyone[500]


def test_derived_distributions_have_their_moments():
    draws = Streams(3).keyed("mediation")
    agents = np.arange(200_000)
    exp = draws.exponential(1, agents, 20.0)
    gamma = draws.gamma(1, agents, 2.0, 40.0, 1)
    normal = draws.normal(1, agents, 2)
    counts = draws.poisson_counts(1, agents, 0.7, 3)
    assert abs(exp.mean() - 20) < 5 * 20 / np.sqrt(agents.size)
    assert abs(gamma.mean() - 80) < 5 * np.sqrt(2) * 40 / np.sqrt(agents.size)
    assert abs(normal.mean()) < 5 / np.sqrt(agents.size) and abs(normal.std() - 1) < 0.01
    assert abs(counts.mean() - 0.7) < 5 * np.sqrt(0.7 / agents.size) and abs(counts.var() - 0.7) < 0.02


def test_streams_are_named_not_ordered():
    """A stream's numbers depend on the seed and its name only: asking for other streams first,
    or for new ones, changes nothing."""
    a = Streams(5)
    b = Streams(5)
    b.generator("something new")
    b.keyed("another")
    np.testing.assert_array_equal(a.generator("illness").random(10), b.generator("illness").random(10))
    assert a.generator("illness") is a.generator("illness")
    assert a.keyed("media").uniform1(3, 4) == b.keyed("media").uniform1(3, 4)
    assert not np.array_equal(Streams(5).generator("care").random(10), Streams(5).generator("illness").random(10))
