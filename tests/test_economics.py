"""The cost-effectiveness arithmetic on a tiny hand-computed case (a dominated and an extendedly
dominated arm), the budget designs and the Pareto front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import economics as ec
from sim.analysis.budget import cheapest_reaching, design, pareto_front, subsets
from sim.policies import PACKAGES, POLICY_NAMES

# Net cost and violent incidents averted per arm, by hand (yuan and incidents per hospital-year):
#   A: +10, 2 averted   ICER vs baseline 10 / 2 = 5
#   B: +40, 3 averted   vs A 30 / 1 = 30 > 12.5, the ICER of C vs A: extendedly dominated
#   C: +60, 6 averted   vs A 50 / 4 = 12.5
#   E: +50, 1 averted   A costs less and averts more: dominated
HAND = {"A": (10.0, 2.0), "B": (40.0, 3.0), "C": (60.0, 6.0), "E": (50.0, 1.0)}


def hand_results(noise=(0.0, 1.0, -1.0), uncosted: bool = False) -> pd.DataFrame:
    """Three seeds; every arm moved by the same noise per seed (common random numbers), so the
    paired differences are exactly the hand values."""
    rows = []
    for seed, shift in enumerate(noise):
        base = {"cost": 100.0 + 7 * shift, "violence": 10.0 + shift}
        arms = {"baseline": (0.0, 0.0), **HAND, **({"U": (float("nan"), 4.0)} if uncosted else {})}
        for arm, (cost, averted) in arms.items():
            rows.append(
                {
                    "status": "completed",
                    "arm": arm,
                    "seed": seed,
                    "public_cost_per_hospital_year": base["cost"] + cost,
                    "health_system_cost_per_hospital_year": base["cost"] + 2 * cost,
                    "violent_incidents_per_hospital_year": base["violence"] - averted,
                    "disputes_per_hospital_year": 50.0 - averted,
                    "doctors_injured_per_hospital_year": 5.0 - averted / 10,
                }
            )
    return pd.DataFrame(rows)


def test_hand_computed_frontier_with_a_dominated_and_an_extendedly_dominated_arm():
    pairs = ec.paired(hand_results())
    table = ec.frontier_table(pairs, "violence", n_boot=200)
    assert table.loc["E", "status"] == "D"
    assert table.loc["B", "status"] == "ED"
    assert list(table.index[table["status"] == "ND"]) == ["baseline", "A", "C"]
    assert table.loc["A", "icer"] == pytest.approx(5.0)
    assert table.loc["C", "icer"] == pytest.approx(12.5)
    # no variance in the paired differences: every replicate agrees
    assert table.loc["C", "icer_low"] == pytest.approx(12.5) and table.loc["C", "icer_high"] == pytest.approx(12.5)
    assert table.loc[["baseline", "A", "C"], "on_frontier_share"].tolist() == [1.0, 1.0, 1.0]
    assert table.loc[["B", "E"], "on_frontier_share"].tolist() == [0.0, 0.0]


def test_hand_computed_net_cost_nmb_and_acceptability():
    pairs = ec.paired(hand_results())
    arms = ec.arm_table(pairs, n_boot=200)
    assert arms.loc["C", "net_cost"] == pytest.approx(60.0)
    assert arms.loc["C", "averted_violence"] == pytest.approx(6.0)
    assert arms.loc["C", "averted_violence_share"] == pytest.approx(0.6)  # baseline mean 10
    assert arms.loc["A", "cost_per_violence_averted"] == pytest.approx(5.0)
    nmb = ec.net_monetary_benefit(pairs, "violence", wtp=20.0, n_boot=200)
    assert nmb["nmb"].to_dict() == pytest.approx({"baseline": 0.0, "A": 30.0, "B": 20.0, "C": 60.0, "E": -30.0})
    assert nmb.loc["C", "p_best"] == 1.0
    curve = ec.acceptability(pairs, "violence", [4.0, 8.0, 20.0], n_boot=200)
    # wtp 4: nothing pays (A's NMB is 8 - 10); 8: A (16 - 10 = 6 > C's 48 - 60); 20: C
    assert curve.idxmax(axis=1).tolist() == ["baseline", "A", "C"]
    assert np.allclose(curve.sum(axis=1), 1.0)


def test_perspective_and_pairing_with_noise_and_an_uncosted_arm():
    pairs = ec.paired(hand_results(noise=(0.0, 3.0, -2.0, 5.0), uncosted=True), perspective="health_system")
    arms = ec.arm_table(pairs, n_boot=200)
    assert arms.loc["B", "net_cost"] == pytest.approx(80.0)  # the health system's costs are doubled here
    assert np.isnan(arms.loc["U", "net_cost"])
    table = ec.frontier_table(pairs, "violence", n_boot=50)
    assert "U" not in table.index  # an arm without a cost is left out of the frontier


def test_posterior_draws_are_paired_and_resampled():
    """With a draw column, pairs are (draw, seed) and the bootstrap resamples draws: two draws whose
    effects differ give an interval that covers both."""
    a = hand_results()
    b = hand_results().assign(violent_incidents_per_hospital_year=lambda d: d.violent_incidents_per_hospital_year)
    b.loc[b["arm"] == "C", "violent_incidents_per_hospital_year"] -= 2.0  # C averts 8 under draw 1
    results = pd.concat([a.assign(draw=0), b.assign(draw=1)], ignore_index=True)
    pairs = ec.paired(results, draw_column="draw")
    arms = ec.arm_table(pairs, draw_column="draw", n_boot=400)
    assert arms.loc["C", "averted_violence"] == pytest.approx(7.0)
    assert arms.loc["C", "averted_violence_low"] == pytest.approx(6.0)
    assert arms.loc["C", "averted_violence_high"] == pytest.approx(8.0)


def test_subsets_and_design():
    n = len(POLICY_NAMES)
    assert len(subsets()) == 2**n
    small = subsets(2)
    assert len(small) == 1 + n + n * (n - 1) // 2 + sum(len(p) > 2 for p in PACKAGES.values()) + 1
    assert small[0] == () and small[-1] == tuple(POLICY_NAMES)
    assert design([(), tuple(POLICY_NAMES[:2])])["policies"].tolist() == [
        "[]",
        f"[{POLICY_NAMES[0]},{POLICY_NAMES[1]}]",
    ]


def test_pareto_front_and_cheapest_points_reaching_a_target():
    cost = np.array([0.0, 10.0, 20.0, 15.0, 30.0, np.nan])
    violence = np.array([10.0, 6.0, 4.0, 7.0, 4.0, 1.0])
    assert pareto_front(cost, violence).tolist() == [True, True, True, False, False, False]
    table = pd.DataFrame({"net_cost": cost, "averted_violence_share": 1 - violence / 10}, index=list("abcdef"))
    assert cheapest_reaching(table, "violence", 0.5, k=3).index.tolist() == ["c", "e"]
