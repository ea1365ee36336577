"""The YAML values, the schema defaults, the docs and the validation agree."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from conftest import make_config

from sim import docs
from sim.cli import group_options
from sim.config import RANGES, ConfigError, SimConfig, single_stage, validate


def test_yaml_defaults_equal_schema_defaults():
    # `ServiceModel()` (notebooks) and `sim-run` must simulate the same baseline, except for the
    # journey: the schema's is empty (the single-stage day), the org's preset fills it.
    composed = asdict(make_config())
    schema = asdict(SimConfig())
    composed.pop("experiment"), schema.pop("experiment")
    assert composed.pop("journey")["name"] == "call_centre"
    assert schema.pop("journey") == {"name": "single_stage", "stages": {}, "roles": {}}
    assert composed == schema


def test_schema_defaults_of_stages_and_roles_are_documented_presets():
    single = asdict(make_config("journey=single_stage"))["journey"]
    assert single == asdict(single_stage())


@pytest.mark.parametrize("scenario", group_options("scenario"))
def test_every_scenario_is_only_policy_values(scenario):
    base = asdict(make_config())
    cfg = asdict(make_config(f"scenario={scenario}"))
    changed = {section for section in ("org", "behaviour") if cfg[section] != base[section]} | {
        k for k in ("seed", "days") if cfg[k] != base[k]
    }
    assert not changed, f"{scenario} changes {changed}; presets may only set policy.*"


def test_scenario_list_covers_the_brief():
    needed = {
        "baseline",
        "loose_scripts",
        "ritz_recovery",
        "feedback_sharing",
        "retention_programme",
        "consistent_leadership",
        "cost_cutting",
        "people_driven",
    }
    assert needed <= set(group_options("scenario"))
    assert {"call_centre", "hotel"} <= set(group_options("org"))


def test_ritz_scenario_carries_the_published_budget():
    cfg = make_config("scenario=ritz_recovery")
    assert cfg.policy.recovery_budget == 2000.0
    assert cfg.policy.recovery_authority == 1.0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("org.employees", -5),
        ("policy.script_strictness", 1.5),
        ("behaviour.complaint_share", 1.2),
        ("policy.feedback_sharing", 0.0),
        ("days", 0),
    ],
)
def test_validate_names_the_bad_key(key, value):
    cfg = SimConfig()
    section, _, name = key.rpartition(".")
    setattr(getattr(cfg, section) if section else cfg, name, value)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert err.value.key == key
    assert str(value) in str(err.value) and "[" in str(err.value)


def test_every_ranged_parameter_has_unit_and_source_in_docs():
    text = docs.MODEL_MD.read_text()
    assert docs.render(text) == text, "docs/MODEL.md is stale: run python -m sim.docs"
    for key in RANGES:
        assert f"`{key}`" in text
