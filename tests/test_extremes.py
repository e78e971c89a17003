"""Every numeric parameter at its minimum and at its maximum: no crash, no NaN, no impossible state
(issue 12, items 1-2). Two years at the tiny scale each (no burn-in), one parameter at a time,
with its policy switched on for a policy intensity. A value the model refuses up front (a
population that does not fit in memory) must be refused with a configuration error naming the key.

Every share or probability of the state must stay in its range by construction (bounded updates),
and the run's summary must be strict JSON (no NaN or infinity).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json

import numpy as np
import pytest

from sim.config.compose import compose
from sim.config.fields import ConfigError
from sim.config.schema import parameter_table, validate
from sim.engine.metrics import summarise
from sim.engine.model import TrustModel
from sim.policies import POLICY_NAMES

#: Run-level values, not parameters of the model (seed, length, batching).
SKIP = {"seed", "days", "burn_in_days", "replicates"}
BASE = ["scale=tiny", "burn_in_days=0", "days=730", "seed=3"]


def _ends():
    for row in parameter_table():
        value = row["default"]
        if row["key"] in SKIP or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if row["key"].endswith(".start_day"):
            continue
        for end in ("min", "max"):
            yield pytest.param(row["key"], row[end], id=f"{row['key']}={end}")


@functools.cache
def _composed(overrides: tuple[str, ...]):
    """The composed config of ``overrides``, composed once per set (a dozen sets for 360 tests)."""
    return compose(list(overrides))


def _set(config, key: str, value) -> None:
    *path, leaf = key.split(".")
    node = config
    for part in path:
        node = getattr(node, part)
    field_type = {f.name: f.type for f in dataclasses.fields(node)}[leaf]
    setattr(node, leaf, int(value) if field_type == "int" else float(value))


@pytest.mark.parametrize("key,value", list(_ends()))
def test_a_parameter_at_an_end_of_its_range_runs_cleanly(key, value):
    overrides = list(BASE)
    if key.startswith("policies."):
        overrides.append(f"policies=[{key.split('.')[1]}]")
    config = copy.deepcopy(_composed(tuple(overrides)))  # a fresh copy: _set changes it
    _set(config, key, value)
    try:
        validate(config)
        model = TrustModel(config)
        from sim.runs.resources import check_memory

        check_memory(config)
    except ConfigError as err:  # refused up front: fine, if it names the key
        assert key in str(err), err
        return
    model.run()
    pa, doctors, fa = model.patients, model.doctors, model.facilities
    for name, values in {
        "trust": pa.trust,
        "trust_primary": pa.trust_primary,
        "harm": pa.harm,
        "doctors.burnout": doctors.burnout,
        "defensive_fear": fa.defensive_fear,
    }.items():
        assert np.isfinite(values).all(), name
        assert values.min() >= 0.0 and values.max() <= 1.0, f"{name} in [{values.min()}, {values.max()}]"
    views = pa.system_view[pa.system_view >= 0]
    assert views.size == 0 or views.max() <= 1.0
    assert 0.0 <= model.disputes.legitimacy <= 1.0
    summary = summarise(model, 1.0)
    json.dumps(summary, allow_nan=False)  # strict JSON: raises on NaN or infinity
    for share in ("out_of_pocket_share", "mean_satisfaction", "mediation_share", "primary_care_visit_share"):
        assert summary[share] is None or 0.0 <= summary[share] <= 1.0, share
    daily = model.timeseries()
    # a day's means over episodes or doctors on duty are undefined on a day without any
    for column, undefined in (
        ("mean_satisfaction", daily["visits"] == 0),
        ("mean_burnout", daily["doctors_on_duty"] == 0),
    ):
        daily.loc[undefined, column] = 0.0
    bad = [c for c in daily.select_dtypes("number") if not np.isfinite(daily[c].to_numpy(float)).all()]
    assert not bad, f"not finite in the daily series: {bad}"


def test_every_policy_is_covered():
    keys = {p.values[0] for p in _ends()}
    assert {k.split(".")[1] for k in keys if k.startswith("policies.")} == set(POLICY_NAMES)
