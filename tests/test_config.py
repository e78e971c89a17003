"""Configuration: Hydra composition into the validated schema (``sim.runs.api.compose``).

Every bad input of issue 2 raises :class:`sim.config.ConfigError` naming the offending key,
before a model is built. The command-line side of the same inputs is in ``test_cli.py``.
"""

from __future__ import annotations

import pytest

from sim.config.schema import ConfigError, SimConfig, parameter_table
from sim.policies import POLICY_NAMES
from sim.runs.api import compose

#: (overrides, words the message must contain: the key, and what is wrong or allowed)
BAD_INPUTS = {
    "unknown policy": (["policies=[ubi]"], ["policies", "ubi"]),
    "unknown key": (["foo=1"], ["foo"]),
    "unknown key added with +": (["+unknown=1"], ["unknown", "allowed"]),
    "unknown nested key added with +": (["+params.care.foo=1"], ["params.care.foo", "allowed"]),
    "unknown scale": (["scale=huge"], ["scale", "huge", "tiny"]),
    "wrong type": (["days=abc"], ["days", "abc", "Integer"]),
    "wrong type of a policy intensity": (
        ["policies=[insurance]", "policies.insurance.coverage_gain=abc"],
        ["policies.insurance.coverage_gain", "abc"],
    ),
    "probability above 1": (["params.care.irreducible_risk=1.5"], ["params.care.irreducible_risk", "[0.0, 1.0]"]),
    "probability below 0": (["params.cost.uninsured_share=-0.1"], ["params.cost.uninsured_share", "[0.0, 1.0]"]),
    "policy probability above 1": (
        ["policies=[insurance]", "policies.insurance.coverage_gain=1.5"],
        ["policies.insurance.coverage_gain", "[0.0, 1.0]"],
    ),
    "negative count": (["policies=[mediation]", "policies.mediation.capacity=-1"], ["policies.mediation.capacity"]),
    "negative days": (["days=-1"], ["days", "out of range"]),
    "negative patients": (["scale.n_patients=-5"], ["scale.n_patients", "out of range"]),
    "zero-patient population": (["scale.n_patients=0"], ["scale.n_patients", "out of range"]),
    "intensity of a policy that is off": (
        ["policies.insurance.coverage_gain=0.9"],
        ["policies.insurance.coverage_gain", "insurance", "not switched on"],
    ),
    "start day of a policy that is off": (["policies.mediation.start_day=5"], ["policies.mediation.start_day"]),
    "not a finite number": (["params.care.fit_penalty=nan"], ["params.care.fit_penalty", "finite"]),
    "odd mean degree": (["scale=tiny", "scale.mean_degree=7"], ["scale.mean_degree", "even"]),
}


@pytest.mark.parametrize("overrides, words", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_config_error_naming_the_key(overrides, words):
    with pytest.raises(ConfigError) as err:
        compose(overrides)
    message = str(err.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


def test_the_default_config_is_valid_and_pre_reform():
    cfg = compose()
    assert isinstance(cfg, SimConfig)
    assert cfg.policies.enabled() == []
    assert cfg.record_episodes is False


def test_the_default_config_carries_the_calibration_and_calibration_none_the_schema_defaults():
    """configs/calibration/pre_reform.yaml (written by experiments/calibrate.py) sets exactly the
    calibration's free parameters; calibration=none leaves the schema defaults; an override on the
    command line still wins over the calibration."""
    from omegaconf import OmegaConf

    from sim.analysis.calibration import CALIBRATED_KEYS, CALIBRATION_CONFIG

    fitted = OmegaConf.to_container(OmegaConf.load(CALIBRATION_CONFIG))
    flat = {
        f"params.{group}.{key}": value for group, values in fitted["params"].items() for key, value in values.items()
    }
    assert set(flat) == set(CALIBRATED_KEYS)
    calibrated, schema = compose(), compose(["calibration=none"])
    for key, value in flat.items():
        group, name = key.split(".")[1:]
        assert getattr(getattr(calibrated.params, group), name) == pytest.approx(value)
        assert getattr(getattr(schema.params, group), name) == getattr(getattr(SimConfig().params, group), name)
    assert compose(["params.satisfaction.baseline=1.25"]).params.satisfaction.baseline == 1.25


def test_overrides_reach_the_validated_config():
    cfg = compose(
        [
            "scale=tiny",
            "seed=42",
            "days=17",
            "policies=[mediation,insurance]",
            "policies.insurance.coverage_gain=0.9",
            "policies.mediation.start_day=5",
            "params.trust.negativity_bias=3",
        ]
    )
    assert (cfg.seed, cfg.days, cfg.scale.name) == (42, 17, "tiny")
    assert cfg.policies.enabled() == ["mediation", "insurance"]
    assert cfg.policies.insurance.coverage_gain == 0.9
    assert cfg.policies.mediation.start_day == 5
    assert cfg.params.trust.negativity_bias == 3


@pytest.mark.parametrize("scale", ["tiny", "small", "default", "large"])
def test_every_scale_composes(scale):
    assert compose([f"scale={scale}"]).scale.name == scale


def test_every_policy_can_be_switched_on_alone_and_all_together():
    for name in POLICY_NAMES:
        assert compose([f"policies=[{name}]"]).policies.enabled() == [name]
    assert compose([f"policies=[{','.join(POLICY_NAMES)}]"]).policies.enabled() == list(POLICY_NAMES)


def test_constructing_the_schema_directly_also_validates():
    with pytest.raises(ConfigError, match="days"):
        SimConfig(days=0)


def test_every_numeric_parameter_has_a_meaning_and_probabilities_are_bounded():
    rows = parameter_table()
    assert len(rows) > 50
    numeric = [r for r in rows if isinstance(r["default"], int | float) and not isinstance(r["default"], bool)]
    assert all(row["meaning"] for row in numeric), [row["key"] for row in numeric if not row["meaning"]]
    for row in numeric:
        if row["min"] is not None:
            assert row["default"] >= row["min"], row["key"]
        if row["max"] is not None:
            assert row["default"] <= row["max"], row["key"]
