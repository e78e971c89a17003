"""A watched resident's story (``sim.engine.watch``, ``sim.analysis.story``): what it records is
what the model did, watching changes no number, and the split of a day's trust change is exact."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis import story
from sim.config.compose import compose
from sim.engine.model import TrustModel
from sim.engine.watch import Watch

#: Every 10th resident of the tiny scale (300 of 3,000), watched from day 0.
WATCHED = range(0, 3000, 10)
DAYS = 90


def watched_run(*overrides: str, seed: int = 3, days: int = DAYS, residents=WATCHED):
    model = TrustModel(compose(["scale=tiny", f"seed={seed}", "record_episodes=true", *overrides])).burn_in()
    watch = Watch.attach(model, residents)
    model.run(days)
    return model, watch


@pytest.fixture(scope="module")
def run():
    return watched_run()


def all_events(watch, kind=None):
    return [(r, e) for r in watch.residents for e in watch.events(r) if kind is None or e["kind"] == kind]


def test_watching_changes_no_number(run):
    model, _ = run
    plain = TrustModel(compose(["scale=tiny", "seed=3", "record_episodes=true"])).burn_in().run(DAYS)
    pd.testing.assert_frame_equal(model.timeseries(), plain.timeseries())
    assert np.array_equal(model.patients.trust, plain.patients.trust)


def test_every_episode_of_a_watched_resident_is_recorded_as_the_model_logged_it(run):
    model, watch = run
    log = pd.concat([pd.DataFrame(day) for day in model.ledger.episode_log], ignore_index=True)
    log = log[log["patient"].isin(watch.residents)].sort_values(["patient", "day"], kind="stable")
    recorded = pd.DataFrame([{"patient": r, **e} for r, e in all_events(watch, "episode")])
    assert len(recorded) == len(log) > 50
    recorded = recorded.sort_values(["patient", "day"], kind="stable").reset_index(drop=True)
    log = log.reset_index(drop=True)
    for column in ("day", "patient", "facility", "doctor", "cost_yuan", "out_of_pocket_yuan", "satisfaction", "harm"):
        assert np.array_equal(recorded[column].to_numpy(), log[column].to_numpy()), column


def test_what_contacts_told_is_each_contacts_episode_of_that_day(run):
    model, watch = run
    log = pd.concat([pd.DataFrame(day) for day in model.ledger.episode_log], ignore_index=True)
    told = log.set_index(["patient", "day"])["satisfaction"]
    heard = all_events(watch, "heard")
    assert len(heard) > 200
    adjacency = model.adjacency
    for r, e in heard:
        assert adjacency[r, e["contact"]] == 1, "told by someone who is not a contact"
        assert e["satisfaction"] in np.atleast_1d(told.loc[(e["contact"], e["day"])])
    # and nothing is missed: every episode of a contact of resident r is heard by r
    r = watch.residents[1]
    contacts = set(adjacency.indices[adjacency.indptr[r] : adjacency.indptr[r + 1]])
    expected = log[log["patient"].isin(contacts)]
    assert len([e for e in watch.events(r) if e["kind"] == "heard"]) == len(expected)


def test_the_split_of_the_trust_mechanisms_change_adds_up_and_has_no_drift_without_degroot():
    _, watch = watched_run("params.trust.degroot_rate=0", days=60)
    events = [e for _, e in all_events(watch, "trust") if e["mechanism"] == "trust"]
    assert len(events) > 100
    for e in events:
        assert e["drift"] == 0.0 and e["drift_primary"] == 0.0, e  # the mechanism's own arithmetic, bit for bit
    moved_by_news = [e for e in events if e["word_of_mouth"] != 0 or e["own_experience"] != 0]
    assert len(moved_by_news) > 50


def test_with_degroot_the_parts_add_up_to_the_change(run):
    _, watch = run
    for _, e in all_events(watch, "trust"):
        if e["mechanism"] == "trust":
            total = e["own_experience"] + e["word_of_mouth"] + e["drift"]
            assert total == pytest.approx(e["trust_after"] - e["trust_before"], abs=1e-12)


def test_word_of_mouth_beyond_the_confidence_bound_moves_nobody(run):
    _, watch = run
    for r in watch.residents:
        events = watch.events(r)
        for day in {e["day"] for e in events if e["kind"] == "heard"}:
            today = [e for e in events if e["day"] == day]
            heard = [e for e in today if e["kind"] == "heard" and e["about"] == "hospital"]
            split = [e for e in today if e["kind"] == "trust" and e["mechanism"] == "trust"]
            if heard and not any(h["within_bound"] for h in heard):
                assert split[0]["word_of_mouth"] == 0.0


def test_media_stories_reach_their_audience_and_move_its_trust():
    # every dispute and violent act reported: stories however rare the calibrated events are
    media = [
        "params.media.coverage_dispute=1.0",
        "params.media.coverage_violence=1.0",
        "params.media.sensationalism=1.0",
    ]
    model, watch = watched_run(*media, seed=5, days=240)
    stories = all_events(watch, "story")
    assert stories, "no story reached a watched resident: run longer"
    for r, e in stories:
        assert r in model.world.outlets[e["outlet"]].audience
    moved = {(r, e["day"]) for r, e in all_events(watch, "trust") if e["mechanism"] == "media"}
    for r, e in stories:
        if e["tone"] != 0:
            assert (r, e["day"]) in moved


def test_a_resident_added_later_is_recorded_from_the_next_day():
    model = TrustModel(compose(["scale=tiny", "seed=1"])).burn_in()
    watch = Watch.attach(model, [5])
    model.run(10)
    watch.add([7])
    model.run(10)
    assert watch.since == {5: 0, 7: 10}
    assert list(watch.series(5)["day"]) == list(range(20))
    assert list(watch.series(7)["day"]) == list(range(10, 20))
    assert all(e["day"] >= 10 for e in watch.events(7))
    watch.add([10**6])
    with pytest.raises(IndexError, match="does not exist"):
        model.step()


# ------------------------------------------------------------------------------------------------
# the story on one timeline
# ------------------------------------------------------------------------------------------------
def test_the_timeline_has_every_kind_of_event_in_order_with_readable_text():
    model, watch = watched_run(seed=5, days=240)
    r = story.most_eventful(model, watch)
    frame = story.timeline(model, watch, r)
    assert list(frame.columns) == list(story.COLUMNS)
    assert frame["day"].is_monotonic_increasing
    assert set(frame["kind"]) >= {"episode", "heard"}
    assert frame["text"].str.len().gt(10).all()
    episodes = frame[frame["kind"] == "episode"]
    assert (episodes["out_of_pocket_yuan"] >= 0).all()
    json.dumps(frame.to_dict("records"), default=str)  # plain values only


def test_disputes_and_violence_come_from_the_models_own_record():
    model, watch = watched_run(seed=5, days=240, residents=range(3000))
    disputants = {d.patient for d in model.disputes.all if d.filed_day >= 0}
    assert disputants, "no dispute in 240 days: choose another seed"
    r = min(disputants)
    frame = story.timeline(model, watch, r)
    filed = frame[frame["kind"] == "dispute"]
    assert len(filed) == sum(d.patient == r and d.filed_day >= 0 for d in model.disputes.all)
    closed = [d for d in model.disputes.all if d.patient == r and d.closed_day is not None and d.closed_day >= 0]
    assert len(frame[frame["kind"] == "dispute closed"]) == len(closed)


def test_an_unwatched_resident_still_has_a_story_from_the_models_record():
    model, watch = watched_run(seed=5, days=60, residents=[1])
    frame = story.timeline(model, watch, 2)
    assert set(frame["kind"]) <= {"dispute", "dispute closed", "disturbance", "assault", "note"}
    assert (frame["kind"] == "note").any()  # says the resident was not watched
