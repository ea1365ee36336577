"""The configuration schema: dataclasses with a unit, a valid range and a source for every number.

Hydra composes YAML values onto these dataclasses (registered in the ConfigStore as `schema`).
`validate` then checks every value against its range and raises a `ConfigError` that names the
key, the value and what is allowed. The parameter tables in docs/MODEL.md are generated from the
same metadata (`python -m sim.docs`), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A configuration value that the model refuses, with a one-line reason."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r} is not allowed: {allowed}")


def param(
    default: Any, lo: float | None, hi: float | None, unit: str, source: str, doc: str
) -> Any:
    """A schema field with its valid closed range [lo, hi], unit, source and meaning."""
    meta = {"range": (lo, hi), "unit": unit, "source": source, "doc": doc}
    return field(default=default, metadata=meta)


A = "assumption"


@dataclass
class OrgConfig:
    """The organisation: its size, demand, operations and economics (not a management lever)."""

    name: str = field(default="call_centre", metadata={"doc": "label of the organisation preset"})
    employees: int = param(
        50, 1, 100_000, "people", A, "frontline headcount budget at staffing_level 1"
    )
    customers: int = param(50_000, 1, 5_000_000, "customers", A, "customers at the start")
    teams: int = param(5, 1, 1_000, "teams", A, "teams the employees are split into")
    contacts_per_customer_year: float = param(
        10.0, 0.0, 365.0, "contacts / customer / year", A, "rate of new service needs"
    )
    open_hours: float = param(10.0, 1.0, 24.0, "hours / day", A, "hours the service is open")
    productive_hours: float = param(
        6.5, 0.5, 12.0, "hours / day", A, "hours an agent on duty spends handling contacts"
    )
    absence_rate: float = param(
        0.12, 0.0, 0.9, "share of days", A, "baseline absence (leave, sickness, off-phone work)"
    )
    handle_minutes: float = param(
        6.0, 0.1, 600.0, "minutes", A, "handle time of a fully skilled agent on a standard need"
    )
    complex_handle_factor: float = param(
        1.6, 1.0, 10.0, "x", A, "how much longer a non-standard need takes"
    )
    target_wait_seconds: float = param(
        20.0,
        0.0,
        3600.0,
        "seconds",
        "practitioner convention 80/20 (targets.md)",
        "service-level threshold",
    )
    patience_seconds: float = param(
        180.0,
        1.0,
        86_400.0,
        "seconds",
        "assumption; Brown et al. 2005 report patience of minutes",
        "mean time a caller waits before abandoning (Erlang A)",
    )
    wage_annual: float = param(
        36_000.0, 0.0, 1e7, "currency / FTE / year", A, "loaded wage of a frontline employee"
    )
    overtime_premium: float = param(
        1.5, 1.0, 5.0, "x hourly wage", A, "pay multiplier for overtime hours"
    )
    overtime_max_share: float = param(
        0.1,
        0.0,
        1.0,
        "share of hours",
        A,
        "overtime the firm buys at most when the queue overflows",
    )
    recruiting_cost: float = param(
        3_000.0,
        0.0,
        1e7,
        "currency / hire",
        "Global Call Centre Report 2007: replacing an agent costs 3-4 months of pay in all",
        "advertising, selection and hiring of one agent",
    )
    trainer_cost: float = param(
        2_000.0, 0.0, 1e7, "currency / hire", A, "trainer cost of onboarding one new hire"
    )
    revenue_per_customer_year: float = param(
        360.0, 0.0, 1e9, "currency / customer / year", A, "mean revenue of one customer"
    )
    acquisition_cost: float = param(
        150.0, 0.0, 1e9, "currency / customer", A, "marketing cost of one paid acquisition"
    )
    acquisition_rate: float = param(
        0.145,
        0.0,
        10.0,
        "customers / start customer / year",
        A,
        "paid acquisitions per year per start customer (sized to offset baseline churn)",
    )
    variable_cost_share: float = param(
        0.72,
        0.0,
        1.0,
        "share of revenue",
        A,
        "cost of the goods and services sold, outside service",
    )
    fte_hours_year: float = param(
        1_650.0, 100.0, 5_000.0, "hours", A, "paid hours of one FTE a year (for the overtime rate)"
    )
    past_script_strictness: float = param(
        0.8,
        0.0,
        1.0,
        "0 = free, 1 = verbatim",
        "assumption: the workforce has worked under the baseline script before day 0",
        "script regime before the simulation starts (sets what staff know of deviating)",
    )
    programme_cost_per_employee_year: float = param(
        1_000.0,
        0.0,
        1e7,
        "currency / employee / year",
        A,
        "cost of a people programme at full intensity (feedback, leadership, development)",
    )


@dataclass
class PolicyConfig:
    """The management levers. Scenario presets set these values; nothing else may."""

    script_strictness: float = param(
        0.8,
        0.0,
        1.0,
        "0 = free, 1 = verbatim",
        "assumption (Batt 2002: large centres script heavily)",
        "how closely agents must follow the script",
    )
    recovery_budget: float = param(
        25.0,
        0.0,
        1e6,
        "currency / incident",
        "Ritz-Carlton: USD 2,000 per guest incident (targets.md); default an assumption",
        "what may be spent to put one service failure right",
    )
    recovery_authority: float = param(
        0.0,
        0.0,
        1.0,
        "share",
        "assumption (Ritz-Carlton: any employee may spend without approval = 1)",
        "share of incidents the frontline may settle on the spot without approval",
    )
    approval_days: float = param(
        5.0, 0.0, 365.0, "days", A, "delay of a recovery that needs a manager's approval"
    )
    staffing_level: float = param(
        1.0, 0.05, 5.0, "x org.employees", A, "headcount as a multiple of the org's budget"
    )
    hiring_lag_days: int = param(
        30, 0, 730, "days", A, "time from a resignation to the replacement's first day"
    )
    onboarding_days: int = param(
        28,
        0,
        365,
        "days",
        "Batt, Doellgast & Kwon 2005: about 4 weeks of initial training",
        "classroom training before a new hire takes contacts",
    )
    training: float = param(
        1.0, 0.0, 3.0, "x standard", A, "training intensity: learning speed and onboarding depth"
    )
    pay_level: float = param(1.0, 0.5, 3.0, "x org.wage_annual", A, "pay relative to market")
    feedback_sharing: float = param(
        4.0,
        1.0,
        7.0,
        "1 = low .. 7 = high",
        "HappinessBureau & Steda 2017 (seed 000): market-orientation scale 1..7",
        "how openly customer feedback is measured and shared with staff",
    )
    leadership_consistency: float = param(
        0.5, 0.0, 1.0, "0..1", A, "how far management lives the values it asks for"
    )
    development: float = param(
        0.1,
        0.0,
        1.0,
        "0..1",
        "assumption (seed 002: long-tenured staff lack appreciation and growth)",
        "development opportunities for long-tenured staff",
    )
    productivity_pressure: float = param(
        0.3, 0.0, 1.0, "0..1", A, "push for short handle times and high occupancy"
    )
    hold_standards: float = param(
        0.5,
        0.0,
        1.0,
        "0 = drift, 1 = held",
        "assumption: partly held (Oliva & Sterman 2001: left alone they drift to what is achieved)",
        "how firmly management holds the service standard after an overload",
    )
    internal_service: float = param(
        0.6, 0.0, 1.0, "0..1", A, "quality of tools, rosters and support the frontline gets"
    )


@dataclass
class BehaviourConfig:
    """Behavioural response parameters shared by every scenario (calibrated, not levers)."""

    # Employees
    engagement_base: float = param(
        3.95,
        0.0,
        10.0,
        "0-10",
        "calibrated: baseline mean work happiness about 7 (HappinessBureau; targets.md)",
        "work happiness with every driver at zero and no stress",
    )
    driver_weight: float = param(
        8.5,
        0.0,
        20.0,
        "points per driver unit",
        "calibrated: market orientation 1..7 spans work happiness 6.0..7.8 (seed 000)",
        "points of work happiness the four drivers together can add",
    )
    stress_weight: float = param(2.0, 0.0, 10.0, "points", A, "work happiness lost at full stress")
    mirror_weight: float = param(
        0.4,
        0.0,
        5.0,
        "points per point",
        "assumption (satisfaction mirror, Heskett et al. 1994)",
        "lift of work happiness per point of the served customers' experience above 7",
    )
    plateau_penalty: float = param(
        1.5,
        0.0,
        10.0,
        "points",
        "assumption (seed 002: over-50s with 10+ years far less happy)",
        "work happiness long-tenured staff lose without development",
    )
    trait_sd: float = param(
        1.0, 0.0, 5.0, "points", A, "spread of individual work happiness around the target"
    )
    stress_gain: float = param(
        0.5, 0.0, 5.0, "stress per unit", A, "stress target per unit of job demands over resources"
    )
    stress_offset: float = param(
        0.58,
        -5.0,
        5.0,
        "0..1",
        "calibrated: baseline stress about 0.3 (assumption)",
        "stress target when demands equal resources",
    )
    stress_absence: float = param(
        1.0, 0.0, 10.0, "x per unit stress", A, "rise of absence with stress (sick leave)"
    )
    veteran_quit_factor: float = param(
        0.5, 0.0, 1.0, "x", A, "quit hazard of staff with more than 5 years' tenure, relative"
    )
    engagement_adjust_days: float = param(
        45.0, 1.0, 3650.0, "days", A, "time constant of work happiness toward its target"
    )
    stress_adjust_days: float = param(
        14.0, 1.0, 3650.0, "days", A, "time constant of stress toward job demands - resources"
    )
    quit_rate_annual: float = param(
        0.37,
        0.0,
        5.0,
        "per year",
        "calibrated: baseline turnover 25-50% (Holman et al. 2007; ICMI 29-33%)",
        "quit rate of an employee at work happiness 7 and stress 0.3",
    )
    quit_engagement_slope: float = param(
        0.45,
        0.0,
        5.0,
        "log-hazard per point",
        "assumption (Batt 2002: involvement lowers quits)",
        "rise of the log quit hazard per point of work happiness below 7",
    )
    quit_stress_slope: float = param(
        1.0, 0.0, 10.0, "log-hazard per unit", A, "rise of the log quit hazard per unit of stress"
    )
    newcomer_quit_factor: float = param(
        1.8, 1.0, 10.0, "x", A, "extra quit hazard in the first 6 months (reality shock)"
    )
    learning_days: float = param(
        75.0,
        1.0,
        3650.0,
        "days",
        "calibrated: month-1 efficiency about 53% of month-12 (Cinareo, targets.md)",
        "time constant of the learning curve at standard training",
    )
    new_hire_skill: float = param(
        0.45, 0.0, 1.0, "0..1", "calibrated with learning_days", "skill after standard onboarding"
    )
    deviation_learning_days: float = param(
        90.0,
        1.0,
        3650.0,
        "days",
        A,
        "time to learn when to deviate from a script, at full freedom",
    )
    # Encounters
    resolve_base: float = param(
        0.85,
        0.0,
        1.0,
        "probability",
        A,
        "first-contact resolution of a skilled agent, standard need",
    )
    script_help: float = param(
        0.5, 0.0, 1.0, "share", A, "share of a novice's skill gap a strict script fills (standard)"
    )
    script_cap: float = param(
        0.45,
        0.0,
        1.0,
        "share",
        "assumption (Victorino et al. 2008: scripts hurt only customised encounters)",
        "resolution lost on non-standard needs under a verbatim script",
    )
    deviation_error: float = param(
        0.6, 0.0, 1.0, "share", A, "resolution lost when deviating without knowing when to"
    )
    pressure_speedup: float = param(
        0.15, 0.0, 0.9, "share", A, "handle time cut at full productivity pressure"
    )
    pressure_resolution_loss: float = param(
        0.1, 0.0, 1.0, "share", A, "resolution lost at full productivity pressure"
    )
    script_feel: float = param(
        1.0,
        0.0,
        10.0,
        "points",
        "Victorino et al. 2008: scripts lower perceived quality of customised encounters",
        "experience lost on a non-standard need under a verbatim script",
    )
    personal_touch: float = param(
        0.5, 0.0, 10.0, "points", A, "experience gained when a free, able agent tailors the answer"
    )
    repeat_penalty: float = param(
        0.75,
        0.0,
        10.0,
        "points / attempt",
        A,
        "experience lost per earlier contact on the same need",
    )
    apology_floor: float = param(
        0.2, 0.0, 1.0, "share", A, "share of a recovery's value an apology alone delivers"
    )
    min_effort: float = param(
        0.6, 0.05, 1.0, "share", A, "least share of the standard handle time staff give when rushed"
    )
    rush_resolution_loss: float = param(
        0.8,
        0.0,
        1.0,
        "share per unit",
        "assumption (Oliva & Sterman 2001: less time per customer, lower quality)",
        "resolution lost per unit of effort below the standard",
    )
    slack_recovery: float = param(
        0.1,
        0.0,
        1.0,
        "share per day",
        "assumption (Oliva & Sterman 2001: staff work to the perceived norm)",
        "share of the gap to the full standard staff take back on a day with slack",
    )
    standard_drift_days: float = param(
        60.0, 1.0, 3650.0, "days", A, "time for the effort norm to move toward what is achieved"
    )
    failure_rate: float = param(
        0.03,
        0.0,
        1.0,
        "per encounter",
        A,
        "chance a skilled, unstressed agent's encounter causes a service failure",
    )
    burnout_effect: float = param(
        0.3,
        0.0,
        5.0,
        "x per unit stress",
        "Corbeanu et al. 2023: exhaustion r = -.17 with performance (modest)",
        "rise of failure risk and fall of positivity with stress",
    )
    positivity_effect: float = param(
        1.5,
        0.0,
        10.0,
        "points",
        "Pugh 2001; Barger & Grandey 2006 (emotional contagion)",
        "experience points a fully positive vs neutral agent adds",
    )
    busyness_effect: float = param(
        0.3,
        0.0,
        1.0,
        "share",
        "Barger & Grandey 2006: busyness lowers displayed positivity",
        "positivity lost at full occupancy",
    )
    wait_penalty_per_minute: float = param(
        0.5, 0.0, 10.0, "points / minute", A, "experience lost per minute in the queue"
    )
    # Customers
    complaint_share: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        "Goodman & Newman 2003 (TARP): about half tell the front line",
        "mean share of failures a customer reports",
    )
    failure_drop: float = param(
        2.5, 0.0, 10.0, "points", A, "satisfaction lost on a service failure"
    )
    paradox_bonus: float = param(
        0.8,
        0.0,
        10.0,
        "points",
        "de Matos et al. 2007: recovery paradox on satisfaction after a first failure",
        "satisfaction above the pre-failure level after a perfect first recovery",
    )
    recovery_need_mean: float = param(
        40.0,
        0.0,
        1e6,
        "currency",
        "assumption (Ritz-Carlton: the budget 'doesn't get used much')",
        "mean compensation that puts a failure right",
    )
    delay_halflife_days: float = param(
        4.0,
        0.01,
        365.0,
        "days",
        "assumption (TARP: quick resolution keeps far more customers)",
        "delay that halves the value of a recovery",
    )
    start_satisfaction_gap: float = param(
        0.8,
        0.0,
        10.0,
        "points",
        "calibrated: the baseline's steady state lies about 0.8 below the product baseline",
        "how far below their product baseline the starting customers stand after past service",
    )
    encounter_weight: float = param(
        0.25, 0.0, 1.0, "share", A, "weight of one encounter's experience in satisfaction"
    )
    satisfaction_memory_days: float = param(
        180.0, 1.0, 36500.0, "days", A, "time constant of satisfaction back to its baseline"
    )
    churn_rate_annual: float = param(
        0.09,
        0.0,
        10.0,
        "per year",
        A,
        "defection rate of a customer at satisfaction 7 with no remembered failure",
    )
    churn_satisfaction_slope: float = param(
        0.45,
        0.0,
        5.0,
        "log-hazard per point",
        "Jones & Sasser 1995: loyalty is convex in satisfaction",
        "rise of the log defection hazard per point of satisfaction below 7",
    )
    failure_memory_effect: float = param(
        0.5,
        0.0,
        10.0,
        "x per remembered failure",
        "de Matos et al. 2007: no paradox on repurchase",
        "extra defection hazard per remembered failure",
    )
    failure_memory_days: float = param(
        365.0, 1.0, 36500.0, "days", A, "time constant of forgetting a failure"
    )
    retry_share: float = param(
        0.8, 0.0, 1.0, "share", A, "unresolved or abandoned needs that come back as repeat contacts"
    )
    wom_positive_reach: float = param(
        1.5, 0.0, 100.0, "people", A, "people a delighted customer tells"
    )
    wom_negative_ratio: float = param(
        2.0,
        0.0,
        20.0,
        "x",
        "Goodman & Newman 2003: bad experiences told to about twice as many",
        "reach of a bad experience relative to a good one",
    )
    wom_to_customers: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        A,
        "share of tellings that reach existing customers (rest: prospects)",
    )
    wom_effect: float = param(
        0.2, 0.0, 10.0, "points", A, "satisfaction a listening customer gains or loses"
    )
    referral_conversion: float = param(
        0.03, 0.0, 1.0, "per telling", A, "chance a positive telling to a prospect wins a customer"
    )
    deterrence: float = param(
        0.005, 0.0, 1.0, "per telling", A, "paid acquisitions lost per negative telling"
    )


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
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "configs" / "journey" / f"{name}.yaml"
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


class ManagementRule(StrEnum):
    """How management reacts to what it reads (issue 7; Sears' balanced scorecard)."""

    none = "none"  # levers stay where the scenario put them
    cost_focused = "cost_focused"  # cuts when profit dips
    people_driven = "people_driven"  # fixes the worst-scoring driver first
    balanced = "balanced"  # one third employee, one third customer, one third financial


@dataclass
class ManagementConfig:
    """Management as an agent: it reads the surveys and the books on a cycle and moves levers."""

    rule: ManagementRule = field(
        default=ManagementRule.none,
        metadata={"doc": "decision rule: none, cost_focused, people_driven or balanced"},
    )
    review_days: int = param(91, 1, 3650, "days", A, "days between management reviews")
    lag_days: int = param(30, 0, 3650, "days", A, "days from a decision to its effect")
    step: float = param(
        0.1, 0.01, 1.0, "share of a lever's scale", A, "size of one decision on one lever"
    )
    budget_per_employee_year: float = param(
        2_000.0,
        0.0,
        1e7,
        "currency / employee / year",
        A,
        "most management will spend on people programmes",
    )


@dataclass
class SimConfig:
    """One simulation run."""

    org: OrgConfig = field(default_factory=OrgConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    management: ManagementConfig = field(default_factory=ManagementConfig)
    journey: JourneyConfig = field(default_factory=JourneyConfig)
    seed: int = param(0, 0, 2**32 - 1, "integer", "-", "random seed (same seed, same numbers)")
    days: int = param(1095, 1, 36_500, "days", "-", "simulated days (default 3 years)")
    survey_interval_days: int = param(91, 1, 3650, "days", A, "days between pulse surveys")
    progress: bool = field(default=True, metadata={"doc": "show a progress bar over days"})
    # Settings of an experiment command (sim-compare, sim-units, ...); a single run ignores them.
    experiment: Any = None


def register_configs() -> None:
    """Register the schema so `defaults: [schema, ...]` in config.yaml finds it."""
    ConfigStore.instance().store(name="schema", node=SimConfig)


def _ranges(node: Any, prefix: str = "") -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for f in fields(node):
        key = f"{prefix}{f.name}"
        default = f.default_factory() if f.default is MISSING else f.default
        if is_dataclass(default):
            out.update(_ranges(type(default), key + "."))
        elif "range" in f.metadata:
            out[key] = f.metadata["range"]
    return out


RANGES: dict[str, tuple[Any, Any]] = _ranges(SimConfig)


def validate(cfg: DictConfig | SimConfig) -> None:
    """Check every ranged value; raise ConfigError naming the first bad key."""
    container = cfg if isinstance(cfg, DictConfig) else OmegaConf.structured(cfg)
    for key, (lo, hi) in RANGES.items():
        value = OmegaConf.select(container, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
        if (
            not math.isfinite(value)
            or (lo is not None and value < lo)
            or (hi is not None and value > hi)
        ):
            raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
    validate_journey(container.journey)


def _check_range(key: str, value: Any, lo: Any, hi: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
    if (
        not math.isfinite(value)
        or (lo is not None and value < lo)
        or (hi is not None and value > hi)
    ):
        raise ConfigError(key, value, f"a number in [{lo}, {hi}]")


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
                _check_range(
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
                _check_range(
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


def to_dataclass(cfg: DictConfig) -> SimConfig:
    """Validate a composed DictConfig and turn it into the typed SimConfig the model takes."""
    validate(cfg)
    own = {f.name: cfg[f.name] for f in fields(SimConfig) if f.name in cfg}
    merged = OmegaConf.merge(OmegaConf.structured(SimConfig), own)
    return OmegaConf.to_object(merged)  # type: ignore[return-value]
