"""The violence mechanism's compiled daily pass (``sim.mechanisms.violence_kernel``) against its numpy
definition (``sim.mechanisms.violence``): the same residents over the threshold, in the same order,
with the same grievances; the same faded harm and unmet expectation, bit for bit; the same run.

The states are those of a tiny history (open disputes, residents with their own view of the dispute
system, acts), made more violent (lower threshold, likelier acts) so that every day has residents
over the threshold and the run has acts, plus states set at the edges of the rules.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest

from sim.config.compose import compose
from sim.engine.metrics import summarise
from sim.engine.model import TrustModel
from sim.engine.state import NO_DISPUTE
from sim.mechanisms import violence
from sim.mechanisms.violence_kernel import HARM_FLOOR, DailyPass

HISTORY = [
    "scenario=china_2006_2019",
    "scale=tiny",
    "seed=1",
    "end_date=2006-09-30",
    "burn_in_days=60",
    "params.violence.threshold=0.15",
    "params.violence.daily_action_probability=0.05",
]
#: what the fading and an act write
FADED = ("harm", "unmet_expectation", "dispute_opened")


def numpy_over_threshold(world, p) -> tuple[np.ndarray, np.ndarray]:
    """The residents over the threshold and their grievances, as ``Violence.step`` finds them."""
    who = violence.aggrieved(world)
    g = violence.grievances(world, who, p)
    n = violence.net_risk(world.patients.risk_aversion[who], world.levers.punished_probability)
    over = np.flatnonzero((g - n) > p.threshold)
    return who[over], g[over]


def numpy_fade(pa, who: np.ndarray, p) -> None:
    """``Violence.step``'s fading of the aggrieved ``who``."""
    fading = who[pa.open_dispute[who] == NO_DISPUTE]
    pa.harm[fading] *= 1 - p.hardship_decay
    pa.unmet_expectation[fading] *= 1 - p.hardship_decay
    pa.harm[fading[pa.harm[fading] < 0.005]] = 0.0


def assert_identical(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert got.tobytes() == expected.tobytes()  # signs of zero too


def check_day(world, p) -> int:
    """The compiled pass on ``world`` (not changed) against the numpy code; how many are over."""
    daily = DailyPass(world.patients.n, p)
    expected_who, expected_g = numpy_over_threshold(world, p)
    who, g = daily.over_threshold(
        world.patients, world.day, world.disputes.legitimacy, world.levers.punished_probability
    )
    assert_identical(who, expected_who)
    assert_identical(g, expected_g)
    # the fading, after acts by half of those over the threshold (what act() writes to them)
    actors = expected_who[::2]
    faded = {}
    for compiled in (False, True):
        pa = dataclasses.replace(world.patients, **{name: getattr(world.patients, name).copy() for name in FADED})
        pa.harm[actors], pa.unmet_expectation[actors], pa.dispute_opened[actors] = 0.0, 0.0, world.day
        if compiled:
            daily.fade(pa)
        else:
            numpy_fade(pa, violence.aggrieved(world), p)
        faded[compiled] = pa
    for name in FADED:
        assert_identical(getattr(faded[True], name), getattr(faded[False], name))
    return who.size


class Checker:
    """An observer checking the compiled pass each day just before the violence step."""

    def __init__(self, p):
        self.p, self.days, self.over, self.disputing, self.own_view = p, 0, 0, 0, 0

    def start_day(self, world) -> None:
        pass

    def after(self, name: str, world) -> None:
        if name != "mediation":  # the mechanism before violence (sim.engine.schedule)
            return
        pa = world.patients
        aggrieved = violence.aggrieved(world)
        self.days += 1
        self.over += check_day(world, self.p)
        self.disputing += int((pa.open_dispute[aggrieved] != NO_DISPUTE).sum())
        self.own_view += int((pa.system_view[aggrieved] >= 0).sum())

    def end_day(self, world) -> None:
        pass


def test_the_compiled_pass_is_the_numpy_one_on_every_day_of_a_history(monkeypatch):
    monkeypatch.setattr(violence, "COMPILED_FROM", float("inf"))
    model = TrustModel(compose(HISTORY))
    checker = Checker(model.config.params.violence)
    model.observers.append(checker)
    model.run()
    assert checker.days == model.config.days + model.config.burn_in_days
    # the states met: residents over the threshold, in an open dispute, with their own view
    assert checker.over > checker.days and checker.disputing > 0 and checker.own_view > 0


def harm_fading_to_the_floor(keep: np.float32) -> np.float32 | None:
    """A float32 harm above the floor that fades to exactly the floor: kept by ``< 0.005`` only
    if 0.005 is read as float32."""
    harm = np.float32(HARM_FLOOR / keep)
    for _ in range(8):
        if harm * keep == HARM_FLOOR:
            return harm
        harm = np.nextafter(harm, np.float32(1) if harm * keep < HARM_FLOOR else np.float32(0))
    return None


def margins(world, p) -> np.ndarray:
    """Grievance minus net risk of the aggrieved, as ``Violence.step`` compares it with the threshold."""
    who = violence.aggrieved(world)
    return violence.grievances(world, who, p) - violence.net_risk(
        world.patients.risk_aversion[who], world.levers.punished_probability
    )


def test_the_compiled_pass_is_the_numpy_one_at_the_edges_of_the_rules(monkeypatch):
    monkeypatch.setattr(violence, "COMPILED_FROM", float("inf"))
    model = TrustModel(compose(HISTORY)).run(days=30)
    rng = np.random.default_rng(5)
    floor = HARM_FLOOR
    for trial in range(8):
        p = model.config.params.violence
        if trial:  # other weights: other roundings (e.g. 1 - w in float64, then float32)
            p = dataclasses.replace(
                p,
                unmet_expectation_weight=float(rng.random() * 2),
                time_weight=float(rng.random() * 2),
                doctor_trust_weight=float(rng.random()),
                hardship_decay=float(rng.random() * 0.1),
            )
        keep = np.float32(1 - p.hardship_decay)
        world = copy.deepcopy(model.world)
        pa, n = world.patients, world.patients.n
        some = rng.choice(n, n // 3, replace=False)
        # harm at and around the 0.005 floor (as float32 sees it), fading onto it, zeros of both
        # signs, and large
        edges = [0.0, -0.0, floor, np.nextafter(floor, np.float32(1)), np.nextafter(floor, np.float32(0)), 1.0]
        onto_floor = harm_fading_to_the_floor(keep)
        edges += [] if onto_floor is None else [onto_floor]
        assert trial or onto_floor is not None
        pick = rng.choice(np.array(edges, np.float32), some.size)
        pa.harm[some] = np.where(rng.random(some.size) < 0.5, pick, rng.random(some.size))
        pa.unmet_expectation[some] = rng.random(some.size) * 3
        # open disputes, some opened long ago (hardship capped at 1), some today
        disputing = rng.choice(n, n // 10, replace=False)
        pa.open_dispute[disputing] = np.arange(disputing.size)
        pa.dispute_opened[disputing] = world.day - rng.integers(0, 2_000, disputing.size)
        # residents with their own view of the dispute system, 0 included
        viewing = rng.choice(n, n // 5, replace=False)
        pa.system_view[viewing] = np.where(rng.random(viewing.size) < 0.2, 0.0, rng.random(viewing.size))
        pa.trust[:] = rng.random(n)
        world.disputes.fair_successes = float(rng.random() * 10)
        world.levers.punishment_probability = float(rng.random())
        assert check_day(world, p) > 0
        # thresholds exactly at some residents' margins, and just below: a difference of one
        # rounding anywhere in grievance or net risk would move them across
        margin = margins(world, p)
        for m in rng.choice(margin, 5, replace=False):
            for threshold in (float(m), float(np.nextafter(m, -np.inf))):
                check_day(world, dataclasses.replace(p, threshold=threshold))


def _run(monkeypatch, compiled: bool):
    monkeypatch.setattr(violence, "COMPILED_FROM", 0 if compiled else float("inf"))
    model = TrustModel(compose(HISTORY))
    model.setup()
    assert (model.mechanisms["violence"].compiled is not None) == compiled
    model.run()
    summary = summarise(model)
    summary.pop("wall_seconds", None)
    return model, summary


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_a_run_with_the_compiled_pass_is_the_run_without(monkeypatch):
    """Long or large runs use the compiled pass (Violence.setup, COMPILED_FROM): same acts, same run."""
    compiled, compiled_summary = _run(monkeypatch, True)
    plain, plain_summary = _run(monkeypatch, False)
    assert len(plain.ledger.violence_log) > 5  # acts happened, on both sides the same
    assert compiled.ledger.violence_log == plain.ledger.violence_log
    assert compiled.timeseries().equals(plain.timeseries())
    assert compiled_summary.keys() == plain_summary.keys()
    assert all(_same(compiled_summary[k], plain_summary[k]) for k in plain_summary)
    for name in ("harm", "unmet_expectation", "dispute_opened", "violent_acts", "trust"):
        assert_identical(getattr(compiled.patients, name), getattr(plain.patients, name))


@pytest.mark.parametrize("scalar", [np.float64, np.float32])
def test_numpy_scalars_take_the_numpy_path(monkeypatch, scalar):
    """numpy rounds a float32 array times a numpy float64 scalar as float64 (NEP 50), unlike a
    Python float: the compiled pass, which replicates the Python float, is then left aside."""
    monkeypatch.setattr(violence, "COMPILED_FROM", 0)
    model = TrustModel(compose(HISTORY)).setup()
    mechanism = model.mechanisms["violence"]
    called = []
    monkeypatch.setattr(mechanism, "_step_compiled", lambda *args: called.append(args))
    model.world.levers.punishment_probability = scalar(0.2)
    mechanism.step(model.world)
    assert not called
    model.world.levers.punishment_probability = 0.2
    mechanism.step(model.world)
    assert len(called) == 1
