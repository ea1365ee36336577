"""The customer journey and the roles behind it (`journey.*`, configs/journey/; MODEL.md 3.7).

`validate_journey` checks what a range cannot: weights that sum to one, a stage nobody serves,
a role that depends on a role that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import ConfigError, check_range, param

JOURNEY_DIR = Path(__file__).resolve().parents[2] / "configs" / "journey"


class Office(StrEnum):
    """Where a role works: with customers (front) or for them, out of sight (back)."""

    front = "front"  # takes customer contacts at its stages
    back = "back"  # produces outputs (bills, fixes, rosters) that customers or colleagues use


class Provides(StrEnum):
    """What a role's internal service is to the roles that depend on it."""

    none = "none"
    tools = "tools"  # systems and tools: feeds `can` and the error rate of dependants
    rosters = "rosters"  # schedules: as tools, and a poor roster leaves the phones understaffed
    support = "support"  # help and escalation: as tools


@dataclass
class StageConfig:
    """One stage of the customer journey (configs/journey/*.yaml, under `journey.stages`)."""

    touchpoints: list[str] = field(
        default_factory=list, metadata={"doc": "where customers meet the firm here (labels)"}
    )
    contact_reasons: list[str] = field(
        default_factory=list, metadata={"doc": "why customers get in touch here (labels)"}
    )
    need_share: float = param(
        1.0, 0.0, 1e6, "relative", A, "how many of a customer's needs arise here while it is open"
    )
    complex_share: float = param(
        0.3,
        0.0,
        1.0,
        "share",
        "assumption (Victorino et al. 2008 distinguish standard and customised encounters)",
        "share of this stage's needs that are non-standard",
    )
    failure_risk: float = param(
        1.0, 0.0, 20.0, "x behaviour.failure_rate", A, "how error-prone a contact at this stage is"
    )
    weight: float = param(
        0.2, 0.0, 1.0, "share (stages sum to 1)", A, "weight in the customer's overall judgement"
    )
    from_day: float = param(
        0.0, 0.0, 1e6, "days of tenure", A, "the stage opens this many days into the relationship"
    )
    until_day: float = param(1e6, 0.0, 1e6, "days of tenure", A, "and closes here (1e6: never)")
    cycle_days: float = param(
        0.0, 0.0, 1e6, "days", A, "0: once in a life; else the window repeats every cycle_days"
    )
    deliveries_per_year: float = param(
        0.0,
        0.0,
        365.0,
        "outputs / customer / year",
        A,
        "back-office outputs a customer here receives (bills, activations, fixes)",
    )
    delivery_error: float = param(
        0.0,
        0.0,
        1.0,
        "share of outputs",
        A,
        "share of those outputs that are wrong when made by a reference back office",
    )


@dataclass
class RoleConfig:
    """One employee role (configs/journey/*.yaml, under `journey.roles`)."""

    office: Office = field(default=Office.front, metadata={"doc": "front or back"})
    stages: list[str] = field(
        default_factory=list, metadata={"doc": "the journey stages this role works at"}
    )
    depends_on: list[str] = field(
        default_factory=list, metadata={"doc": "roles whose internal service this role uses"}
    )
    provides: Provides = field(
        default=Provides.none, metadata={"doc": "none, tools, rosters or support"}
    )
    headcount: float = param(
        1.0, 0.0, 100.0, "x org.employees", A, "staff the role's work needs at staffing_level 1"
    )
    staffing: float = param(
        1.0, 0.0, 10.0, "x headcount", A, "staff the role is given against what its work needs"
    )
    training: float = param(1.0, 0.0, 3.0, "x policy.training", A, "the role's training intensity")
    feedback_reach: float = param(
        1.0, 0.0, 1.0, "share", A, "how much of the shared customer feedback reaches the role"
    )
    autonomy: float = param(
        0.5,
        0.0,
        1.0,
        "0..1",
        A,
        "freedom in the work of a back-office role (front roles: 1 - policy.script_strictness)",
    )
    tools: float = param(
        1.0, 0.0, 2.0, "x policy.internal_service", A, "quality of the role's own tools"
    )


@dataclass
class JourneyConfig:
    """The customer journey and the roles that serve it (docs/MODEL.md, section 3.7)."""

    name: str = field(default="single_stage", metadata={"doc": "label of the journey preset"})
    # Empty in the schema (YAML presets fill them; a dict default would merge with theirs).
    # A config with neither stages nor roles runs the single-stage journey (`single_stage()`).
    stages: dict[str, StageConfig] = field(default_factory=dict)
    roles: dict[str, RoleConfig] = field(default_factory=dict)


def load_journey(name: str) -> JourneyConfig:
    """A journey preset from configs/journey/<name>.yaml, for code that builds configs without
    Hydra (the benchmark, notebooks); the CLI composes the same file through `journey=<name>`."""
    path = JOURNEY_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.yaml")))
        raise ConfigError("journey", name, f"one of {known}")
    merged = OmegaConf.merge(OmegaConf.structured(JourneyConfig), OmegaConf.load(path))
    journey = OmegaConf.to_object(merged)
    validate_journey(journey)
    return journey  # type: ignore[return-value]


def single_stage() -> JourneyConfig:
    """One stage served by one front-office role: the service day without a journey."""
    return JourneyConfig(
        name="single_stage",
        stages={
            "service": StageConfig(touchpoints=["phone"], contact_reasons=["any need"], weight=1.0)
        },
        roles={"agents": RoleConfig(stages=["service"])},
    )


def validate_journey(journey: Any) -> None:
    """Check a journey: every stage served, weights summing to one, roles that exist."""
    stages, roles = journey.stages, journey.roles
    if not stages and not roles:
        return  # the single-stage journey
    if not stages:
        raise ConfigError("journey.stages", "{}", "at least one stage")
    for name, stage in stages.items():
        for f in fields(StageConfig):
            if "range" in f.metadata:
                check_range(
                    f"journey.stages.{name}.{f.name}", getattr(stage, f.name), *f.metadata["range"]
                )
        if stage.until_day <= stage.from_day:
            raise ConfigError(
                f"journey.stages.{name}.until_day",
                stage.until_day,
                f"more than from_day ({stage.from_day})",
            )
        if stage.cycle_days > 0 and stage.from_day >= stage.cycle_days:
            raise ConfigError(
                f"journey.stages.{name}.from_day",
                stage.from_day,
                f"less than cycle_days ({stage.cycle_days}), or the stage never opens",
            )
    total = sum(float(s.weight) for s in stages.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError("journey.stages.*.weight", round(total, 6), "stage weights must sum to 1")
    if sum(float(s.need_share) for s in stages.values()) <= 0:
        raise ConfigError("journey.stages.*.need_share", 0, "at least one stage with needs")
    if not roles:
        raise ConfigError("journey.roles", "{}", "at least one role")
    names = ", ".join(stages)
    supplied = {dep for role in roles.values() for dep in role.depends_on}
    for name, role in roles.items():
        for f in fields(RoleConfig):
            if "range" in f.metadata:
                check_range(
                    f"journey.roles.{name}.{f.name}", getattr(role, f.name), *f.metadata["range"]
                )
        for stage in role.stages:
            if stage not in stages:
                raise ConfigError(
                    f"journey.roles.{name}.stages", stage, f"a stage of this journey: {names}"
                )
        for dep in role.depends_on:
            if dep not in roles or dep == name:
                others = ", ".join(r for r in roles if r != name)
                raise ConfigError(
                    f"journey.roles.{name}.depends_on", dep, f"another role: {others}"
                )
        if not role.stages and name not in supplied:
            raise ConfigError(
                f"journey.roles.{name}.stages",
                [],
                "a stage it works at, or a role that depends on it",
            )
    front = [r for r, role in roles.items() if str(role.office) == "front" and role.headcount > 0]
    if not front:
        raise ConfigError(
            "journey.roles", ", ".join(roles), "at least one front-office role with headcount"
        )
    for name, stage in stages.items():
        serving = [r for r, role in roles.items() if name in role.stages]
        if not serving:
            raise ConfigError(
                f"journey.stages.{name}", "no role", "a stage needs a role that works at it"
            )
        contacted = stage.need_share > 0 or stage.deliveries_per_year > 0
        if contacted and not any(str(roles[r].office) == "front" for r in serving):
            # Customers call about a wrong output too: someone must answer.
            raise ConfigError(
                f"journey.stages.{name}",
                "no front-office role",
                "customers contact this stage: a front role must serve it",
            )
        if stage.deliveries_per_year > 0 and not any(
            str(roles[r].office) == "back" and roles[r].headcount > 0 for r in serving
        ):
            raise ConfigError(
                f"journey.stages.{name}.deliveries_per_year",
                stage.deliveries_per_year,
                "0 unless a back-office role with headcount works at this stage",
            )
