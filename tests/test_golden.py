"""Golden runs: the calibrated baseline and every policy arm give the same numbers as recorded.

A refactoring that should not change any result (moving code, renaming, restructuring, a faster
kernel with the same arithmetic) must leave these runs identical, number for number. When a
change is *meant* to change results (a new random-number scheme, a new mechanism), regenerate
the records deliberately and say so in the commit:

    SIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

Each record holds the run's ``summary.json`` (without its wall time and its provenance: code
version, commit, source and config hashes, package versions, which vary between commits and
machines, ``sim.runs.provenance.PROVENANCE_KEYS``) and the sum of every column of its daily
series, at full precision.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from sim.policies import PACKAGES, POLICY_NAMES
from sim.runs.api import compose, run
from sim.runs.provenance import PROVENANCE_KEYS

GOLDEN = Path(__file__).parent / "golden"
#: name -> overrides. Tiny scale, a year after the default burn-in; one small-scale baseline.
CASES = {
    "baseline": [],
    **{name: [f"policies=[{name}]"] for name in POLICY_NAMES},
    **{name: [f"policies=[{','.join(members)}]"] for name, members in PACKAGES.items()},
    "all_policies": [f"policies=[{','.join(POLICY_NAMES)}]"],
    "late_start": [
        f"policies=[{POLICY_NAMES[0]},{POLICY_NAMES[3]}]",
        f"policies.{POLICY_NAMES[0]}.start_day=100",
        f"policies.{POLICY_NAMES[3]}.start_day=200",
    ],
}
SMALL = {"baseline_small": ["scale=small", "days=180"]}
#: the history to 2016 at the tiny scale: dated schedules, coverage and the accounting's attribution
HISTORY = {"history_2006_2016": ["scale=tiny", "scenario=china_2006_2019", "end_date=2016-12-31"]}
VOLATILE = ("wall_seconds", *PROVENANCE_KEYS)


def record(overrides: list[str]) -> dict:
    result = run(compose(overrides))
    summary = {k: v for k, v in result.summary.items() if k not in VOLATILE}
    ts = result.timeseries
    series = {c: float(ts[c].astype(float).sum()) for c in ts.columns if c != "date"}
    if "date" in ts:  # a dated run: its first and last dates
        series["date"] = f"{ts['date'].iloc[0]:%Y-%m-%d}/{ts['date'].iloc[-1]:%Y-%m-%d}"
    return {"overrides": overrides, "summary": summary, "timeseries_sums": series}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.mark.parametrize(
    "name,overrides",
    [(n, ["scale=tiny", *o]) for n, o in CASES.items()] + list(SMALL.items()) + list(HISTORY.items()),
    ids=[*CASES, *SMALL, *HISTORY],
)
def test_golden_run_is_unchanged(name, overrides):
    path = GOLDEN / f"{name}.json"
    got = json.loads(json.dumps(record(overrides)))  # the JSON round trip the file went through
    if os.environ.get("SIM_UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        pytest.skip("golden record rewritten")
    want = json.loads(path.read_text())
    assert want["overrides"] == overrides
    diffs = {
        f"{part}.{k}": (want[part].get(k), got[part].get(k))
        for part in ("summary", "timeseries_sums")
        for k in sorted(set(want[part]) | set(got[part]))
        if not _same(want[part].get(k), got[part].get(k))
    }
    assert not diffs, f"{name}: {len(diffs)} values differ from the golden record, e.g. {dict(list(diffs.items())[:8])}"
