"""The model as a whole: Mesa agents over array state, the daily record, determinism and
common random numbers across policy arms (issue 2, "Architecture constraints")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_config, tiny_model

from sim.engine.agents import Doctor, MediaOutlet, Mediator, Patient
from sim.engine.model import TrustModel
from sim.engine.state import PRIMARY
from sim.policies import POLICY_NAMES
from sim.runs.api import run


# ----------------------------------------------------------------------------------------------
# Mesa side
# ----------------------------------------------------------------------------------------------
def test_patients_are_mesa_agents_whose_attributes_are_their_array_slots():
    model = tiny_model()
    patients = model.agents_by_type[Patient]
    assert len(patients) == model.config.scale.n_patients == model.patients.n
    patient = model.patient(123)
    assert patient in patients
    assert patient.trust == pytest.approx(float(model.patients.trust[123]))
    patient.trust = 0.123
    assert model.patients.trust[123] == pytest.approx(0.123)
    model.patients.income_yuan[123] = 9_999.0
    assert patient.income_yuan == 9_999.0
    assert patient.health_state == "healthy" and patient.open_dispute is None


def test_residents_agents_are_made_on_first_use_as_if_made_at_set_up():
    """A run never makes the residents' agents (Mesa's registration of each is most of the set-up
    of a large city); the first look at them makes them as set-up used to: ids 1..n in index
    order, before the doctors' ids, first in ``agents_by_type`` and in ``agents``."""
    model = tiny_model("policies=[mediation]")
    model.run(days=5)
    assert model._patient_agents is None
    assert model.hospitals[0].doctors and model._patient_agents is None  # doctors alone
    n = model.patients.n
    assert next(iter(model.agents_by_type)) is Patient
    patients = list(model.agents_by_type[Patient])
    assert [p.index for p in patients] == list(range(n))
    assert [p.unique_id for p in patients] == list(range(1, n + 1))
    assert patients == model.patient_agents and model.patient(7) is patients[7]
    first_doctor_ids = sorted(d.unique_id for d in model.agents_by_type[Doctor])[: model.doctors.n // 2]
    assert first_doctor_ids[0] == n + 1
    everyone = list(model.agents)
    assert everyone[:n] == patients and len(everyone) == len(set(everyone))
    assert set(model.agent_types) == {Patient, Doctor, MediaOutlet, Mediator}
    model.run(days=2)  # agents made mid-run stay in step with the state
    assert model.patient(7).trust == pytest.approx(float(model.patients.trust[7]))


def test_doctors_outlets_and_mediators_are_mesa_agents():
    model = tiny_model("policies=[mediation]")
    assert len(model.agents_by_type[Doctor]) == model.doctors.n
    assert len(model.agents_by_type[MediaOutlet]) == len(model.outlets) >= 2
    assert len(model.agents_by_type[Mediator]) == len(model.mediators) >= 1
    doctor = model.doctor(0)
    assert doctor.skill == pytest.approx(float(model.doctors.skill[0]))
    assert doctor.hospital.index == doctor.facility
    assert doctor.tier in ("primary", "secondary", "tertiary")
    # hospitals: plain views over the facility arrays, one per facility
    assert len(model.hospitals) == model.facilities.n
    assert model.n_hospitals == int((model.facilities.tier > PRIMARY).sum()) >= 1


def test_no_mediators_without_the_mediation_policy():
    model = tiny_model()
    assert not model.mediators and Mediator not in model.agents_by_type


def test_the_datacollector_records_one_row_per_day(baseline_tiny_model):
    frame = baseline_tiny_model.timeseries()
    assert len(frame) == baseline_tiny_model.day == 60
    for column in ("visits", "disputes", "violent_incidents", "mean_trust", "media_stories", "mean_wait_days"):
        assert column in frame.columns
    assert frame["visits"].sum() > 0
    # the daily counts add up to the run's totals
    assert frame["visits"].sum() == baseline_tiny_model.ledger.totals["visits"]
    assert frame["disputes"].sum() == len(baseline_tiny_model.disputes.all)


def test_run_returns_summary_timeseries_and_model():
    result = run(tiny_config(days=12))
    assert isinstance(result.model, TrustModel) and result.model.day == 12
    assert len(result.timeseries) == 12
    assert result.summary["days"] == 12 and result.summary["wall_seconds"] >= 0


def test_stepping_and_running_are_the_same():
    stepped = tiny_model(days=15, seed=4)
    for _ in range(15):
        stepped.step()
    ran = tiny_model(days=15, seed=4).run()
    pd.testing.assert_frame_equal(stepped.timeseries(), ran.timeseries())


# ----------------------------------------------------------------------------------------------
# determinism
# ----------------------------------------------------------------------------------------------
def _summary_without_wall_time(result) -> str:
    return json.dumps({k: v for k, v in result.summary.items() if k != "wall_seconds"}, sort_keys=True)


def test_same_config_and_seed_give_identical_results():
    cfg = tiny_config("policies=[mediation,crisis_pr]", days=90, seed=3)
    first, second = run(cfg), run(cfg)
    assert _summary_without_wall_time(first) == _summary_without_wall_time(second)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    np.testing.assert_array_equal(first.model.patients.trust, second.model.patients.trust)


def test_different_seeds_give_different_runs():
    a, b = run(tiny_config(days=30, seed=1)), run(tiny_config(days=30, seed=2))
    assert _summary_without_wall_time(a) != _summary_without_wall_time(b)
    assert not np.array_equal(a.model.patients.income_yuan, b.model.patients.income_yuan)


def test_no_global_random_state_is_used():
    """Re-seeding or drawing from numpy's and Python's global generators changes nothing."""
    import random

    np.random.seed(1)  # noqa: NPY002 (the legacy global state, on purpose)
    random.seed(1)
    a = run(tiny_config(days=20, seed=8))
    np.random.seed(2)  # noqa: NPY002
    random.seed(2)
    np.random.random(1000)  # noqa: NPY002
    b = run(tiny_config(days=20, seed=8))
    assert _summary_without_wall_time(a) == _summary_without_wall_time(b)


# ----------------------------------------------------------------------------------------------
# common random numbers across policy arms
# ----------------------------------------------------------------------------------------------
POPULATION_DRAWS = (
    "income_yuan",
    "literacy",
    "expectation",
    "risk_aversion",
    "insurance_draw",
    "contract_draw",
    "home_clinic",
    "trust",
    "trust_primary",
)


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_a_policy_switch_leaves_population_network_and_illness_onsets_identical(policy, baseline_tiny_model):
    """Every subsystem draws from its own stream: switching a policy on cannot shift the draws
    that make the residents, their contacts, the doctors or the illnesses (baseline: seed 11)."""
    base = tiny_model("record_episodes=true", days=60, seed=11)
    arm = tiny_model("record_episodes=true", f"policies=[{policy}]", days=60, seed=11)
    for name in POPULATION_DRAWS:  # before the first day, residents are the same people
        np.testing.assert_array_equal(getattr(arm.patients, name), getattr(base.patients, name), err_msg=name)
    assert (arm.adjacency != base.adjacency).nnz == 0
    np.testing.assert_array_equal(arm.doctors.skill, base.doctors.skill)
    arm.run()
    assert len(arm.ledger.onset_log) == len(baseline_tiny_model.ledger.onset_log) == 60
    for (who_a, sev_a), (who_b, sev_b) in zip(arm.ledger.onset_log, baseline_tiny_model.ledger.onset_log, strict=True):
        np.testing.assert_array_equal(who_a, who_b)
        np.testing.assert_array_equal(sev_a, sev_b)


def test_policy_arms_differ_only_after_policies_act():
    """All ten policies on: the same residents fall ill, but their care differs."""
    base = run(tiny_config("record_episodes=true", days=20, seed=2)).model
    everything = run(tiny_config("record_episodes=true", f"policies=[{','.join(POLICY_NAMES)}]", days=20, seed=2))
    arm = everything.model
    for a, b in zip(arm.ledger.onset_log, base.ledger.onset_log, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    tiers_base = np.concatenate([e["tier"] for e in base.ledger.episode_log])
    tiers_arm = np.concatenate([e["tier"] for e in arm.ledger.episode_log])
    assert tiers_base.shape == tiers_arm.shape
    assert not np.array_equal(tiers_base, tiers_arm)


def test_the_mechanism_timer_times_every_mechanism_of_every_day_stepped():
    """benchmarks/profile.py --by-mechanism: each mechanism's step is timed through the observer
    hooks on every day stepped, burn-in included."""
    from benchmarks.profile import MechanismTimer, by_mechanism

    model = TrustModel(tiny_config(days=5))
    table = by_mechanism(model)
    timer = next(o for o in model.observers if isinstance(o, MechanismTimer))
    assert timer.days == 5 + model.config.burn_in_days
    assert set(model.mechanisms) <= set(timer.seconds) and all(s >= 0 for s in timer.seconds.values())
    assert table.startswith(f"{timer.days} days stepped")
