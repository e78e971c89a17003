"""The China 2006-2019 history: calendars, dated schedules and coverage, the scenario, the insurance
mapping, validation verdicts and the attribution of each reform (issue 13).

Cheap by construction: schedules are checked on the levers (no run), the scenario runs a few
months at the tiny scale, and the verdict and attribution arithmetic runs on synthetic tables.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from sim.analysis import history
from sim.analysis.validation import PATTERNS, validate
from sim.config.compose import compose
from sim.config.fields import ConfigError
from sim.policies import PolicySet
from sim.policies.schedule import Schedule
from sim.runs.api import run

START = dt.date(2006, 1, 1)


def day_of(date: str) -> int:
    return (dt.date.fromisoformat(date) - START).days


@pytest.fixture(scope="module")
def scenario():
    cfg = compose([history.SCENARIO, "scale=tiny"])
    return cfg, PolicySet(cfg.policies, cfg.params, START)


def test_a_schedule_read_a_block_of_days_at_a_time_gives_the_values_of_one_day_at_a_time():
    """Schedules are evaluated for blocks of days (sim.policies.schedule.BLOCK_DAYS): the same
    numbers as numpy's interpolation (ramps) or step lookup of the single day, bit for bit."""
    rng = np.random.default_rng(7)
    for interpolation in ("linear", "step"):
        for _ in range(10):
            points = np.sort(rng.choice(np.arange(732_000, 737_000), rng.integers(1, 7), replace=False))
            values = list(rng.random(points.size))
            schedule = Schedule([dt.date.fromordinal(int(x)).isoformat() for x in points], values, interpolation)
            for x in rng.integers(731_500, 737_500, 200):
                if interpolation == "linear":
                    expected = float(np.interp(x, points.astype(float), values))
                else:
                    expected = values[max(int(np.searchsorted(points, x, side="right")) - 1, 0)]
                assert schedule.at(dt.date.fromordinal(int(x))) == expected


def test_the_levers_kept_while_the_schedules_hold_are_the_levers_made_afresh(scenario):
    """PolicySet keeps a policy's proposal while its scheduled values hold and the combined levers
    while no proposal changed: every day of the history (every 7th, and the days around each
    schedule's dates) they equal the levers a new PolicySet makes for that day alone."""
    cfg, _ = scenario
    kept = PolicySet(cfg.policies, cfg.params, START)
    dates = {d for p in kept.policies for s in [*p.params.schedules().values(), p.params.coverage] for d in s.dates}
    days = sorted({*range(-180, 5113, 7), *(day_of(d) + k for d in dates for k in (-1, 0, 1))})
    for day in days:
        afresh = PolicySet(cfg.policies, cfg.params, START).levers_on(day)
        got = kept.levers_on(day)
        for name, value in vars(afresh).items():
            np.testing.assert_array_equal(getattr(got, name), value, err_msg=f"{name} on day {day}")


def test_the_scenario_spans_2006_to_2019():
    cfg = compose([history.SCENARIO])
    assert (cfg.start_date, cfg.end_date) == ("2006-01-01", "2019-12-31")
    assert cfg.days == (dt.date(2019, 12, 31) - START).days + 1 == 5113


def test_schedules_take_effect_on_their_dates(scenario):
    """The punishment lever before and after Criminal Law Amendment IX (2015-11-01), mediation before
    and after the committees (2010-01), the tiered-care pilots' coverage, the markup by tier."""
    _, policies = scenario
    base = policies.base

    def lever(name: str, date: str):
        return getattr(policies.levers_on(day_of(date)), name)

    assert lever("punishment_probability", "2012-04-29") == base.punishment_probability
    before, after = lever("punishment_probability", "2015-10-31"), lever("punishment_probability", "2015-11-01")
    assert base.punishment_probability < before < after  # the 2014 step, then Amendment IX
    assert after == pytest.approx(base.punishment_probability + 0.53 * (1 - base.punishment_probability))
    assert lever("mediation_uptake", "2009-12-31") == 0
    assert 0 < lever("mediation_uptake", "2011-12-31") < lever("mediation_uptake", "2018-12-31")
    assert lever("gatekeeping", "2015-08-31") == 0 and lever("gatekeeping", "2017-12-31") == pytest.approx(0.3 * 0.947)
    np.testing.assert_array_equal(lever("markup_removed", "2008-12-31"), [0, 0, 0])
    np.testing.assert_allclose(lever("markup_removed", "2012-01-01"), [1, 0, 0])
    np.testing.assert_allclose(lever("markup_removed", "2017-09-30"), [1, 1, 1])
    assert lever("coverage", "2006-01-01")[2] < lever("coverage", "2012-01-01")[2] < lever("coverage", "2019-12-31")[2]


def test_the_scenario_runs_and_writes_dated_outputs(tmp_path):
    out = tmp_path / "run"
    proc = run_cli(history.SCENARIO, "scale=tiny", "end_date=2006-02-28", f"hydra.run.dir={out}", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    series = pd.read_parquet(out / "timeseries.parquet")
    assert list(series.columns[:2]) == ["day", "date"]
    assert series["date"].iloc[0] == pd.Timestamp("2006-01-01") and series["date"].iloc[-1] == pd.Timestamp(
        "2006-02-28"
    )
    assert len(series) == 59
    summary = pd.read_json(out / "summary.json", typ="series")
    assert "disputes_per_hospital_2006" in summary and "disputes_per_hospital_2007" not in summary


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["start_date=2006-02-30"], r"start_date='2006-02-30' is not a date"),
        (["end_date=2010-01-01"], r"end_date=.* needs start_date"),
        ([history.SCENARIO, "end_date=2005-01-01"], r"end_date='2005-01-01' is before start_date"),
        (
            [history.SCENARIO, "policies.legal_deterrence.schedule.punishment_gain.values=[0.1,0.3,1.5]"],
            r"policies\.legal_deterrence\.schedule\.punishment_gain\.values\[2\]=1\.5 is out of range",
        ),
        (
            [history.SCENARIO, "policies.mediation.coverage.dates=[2011-12-31,2010-01-01,2019-01-01]"],
            r"policies\.mediation\.coverage\.dates\[1\]='2010-01-01' is not after",
        ),
        (
            ["policies=[mediation]", "policies.mediation.start_date=2010-01-01"],
            r"policies\.mediation\.start_date is dated but the run has no calendar",
        ),
    ],
)
def test_bad_dates_and_schedules_fail_early_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        compose(overrides)


def test_bad_schedule_on_the_command_line_exits_2(tmp_path):
    proc = run_cli(history.SCENARIO, "scale=tiny", "policies.mediation.coverage.values=[0,2,0.8]")
    assert proc.returncode == 2
    assert proc.stderr.startswith("configuration error: policies.mediation.coverage.values[1]=2")


def test_schedules_read_linear_ramps_and_steps():
    ramp = Schedule(["2010-01-01", "2012-01-01"], [0.0, 1.0])
    steps = Schedule(["2010-01-01", "2012-01-01"], [0.2, 0.6], "step")
    assert ramp.at(dt.date(2009, 1, 1)) == 0.0 and ramp.at(dt.date(2013, 1, 1)) == 1.0
    assert ramp.at(dt.date(2011, 1, 1)) == pytest.approx(365 / 730)
    assert steps.at(dt.date(2009, 1, 1)) == 0.2 and steps.at(dt.date(2011, 12, 31)) == 0.2
    assert steps.at(dt.date(2012, 1, 1)) == 0.6


def test_the_scenario_holds_the_insurance_mapping(scenario):
    """The insurance schedule in the scenario file is the mapping of the national out-of-pocket
    series (A1) from the model's 2006 share (regenerate: python -m sim.analysis.history insurance-schedule)."""
    cfg, _ = scenario
    text = (history.Path(__file__).parent.parent / "configs" / "scenario" / "china_2006_2019.yaml").read_text()
    model_2006 = float(re.search(r"model's out-of-pocket share of ([0-9.]+) in 2006", text).group(1))
    table = history.insurance_schedule(model_2006, cfg.params.cost.uninsured_share)
    schedule = cfg.policies.insurance.schedules()
    mapped = table.set_index("date")
    for intensity in ("coverage_gain", "enrolment_gain"):
        dates, values = schedule[intensity].dates, schedule[intensity].values
        np.testing.assert_allclose(values, mapped.loc[dates, intensity], atol=0.002, err_msg=intensity)
    # the mapping makes the model's share fall with the national one, relative to 2006
    assert table["model_oop_share"].iloc[-1] / model_2006 == pytest.approx(28.4 / 49.3)


def test_verdicts_follow_their_rules_on_a_synthetic_history():
    """Two fake runs whose 2013-2017 changes are -20 % disputes and -40 % violence agree with those
    patterns; a third pattern without data says so."""
    runs = pd.DataFrame(
        {
            "disputes_per_hospital_2013": [100.0, 50.0],
            "disputes_per_hospital_2017": [80.0, 40.0],
            "violent_incidents_per_hospital_2013": [10.0, 20.0],
            "violent_incidents_per_hospital_2017": [6.0, 12.0],
        }
    )
    table = validate(runs, PATTERNS[:2]).set_index("pattern")
    assert list(table["verdict"]) == ["agrees", "agrees"]
    assert table["model mean"].iloc[0] == pytest.approx(-0.2) and table["model mean"].iloc[1] == pytest.approx(-0.4)
    worse = runs.assign(disputes_per_hospital_2017=[99.0, 49.5])
    assert validate(worse, PATTERNS[:1])["verdict"].iloc[0] == "disagrees"
    assert validate(runs, PATTERNS[3:4])["verdict"].iloc[0] == "no data"


def test_attribution_pairs_runs_by_draw_and_seed():
    """A reform that deepens the fall by 10 points in every pair accounts for -10 %; pairing uses
    (point, seed), not the row order."""
    keys = {"point": [0, 0, 1, 1], "seed": [0, 1, 0, 1]}
    full = pd.DataFrame({**keys, "disputes_per_hospital_2013": 100.0, "disputes_per_hospital_2017": [70, 75, 80, 85]})
    full["violent_incidents_per_hospital_2013"], full["violent_incidents_per_hospital_2017"] = 10.0, 5.0
    full["primary_care_visit_share_2013"], full["primary_care_visit_share_2017"] = 0.6, [0.62, 0.64, 0.66, 0.68]
    without = full.assign(
        disputes_per_hospital_2017=full["disputes_per_hospital_2017"] + 10, primary_care_visit_share_2017=0.55
    ).iloc[::-1]
    table = history.attribution(full, {"mediation": without}, n_boot=200).iloc[0]
    assert table["disputes_accounted"] == pytest.approx(-0.10)
    assert table["disputes_low"] == pytest.approx(-0.10) and table["disputes_high"] == pytest.approx(-0.10)
    assert table["violence_accounted"] == pytest.approx(0.0)
    assert table["primary_points_with"] == pytest.approx(5.0) and table["primary_points_without"] == pytest.approx(-5.0)


def test_the_assumed_strengths_are_the_scenarios_and_halve_into_a_valid_config():
    """Every strength a policy declares as assumed is an intensity of its parameters; the history's
    reforms with any are found; the overrides halving them compose, pass validation and give
    exactly half of the scenario's values (every value of a dated schedule, its dates kept), and
    leave coverage and start dates alone."""
    from sim.policies import POLICIES

    for name, policy in POLICIES.items():
        assert set(policy.assumed) <= set(policy.Params.__dataclass_fields__), name
    scenario = compose([history.SCENARIO]).policies
    assumed = history.assumed_strengths()
    assert set(assumed) <= set(scenario.enabled()) and {"tiered_care", "legal_deterrence"} <= set(assumed)
    for reform, keys in assumed.items():
        halved = getattr(compose([history.SCENARIO, *history.scaled_assumptions(reform, 0.5)]).policies, reform)
        original = getattr(scenario, reform)
        for key in keys:
            if key in original.schedule:
                got, was = halved.schedule[key], original.schedule[key]
                assert got["dates"] == was["dates"] and got["values"] == pytest.approx([v / 2 for v in was["values"]])
            else:
                assert getattr(original, key) > 0 and getattr(halved, key) == pytest.approx(getattr(original, key) / 2)
        assert halved.coverage == original.coverage and halved.start_date == original.start_date


def test_a_dated_run_reports_each_year():
    result = run(compose([history.SCENARIO, "scale=tiny", "end_date=2007-03-31"]))
    years = {int(m.group(1)) for k in result.summary if (m := re.fullmatch(r"disputes_per_hospital_(\d{4})", k))}
    assert years == {2006, 2007}


def test_the_yearly_mediation_figures_count_cases_and_the_committees_kind():
    """``mediations_per_hospital`` counts the cases closed, ``mediation_agreements_per_hospital`` those
    closed in agreement (so never more); ``mediation_entry_share_of_eligible`` is the entry share
    over the committees' kind of dispute, undefined (null) when no dispute is of that kind."""
    half = run(compose([history.SCENARIO, "scale=tiny", "end_date=2012-12-31",
                        "params.disputes.mediation_eligible_share=0.5"])).summary  # fmt: skip
    years = range(2010, 2013)
    assert sum(half[f"mediations_per_hospital_{y}"] for y in years) > 0
    for y in years:
        assert 0 <= half[f"mediation_agreements_per_hospital_{y}"] <= half[f"mediations_per_hospital_{y}"]
        assert half[f"mediation_entry_share_of_eligible_{y}"] == pytest.approx(half[f"mediation_entry_share_{y}"] / 0.5)
    none = run(compose([history.SCENARIO, "scale=tiny", "end_date=2010-06-30",
                        "params.disputes.mediation_eligible_share=0"])).summary  # fmt: skip
    assert none["mediation_entry_share_2010"] == 0 and none["mediation_entry_share_of_eligible_2010"] is None
