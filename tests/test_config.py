"""The YAML values, the schema defaults, the docs and the validation agree."""

from __future__ import annotations

import ast
from dataclasses import asdict, fields
from pathlib import Path

import pytest
from conftest import ROOT, make_config

import sim.config
from sim import docs
from sim.cli import group_options
from sim.config import (
    RANGES,
    SECTIONS,
    BehaviourConfig,
    ConfigError,
    EncounterBehaviour,
    SimConfig,
    single_stage,
    validate,
)


def test_yaml_defaults_equal_schema_defaults():
    # `ServiceModel()` (notebooks) and `sim-run` must simulate the same baseline, except for the
    # journey: the schema's is empty (the single-stage day), the org's preset fills it.
    composed = asdict(make_config())
    schema = asdict(SimConfig())
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


def _imported_config_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "sim.config"
        for alias in node.names
    }


def test_the_config_package_exports_every_name_the_tree_imports_from_it():
    files = [
        p for d in ("sim", "experiments", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py")
    ]
    wanted = set().union(*(_imported_config_names(p) for p in files))
    assert {"SimConfig", "BehaviourConfig", "ConfigError", "load_journey"} <= wanted
    missing = sorted(n for n in wanted if not hasattr(sim.config, n))
    assert not missing, f"sim.config no longer exports {missing}"
    assert set(sim.config.__all__) >= wanted


def test_behaviour_sections_partition_the_flat_behaviour_fields():
    flat = [f.name for f in fields(BehaviourConfig)]
    per_section = [f.name for section in SECTIONS for f in fields(section)]
    assert len(per_section) == len(set(per_section)), "a field sits in two sections"
    assert sorted(per_section) == sorted(flat), "a field is in no section, or in no config"
    assert per_section == flat  # the documented order: section by section
    for section in SECTIONS:
        assert issubclass(BehaviourConfig, section)
        for f in fields(section):  # unit, range, source and meaning travel with the field
            assert dict(f.metadata) == dict(BehaviourConfig.__dataclass_fields__[f.name].metadata)
    assert {"positivity_effect", "failure_rate", "resolve_base"} <= {
        f.name for f in fields(EncounterBehaviour)
    }


def test_behaviour_keys_stay_flat_for_yaml_and_overrides():
    cfg = make_config("behaviour.positivity_effect=2.5", "behaviour.quit_rate_annual=0.2")
    assert cfg.behaviour.positivity_effect == 2.5 and cfg.behaviour.quit_rate_annual == 0.2
    assert isinstance(cfg.behaviour, EncounterBehaviour)  # a stage may ask for its section only
    behaviour_keys = [k for k in RANGES if k.startswith("behaviour.")]
    assert len(behaviour_keys) == len(fields(BehaviourConfig))
    assert all(k.count(".") == 1 for k in behaviour_keys)  # no `behaviour.<section>.<name>`
