"""Behavioural response parameters, one dataclass per section of the day (not levers).

Each section holds the parameters of one stage of the chain, so a stage function can say which
part of the behaviour it reads (`b: EncounterBehaviour`). `BehaviourConfig` inherits every
section: its keys stay flat (`behaviour.positivity_effect`), so YAML files, command-line
overrides and `b.<name>` keep working, and any `BehaviourConfig` is also each of its sections.
A parameter used by two stages lives in the section of the stage that owns its mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import param


@dataclass
class WorkforceBehaviour:
    """Employees: work happiness, stress, quits and learning (the workforce stage, workforce.py)."""

    engagement_base: float = param(
        1.1,
        0.0,
        10.0,
        "0-10",
        "calibrated: baseline mean work happiness about 7 (HappinessBureau; targets.md)",
        "work happiness with every driver at zero and no stress",
    )
    driver_weight: float = param(
        9.65,
        0.0,
        20.0,
        "points per driver unit",
        "calibrated: market orientation 1..7 spans work happiness 6.0..7.8 (seed 000)",
        "points of work happiness the four drivers together can add",
    )
    driver_curvature: float = param(
        2.0,
        0.0,
        20.0,
        "1/driver unit",
        "assumption, shape from Warr's vitamin model (1987, 1994): job resources help less the "
        "more of them there is; 0 = linear",
        "diminishing returns of each driver: g(x) = (1 - e^-kx) / (1 - e^-k)",
    )
    driver_complementarity: float = param(
        0.5,
        0.05,
        1.0,
        "power-mean exponent",
        "assumption (Wang & Lee 2009: empowerment dimensions interact; one low dimension holds "
        "back the others); 1 = perfect substitutes, the old equal-weight mean",
        "how far a strong driver can make up for a weak one in the driver index",
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
    resilience_sd: float = param(
        0.1,
        0.0,
        1.0,
        "stress (0..1)",
        "assumption: how stressed the same job makes people differs from person to person",
        "spread of each person's own offset of the stress target",
    )
    manager_sd: float = param(
        0.5,
        0.0,
        5.0,
        "points",
        "assumption (managers differ, and their teams' engagement with them; Gallup's claim "
        "that managers explain most of it is a vendor figure, not used)",
        "spread of work happiness between teams from the team manager's skill",
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
        "assumption (Batt 2002: involvement lowers quits); sim-twin updates it from surveys with "
        "employee ids (a Cox model, docs/TWIN.md)",
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


@dataclass
class QueueBehaviour:
    """The queue: who is on duty, how fast pressure makes them, what waiting costs the caller
    (the queue stage, calls.py and queueing.py)."""

    stress_absence: float = param(
        1.0, 0.0, 10.0, "x per unit stress", A, "rise of absence with stress (sick leave)"
    )
    pressure_speedup: float = param(
        0.15, 0.0, 0.9, "share", A, "handle time cut at full productivity pressure"
    )
    wait_penalty_per_minute: float = param(
        0.5, 0.0, 10.0, "points / minute", A, "experience lost per minute in the queue"
    )


@dataclass
class StandardsBehaviour:
    """The service standard under load: rushed effort and a norm that drifts toward it (the
    queue stage, standards.py; Oliva & Sterman 2001)."""

    min_effort: float = param(
        0.6, 0.05, 1.0, "share", A, "least share of the standard handle time staff give when rushed"
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


@dataclass
class EncounterBehaviour:
    """One contact: resolution, scripts, displayed positivity and the chance of a service failure
    (the encounter stage, encounter.py)."""

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
    pressure_resolution_loss: float = param(
        0.1, 0.0, 1.0, "share", A, "resolution lost at full productivity pressure"
    )
    rush_resolution_loss: float = param(
        0.8,
        0.0,
        1.0,
        "share per unit",
        "assumption (Oliva & Sterman 2001: less time per customer, lower quality)",
        "resolution lost per unit of effort below the standard",
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
    display_slope: float = param(
        0.01,
        0.0,
        0.5,
        "positivity per point",
        "assumption, kept small: emotional contagion is the lesser path from employees to "
        "customers; customer-perceived service quality carries the relationship (Brown & Lam "
        "2008, meta-analysis: quality completely mediates job satisfaction -> CSAT); with "
        "engagement_effort fitted beside it, effort carries about 60% of the direct effect",
        "displayed positivity gained per point of work happiness",
    )
    engagement_effort: float = param(
        0.015,
        0.0,
        0.5,
        "share per point",
        "fitted: agent-level r(work happiness, customers' experience) = .30 (Judge, Thoresen, "
        "Bono & Patton 2001: job satisfaction - performance, corrected r .30)",
        "rise of the chance to resolve a need per point of work happiness above 7 (effort)",
    )
    ability_sd: float = param(
        0.15,
        0.0,
        0.5,
        "x chance to resolve",
        "Schmidt & Hunter 1983: the sd of employee output is about 20% of mean output "
        "(non-piecework jobs); 0.15 of it is set to stable ability, the rest comes from the "
        "learning curve, effort and stress",
        "spread of each person's own multiplier on the chance to resolve a need",
    )
    disposition_sd: float = param(
        0.1,
        0.0,
        0.5,
        "positivity (0..1)",
        "assumption: a stable service disposition (personality) varies between people",
        "spread of each person's own displayed positivity, whatever their work happiness",
    )
    display_noise_sd: float = param(
        0.15,
        0.0,
        0.5,
        "positivity (0..1)",
        A,
        "spread of displayed positivity from one encounter to the next",
    )


@dataclass
class RecoveryBehaviour:
    """A service failure and putting it right (the recovery stage, recovery.py; the drop also
    rates a failed encounter or a wrong back-office output)."""

    failure_drop: float = param(
        2.5, 0.0, 10.0, "points", A, "satisfaction lost on a service failure"
    )
    apology_floor: float = param(
        0.2, 0.0, 1.0, "share", A, "share of a recovery's value an apology alone delivers"
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


@dataclass
class CustomerBehaviour:
    """Customers: complaints, satisfaction, memory of failures, retries and defection (the
    customer stage, loyalty.py)."""

    complaint_share: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        "Goodman & Newman 2003 (TARP): about half tell the front line",
        "mean share of failures a customer reports",
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


@dataclass
class WordOfMouthBehaviour:
    """Word of mouth: who is told, what it does to listeners, prospects won and lost (the
    customer stage, loyalty.word_of_mouth)."""

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


# Fields of a dataclass come base by base from the last base to the first: listing the sections
# in reverse keeps the documented order (employees first, word of mouth last).
SECTIONS: tuple[type, ...] = (
    WorkforceBehaviour,
    QueueBehaviour,
    StandardsBehaviour,
    EncounterBehaviour,
    RecoveryBehaviour,
    CustomerBehaviour,
    WordOfMouthBehaviour,
)


@dataclass
class BehaviourConfig(
    WordOfMouthBehaviour,
    CustomerBehaviour,
    RecoveryBehaviour,
    EncounterBehaviour,
    StandardsBehaviour,
    QueueBehaviour,
    WorkforceBehaviour,
):
    """Behavioural response parameters shared by every scenario (calibrated, not levers): every
    section's fields under one flat `behaviour.*` node."""
