"""The cost model: prices are validated parameters, spending is bookkeeping that never feeds back
into behaviour, and the quantities computed from the run add up to what the run paid."""

from __future__ import annotations

import dataclasses
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from sim.config.fields import ConfigError
from sim.config.schema import PricesConfig
from sim.engine.model import TrustModel
from sim.engine.state import PRIMARY
from sim.mechanisms.accounting import cost_summary
from sim.policies import POLICIES, POLICY_NAMES, moving
from sim.policies.base import Policy
from sim.policies.costs import SHARED
from sim.runs.api import compose, run

ALL = f"policies=[{','.join(POLICY_NAMES)}]"
MONEY = ("policy_cost", "exposure_", "spending")


def behaviour(summary: dict) -> dict:
    """The summary without its money figures and wall time."""
    money = {k for k in summary if k.startswith(MONEY) or (k.endswith("_per_hospital_year") and "cost" in k)}
    money |= {
        "care_spending_per_hospital_year",
        "out_of_pocket_per_hospital_year",
        "insurance_paid_per_hospital_year",
        "compensation_per_hospital_year",
        "doctor_replacement_per_hospital_year",
        "extra_reimbursement_per_hospital_year",
        "revenue_subsidy_per_hospital_year",
        "uncosted_policies",
        "wall_seconds",
    }
    from sim.runs.provenance import PROVENANCE_KEYS  # (a run's record, not its behaviour)

    return {k: v for k, v in summary.items() if k not in money and k not in PROVENANCE_KEYS}


def test_accounting_changes_nothing_a_run_does():
    """The same run without the accounting step: every behavioural figure and series identical."""
    cfg = compose(["scale=tiny", "days=90", ALL])
    with_books = run(cfg)
    model = TrustModel(cfg)
    del model.mechanisms["accounting"]
    model.run()
    from sim.engine.metrics import summarise

    without = summarise(model)
    assert behaviour(with_books.summary) == behaviour(without)
    series = with_books.timeseries.drop(columns=["policy_spending_yuan"])
    assert series.equals(model.timeseries().drop(columns=["policy_spending_yuan"]))
    assert with_books.summary["policy_cost_per_hospital_year"] > 0


def test_prices_move_costs_not_behaviour():
    """Doubling every price doubles every priced programme item and changes no behavioural figure."""
    doubled = [
        f"prices.{group.name}.{f.name}={2 * f.default}"
        for group in dataclasses.fields(PricesConfig)
        for f in dataclasses.fields(group.type)
    ]
    base = run(compose(["scale=tiny", "days=60", ALL])).summary
    dear = run(compose(["scale=tiny", "days=60", ALL, *doubled])).summary
    assert behaviour(base) == behaviour(dear)
    # an item priced by k prices scales by 2**k; reimbursement items (no price) do not move
    assert dear["extra_reimbursement_per_hospital_year"] == base["extra_reimbursement_per_hospital_year"]
    single = base["policy_cost.communication_training.training"]  # one price: doubles
    assert single > 0
    assert dear["policy_cost.communication_training.training"] == pytest.approx(2 * single)
    triple = base["policy_cost.hospital_security.guards"]  # three prices: x 8
    assert dear["policy_cost.hospital_security.guards"] == pytest.approx(8 * triple)
    assert dear["policy_programme_cost_per_hospital_year"] > 2 * base["policy_programme_cost_per_hospital_year"] - 1e-6


def test_a_negative_or_unknown_price_is_a_clear_error():
    group, field = "mediation", "mediator_salary_yuan_per_year"
    with pytest.raises(
        ConfigError, match=rf"prices\.{group}\.{field}=-1.0 is out of range: allowed \[0.0, [0-9.e+]+\]"
    ):
        compose([f"prices.{group}.{field}=-1"])
    with pytest.raises(ConfigError, match=rf"prices\.{group}\.no_such_price"):
        compose([f"prices.{group}.no_such_price=1"])


def test_every_declared_price_is_used_and_every_named_price_is_declared():
    """An all-policies run names every declared price in some item (no dead price), and every price
    an item names exists (else the run would fail)."""
    summary = run(compose(["scale=small", "days=60", ALL])).summary
    used = {k.split(".", 1)[1] for k in summary if k.startswith(("exposure_public.", "exposure_health_system."))}
    declared = {
        f"prices.{group.name}.{f.name}"
        for group in dataclasses.fields(PricesConfig)
        for f in dataclasses.fields(group.type)
    }
    assert declared - used == set(), f"prices no item uses: {sorted(declared - used)}"


def test_extra_reimbursement_is_what_insurance_paid_beyond_the_pre_reform_coverage_of_the_same_episodes():
    """From the episode log: cost minus out of pocket, against the pre-reform share of the same
    episode (its tier's pre-reform coverage, insured if its draw is above the pre-reform uninsured
    share); the policies moving those levers share it out and their shares add up."""
    reimbursing = sorted(set(moving("coverage")) | set(moving("clinic_price_gain")) | set(moving("uninsured_share")))
    assert len(reimbursing) >= 2
    cfg = compose(["scale=tiny", "days=60", "record_episodes=true", f"policies=[{','.join(reimbursing)}]"])
    result = run(cfg)
    model, s = result.model, result.summary
    log = {
        k: np.concatenate([e[k] for e in model.ledger.episode_log if e["day"][0] >= 0])
        for k in model.ledger.episode_log[0]
    }
    c = cfg.params.cost
    coverage = np.array([c.coverage_primary, c.coverage_secondary, c.coverage_tertiary])[log["tier"]]
    insured = model.patients.insurance_draw[log["patient"]] >= c.uninsured_share
    paid = (log["cost_yuan"] - log["out_of_pocket_yuan"]).sum()
    before = (log["cost_yuan"] * coverage * insured).sum()
    per_hospital_year = 1.0 / (s["n_hospitals"] * s["days"] / 365.0)
    assert s["extra_reimbursement_per_hospital_year"] == pytest.approx((paid - before) * per_hospital_year, rel=1e-9)
    assert s["insurance_paid_per_hospital_year"] == pytest.approx(paid * per_hospital_year, rel=1e-9)
    shares = [s["policy_cost.insurance.extra_reimbursement"], s["policy_cost.tiered_care.price_differential"]]
    assert sum(shares) == pytest.approx(s["extra_reimbursement_per_hospital_year"], rel=1e-9)
    assert all(v > 0 for v in shares)


def test_counted_items_follow_the_run():
    """Items computed from counts: mediators' salaries from the centres' staff, clinic investment from
    the clinics, contract fees from the residents whose contract draw is below the enrolment."""
    result = run(compose(["scale=small", "days=73", ALL]))
    m, s, prices = result.model, result.summary, result.model.config.prices
    years = s["days"] / 365.0
    per_hy = 1.0 / (s["n_hospitals"] * years)
    assert s["policy_cost.mediation.mediator_salaries"] == pytest.approx(
        len(m.world.mediation.mediators) * prices.mediation.mediator_salary_yuan_per_year * years * per_hy
    )
    clinics = int((m.facilities.tier == PRIMARY).sum())
    investment = POLICIES["tiered_care"].default("primary_investment")
    assert s["policy_cost.tiered_care.clinic_investment"] == pytest.approx(
        clinics * investment * prices.tiered_care.clinic_investment_yuan_per_clinic_year * years * per_hy
    )
    enrolled = (m.patients.contract_draw < POLICIES["family_doctor"].default("enrolment")).sum()
    fee = prices.family_doctor.contract_fee_yuan_per_resident_year
    assert s["policy_cost.family_doctor.contract_fees"] == pytest.approx(enrolled * fee * years * per_hy)
    # the day's spending adds up to the policies' costs
    assert result.timeseries["policy_spending_yuan"].sum() * per_hy == pytest.approx(s["policy_cost_per_hospital_year"])


def test_baseline_spends_nothing_on_policies_but_pays_for_care():
    s = run(compose(["scale=tiny", "days=30"])).summary
    assert s["policy_cost_per_hospital_year"] == 0.0
    assert s["public_cost_per_hospital_year"] == pytest.approx(s["insurance_paid_per_hospital_year"])
    assert s["health_system_cost_per_hospital_year"] == pytest.approx(
        s["care_spending_per_hospital_year"]
        + s["compensation_per_hospital_year"]
        + s["doctor_replacement_per_hospital_year"]
    )


def test_a_policy_without_a_cost_model_costs_nan_never_zero():
    class Uncosted(Policy):
        name = "uncosted"

    assert not Uncosted.has_cost_model()
    world = SimpleNamespace(
        ledger=SimpleNamespace(
            totals={"cost_yuan": 0.0, "out_of_pocket_yuan": 0.0, "doctors_hired": 0.0, "compensation_yuan": 0.0}
        )
    )
    config = SimpleNamespace(
        days=10,
        policies=SimpleNamespace(enabled=lambda: ["uncosted"], uncosted=SimpleNamespace(start_day=0)),
        prices=SimpleNamespace(shared=SimpleNamespace(replacement_yuan_per_doctor=1.0)),
    )
    out = cost_summary(world, config, 1.0)
    assert math.isnan(out["policy_cost.uncosted"]) and math.isnan(out["policy_cost_per_hospital_year"])
    assert out["uncosted_policies"] == "uncosted"


def test_registry_policies_without_a_cost_model_are_listed():
    """Lists (as a warning) every registered policy without a cost model; the shared prices' name is
    not a policy's."""
    uncosted = [name for name, policy in POLICIES.items() if not policy.has_cost_model()]
    if uncosted:
        warnings.warn(f"policies without a cost model (their cost is reported as NaN): {uncosted}", stacklevel=1)
    assert SHARED not in POLICIES
    assert {f.name for f in dataclasses.fields(PricesConfig)} == {SHARED, *(n for n in POLICIES if n not in uncosted)}


def test_repricing_from_the_exposures_equals_running_at_the_other_price():
    """Prices enter costs linearly per item, so the summary's exposure to a price gives the cost at
    another price exactly, without running again (sim.analysis.sensitivity.reprice)."""
    import pandas as pd

    from sim.analysis.sensitivity import PRICES, reprice

    key = "prices.shared.doctor_salary_yuan_per_year"
    assert key in {p.key for p in PRICES}
    overrides = ["scale=tiny", "days=45", ALL]
    base = run(compose(overrides)).summary
    dear = run(compose([*overrides, f"{key}=90000"])).summary
    repriced = reprice(pd.DataFrame([base]), key, 90_000.0, "public").iloc[0]
    assert repriced["public_cost_per_hospital_year"] == pytest.approx(dear["public_cost_per_hospital_year"], rel=1e-12)
    assert repriced["policy_cost_per_hospital_year"] == pytest.approx(dear["policy_cost_per_hospital_year"], rel=1e-12)
    hs = reprice(pd.DataFrame([base]), key, 90_000.0, "health_system").iloc[0]
    assert hs["health_system_cost_per_hospital_year"] == pytest.approx(dear["health_system_cost_per_hospital_year"])
