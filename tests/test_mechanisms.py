"""Each mechanism of the daily cycle on its own (issue 2, "Mechanisms of the daily cycle").

The pure functions are tested with explicit inputs; the mechanisms that live inside the daily
pass (``Care.treat``) or act on the world's state (mediation, violence, media, workforce)
are tested through the tiny model's own mechanisms (``model.mechanisms``) on a world whose
state the test sets. Statistical claims use binomial or
sampling tolerances (several standard errors), never a tuned parameter.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import tiny_model, treat_batch

from sim.config.schema import DisputeParams, IllnessParams, SatisfactionParams, ScaleConfig, TrustParams
from sim.engine.institutions import Story
from sim.engine.network import row_normalised, small_world
from sim.engine.state import NO_DISPUTE, PRIMARY, SECONDARY, TERTIARY, Episodes, build_facilities
from sim.mechanisms import care, illness, violence
from sim.mechanisms.disputes import LITIGATION, MEDIATION, NONE, compensation_yuan, dispute_probability
from sim.mechanisms.trust import degroot, own_experience, word_of_mouth


# ----------------------------------------------------------------------------------------------
# 1. illness onset and severity
# ----------------------------------------------------------------------------------------------
def test_illness_onsets_arrive_at_the_configured_rate_with_beta_severity():
    """Poisson(n x rate / 365) onsets a day; severity Beta(a, b) in (0, 1)."""
    params = IllnessParams(episodes_per_person_year=7.3, severity_a=2.0, severity_b=3.0)
    rng = np.random.default_rng(3)
    n, days = 10_000, 200
    counts, severities = [], []
    for _ in range(days):
        who, severity = illness.onsets(n, params, rng)
        assert who.shape == severity.shape
        assert who.min(initial=0) >= 0 and who.max(initial=0) < n
        counts.append(who.size)
        severities.append(severity)
    daily_mean = n * 7.3 / 365  # 200 a day
    assert abs(np.mean(counts) - daily_mean) < 4 * np.sqrt(daily_mean / days)
    sev = np.concatenate(severities)
    assert ((sev > 0) & (sev < 1)).all()
    assert abs(sev.mean() - 2.0 / 5.0) < 4 * 0.2 / np.sqrt(sev.size)  # beta(2, 3) sd = 0.2


def test_no_illness_when_the_rate_is_zero():
    who, severity = illness.onsets(5_000, IllnessParams(episodes_per_person_year=0.0), np.random.default_rng(0))
    assert who.size == 0 and severity.size == 0


# ----------------------------------------------------------------------------------------------
# 2. choice of tier
# ----------------------------------------------------------------------------------------------
def _choose(model, trust_primary: float, n: int = 4_000, severity=0.2, levers=None, facilities=None):
    rng = np.random.default_rng(5)
    who = rng.integers(0, model.patients.n, n)
    model.patients.trust_primary[:] = trust_primary
    ep = Episodes(patient=who, severity=np.full(n, severity, float), draws=rng.random((n, len(care.DRAWS))))
    levers = model.levers if levers is None else levers
    ep.contracted = care.contracted(model.patients, who, levers)
    fa = model.facilities if facilities is None else facilities
    return care.choose_tier(
        ep, model.patients, fa, levers, model.config.params.care, model.config.params.cost, np.zeros((n, 3))
    )


def test_higher_trust_in_primary_care_raises_the_primary_choice():
    """Random utility: weight x trust in the tier; the same residents and draws, only trust differs."""
    model = tiny_model()
    low = _choose(model, 0.1)
    high = _choose(model, 0.9)
    assert (high == PRIMARY).mean() > (low == PRIMARY).mean() + 0.1
    # the same Gumbel draws: nobody who chose a clinic with low trust leaves it with high trust
    assert (high[low == PRIMARY] == PRIMARY).all()


def test_gatekeeping_sends_every_non_emergency_to_a_clinic():
    model = tiny_model()
    levers = model.levers
    levers.gatekeeping, levers.emergency_severity = 1.0, 0.8
    mild = _choose(model, 0.1, severity=0.5, levers=levers)
    assert (mild == PRIMARY).all()
    # emergencies bypass the gate: with distrusted clinics most grave cases go to hospitals
    grave = _choose(model, 0.1, severity=0.9, levers=levers)
    assert (grave != PRIMARY).mean() > 0.5


def test_a_missing_tier_is_never_chosen():
    model = tiny_model()
    # one hospital only (tertiary): no secondary tier in this county
    no_secondary = build_facilities(ScaleConfig(n_patients=3_000, patients_per_hospital=3_000), 0.5)
    assert not (no_secondary.tier == SECONDARY).any()
    for severity in (0.2, 0.6, 0.95):
        chosen = _choose(model, 0.5, severity=severity, facilities=no_secondary)
        assert not (chosen == SECONDARY).any()
    # no clinics at all: nobody goes to primary care, gatekeeping or not
    hospitals_only = build_facilities(ScaleConfig(n_patients=3_000, patients_per_hospital=1_000), 0.5)
    hospitals_only.tier = hospitals_only.tier[hospitals_only.tier > PRIMARY]
    levers = model.levers
    levers.gatekeeping = 1.0
    chosen = _choose(model, 0.9, levers=levers, facilities=hospitals_only)
    assert set(np.unique(chosen)) <= {SECONDARY, TERTIARY}


# ----------------------------------------------------------------------------------------------
# 3. crowding: waits, consultation time, backlog, workload and burnout
# ----------------------------------------------------------------------------------------------
def test_more_visits_than_capacity_give_waits_shorter_consultations_and_a_backlog():
    model = tiny_model()
    params = model.config.params.care
    roster = care.Roster.build(model.doctors, model.facilities, 0)
    cap = care.capacity(roster, model.facilities, params, model.levers)
    light, fa_light, visits_light = treat_batch(model, 10, severity=0.1)
    heavy, fa_heavy, visits_heavy = treat_batch(model, int(20 * cap.sum()), severity=0.1)
    # few visits: nobody is rushed and no backlog builds up
    assert (visits_light <= cap).all()
    assert (light.consult_time == 1.0).all()
    assert (fa_light.backlog == 0).all()
    # many visits: overloaded facilities rush consultations and carry the excess over
    over = visits_heavy > cap
    assert over.any()
    rushed = over[heavy.facility]
    assert (heavy.consult_time[rushed] < 1.0).all()
    np.testing.assert_allclose(fa_heavy.backlog, np.maximum(0.0, visits_heavy - cap))
    # the first ten heavy-day episodes are the light day's ten (same draws): they wait longer
    assert (heavy.wait_days[:10] >= light.wait_days).all()
    assert heavy.wait_days.mean() > light.wait_days.mean()
    # and their doctors explain less (communication x consultation time)
    assert (heavy.explanation[:10] <= light.explanation + 1e-12).all()


def test_a_backlog_lengthens_the_next_days_waits():
    model = tiny_model()
    roster = care.Roster.build(model.doctors, model.facilities, 0)
    cap = care.capacity(roster, model.facilities, model.config.params.care, model.levers)
    _, fa_after_crowd, _ = treat_batch(model, int(5 * cap.sum()), severity=0.1, seed=2)
    fresh, _, _ = treat_batch(model, 10, severity=0.1, seed=3)
    after_crowd, _, _ = treat_batch(model, 10, severity=0.1, seed=3, facilities=fa_after_crowd)
    assert (after_crowd.wait_days > fresh.wait_days).all()


def test_workload_above_capacity_builds_burnout():
    """Burnout += rate x max(0, workload - 1) - recovery x burnout."""
    model = tiny_model()
    before = model.doctors.burnout.copy()
    n = 200
    ep = Episodes(patient=np.zeros(n, np.int64), severity=np.full(n, 0.1), draws=np.zeros((n, len(care.DRAWS))))
    ep.doctor = np.zeros(n, np.int64)  # every consultation today falls on doctor 0
    model.world.episodes = ep
    model.mechanisms["workforce"].step(model.world)
    assert model.doctors.workload[0] > 1
    assert model.doctors.burnout[0] > before[0]
    idle = np.flatnonzero(model.doctors.workload == 0)
    idle = idle[~model.doctors.vacant()[idle]]
    assert (model.doctors.burnout[idle] <= before[idle]).all()  # idle doctors recover


# ----------------------------------------------------------------------------------------------
# 4. outcome: skill, tier fit, irreducible risk
# ----------------------------------------------------------------------------------------------
PERFECT_CARE = ("params.care.rush_quality_loss=0", "params.care.burnout_quality_loss=0")


def test_irreducible_risk_fails_some_cases_even_under_perfect_care():
    """P(success) = (1 - risk x severity) x quality; with skill 1, perfect fit, no rush and no
    burnout, failures happen at the rate risk x severity."""
    model = tiny_model(*PERFECT_CARE, "params.care.irreducible_risk=0.2")
    model.doctors.skill[:] = 1.0
    severity, n = 0.3, 20_000  # below every tier's capability: perfect fit everywhere
    ep, _, _ = treat_batch(model, n, severity=severity)
    assert not ep.referred.any()
    failures = (~ep.success).mean()
    expected = 0.2 * severity
    assert failures > 0
    assert abs(failures - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert (ep.harm[~ep.success] > 0).all() and (ep.harm[ep.success] == 0).all()
    # without medicine's own risk, perfect care never fails
    riskless = tiny_model(*PERFECT_CARE, "params.care.irreducible_risk=0")
    riskless.doctors.skill[:] = 1.0
    ep0, _, _ = treat_batch(riskless, n, severity=severity)
    assert ep0.success.all()


def test_worse_tier_fit_gives_more_failures():
    """A clinic treating cases beyond its capability (no referral): fit = 1 - penalty x excess."""
    model = tiny_model(*PERFECT_CARE)
    model.doctors.skill[:] = 1.0
    levers = model.levers
    levers.gatekeeping, levers.emergency_severity, levers.referral_probability = 1.0, 1.0, 0.0
    levers.capability[PRIMARY] = 1.0
    good_fit, _, _ = treat_batch(model, 10_000, severity=0.6, levers=levers)
    levers.capability[PRIMARY] = 0.3
    poor_fit, _, _ = treat_batch(model, 10_000, severity=0.6, levers=levers)
    assert (good_fit.tier == PRIMARY).all() and (poor_fit.tier == PRIMARY).all()
    assert (~poor_fit.success).mean() > (~good_fit.success).mean() + 0.2
    # same draws: every case that fails with good fit also fails with poor fit
    assert (~poor_fit.success[~good_fit.success]).all()


# ----------------------------------------------------------------------------------------------
# 5. cost: over-testing, out-of-pocket part, pay reform
# ----------------------------------------------------------------------------------------------
def test_financial_pressure_drives_over_testing_cost():
    model = tiny_model()
    model.facilities.overtest_pressure[:] = 0.0
    no_pressure, _, _ = treat_batch(model, 2_000)
    model.facilities.overtest_pressure[:] = 1.0
    pressure, _, _ = treat_batch(model, 2_000)
    assert (no_pressure.overtest_share == 0).all()  # no violence yet: no defensive medicine either
    np.testing.assert_array_equal(pressure.tier, no_pressure.tier)
    assert (pressure.cost_yuan >= no_pressure.cost_yuan).all()
    assert pressure.cost_yuan.sum() > 1.1 * no_pressure.cost_yuan.sum()


def test_out_of_pocket_part_follows_coverage_and_insurance():
    model = tiny_model()
    levers = model.levers
    levers.coverage[:] = 0.8
    levers.uninsured_share = 0.0
    ep, _, _ = treat_batch(model, 2_000, levers=levers)
    np.testing.assert_allclose(ep.out_of_pocket_yuan, 0.2 * ep.cost_yuan, rtol=1e-6)
    levers.uninsured_share = 1.0  # nobody insured: the whole bill
    ep, _, _ = treat_batch(model, 2_000, levers=levers)
    np.testing.assert_allclose(ep.out_of_pocket_yuan, ep.cost_yuan, rtol=1e-6)
    # burden is the bill relative to monthly income
    monthly = model.patients.income_yuan[ep.patient] / 12
    np.testing.assert_allclose(ep.burden, np.log1p(ep.out_of_pocket_yuan / monthly), rtol=1e-6)


def test_pay_reform_decoupling_removes_over_testing_cost():
    model = tiny_model()
    model.facilities.overtest_pressure[:] = 1.0
    coupled, _, _ = treat_batch(model, 2_000)
    levers = model.levers
    levers.overtest_decoupling = 0.5
    half, _, _ = treat_batch(model, 2_000, levers=levers)
    levers.overtest_decoupling = 1.0
    decoupled, _, _ = treat_batch(model, 2_000, levers=levers)
    np.testing.assert_array_equal(coupled.tier, decoupled.tier)
    assert (half.cost_yuan <= coupled.cost_yuan).all() and half.cost_yuan.sum() < coupled.cost_yuan.sum()
    assert (decoupled.overtest_share == 0).all()
    assert decoupled.cost_yuan.sum() < half.cost_yuan.sum()


# ----------------------------------------------------------------------------------------------
# 6. satisfaction and expectations
# ----------------------------------------------------------------------------------------------
def test_expectations_rise_with_money_paid_and_fall_with_literacy_and_explanation():
    p = SatisfactionParams(literacy_expectation_cut=0.5, paid_expectation_gain=0.1, explanation_expectation_cut=0.3)
    base = np.full(5, 0.7)
    zero = np.zeros(5)
    grid = np.linspace(0.0, 1.0, 5)
    assert (np.diff(care.expectation(base, zero, grid, zero, p)) > 0).all()  # paid more
    assert (np.diff(care.expectation(base, grid, zero, zero, p)) < 0).all()  # more literate
    assert (np.diff(care.expectation(base, zero, zero, grid, p)) < 0).all()  # explained
    assert care.expectation(np.ones(1), zero[:1], np.full(1, 50.0), zero[:1], p)[0] == 1.0  # clipped


def test_satisfaction_rises_with_outcome_and_falls_with_wait_cost_and_over_testing():
    p = SatisfactionParams()
    n = 5
    yes, no = np.ones(n, bool), np.zeros(n, bool)
    zero, half = np.zeros(n), np.full(n, 0.5)
    grid = np.linspace(0.0, 2.0, n)
    cured = care.satisfaction_of(yes, zero, half, zero, zero, zero, p)
    failed = care.satisfaction_of(no, half, half, zero, zero, zero, p)
    assert (cured > failed).all()
    assert (np.diff(care.satisfaction_of(yes, zero, grid / 2, zero, zero, zero, p)) < 0).all()  # expectation
    assert (np.diff(care.satisfaction_of(yes, zero, half, 10 * grid, zero, zero, p)) < 0).all()  # wait
    assert (np.diff(care.satisfaction_of(yes, zero, half, zero, grid, zero, p)) < 0).all()  # burden
    assert (np.diff(care.satisfaction_of(yes, zero, half, zero, zero, grid / 2, p)) < 0).all()  # over-testing


# ----------------------------------------------------------------------------------------------
# 7. trust: own experience, word of mouth, DeGroot
# ----------------------------------------------------------------------------------------------
def test_own_experience_moves_trust_with_a_negativity_bias():
    p = TrustParams(own_experience_rate=0.2, negativity_bias=2.5)
    trust = np.full(2, 0.5, np.float32)
    own_experience(trust, np.array([0, 1]), np.array([0.7, 0.3]), p)
    gain, loss = trust[0] - 0.5, 0.5 - trust[1]
    assert gain == pytest.approx(0.2 * 0.2, rel=1e-5)
    assert loss == pytest.approx(2.5 * gain, rel=1e-5)


def _ring(n: int, k: int) -> sp.csr_matrix:
    return small_world(n, k, 0.0, np.random.default_rng(0))


def test_word_of_mouth_moves_only_the_speakers_contacts_within_the_confidence_bound():
    p = TrustParams(word_of_mouth_rate=0.1, negativity_bias=2.0, confidence_bound=0.4)
    adjacency = _ring(20, 2)  # i talks with i - 1 and i + 1
    trust = np.full(20, 0.5, np.float32)
    trust[1] = 0.95  # too far from the bad news to listen
    before = trust.copy()
    word_of_mouth(trust, adjacency, np.array([0]), np.array([0.2]), p)  # resident 0 had a bad visit
    assert trust[19] == pytest.approx(0.5 - 2.0 * 0.1 * 0.3, rel=1e-5)  # heard it, negativity bias
    assert trust[1] == before[1]  # outside the bound of confidence
    untouched = np.setdiff1d(np.arange(20), [19])
    np.testing.assert_array_equal(trust[untouched], before[untouched])  # the speaker too


def test_word_of_mouth_good_news_raises_trust_of_contacts():
    p = TrustParams(word_of_mouth_rate=0.1, negativity_bias=2.0, confidence_bound=0.6)
    adjacency = _ring(10, 2)
    trust = np.full(10, 0.5, np.float32)
    word_of_mouth(trust, adjacency, np.array([4]), np.array([0.9]), p)
    assert trust[3] == trust[5] == pytest.approx(0.54, rel=1e-5)
    assert np.count_nonzero(trust != 0.5) == 2


def test_degroot_averaging_preserves_the_mean_on_a_regular_graph_and_narrows_the_spread():
    weights = row_normalised(_ring(500, 8))
    trust = np.random.default_rng(2).random(500)
    mean, spread = trust.mean(), trust.std()
    for _ in range(20):
        degroot(trust, weights, 0.2)
    assert trust.mean() == pytest.approx(mean, abs=1e-6)
    assert trust.std() < 0.8 * spread


@pytest.mark.parametrize("weighted", [False, True], ids=["a weight a row", "a weight a contact"])
@pytest.mark.parametrize("n,degree,rewiring", [(2_003, 8, 0.2), (501, 4, 0.0), (50, 10, 0.9)])
def test_compiled_degroot_of_both_arrays_is_bit_for_bit_scipys(n, degree, rewiring, weighted):
    """sim.mechanisms.averaging (blocks of rows of equal degree, numba) gives the very numbers of
    ``degroot`` (scipy's float32 CSR product), day after day, isolated residents included: with
    the model's weights (equal within a row: read once a row) and with other weights (a resident
    without contacts too, whose row is empty)."""
    from sim.mechanisms.averaging import DegrootAveraging

    rng = np.random.default_rng(n)
    adjacency = small_world(n, degree, rewiring, rng).tolil()
    for isolated in rng.choice(n, 3, replace=False):  # residents without contacts weigh themselves
        adjacency[isolated, :] = 0
        adjacency[:, isolated] = 0
    weights = row_normalised(adjacency.tocsr())
    if weighted:  # unequal weights in every row with contacts, and one row left empty
        weights = weights.tocsr(copy=True)
        weights.data = (weights.data * rng.uniform(0.5, 1.5, weights.nnz)).astype(np.float32)
        weights = sp.csr_matrix(sp.diags((np.arange(n) != 7).astype(np.float32)) @ weights)
        weights.eliminate_zeros()
        assert weights.dtype == np.float32 and weights.indptr[8] == weights.indptr[7]
    trust, primary = rng.random(n).astype(np.float32), rng.random(n).astype(np.float32)
    expected_trust, expected_primary = trust.copy(), primary.copy()
    averaging = DegrootAveraging(weights)
    assert averaging.uniform_rows == (not weighted)
    for rate in (0.02, 0.3, 0.02, 1.0):
        degroot(expected_trust, weights, rate)
        degroot(expected_primary, weights, rate)
        averaging(trust, primary, rate)
        np.testing.assert_array_equal(trust, expected_trust)
        np.testing.assert_array_equal(primary, expected_primary)


@pytest.mark.parametrize("n,degree,rewiring", [(2_003, 8, 0.2), (501, 4, 0.0), (50, 10, 0.9)])
def test_compiled_word_of_mouth_is_bit_for_bit_numpys(n, degree, rewiring):
    """sim.mechanisms.averaging.WordOfMouth gives the very float32 trust of ``word_of_mouth``, day
    after day: speakers told twice in a day, listeners told by several speakers (some of them
    speakers too), bad and good news, a bound that leaves some out, a day without speakers,
    isolated residents; and its scratch is left zero."""
    from sim.mechanisms.averaging import WordOfMouth

    rng = np.random.default_rng(n)
    adjacency = small_world(n, degree, rewiring, rng).tolil()
    for isolated in rng.choice(n, 3, replace=False):
        adjacency[isolated, :] = 0
        adjacency[:, isolated] = 0
    adjacency = adjacency.tocsr()
    telling = WordOfMouth(adjacency)
    for p in (
        TrustParams(word_of_mouth_rate=0.15, negativity_bias=2.0, confidence_bound=0.3),
        TrustParams(word_of_mouth_rate=0.6, negativity_bias=2.5, confidence_bound=0.6),  # capped at 1
        TrustParams(word_of_mouth_rate=0.15, negativity_bias=0.0, confidence_bound=1.0),  # bad news unheard
    ):
        trust = rng.random(n).astype(np.float32)
        expected = trust.copy()
        for count in (n // 4, n // 2, 0, n // 10):
            speakers = rng.integers(0, n, count)
            speakers = np.concatenate([speakers, speakers[: count // 5]])  # a second episode in a day
            told = rng.random(speakers.size)
            word_of_mouth(expected, adjacency, speakers, told, p)
            telling(trust, speakers, told, p.word_of_mouth_rate, p.negativity_bias, p.confidence_bound)
            np.testing.assert_array_equal(trust, expected)
            assert trust.tobytes() == expected.tobytes()  # signs of zero too
        assert not telling.sums.any() and not telling.heard.any()


def test_a_run_with_the_compiled_degroot_is_the_run_without(monkeypatch):
    """Long or large runs use the compiled kernels, DeGroot and word of mouth (Trust.setup,
    COMPILED_FROM): same run, number for number."""
    from sim.mechanisms import trust as trust_mechanism

    def final_state(compiled: bool):
        monkeypatch.setattr(trust_mechanism, "COMPILED_FROM", 0 if compiled else float("inf"))
        model = tiny_model("policies=[mediation,insurance]", days=120)
        assert (model.mechanisms["trust"].averaging is not None) == compiled
        assert (model.mechanisms["trust"].word_of_mouth is not None) == compiled
        model.run()
        return model.patients.trust.copy(), model.patients.trust_primary.copy(), model.timeseries()

    compiled, plain = final_state(True), final_state(False)
    np.testing.assert_array_equal(compiled[0], plain[0])
    np.testing.assert_array_equal(compiled[1], plain[1])
    assert compiled[2].equals(plain[2])


# ----------------------------------------------------------------------------------------------
# 8. complaints become disputes
# ----------------------------------------------------------------------------------------------
def test_dispute_probability_rises_with_harm_dissatisfaction_distrust_and_burden():
    p = DisputeParams()
    grid = np.linspace(0.0, 1.0, 6)
    mid = np.full(6, 0.5)
    assert (np.diff(dispute_probability(grid, mid, mid, mid, p)) > 0).all()  # harm
    assert (np.diff(dispute_probability(mid, 1 - grid, mid, mid, p)) > 0).all()  # dissatisfaction
    assert (np.diff(dispute_probability(mid, mid, 1 - grid, mid, p)) > 0).all()  # distrust
    assert (np.diff(dispute_probability(mid, mid, mid, 3 * grid, p)) > 0).all()  # money paid


def test_higher_out_of_pocket_share_raises_dispute_probability_for_the_same_outcome():
    """Same residents, same clinic, same draws and outcomes; only the insurance coverage differs."""
    model = tiny_model()
    levers = model.levers
    levers.gatekeeping, levers.emergency_severity = 1.0, 1.0  # same tier whatever the price
    levers.uninsured_share = 0.0
    levers.coverage[:] = 0.9
    insured, _, _ = treat_batch(model, 3_000, levers=levers)
    levers.coverage[:] = 0.1
    exposed, _, _ = treat_batch(model, 3_000, levers=levers)
    np.testing.assert_array_equal(insured.success, exposed.success)
    np.testing.assert_array_equal(insured.harm, exposed.harm)
    p = model.config.params.disputes

    def p_dispute(ep):
        return dispute_probability(ep.harm, ep.satisfaction, ep.trust_before, ep.burden, p)

    assert (exposed.burden > insured.burden).all()
    assert (p_dispute(exposed) > p_dispute(insured)).all()


# ----------------------------------------------------------------------------------------------
# 9. resolution channels: mediation, compensation
# ----------------------------------------------------------------------------------------------
def _mediation_model(*overrides: str):
    """Every dispute is of the kind the committees take, and every one goes to them."""
    return tiny_model(
        "policies=[mediation]",
        "policies.mediation.uptake=1.0",
        "params.disputes.mediation_eligible_share=1.0",
        *overrides,
    )


def _file_disputes(model, n: int) -> list:
    """``n`` residents dispute an episode (harm 0.4) at the first hospital, today."""
    hospital = int(np.flatnonzero(model.facilities.tier > PRIMARY)[0])
    model.patients.facility[:n], model.patients.doctor[:n] = hospital, -1
    return [model.mechanisms["disputes"].file(model.world, i, 0.4, 0.5) for i in range(n)]


def _advance(model, days: int, check=None) -> None:
    """The disputes' and the mediation centres' part of ``days`` days."""
    for day in range(days):
        model.world.day = day
        model.mechanisms["disputes"].advance(model.world)
        model.mechanisms["mediation"].step(model.world)
        model.sync_agents()
        if check is not None:
            check()


def test_a_mediator_without_capacity_resolves_nothing():
    model = _mediation_model("policies.mediation.capacity=0")
    assert model.mediators, "the mediation policy staffs its centres"
    disputes = _file_disputes(model, 20)
    _advance(model, 600)
    assert all(d.channels == [MEDIATION] and d.is_open for d in disputes)
    assert sum(len(c.queue) for c in model.centres) == 20
    assert all(m.cases_closed == 0 and not m.cases for m in model.mediators)


def test_mediation_queue_respects_capacity_first_come_first_served():
    model = _mediation_model("policies.mediation.capacity=1", "policies.mediation.mediators_per_100k=1")
    (mediator,) = model.mediators
    disputes = _file_disputes(model, 5)
    assert mediator.cases == [disputes[0]]
    assert list(model.centres[0].queue) == disputes[1:]

    served = []

    def at_most_capacity():
        assert len(mediator.cases) <= 1
        if mediator.cases and (not served or served[-1] != mediator.cases[0].id):
            served.append(mediator.cases[0].id)

    _advance(model, 2_000, at_most_capacity)
    assert mediator.cases_closed == 5 and not model.centres[0].queue
    assert served == [d.id for d in disputes]  # first come, first served
    assert all(not d.is_open for d in disputes)


def test_mediation_agreement_rate_is_max_success_times_impartiality():
    model = _mediation_model(
        "policies.mediation.capacity=100",
        "policies.mediation.mediators_per_100k=100",
        "policies.mediation.impartiality=0.75",
        "policies.mediation.max_success=0.8",
    )
    _file_disputes(model, 2_000)
    _advance(model, 1_500)
    closed = sum(m.cases_closed for m in model.mediators)
    agreed = sum(m.agreements for m in model.mediators)
    assert closed == 2_000
    p = 0.75 * 0.8
    assert abs(agreed / closed - p) < 4 * np.sqrt(p * (1 - p) / closed)
    mediated = [d for d in model.disputes.all if d.outcome == "agreement"]
    assert len(mediated) == agreed and all(d.channel == MEDIATION and d.compensation_yuan > 0 for d in mediated)


def test_compensation_is_heavy_tailed_and_scales_with_harm_and_channel():
    p = DisputeParams(compensation_median_yuan=50_000, compensation_sigma=1.2)
    rng = np.random.default_rng(4)
    n = 20_000
    reference = np.array([compensation_yuan(0.25, 1.0, p, rng) for _ in range(n)])
    court = np.array([compensation_yuan(0.25, 2.0, p, rng) for _ in range(n)])
    grave = np.array([compensation_yuan(0.85, 1.0, p, rng) for _ in range(n)])
    assert (reference > 0).all()
    median = np.median(reference)
    assert reference.mean() > 1.5 * median  # lognormal: mean = median x exp(sigma^2 / 2) ~ 2.05 x median
    assert median == pytest.approx(50_000, rel=0.05)  # the median at the reference harm
    assert np.median(court) == pytest.approx(2 * median, rel=0.08)
    assert np.median(grave) > 2.5 * median


def test_payout_parameters_change_the_payouts_and_nothing_else():
    """Payouts feed back into nothing: a run with other payout parameters has the same disputes,
    violence and trust, the same payout draws, and payouts rescaled exactly as the record says.
    (The calibration fits the payout parameters on recorded draws: sim.analysis.calibration.)"""
    from sim.mechanisms.disputes import payout
    from sim.runs.api import run

    base = ["scale=tiny", "days=200", "seed=3", "params.disputes.base_log_odds=-8"]
    a = run([*base, "params.disputes.compensation_median_yuan=20000", "params.disputes.compensation_sigma=1.0"])
    b = run([*base, "params.disputes.compensation_median_yuan=80000", "params.disputes.compensation_sigma=2.0"])
    payout_keys = {"mean_compensation_yuan", "median_compensation_yuan", "max_compensation_yuan", "wall_seconds"}
    # the money paid out, and the health system's costs that count it
    payout_keys |= {"compensation_per_hospital_year", "health_system_cost_per_hospital_year"}
    payout_keys.add("config_sha256")  # (two configs: two config hashes)
    assert {k: v for k, v in a.summary.items() if k not in payout_keys} == {
        k: v for k, v in b.summary.items() if k not in payout_keys
    }
    paid_a = [d for d in a.model.disputes.all if d.compensation_yuan > 0]
    paid_b = [d for d in b.model.disputes.all if d.compensation_yuan > 0]
    assert len(paid_a) == len(paid_b) > 5
    for da, db in zip(paid_a, paid_b, strict=True):
        assert (da.payout_scale, da.payout_draw) == (db.payout_scale, db.payout_draw)
        assert db.compensation_yuan == pytest.approx(payout(da.payout_scale, da.payout_draw, 80_000, 2.0))
    assert b.summary["mean_compensation_yuan"] != a.summary["mean_compensation_yuan"]


def test_expected_largest_payout_is_the_payout_a_survey_of_that_size_exceeds_once():
    """The largest payout of a survey: with one scale, the lognormal's 1 - 1/n quantile; with a
    mix, simulated surveys of n payouts hold on average one payout above it (a Poisson count:
    tolerance 4 standard errors); it grows with n and is undefined without payouts."""
    from scipy import special

    from sim.mechanisms.disputes import expected_largest_payout

    one = expected_largest_payout(np.ones(4), 10_000.0, 1.5, 1000)
    assert one == pytest.approx(10_000 * np.exp(-1.5 * special.ndtri(1e-3)), rel=1e-9)
    rng = np.random.default_rng(5)
    scales, n, surveys = rng.uniform(0.2, 4.0, 60), 2000, 400
    largest = expected_largest_payout(scales, 20_000.0, 2.0, n)
    payouts = 20_000.0 * rng.choice(scales, (surveys, n)) * np.exp(2.0 * rng.standard_normal((surveys, n)))
    above = (payouts > largest).sum()
    assert abs(above - surveys) < 4 * np.sqrt(surveys)
    pair = expected_largest_payout(scales, np.array([20_000.0, 20_000.0]), np.array([2.0, 2.0]), n)
    assert pair == pytest.approx([float(largest)] * 2)
    assert expected_largest_payout(scales, 20_000.0, 2.0, 10 * n) > largest
    assert np.isnan(expected_largest_payout(np.array([]), 20_000.0, 2.0, n))


def test_a_dated_run_reports_the_largest_payout_of_the_surveyed_hospitals():
    """``largest_compensation_yuan_<year>``: the largest payout expected among the surveyed hospitals'
    payouts of that year, from the run's own payouts (their scales), as the calibration computes it."""
    from sim.engine.metrics import SURVEYED_HOSPITALS
    from sim.mechanisms.disputes import expected_largest_payout
    from sim.runs.api import run

    result = run(["scale=tiny", "days=365", "seed=3", "start_date=2006-01-01", "params.disputes.base_log_odds=-8"])
    p = result.model.config.params.disputes
    paid = [d for d in result.model.disputes.closed() if d.compensation_yuan > 0]
    assert len(paid) > 5
    hospitals = int((result.model.world.facilities.tier > 0).sum())
    expected = expected_largest_payout(
        [d.payout_scale for d in paid], p.compensation_median_yuan, p.compensation_sigma,
        SURVEYED_HOSPITALS * len(paid) / hospitals,
    )  # fmt: skip
    assert result.summary["largest_compensation_yuan_2006"] == pytest.approx(float(expected), rel=1e-9)
    assert result.summary["largest_compensation_yuan_2006"] > result.summary["max_compensation_yuan_2006"]


@pytest.mark.parametrize("harm_weight", [0.0, 2.0])
def test_litigation_share_of_new_disputes_follows_the_configured_share(harm_weight):
    """Without mediation, a new dispute goes straight to court with probability
    litigation_share x exp(w (harm - 0.25)): the configured share at the reference harm, more
    for graver harms (the disputes here are at harm 0.4)."""
    model = tiny_model(
        "params.disputes.litigation_share=0.3",
        "params.disputes.negotiation_share=0.5",
        f"params.disputes.litigation_harm_weight={harm_weight}",
    )
    disputes = _file_disputes(model, 2_000)
    to_court = np.mean([d.channels[:1] == [LITIGATION] for d in disputes])
    withdrawn = np.mean([d.outcome == "withdrawn" for d in disputes])
    court = 0.3 * np.exp(harm_weight * (0.4 - 0.25))
    assert abs(to_court - court) < 4 * np.sqrt(court * (1 - court) / 2_000)
    assert abs(withdrawn - (1 - court - 0.5)) < 4 * np.sqrt(0.25 / 2_000)  # the rest negotiate


# ----------------------------------------------------------------------------------------------
# 10. violence, Epstein's rule
# ----------------------------------------------------------------------------------------------
def test_grievance_is_hardship_times_illegitimacy():
    p = tiny_model().config.params.violence
    assert violence.grievance(0.8, 0.25) == pytest.approx(0.6)
    assert violence.hardship(0.7, 10.0, 2.0, p) == 1.0  # capped
    assert violence.legitimacy(1.0, 1.0, p) == pytest.approx(1.0)
    assert violence.net_risk(0.5, 0.6) == pytest.approx(0.3)


def _aggrieve(model, n: int = 400, seed: int = 9):
    """Give ``n`` residents a harm, an unmet expectation, trust and risk aversion; return the indices."""
    rng = np.random.default_rng(seed)
    pa = model.patients
    who = np.arange(n)
    pa.harm[who] = rng.uniform(0.05, 1.0, n)
    pa.unmet_expectation[who] = rng.uniform(0.0, 1.0, n)
    pa.trust[who] = rng.random(n)
    pa.risk_aversion[who] = rng.random(n)
    pa.harm_facility[who] = np.flatnonzero(model.facilities.tier > PRIMARY)[0]
    return who


def test_unmet_expectation_is_what_a_harmful_episode_fell_short_of():
    """U = max(0, E - O): O is 1 for a cure, 0.4 (1 - harm) for a failure."""
    success = np.array([True, False, False, False])
    harm = np.array([0.0, 0.5, 0.5, 1.0])
    expect = np.array([1.0, 0.9, 0.1, 0.6])
    np.testing.assert_allclose(care.unmet_expectation(success, harm, expect), [0.0, 0.7, 0.0, 0.6])


def test_higher_expectations_leave_more_grievance_after_the_same_harm():
    """The same episodes with and without a rise of expectations (incomes): the harmed residents
    keep a larger unmet expectation, hence a larger grievance (MISSION.md cause 2)."""
    records = {}
    for shift in (0.0, 0.3):
        model = tiny_model()
        model.world.expectation_shift = shift
        ep, fa, visits = treat_batch(model, 400, severity=0.6, seed=4)
        care.record_episodes(dataclasses.replace(model.world, facilities=fa), ep, visits)
        harmed = ep.patient[ep.harm > 0]
        records[shift] = (
            model.patients.unmet_expectation[harmed].copy(),
            violence.grievances(model.world, harmed, model.config.params.violence),
        )
    (u0, g0), (u1, g1) = records[0.0], records[0.3]
    assert u0.size > 20
    assert np.all(u1 >= u0) and u1.mean() > u0.mean() + 0.1
    assert np.all(g1 >= g0 - 1e-6) and g1.mean() > g0.mean()


def test_epstein_rule_acts_exactly_when_grievance_minus_net_risk_exceeds_the_threshold():
    """G = H (1 - L), N = R P(punish): act iff G - N > T (here every over-threshold resident acts:
    daily_action_probability = 1)."""
    model = tiny_model("params.violence.daily_action_probability=1.0", "params.violence.threshold=0.25")
    p, pa = model.config.params.violence, model.patients
    who = _aggrieve(model)
    hardship_ = np.minimum(1.0, pa.harm[who] + p.unmet_expectation_weight * pa.unmet_expectation[who])
    legitimacy_ = p.doctor_trust_weight * pa.trust[who] + (1 - p.doctor_trust_weight) * model.disputes.legitimacy
    grievance_ = hardship_ * (1 - legitimacy_)
    expected = grievance_ - pa.risk_aversion[who] * model.levers.punished_probability > 0.25
    assert 0 < expected.sum() < who.size
    model.mechanisms["violence"].step(model.world)
    acted = pa.violent_acts[who] > 0
    np.testing.assert_array_equal(acted, expected)
    assert len(model.ledger.violence_log) == expected.sum()
    kinds = {event["kind"] for event in model.ledger.violence_log}
    assert kinds == {violence.DISTURBANCE, violence.ASSAULT}


def test_deterrence_lowers_violent_acts():
    acts = {}
    for punishment in (0.0, 0.9):
        model = tiny_model("params.violence.daily_action_probability=1.0")
        model.levers.punishment_probability = punishment
        who = _aggrieve(model)
        model.mechanisms["violence"].step(model.world)
        acts[punishment] = model.patients.violent_acts[who] > 0
    assert acts[0.9].sum() < acts[0.0].sum()
    assert not (acts[0.9] & ~acts[0.0]).any()  # deterrence never provokes an act


def test_hospital_security_prevents_injuries():
    injured = {}
    for security in (0.0, 1.0):
        model = tiny_model("params.violence.daily_action_probability=1.0", "params.violence.assault_share=1.0")
        model.levers.security = security
        _aggrieve(model)
        model.mechanisms["violence"].step(model.world)
        log = model.ledger.violence_log
        injured[security] = sum(e["doctor_injured"] >= 0 for e in log)
        assert sum(e["kind"] == violence.ASSAULT for e in log) > 10
    assert injured[0.0] > 0 and injured[1.0] == 0


def test_no_grievance_no_violence():
    model = tiny_model("params.violence.daily_action_probability=1.0")
    model.patients.harm[:] = 0.0
    assert (model.patients.open_dispute == NO_DISPUTE).all()
    model.mechanisms["violence"].step(model.world)
    assert not model.ledger.violence_log


# ----------------------------------------------------------------------------------------------
# 11. media, crisis PR, workforce consequences
# ----------------------------------------------------------------------------------------------
def test_a_story_moves_its_audience_and_nobody_else():
    model = tiny_model()
    outlet, media = model.world.outlets[0], model.mechanisms["media"]
    trust = model.patients.trust
    before = trust.copy()
    media.publish(model.world, outlet, Story(outlet.index, 0, "violence", 12, -1.0))
    audience = np.zeros(trust.size, bool)
    audience[outlet.audience] = True
    assert 0 < audience.sum() < trust.size
    assert (trust[audience] < before[audience]).all()
    np.testing.assert_array_equal(trust[~audience], before[~audience])
    after_bad = trust.copy()
    media.publish(model.world, outlet, Story(outlet.index, 0, "positive", -1, 0.5))
    assert (trust[audience] > after_bad[audience]).all()
    np.testing.assert_array_equal(trust[~audience], before[~audience])


def test_an_open_crisis_response_softens_the_tone_and_hiding_amplifies_it():
    model = tiny_model("params.media.coverage_violence=1.0", "params.media.ostrich_amplification=1.5")
    outlet, media, world = model.world.outlets[0], model.mechanisms["media"], model.world
    outlet.base_sensationalism = 1.0  # covers every incident
    hidden = media.cover(world, outlet, "violence", 12, open_response=False, forgiven=False)
    open_ = media.cover(world, outlet, "violence", 12, open_response=True, forgiven=False)
    forgiven = media.cover(world, outlet, "violence", 12, open_response=True, forgiven=True)
    assert hidden.tone < open_.tone < 0 < forgiven.tone
    assert open_.open_response and not hidden.open_response


def test_violence_raises_burnout_and_defensive_fear_at_that_facility_only():
    model = tiny_model()
    d, fa = model.doctors, model.facilities
    facility = int(np.flatnonzero(fa.tier == 2)[0])
    burnout, fear = d.burnout.copy(), fa.defensive_fear.copy()
    model.mechanisms["workforce"].after_violence(model.world, facility)
    here = d.facility == facility
    assert (d.burnout[here] > burnout[here]).all()
    np.testing.assert_array_equal(d.burnout[~here], burnout[~here])
    assert fa.defensive_fear[facility] > fear[facility]
    others = np.arange(fa.n) != facility
    np.testing.assert_array_equal(fa.defensive_fear[others], fear[others])


def test_an_injured_doctor_is_off_work_then_back():
    model = tiny_model("params.workforce.injury_days=5", "params.workforce.attrition_base=0", "record_episodes=true")
    model.run(3)
    slot = int(np.flatnonzero(model.facilities.tier[model.doctors.facility] == 2)[0])
    doctor = model.doctor(slot)
    doctor.injure()
    injured_on = model.day
    assert doctor.off_work and doctor.injuries == 1
    on_duty = []
    for _ in range(10):
        on_duty.append(bool(model.doctors.on_duty(model.day)[slot]))
        model.step()
    back = injured_on + 1 + 5
    assert on_duty == [model_day >= back for model_day in range(injured_on, injured_on + 10)]
    while_off = [log for log in model.ledger.episode_log if log["day"].size and injured_on <= log["day"][0] < back]
    assert while_off and not any((log["doctor"] == slot).any() for log in while_off)


def test_a_doctor_who_quits_leaves_a_vacancy_filled_later():
    from sim.engine.agents import Doctor

    model = tiny_model("params.workforce.attrition_base=0", "params.workforce.attrition_burnout=0")
    model.run(2)
    slot = 0
    leaver = model.doctor(slot)
    leaver.leave(vacant_until=model.day + 4)
    assert leaver not in model.agents_by_type[Doctor]
    assert not model.doctors.on_duty(model.day)[slot]
    vacant_days = 0
    while model.doctor(slot) is leaver:
        assert not model.doctors.on_duty(model.day)[slot]
        model.step()
        vacant_days += 1
        assert vacant_days < 10
    successor = model.doctor(slot)
    assert successor in model.agents_by_type[Doctor] and leaver in model.former_doctors
    assert not model.doctors.vacant()[slot] and model.doctors.on_duty(model.day)[slot]
    assert vacant_days >= 4


def test_mediation_staff_grows_as_the_committees_spread():
    """A coverage schedule scales mediators per 100,000: the centres open on the first day of
    (tiny) coverage with one mediator, and the staff grows to the full lever as coverage
    reaches 1 (the staff used to stay as it was on the opening day)."""
    model = tiny_model(
        "policies=[mediation]",
        "start_date=2010-01-01",
        "policies.mediation.start_date=2010-01-01",
        "policies.mediation.mediators_per_100k=100",
        "policies.mediation.coverage.dates=[2010-01-01,2010-03-01]",
        "policies.mediation.coverage.values=[0.0,1.0]",
        days=90,
    )
    mediation = model.mechanisms["mediation"]
    full = mediation.staff_size(100)
    assert full == round(model.patients.n / 100_000 * 100) > 1
    staff = []
    for _ in range(90):
        model.step()
        staff.append(sum(m.active for m in model.world.mediation.mediators))
    assert staff[0] == 0 and min(s for s in staff if s) == 1 and staff[-1] == full
    assert staff == sorted(staff)  # hired as the coverage rises, none laid off
    assert all(m.capacity == 8 for m in model.world.mediation.mediators)


def test_mediators_beyond_a_falling_lever_take_no_new_case_and_are_not_paid():
    model = _mediation_model("policies.mediation.mediators_per_100k=100")
    world, mediation = model.world, model.mechanisms["mediation"]
    mediation.start_day(world)
    hired = len(world.mediation.mediators)
    world.levers = dataclasses.replace(world.levers, mediators_per_100k=50.0)
    mediation.start_day(world)
    active = [m for m in world.mediation.mediators if m.active]
    assert len(world.mediation.mediators) == hired and len(active) == mediation.staff_size(50) < hired
    _file_disputes(model, 40)
    assert all(not m.cases for m in world.mediation.mediators if not m.active)
    assert all(m.cases for m in active)
    assert [agent.active for agent in model.mediators] == [m.active for m in world.mediation.mediators]  # (the view)


def test_a_disputant_stops_waiting_for_a_mediator_after_the_patience_and_escalates():
    """With ``mediation_patience_days``, a case still queued after that many days leaves the queue
    as after a failed mediation (court or unresolved); a case a mediator took is not affected."""
    model = _mediation_model(
        "policies.mediation.capacity=1",
        "policies.mediation.mediators_per_100k=1",
        "params.disputes.mediation_patience_days=30",
    )
    (mediator,) = model.mediators
    disputes = _file_disputes(model, 20)
    taken, queued = disputes[0], disputes[1:]
    _advance(model, 31)
    assert not model.centres[0].queue
    assert all(d.channels[:2] in ([MEDIATION, LITIGATION], [MEDIATION, NONE]) for d in queued), [
        d.channels for d in queued
    ]
    assert {tuple(d.channels[:2]) for d in queued} == {(MEDIATION, LITIGATION), (MEDIATION, NONE)}
    assert taken.mediator == mediator.index and (taken.channels == [MEDIATION] or not taken.is_open)


def test_a_patience_under_a_day_ends_the_wait_on_a_later_day_not_today():
    """The wait's end is never scheduled for today: a case sent to mediation from today's events
    (a failed negotiation) would find today's agenda already run and wait forever."""
    model = _mediation_model(
        "policies.mediation.capacity=0",
        "policies.mediation.mediators_per_100k=1",
        "params.disputes.mediation_patience_days=0.4",
    )
    disputes = _file_disputes(model, 5)
    ends = [day for day, events in model.world.disputes.agenda.items() for e, _ in events if e == "mediation_wait_end"]
    assert sorted(ends) == [model.world.day + 1] * 5
    _advance(model, 2)
    assert not model.centres[0].queue and all(d.channels[1:2] in ([LITIGATION], [NONE]) for d in disputes)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_the_uptake_applies_to_the_disputes_the_committees_take(share):
    """``mediation_eligible_share``: only that share of the disputes can go to mediation (uptake 1
    here, 400 disputes: the share sent is binomial, sd at most 0.025, so 0.1 is four sd)."""
    model = _mediation_model(f"params.disputes.mediation_eligible_share={share}", "policies.mediation.capacity=100")
    sent = np.mean([d.channels[0] == MEDIATION for d in _file_disputes(model, 400)])
    assert abs(sent - share) <= 0.1, sent
    if share in (0.0, 1.0):
        assert sent == share
