"""Shared helpers for the tests of the core simulation (issue 2).

Tests build their inputs explicitly (override strings, arrays, levers) rather than relying on
the default parameter values, which the calibration tunes. The tiny scale (3,000 residents,
about a second per simulated year) is used wherever it suffices.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.config.compose import compose
from sim.config.schema import SimConfig
from sim.engine.model import TrustModel
from sim.engine.state import Episodes
from sim.mechanisms import care
from sim.policies import Levers

REPO = Path(__file__).resolve().parent.parent


def tiny_config(*overrides: str, days: int = 30, seed: int = 0) -> SimConfig:
    """A validated tiny-scale config with the given Hydra override strings. Without the burn-in
    (``burn_in_days=0``, unless overridden): mechanism tests start from the drawn initial state."""
    return compose(["scale=tiny", "burn_in_days=0", f"days={days}", f"seed={seed}", *overrides])


def tiny_model(*overrides: str, days: int = 30, seed: int = 0) -> TrustModel:
    """A freshly set-up (not yet stepped) tiny-scale model, on day 0 (no burn-in)."""
    return TrustModel(tiny_config(*overrides, days=days, seed=seed)).setup()


def treat_batch(
    model: TrustModel,
    n: int,
    severity: float | np.ndarray | None = None,
    levers: Levers | None = None,
    seed: int = 1,
    facilities=None,
):
    """Mechanisms 2-6 (``Care.treat``) on ``n`` episodes of random residents of ``model``.

    The episodes (who, severity, the per-episode uniforms) come from a test-local generator
    ``seed``, so two calls with the same seed give the same episodes and draws whatever the
    levers (a paired comparison). ``treat`` changes facility state (backlog, wait
    reputation): it works on a copy of the model's facilities unless ``facilities`` is given.
    Returns ``(episodes, facilities, visits per facility)``.
    """
    rng = np.random.default_rng(seed)
    who = rng.integers(0, model.patients.n, n)
    if severity is None:
        p = model.config.params.illness
        severity = rng.beta(p.severity_a, p.severity_b, n)
    sev = np.broadcast_to(np.asarray(severity, dtype=float), (n,)).copy()
    ep = Episodes(patient=who, severity=sev, draws=rng.random((n, len(care.DRAWS))))
    fa = copy.deepcopy(model.facilities) if facilities is None else facilities
    world = dataclasses.replace(model.world, facilities=fa, levers=model.levers if levers is None else levers)
    roster = care.Roster.build(model.doctors, fa, model.day)
    visits = model.mechanisms["care"].treat(ep, world, roster)
    return ep, fa, visits


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m sim <args>`` in a separate process (Mesa's INFO logging silenced by the app)."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="session")
def baseline_tiny_model() -> TrustModel:
    """A pre-reform tiny model run for 60 days (read-only: tests must not step or mutate it)."""
    return tiny_model("record_episodes=true", days=60, seed=11).run()
