"""Every policy changes what it should (issue 2, "Policies").

Three levels, from the most direct to the most aggregate:

1. the levers each policy moves (``sim.policies``), and only those it declares;
2. the mechanistic effect of those levers on the same episodes, residents and random draws
   (a paired comparison through ``Care.treat`` or the media / mediation rules);
3. the effect on a whole run over a few seeds (common random numbers): for continuous
   measures every seed must move in the policy's direction and the mean paired difference must
   exceed two standard errors of the differences; for counts of rare events (violence, stories)
   the pooled difference must exceed two Poisson standard errors.

Policies starting mid-run (``start_day``) change nothing before that day.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_config, tiny_model, treat_batch

from sim.engine.state import PRIMARY
from sim.policies import POLICIES, POLICY_NAMES, Levers, PolicySet
from sim.runs.api import compose, run

SEEDS = (1, 2, 3)


def levers_on(day: int, cfg) -> Levers:
    return PolicySet(cfg.policies, cfg.params).levers_on(day)


def policy_overrides(*names: str, start_day: int | None = None) -> list[str]:
    """The policies at their schema defaults, which are clearly reforming (and not calibrated:
    the calibration fits behavioural parameters only)."""
    out = [f"policies=[{','.join(names)}]"]
    for name in names:
        if start_day is not None:
            out.append(f"policies.{name}.start_day={start_day}")
    return out


def changed_levers(a: Levers, b: Levers) -> set[str]:
    return {f.name for f in dataclasses.fields(Levers) if not np.array_equal(getattr(a, f.name), getattr(b, f.name))}


def assert_paired_lower(lower: list[float], higher: list[float]) -> None:
    """Every seed in the expected direction, and the mean paired difference beyond 2 standard errors."""
    diff = np.asarray(higher, float) - np.asarray(lower, float)
    assert (diff > 0).all(), f"not lower in every seed: {lower} vs {higher}"
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(diff.size), f"differences {diff}"


def assert_fewer_events(fewer: list[int], more: list[int]) -> None:
    """Counts pooled over seeds: the difference beyond 2 Poisson standard errors, sqrt(a + b)."""
    a, b = sum(fewer), sum(more)
    assert b - a > 2 * np.sqrt(a + b), f"{fewer} events vs {more}"


# ----------------------------------------------------------------------------------------------
# 1. levers
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_each_policy_moves_the_levers_it_declares_and_no_other(policy):
    cfg = compose(policy_overrides(policy))
    before = Levers.pre_reform(cfg.params)
    after = levers_on(0, cfg)
    changed = changed_levers(before, after)
    assert changed, f"{policy} moved no lever"
    assert changed <= set(POLICIES[policy].moves)
    proposed = set(POLICIES[policy](getattr(cfg.policies, policy)).levers(before))
    assert proposed == set(POLICIES[policy].moves), "the declared levers are the proposed ones"


def test_levers_move_in_the_reforming_direction():
    cfg = compose(policy_overrides(*POLICY_NAMES))
    pre, post = Levers.pre_reform(cfg.params), levers_on(0, cfg)
    assert post.gatekeeping > pre.gatekeeping
    assert post.capability[PRIMARY] > pre.capability[PRIMARY]
    assert (post.coverage >= pre.coverage).all() and post.uninsured_share < pre.uninsured_share
    assert post.mediation_uptake > 0 == pre.mediation_uptake
    assert post.punishment_probability > pre.punishment_probability and post.security > pre.security
    assert post.communication_gain > 0 and post.literacy_gain > 0
    assert post.sensationalism_cut > 0 and post.positive_story_rate > pre.positive_story_rate
    assert post.transparency > 0 and post.forgiveness > 0
    assert post.overtest_decoupling > 0 and post.pay_rise > 0
    assert post.family_enrolment > 0


@pytest.mark.parametrize("first", POLICY_NAMES)
def test_policies_compose_in_any_order(first):
    """Every pair of policies: ``policies=[a,b]`` and ``policies=[b,a]`` give the same levers."""
    for second in POLICY_NAMES:
        if second == first:
            continue
        ab = levers_on(0, compose([f"policies=[{first},{second}]"]))
        ba = levers_on(0, compose([f"policies=[{second},{first}]"]))
        assert not changed_levers(ab, ba), (first, second)


# ----------------------------------------------------------------------------------------------
# 2. mechanistic effects on the same episodes
# ----------------------------------------------------------------------------------------------
def _paired_day(policy: str, n: int = 3_000):
    """The same episodes treated under the pre-reform levers and under ``policy``, in facilities
    with room for all of them (so rushed consultations do not mask the lever)."""
    uncrowded = (
        "params.care.consults_per_doctor_day_primary=1000",
        "params.care.consults_per_doctor_day_hospital=1000",
    )
    base = tiny_model(*uncrowded)
    arm = tiny_model(*uncrowded, *policy_overrides(policy))
    np.testing.assert_array_equal(arm.patients.trust, base.patients.trust)  # the same residents
    return treat_batch(base, n)[0], treat_batch(arm, n)[0]


def _first_contact_primary(ep) -> np.ndarray:
    return (ep.tier == PRIMARY) | ep.referred


def test_insurance_lowers_the_out_of_pocket_share_of_the_same_bills():
    base, arm = _paired_day("insurance")
    assert arm.out_of_pocket_yuan.sum() / arm.cost_yuan.sum() < base.out_of_pocket_yuan.sum() / base.cost_yuan.sum()
    assert arm.burden.mean() < base.burden.mean()


def test_tiered_care_sends_more_first_contacts_to_primary_care():
    base, arm = _paired_day("tiered_care")
    assert _first_contact_primary(arm).mean() > _first_contact_primary(base).mean() + 0.1


def test_health_literacy_lowers_expectations():
    base, arm = _paired_day("health_literacy")
    assert (arm.expectation <= base.expectation + 1e-12).all()
    assert arm.expectation.mean() < base.expectation.mean() - 0.01


def test_communication_training_raises_explanation():
    base, arm = _paired_day("communication_training")
    assert (arm.explanation >= base.explanation - 1e-12).all()
    assert arm.explanation.mean() > base.explanation.mean() + 0.05


def test_pay_reform_lowers_over_testing_cost():
    base, arm = _paired_day("pay_reform")
    np.testing.assert_array_equal(arm.tier, base.tier)
    assert (arm.overtest_share <= base.overtest_share).all()
    assert arm.cost_yuan.sum() < base.cost_yuan.sum()


def test_family_doctor_sends_contracted_residents_to_primary_care_first():
    base, arm = _paired_day("family_doctor")
    contracted = arm.contracted
    enrolment = POLICIES["family_doctor"].default("enrolment")
    assert abs(contracted.mean() - enrolment) < 4 * np.sqrt(enrolment * (1 - enrolment) / contracted.size)
    assert _first_contact_primary(arm)[contracted].mean() > _first_contact_primary(base)[contracted].mean() + 0.1
    # residents without a contract choose as before (their draws and state are the same)
    np.testing.assert_array_equal(arm.tier[~contracted], base.tier[~contracted])


def _incident_day(*overrides: str, incidents: int = 300):
    """Media coverage of ``incidents`` violent incidents in one day (a tiny model's outlets)."""
    model = tiny_model(*overrides)
    hospital = int(np.flatnonzero(model.facilities.tier > PRIMARY)[0])
    model.ledger.incidents = [("violence", hospital, 0.5, resident) for resident in range(incidents)]
    model.mechanisms["media"].step(model.world)
    return [story for outlet in model.outlets for story in outlet.stories]


def test_media_responsibility_cuts_sensationalism_and_negative_stories():
    base_model, arm_model = tiny_model(), tiny_model(*policy_overrides("media_responsibility"))
    for base_outlet, arm_outlet in zip(base_model.outlets, arm_model.outlets, strict=True):
        cut = POLICIES["media_responsibility"].default("sensationalism_cut")
        assert arm_outlet.sensationalism == pytest.approx((1 - cut) * base_outlet.sensationalism)
    base = [s for s in _incident_day() if s.tone < 0]
    arm = [s for s in _incident_day(*policy_overrides("media_responsibility")) if s.tone < 0]
    assert len(base) > 50
    assert len(arm) < 0.6 * len(base)
    assert np.mean([s.tone for s in arm]) > np.mean([s.tone for s in base])  # milder


def test_crisis_pr_gives_open_responses_and_softer_stories():
    base = _incident_day()
    arm = _incident_day(*policy_overrides("crisis_pr"))
    assert not any(s.open_response for s in base)
    share_open = np.mean([s.open_response for s in arm])
    p = POLICIES["crisis_pr"].default("transparency")
    assert abs(share_open - p) < 4 * np.sqrt(p * (1 - p) / len(arm))
    assert np.mean([s.tone for s in arm]) > np.mean([s.tone for s in base])
    assert any(s.tone > 0 for s in arm)  # some forgiven
    hospital = tiny_model(*policy_overrides("crisis_pr")).hospitals[-1]
    assert hospital.crisis_response == "transparent"
    assert tiny_model().hospitals[-1].crisis_response == "ostrich"


# ----------------------------------------------------------------------------------------------
# 3. whole runs, paired by seed
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_runs():
    """Tiny-scale runs of 60 days: the baseline and the care and money policies, seeds 1-3."""
    arms = {
        "baseline": [],
        **{p: policy_overrides(p) for p in ("insurance", "tiered_care", "pay_reform", "family_doctor")},
    }
    return {
        (arm, seed): run(tiny_config("record_episodes=true", *overrides, days=60, seed=seed))
        for arm, overrides in arms.items()
        for seed in SEEDS
    }


def _across_seeds(runs, arm, metric):
    return [metric(runs[(arm, seed)]) for seed in SEEDS]


def test_insurance_lowers_the_out_of_pocket_share_of_a_run(tiny_runs):
    def share(r):
        return r.summary["out_of_pocket_share"]

    assert_paired_lower(_across_seeds(tiny_runs, "insurance", share), _across_seeds(tiny_runs, "baseline", share))


def test_tiered_care_raises_the_primary_care_visit_share_of_a_run(tiny_runs):
    def share(r):
        return -r.summary["primary_care_visit_share"]

    assert_paired_lower(_across_seeds(tiny_runs, "tiered_care", share), _across_seeds(tiny_runs, "baseline", share))


def test_pay_reform_lowers_the_cost_of_a_visit(tiny_runs):
    def cost_per_episode(r):
        episodes = np.concatenate([e["cost_yuan"] for e in r.model.ledger.episode_log])
        return episodes.mean()

    assert_paired_lower(
        _across_seeds(tiny_runs, "pay_reform", cost_per_episode), _across_seeds(tiny_runs, "baseline", cost_per_episode)
    )


def test_family_doctor_raises_primary_visits_of_contracted_residents(tiny_runs):
    enrolment = POLICIES["family_doctor"].default("enrolment")

    def contracted_share_at_clinics(r):
        log = r.model.ledger.episode_log
        who = np.concatenate([e["patient"] for e in log])
        first_primary = np.concatenate([(e["tier"] == PRIMARY) | e["referred"] for e in log])
        contracted = r.model.patients.contract_draw[who] < enrolment
        return -first_primary[contracted].mean()

    assert_paired_lower(
        _across_seeds(tiny_runs, "family_doctor", contracted_share_at_clinics),
        _across_seeds(tiny_runs, "baseline", contracted_share_at_clinics),
    )


def test_mediation_resolves_disputes_through_mediators(tiny_runs):
    """Every dispute of the committees' kind here (the calibrated 2.8 % of a tiny town's disputes
    is a case or two a year): the mechanism, not the fitted volume (tests/test_mechanisms.py)."""
    base = tiny_runs[("baseline", SEEDS[0])].summary
    assert base["mediation_share"] == 0 and base["n_mediators"] == 0
    every_dispute = "params.disputes.mediation_eligible_share=1.0"
    for seed in SEEDS:  # a year: mediation takes months (Guangdong: 87 days on average)
        arm = run(tiny_config(*policy_overrides("mediation"), every_dispute, days=365, seed=seed)).summary
        assert arm["n_mediators"] >= 1
        assert arm["mediation_share"] > 0
        assert arm["mediation_success_rate"] > 0


def test_legal_deterrence_lowers_violence_and_media_responsibility_negative_stories():
    """A year at the small scale (50,000 residents), seeds 1-3: violence and stories are rare
    events and need the numbers. One test, so the baseline runs are shared (and run once
    under pytest-xdist)."""
    arms = {"baseline": [], **{p: policy_overrides(p) for p in ("legal_deterrence", "media_responsibility")}}
    runs = {
        (arm, seed): run(compose(["scale=small", "days=365", f"seed={seed}", *overrides])).model
        for arm, overrides in arms.items()
        for seed in SEEDS
    }

    def counts(arm, count):
        return [count(runs[(arm, seed)]) for seed in SEEDS]

    def incidents(model):
        return len(model.ledger.violence_log)

    def stories(model, sign):
        return sum(np.sign(story.tone) == sign for outlet in model.outlets for story in outlet.stories)

    base_violence = counts("baseline", incidents)
    assert min(base_violence) >= 5, "the baseline needs violence for this comparison"
    assert_fewer_events(counts("legal_deterrence", incidents), base_violence)

    base_negative = counts("baseline", lambda m: stories(m, -1))
    assert min(base_negative) >= 5, "the baseline needs stories for this comparison"
    assert_fewer_events(counts("media_responsibility", lambda m: stories(m, -1)), base_negative)
    assert all(n > 0 for n in counts("media_responsibility", lambda m: stories(m, 1)))


# ----------------------------------------------------------------------------------------------
# policies starting mid-run
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baseline_40_days():
    return run(tiny_config(days=40, seed=5)).model


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_a_policy_starting_mid_run_acts_only_from_its_start_day(policy, baseline_40_days):
    start = 20
    model = tiny_model(*policy_overrides(policy, start_day=start), days=40, seed=5)
    pre_reform = Levers.pre_reform(model.config.params)
    model.run(start)
    assert not changed_levers(model.levers, pre_reform), "levers moved before the start day"
    assert not model.mediators
    pd.testing.assert_frame_equal(model.timeseries(), baseline_40_days.timeseries().iloc[:start])
    model.run(40 - start)
    assert changed_levers(model.levers, pre_reform) <= set(POLICIES[policy].moves)
    assert changed_levers(model.levers, pre_reform), "levers did not move on the start day"
    assert bool(model.mediators) == (policy == "mediation")


def test_insurance_starting_mid_run_lowers_the_daily_out_of_pocket_share_from_that_day(baseline_40_days):
    model = run(tiny_config(*policy_overrides("insurance", start_day=20), days=40, seed=5)).model
    arm, base = model.timeseries()["out_of_pocket_share"], baseline_40_days.timeseries()["out_of_pocket_share"]
    np.testing.assert_array_equal(arm.iloc[:20], base.iloc[:20])
    assert (arm.iloc[20:] < base.iloc[20:]).all()
