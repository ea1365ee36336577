"""The management levers (`policy.*`): what the scenario presets in configs/scenario/ set."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import param


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
