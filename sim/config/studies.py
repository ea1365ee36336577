"""Typed settings of the study commands: sim-compare, sim-plan, sim-sensitivity, sim-units and
sim-discover.

Each command composes its own config file (configs/compare.yaml, ...), which holds the command's
settings at its top level under one node named after the command (`compare.replications`), typed
by a dataclass below; the rest of the file is a run's config (`SimConfig`). The command's schema
(`CompareConfig`, ...) is the run's schema plus that one node, so a setting of another command
(`units.units`, `compare.method`) is not a key of this one and is refused by name before
anything runs (sim/study.py). `configs/experiment/` holds saved recipes (`experiment=quick`):
`@package _global_` files that set a command's node and the organisation.

The defaults here equal the YAML's (a test keeps them so), so code can build settings without
Hydra (`UnitsSettings()`). What a type or range cannot check (a scenario that exists, a KPI
the registry knows) is checked by the command itself (experiments/*.py, sim/analysis/*.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from omegaconf import MISSING

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import check_range, param
from sim.config.run import SimConfig

# Settings every study command shares, with their ranges.
REPLICATIONS = "seeds per arm: seed, seed + 1, ..., the same for every arm (common random numbers)"
WORKERS = {"doc": "worker processes; null = every core this process may use"}
CONF = ("probability", "-", "confidence level of the intervals")
WINDOW = ("days", "-", "the KPIs are those of the last this many days (flows annualised)")


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


# Parameter uncertainty (sim-compare, sim-plan): a calibrated ensemble instead of one point.
UNCERTAINTY = _doc("seeds (the config's parameters) | parameters (sets drawn from `ensemble`)")
ENSEMBLE = _doc("sim-calibrate's ensemble.parquet; needs uncertainty=parameters")
SEEDS_PER_SET = (
    "seeds",
    "-",
    "uncertainty=parameters: consecutive seeds that share one drawn set (>= 2 separates seed "
    "noise from parameter uncertainty); replications must be a multiple of it",
)


@dataclass
class CompareSettings:
    """sim-compare: every scenario against the baseline over paired seeds (configs/compare.yaml)."""

    scenarios: list[str] | None = field(
        default=None,
        metadata=_doc("presets of configs/scenario/ to compare; null = every preset but baseline"),
    )
    baseline: str = field(default="baseline", metadata=_doc("the preset compared against"))
    replications: int = param(20, 1, 100_000, "seeds", "-", REPLICATIONS)
    workers: int | None = field(default=None, metadata=WORKERS)
    conf_level: float = param(0.95, 0.5, 0.999, *CONF)
    window_days: int = param(365, 1, 36_500, *WINDOW)
    uncertainty: str = field(default="seeds", metadata=UNCERTAINTY)
    ensemble: str | None = field(default=None, metadata=ENSEMBLE)
    seeds_per_set: int = param(2, 1, 100_000, *SEEDS_PER_SET)
    attribution: bool = field(
        default=True,
        metadata=_doc(
            "decompose each scenario's effect by channel (attribution.csv): one more run per "
            "scenario, channel it changes and attribution seed"
        ),
    )
    attribution_seeds: int | None = field(
        default=None,
        metadata=_doc(
            "the first this many seeds (>= 2, at most replications; whole parameter sets with "
            "uncertainty=parameters) run the held arms; null = a quarter of replications, >= 2"
        ),
    )
    kpis: list[str] = field(
        default_factory=lambda: [
            "profit",
            "revenue",
            "costs",
            "nps",
            "enps",
            "work_happiness_mean",
            "employee_turnover_annual",
            "expected_turnover_annual",
            "customer_churn_annual",
            "csat_mean",
            "service_level",
            "abandon_rate",
            "first_contact_resolution",
        ],
        metadata=_doc("KPIs of comparison.csv: keys of summary.json"),
    )


@dataclass
class PlanSettings:
    """sim-plan: candidate interventions per role and stage, ranked (configs/plan.yaml)."""

    levers: list[str] = field(
        default_factory=lambda: [
            "training",
            "tools",
            "feedback",
            "capacity",
            "rosters",
            "scripts",
            "empowerment",
        ],
        metadata=_doc("kinds of intervention (sim/analysis/plan.py LEVERS)"),
    )
    roles: list[str] | None = field(
        default=None,
        metadata=_doc("journey roles to plan for; null = every role (org-wide levers always run)"),
    )
    replications: int = param(10, 2, 100_000, "seeds", "-", REPLICATIONS)
    workers: int | None = field(default=None, metadata=WORKERS)
    conf_level: float = param(0.95, 0.5, 0.999, *CONF)
    window_days: int = param(365, 1, 36_500, *WINDOW)
    rank_by: str = field(
        default="profit", metadata=_doc("profit | nps | csat_mean | customer_churn_annual")
    )
    top: int = param(3, 0, 1_000, "interventions", "-", "the best few run together as 'after'")
    uncertainty: str = field(default="seeds", metadata=UNCERTAINTY)
    ensemble: str | None = field(default=None, metadata=ENSEMBLE)
    seeds_per_set: int = param(2, 1, 100_000, *SEEDS_PER_SET)


@dataclass
class SensitivitySettings:
    """sim-sensitivity: SALib Morris or Sobol over levers and behaviour (sensitivity.yaml)."""

    method: str = field(default="morris", metadata=_doc("morris (screening) | sobol (S1, ST)"))
    kpis: list[str] = field(
        default_factory=lambda: ["profit", "nps", "employee_turnover_annual"],
        metadata=_doc("keys of summary.json"),
    )
    window_days: int = param(365, 1, 36_500, *WINDOW)
    parameters: list[str] = field(
        default_factory=lambda: [
            "policy.*",
            "behaviour.engagement_base",
            "behaviour.driver_weight",
            "behaviour.stress_weight",
            "behaviour.quit_rate_annual",
            "behaviour.quit_engagement_slope",
            "behaviour.resolve_base",
            "behaviour.positivity_effect",
            "behaviour.churn_rate_annual",
            "behaviour.churn_satisfaction_slope",
            "behaviour.encounter_weight",
        ],
        metadata=_doc("varied parameters: dotted keys or glob patterns over policy.*, behaviour.*"),
    )
    behaviour_span: float = param(
        0.5, 0.0, 10.0, "share", A, "unbounded behavioural parameters vary by +- this share"
    )
    bounds: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {
            "policy": {
                "recovery_budget": [0.0, 200.0],
                "approval_days": [0.0, 14.0],
                "staffing_level": [0.7, 1.5],
                "hiring_lag_days": [7.0, 90.0],
                "onboarding_days": [7.0, 56.0],
                "training": [0.5, 2.0],
                "pay_level": [0.8, 1.3],
            }
        },
        metadata=_doc("explicit [min, max] per parameter, inside the schema range"),
    )
    trajectories: int = param(4, 2, 100_000, "trajectories", "-", "Morris: runs = (k + 1) x this")
    num_levels: int = param(4, 2, 20, "levels", "-", "Morris: grid levels per parameter")
    samples: int = param(64, 2, 1_048_576, "samples", "-", "Sobol: runs = this x (k + 2)")
    conf_level: float = param(0.95, 0.5, 0.999, *CONF)
    noise_seeds: int = param(3, 0, 10_000, "seeds", "-", "extra base runs: the seed-noise floor")
    workers: int | None = field(default=None, metadata=WORKERS)
    top: int = param(5, 1, 10_000, "rows", "-", "rows per KPI printed at the end")


@dataclass
class Span:
    """A closed range drawn from uniformly; both ends must be given."""

    min: float = MISSING
    max: float = MISSING


@dataclass
class UnitSize:
    """The size of one unit of sim-units: its staff, and its customers drawn from a range."""

    employees: int = param(10, 1, 100_000, "people", A, "frontline headcount of every unit")
    customers: Span = field(
        default_factory=lambda: Span(8000.0, 12000.0),
        metadata=_doc("customers at the start, drawn uniformly per unit"),
    )


def _unit_levers() -> dict[str, dict[str, float]]:
    # What differs between the units of one firm (assumptions), not the whole schema range.
    spans = {
        "script_strictness": (0.2, 1.0),
        "recovery_budget": (0.0, 100.0),
        "recovery_authority": (0.0, 1.0),
        "approval_days": (1.0, 10.0),
        "staffing_level": (0.85, 1.2),
        "hiring_lag_days": (14.0, 60.0),
        "onboarding_days": (14.0, 42.0),
        "training": (0.5, 1.5),
        "pay_level": (0.85, 1.2),
        "feedback_sharing": (1.0, 7.0),
        "leadership_consistency": (0.0, 1.0),
        "development": (0.0, 0.6),
        "productivity_pressure": (0.0, 0.7),
        "internal_service": (0.3, 0.9),
    }
    return {name: {"min": lo, "max": hi} for name, (lo, hi) in spans.items()}


def _unit_context() -> dict[str, dict[str, float]]:
    # Assumptions (docs/MODEL.md 3.x): a manager +-1 point of work happiness around the firm's
    # usual, local labour markets with 40% less to 60% more quitting, customers whose expectations
    # differ by +-0.5 points.
    spans = {
        "manager_skill": (-1.0, 1.0),
        "labour_market_quit_factor": (0.6, 1.6),
        "market_expectation": (-0.5, 0.5),
    }
    return {name: {"min": lo, "max": hi} for name, (lo, hi) in spans.items()}


@dataclass
class UnitsSettings:
    """sim-units: many small units under drawn management, the chain across them
    (configs/units.yaml)."""

    units: int = param(
        200,
        5,
        1_000_000,
        "units",
        "-",
        "number of simulated units (the chain's regressions need 5)",
    )
    period_days: int = param(
        365, 1, 36_500, "days", "-", "length of a period; the last two of the run are used"
    )
    conf_level: float = param(0.95, 0.5, 0.999, *CONF)
    workers: int | None = field(default=None, metadata=WORKERS)
    size: UnitSize = field(default_factory=UnitSize)
    # {min, max} per lever as a plain mapping, not a `Span`: OmegaConf cannot add a mapping to
    # a dict of dataclasses, and `+units.levers.hold_standards={min:0.2,max:0.8}` must work.
    levers: dict[str, dict[str, float]] = field(
        default_factory=_unit_levers,
        metadata=_doc("policy levers drawn per unit (Latin hypercube): {min, max} each"),
    )
    context: dict[str, dict[str, float]] = field(
        default_factory=_unit_context,
        metadata=_doc(
            "what differs between units that management does not set: org.* values drawn per "
            "unit (Latin hypercube, with the levers): {min, max} each"
        ),
    )


def _discover_inputs() -> dict[str, dict[str, float]]:
    # The organisation's uncertain inputs as factors of its own value (assumptions): customer
    # value +-30%, wages +-15%, market growth (paid acquisitions) +-50%.
    spans = {
        "revenue_per_customer_year": (0.7, 1.3),
        "wage_annual": (0.85, 1.15),
        "acquisition_rate": (0.5, 1.5),
    }
    return {name: {"min": lo, "max": hi} for name, (lo, hi) in spans.items()}


@dataclass
class DiscoverSettings:
    """sim-discover: where each scenario pays, by PRIM over drawn conditions
    (configs/discover.yaml)."""

    scenarios: list[str] = field(
        default_factory=lambda: ["loose_scripts", "ritz_recovery", "cost_cutting"],
        metadata=_doc("presets of configs/scenario/, each run against the baseline"),
    )
    baseline: str = field(default="baseline", metadata=_doc("the preset compared against"))
    points: int = param(
        48, 10, 100_000, "points", "-", "conditions drawn (Latin hypercube); point i runs seed+i"
    )
    # {min, max} per org.<key> as a plain mapping (as units.levers): `+inputs.handle_minutes=`.
    inputs: dict[str, dict[str, float]] = field(
        default_factory=_discover_inputs,
        metadata=_doc("org.<key>: {min, max} factors of the organisation's own value"),
    )
    workers: int | None = field(default=None, metadata=WORKERS)
    window_days: int = param(365, 1, 36_500, *WINDOW)
    uncertainty: str = field(default="seeds", metadata=UNCERTAINTY)
    ensemble: str | None = field(default=None, metadata=ENSEMBLE)
    peel_alpha: float = param(
        0.05, 0.01, 0.5, "share", "-", "PRIM: share of the box peeled off per step"
    )
    mass_min: float = param(
        0.05, 0.0, 1.0, "share", "-", "PRIM: the smallest box, as a share of the points"
    )
    coverage_min: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        A,
        "the box reported: the densest on PRIM's trajectory holding this share of paying points",
    )


@dataclass
class CompareConfig(SimConfig):
    """The config sim-compare composes: a run's, plus its settings under `compare`."""

    compare: CompareSettings = field(default_factory=CompareSettings)


@dataclass
class PlanConfig(SimConfig):
    """The config sim-plan composes: a run's, plus its settings under `plan`."""

    plan: PlanSettings = field(default_factory=PlanSettings)


@dataclass
class SensitivityConfig(SimConfig):
    """The config sim-sensitivity composes: a run's, plus its settings under `sensitivity`."""

    sensitivity: SensitivitySettings = field(default_factory=SensitivitySettings)


@dataclass
class UnitsConfig(SimConfig):
    """The config sim-units composes: a run's, plus its settings under `units`."""

    units: UnitsSettings = field(default_factory=UnitsSettings)


@dataclass
class DiscoverConfig(SimConfig):
    """The config sim-discover composes: a run's, plus its settings under `discover`."""

    discover: DiscoverSettings = field(default_factory=DiscoverSettings)


@dataclass(frozen=True)
class Study:
    """A study command: its name (config file, settings node, output folder), program and types."""

    name: str
    program: str
    settings: type
    config: type

    @property
    def setting_names(self) -> tuple[str, ...]:
        """The command's own settings: `<name>.<setting>`, or just `<setting>=` on its line."""
        return tuple(f.name for f in fields(self.settings))


STUDIES: dict[str, Study] = {
    s.name: s
    for s in (
        Study("compare", "sim-compare", CompareSettings, CompareConfig),
        Study("plan", "sim-plan", PlanSettings, PlanConfig),
        Study("sensitivity", "sim-sensitivity", SensitivitySettings, SensitivityConfig),
        Study("units", "sim-units", UnitsSettings, UnitsConfig),
        Study("discover", "sim-discover", DiscoverSettings, DiscoverConfig),
    )
}


def check_settings(settings: Any, prefix: str) -> None:
    """Check every ranged number of a settings dataclass (and of nested ones), by full key.

    Raises:
        ConfigError: naming the first value outside its range (`compare.replications`).
    """
    for f in fields(settings):
        value = getattr(settings, f.name)
        key = f"{prefix}.{f.name}"
        if "range" in f.metadata:
            check_range(key, value, *f.metadata["range"])
        elif is_dataclass(value):
            check_settings(value, key)
