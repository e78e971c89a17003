"""The state after the burn-in, saved by one run and loaded by the others (``sim.engine.snapshot``):
every arm that loads it gives the numbers of a fresh run, and nothing is reused that should not be."""

from __future__ import annotations

import math

import pytest

from sim.analysis.history import NEVER
from sim.engine.model import TrustModel
from sim.engine.snapshot import path_for, state_key
from sim.policies import comparison_arms
from sim.runs.api import compose, run
from sim.runs.provenance import PROVENANCE_KEYS

#: tiny scale, long enough that disputes, violence and mediation happen after day 0
BASE = ["scale=tiny", "days=90", "seed=5", "burn_in_days=120"]


def _same(a: dict, b: dict) -> list[str]:
    """Keys whose values differ (NaN equals NaN; wall time and provenance left out)."""
    skip = {"wall_seconds", *PROVENANCE_KEYS}
    return [
        k
        for k in a
        if k not in skip and not (a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])))
    ]


def _policies(arm: list[str]) -> str:
    return f"policies=[{','.join(arm)}]"


def test_every_comparison_arm_loading_the_saved_burn_in_gives_a_fresh_runs_numbers(tmp_path):
    arms = comparison_arms()
    saver = run(compose([*BASE, _policies(arms[0]), f"burn_in_cache={tmp_path}"]))
    assert len(list(tmp_path.iterdir())) == 1
    for arm in arms:
        fresh = run(compose([*BASE, _policies(arm)]))
        loaded = run(compose([*BASE, _policies(arm), f"burn_in_cache={tmp_path}"]))
        assert loaded.model.world.day == fresh.model.world.day
        assert _same(fresh.summary, loaded.summary) == [], arm
        assert fresh.timeseries.equals(loaded.timeseries), arm
    assert len(list(tmp_path.iterdir())) == 1  # one state for all arms
    # the saver's own run is that of a fresh run too
    assert _same(run(compose([*BASE, "policies=[]"])).summary, saver.summary) == []
    # the runs exercised disputes (the tiny city has no violent act in these 90 days at the
    # calibrated rule: the compiled-kernels test below makes acts likelier)
    assert saver.summary["disputes_closed"] > 0


def test_a_dated_history_with_one_reform_removed_loads_the_full_historys_burn_in(tmp_path):
    history = ["scenario=china_2006_2019", "scale=tiny", "seed=2", "end_date=2006-06-30"]
    cache = f"burn_in_cache={tmp_path}"
    run(compose([*history, cache]))
    without = [*history, f"policies.insurance.start_date={NEVER}"]
    fresh, loaded = run(compose(without)), run(compose([*without, cache]))
    assert len(list(tmp_path.iterdir())) == 1
    assert _same(fresh.summary, loaded.summary) == []
    assert fresh.timeseries.equals(loaded.timeseries)


def test_the_key_changes_with_a_parameter_the_seed_or_the_burn_in_but_not_with_the_policies():
    key = state_key(compose(BASE))
    assert state_key(compose([*BASE, "policies=[mediation]", "replicates=3"])) == key
    assert state_key(compose([*BASE, "burn_in_cache=/elsewhere"])) == key
    assert state_key(compose([*BASE, "params.trust.degroot_rate=0.03"])) != key
    assert state_key(compose([*BASE, "seed=6"])) != key
    assert state_key(compose([*BASE, "burn_in_days=121"])) != key


def test_no_reuse_when_a_policy_starts_before_day_0_or_the_burn_in_is_watched(tmp_path):
    early = compose(
        [
            "scale=tiny",
            "start_date=2010-01-01",
            "days=30",
            "policies=[insurance]",
            "policies.insurance.start_date=2009-12-01",
            f"burn_in_cache={tmp_path}",
        ]
    )
    TrustModel(early).run()
    assert not any(tmp_path.iterdir())

    class Onlooker:
        def start_day(self, world): ...
        def after(self, name, world): ...
        def end_day(self, world): ...

    model = TrustModel(compose([*BASE, f"burn_in_cache={tmp_path}"]))
    model.observers.append(Onlooker())
    model.run(days=1)
    assert not any(tmp_path.iterdir())


def test_an_unreadable_saved_state_is_made_again(tmp_path):
    config = compose([*BASE, f"burn_in_cache={tmp_path}"])
    path = path_for(tmp_path, config)
    path.write_bytes(b"not a pickle")
    loaded = run(config)
    fresh = run(compose(BASE))
    assert _same(fresh.summary, loaded.summary) == []
    assert path.stat().st_size > 1000  # saved again, whole


@pytest.mark.parametrize("bad", ["burn_in_cache=1", "burn_in_cache=[a]"])
def test_burn_in_cache_is_a_path_string(bad):
    from sim.config.fields import ConfigError

    if bad.endswith("=1"):
        # a number is read as the directory "1": accepted as a string by the schema
        assert compose([*BASE, bad]).burn_in_cache == "1"
    else:
        with pytest.raises(ConfigError, match="burn_in_cache"):
            compose([*BASE, bad])


def test_design_sweeps_share_the_burn_in_only_between_rows_that_differ_in_their_policies():
    import pandas as pd

    from sim.runs.designs import shares_burn_in

    arms = pd.DataFrame({"policies": ["[]", "[mediation]", "[insurance]"]})
    assert shares_burn_in(arms)
    points = pd.DataFrame({"params.trust.degroot_rate": [0.01, 0.02, 0.03]})
    assert not shares_burn_in(points)  # a calibration's sets: every burn-in differs
    crossed = pd.DataFrame({"params.trust.degroot_rate": [0.01, 0.01, 0.02], "policies": ["[]", "[mediation]", "[]"]})
    assert shares_burn_in(crossed)
    intensities = pd.DataFrame({"policies.insurance.coverage_gain": [0.1, 0.2]})
    assert shares_burn_in(intensities)
    assert not shares_burn_in(arms.iloc[:1])


def test_a_cache_that_cannot_be_written_costs_the_reuse_not_the_run(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.warns(UserWarning, match="burn_in_cache"):
        cached = run(compose([*BASE, f"burn_in_cache={blocker}"]))
    assert _same(run(compose(BASE)).summary, cached.summary) == []


def test_the_compiled_kernels_after_a_loaded_burn_in_give_a_fresh_uncompiled_runs_numbers(tmp_path, monkeypatch):
    """Long or large runs use the compiled word of mouth, DeGroot and violence pass (set up on
    their own network and scratch arrays); a run that loads the saved burn-in and steps with them
    gives the numbers of a fresh run in numpy."""
    from sim.mechanisms import trust, violence

    arm = ["mediation", "insurance"]
    # acts are rare in a tiny city's 90 days at the calibrated rule: made likelier so the violence
    # pass has acts to get right
    base = [*BASE, "params.violence.threshold=0.05", "params.violence.daily_action_probability=0.02"]
    monkeypatch.setattr(trust, "COMPILED_FROM", float("inf"))
    monkeypatch.setattr(violence, "COMPILED_FROM", float("inf"))
    fresh = run(compose([*base, _policies(arm)]))
    monkeypatch.setattr(trust, "COMPILED_FROM", 0)
    monkeypatch.setattr(violence, "COMPILED_FROM", 0)
    run(compose([*base, "policies=[]", f"burn_in_cache={tmp_path}"]))
    loaded = run(compose([*base, _policies(arm), f"burn_in_cache={tmp_path}"]))
    assert len(list(tmp_path.iterdir())) == 1  # the arm loaded the baseline's saved state
    mechanisms = loaded.model.mechanisms
    assert mechanisms["trust"].averaging is not None and mechanisms["violence"].compiled is not None
    assert _same(fresh.summary, loaded.summary) == []
    assert fresh.timeseries.equals(loaded.timeseries)
    assert fresh.summary["violent_incidents_per_hospital_year"] > 0
