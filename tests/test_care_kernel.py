"""The care mechanism's compiled day (``sim.mechanisms.care_kernel``) against its numpy definition
(``sim.mechanisms.care``): the same episodes (tier, facility, referral, doctor, outcome, harm, cost,
burden, explanation, expectation, satisfaction), the same queues and remembered waits, and the same
residents' records, bit for bit; the same run. The tiers' utilities are kept by neither and are
compared through the choices they make.

The days are those of a tiny history and of a year with every care policy on (gatekeeping,
family doctors' contracts and first contact, zero markup, insurance, capacity, literacy and
communication), so that every branch of the rules is taken; at the tiny scale some residents fall
ill twice on the same day (numpy's fancy-indexed writes), and on some days a hospital has nobody
on duty (its patients are sent elsewhere).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.config.compose import compose
from sim.engine.model import TrustModel
from sim.engine.state import Episodes
from sim.mechanisms import care
from sim.mechanisms.care_kernel import CompiledCare

HISTORY = ["scenario=china_2006_2019", "scale=tiny", "seed=1", "end_date=2006-06-30", "burn_in_days=60"]
ALL_CARE_POLICIES = [
    "scale=tiny",
    "seed=2",
    "days=120",
    "burn_in_days=30",
    "policies=[tiered_care,family_doctor,zero_markup,insurance,hospital_expansion,health_literacy,"
    "communication_training,pay_reform]",
]
EPISODE_FIELDS = (
    "tier", "facility", "doctor", "referred", "severity", "wait_days", "consult_time", "success", "harm",
    "cost_yuan", "out_of_pocket_yuan", "overtest_share", "burden", "explanation", "expectation", "satisfaction",
    "trust_before", "contracted",
)  # fmt: skip


def assert_identical(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert got.dtype == expected.dtype, what
    np.testing.assert_array_equal(got, expected, err_msg=what)
    assert got.tobytes() == expected.tobytes(), what  # signs of zero too


def one_day(mechanism: care.Care, world, draws: np.ndarray, compiled: bool, edges: bool):
    """One day of care on a copy of ``world``: the episodes, the residents and the facilities after it.

    With ``edges``, the day is set at the edges of the rules: everybody at the busiest hospital is
    off duty (its patients go elsewhere), and the contract and insurance thresholds are levers whose
    float32 value lies below them (0.7, 0.9), met exactly by the draws of a third of the ill, where
    numpy's float32 comparison and a float64 one disagree."""
    w = dataclasses.replace(
        world,
        patients=copy.deepcopy(world.patients),
        facilities=copy.deepcopy(world.facilities),
        doctors=copy.deepcopy(world.doctors),
    )
    if edges:
        hospital = int(np.argmax(np.where(w.facilities.tier > 0, w.facilities.visits, -1)))
        w.doctors.off_until[w.doctors.facility == hospital] = w.day + 5
        w.levers = dataclasses.replace(w.levers, family_enrolment=0.7, uninsured_share=0.9)
        some = world.episodes.patient[::3]
        w.patients.contract_draw[some] = np.float32(0.7)
        w.patients.insurance_draw[some] = np.float32(0.9)
    ep = Episodes(patient=world.episodes.patient.copy(), severity=world.episodes.severity.copy(), draws=draws)
    roster = care.Roster.build(w.doctors, w.facilities, w.day)
    layout = mechanism.layout(w)
    if compiled:
        visits = CompiledCare(mechanism.care, mechanism.cost, mechanism.satisfaction).treat(
            ep, w, roster, layout, care.remembered_waits(w.facilities, layout)
        )
    else:
        visits = mechanism.treat(ep, w, roster)
        care.record_in_residents(w, ep)
    return ep, w.patients, w.facilities, visits


class Checker:
    """An observer checking the compiled day against numpy's just before each day's care step."""

    def __init__(self, mechanism: care.Care):
        self.mechanism = mechanism
        self.days = self.twice = self.referred = self.harmed = self.gated = self.redirected = 0

    def start_day(self, world) -> None:
        pass

    def after(self, name: str, world) -> None:
        if name != "illness":  # the mechanism before care (sim.engine.schedule)
            return
        assert care.compiled_rounding(world)
        draws = np.random.default_rng(world.day + 10_000).random((world.episodes.n, len(care.DRAWS)))
        edges = world.day % 7 == 3
        days = {flag: one_day(self.mechanism, world, draws, flag, edges) for flag in (False, True)}
        (ep, pa, fa, visits), (ep_c, pa_c, fa_c, visits_c) = days[False], days[True]
        for name in EPISODE_FIELDS:
            assert_identical(getattr(ep_c, name), getattr(ep, name), f"episodes.{name}, day {world.day}")
        for name in vars(pa):
            assert_identical(getattr(pa_c, name), getattr(pa, name), f"patients.{name}, day {world.day}")
        for name in ("backlog", "wait_reputation"):
            assert_identical(getattr(fa_c, name), getattr(fa, name), f"facilities.{name}, day {world.day}")
        assert_identical(visits_c, visits, f"visits, day {world.day}")
        self.days += 1
        self.twice += int(np.unique(ep.patient).size < ep.n)
        self.referred += int(ep.referred.sum())
        self.harmed += int((ep.harm > 0).sum())
        self.gated += int(((ep.tier == 0) & (ep.severity > 0.5)).sum())
        self.redirected += int(edges)

    def end_day(self, world) -> None:
        pass


@pytest.mark.parametrize("overrides", [HISTORY, ALL_CARE_POLICIES], ids=["history", "all care policies"])
def test_the_compiled_day_is_the_numpy_one_on_every_day(overrides):
    model = TrustModel(compose(overrides))
    checker = Checker(model.mechanisms["care"])
    model.observers.append(checker)
    model.run()
    assert checker.days == model.config.days + model.config.burn_in_days
    # the branches taken: residents ill twice in a day, referrals, harm, severe cases kept at a
    # clinic, hospitals without anybody on duty
    assert checker.twice > 0 and checker.referred > 0 and checker.harmed > 0 and checker.gated > 0
    assert checker.redirected > 0


def test_a_run_with_the_compiled_care_is_the_numpy_run(monkeypatch):
    """The whole tiny history to mid-2007, with and without the compiled day: the same daily series
    and residents. The care kernel alone: trust and violence keep numpy's code at this scale."""
    overrides = ["scenario=china_2006_2019", "scale=tiny", "seed=3", "end_date=2007-06-30"]
    runs = {}
    for compiled in (False, True):
        monkeypatch.setattr(care, "COMPILED_FROM", 0 if compiled else float("inf"))
        model = TrustModel(compose(overrides))
        model.run()
        assert (model.mechanisms["care"].compiled is not None) == compiled
        assert model.mechanisms["trust"].averaging is None
        runs[compiled] = model
    pd.testing.assert_frame_equal(runs[True].datacollector.get_model_vars_dataframe(),
                                  runs[False].datacollector.get_model_vars_dataframe())  # fmt: skip
    for name in vars(runs[False].world.patients):
        expected, got = getattr(runs[False].world.patients, name), getattr(runs[True].world.patients, name)
        assert_identical(got, expected, f"patients.{name}")


def test_a_lever_of_another_type_falls_back_to_numpy(monkeypatch):
    """A numpy float64 lever rounds differently against float32 arrays (NEP 50): such a day runs
    numpy's code, which the compiled one only replicates for Python floats."""
    monkeypatch.setattr(care, "COMPILED_FROM", 0)
    model = TrustModel(compose(["scale=tiny", "days=3", "burn_in_days=0"])).setup()
    mechanism, world = model.mechanisms["care"], model.world
    assert mechanism.compiled is not None and care.compiled_rounding(world)
    calls = []
    monkeypatch.setattr(CompiledCare, "treat", lambda self, *args: calls.append(args) or np.zeros(0))
    monkeypatch.setattr(
        care.Care, "treat", lambda self, ep, w, roster: calls.append("numpy") or np.zeros(w.facilities.n, np.int64)
    )
    monkeypatch.setattr(care, "record_in_residents", lambda w, ep: None)
    monkeypatch.setattr(care, "tally", lambda w, ep, visits: None)
    world.episodes = Episodes(patient=np.arange(5), severity=np.full(5, 0.5))
    world.levers = dataclasses.replace(world.levers, family_enrolment=np.float64(world.levers.family_enrolment))
    assert not care.compiled_rounding(world)
    mechanism.step(world)
    assert calls == ["numpy"]
