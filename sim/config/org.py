"""The organisation: its size, demand, operations and economics (`org.*`, configs/org/)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import ConfigError, param


@dataclass
class OrgConfig:
    """The organisation: its size, demand, operations and economics (not a management lever)."""

    name: str = field(default="call_centre", metadata={"doc": "label of the organisation preset"})
    # Words of the reports: labels only, no conversion and no effect on any number.
    currency: str = field(default="EUR", metadata={"doc": "currency of every money figure"})
    customers_called: str = field(
        default="customers", metadata={"doc": "what the organisation calls its customers"}
    )
    contacts_called: str = field(
        default="contacts", metadata={"doc": "what the organisation calls a service contact"}
    )
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
    max_customers: int = param(
        0,
        0,
        5_000_000,
        "customers",
        A,
        "the most customers the organisation can serve at once (a hotel's rooms); 0 = no limit",
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
    # The unit's context: what differs between the units of one firm that management does not
    # set (0 / 1 = the firm's usual; sim-units draws them per unit, configs/units.yaml).
    manager_skill: float = param(
        0.0,
        -3.0,
        3.0,
        "points of work happiness",
        A,
        "the unit's management above (+) or below (-) the firm's usual",
    )
    labour_market_quit_factor: float = param(
        1.0,
        0.2,
        5.0,
        "x quit hazard",
        A,
        "local labour market: how easily staff find other work (x every quit hazard)",
    )
    market_expectation: float = param(
        0.0,
        -3.0,
        3.0,
        "points",
        A,
        "the local customers' expectations above (+) the firm's usual (customer mix, rivals)",
    )
    # How the organisation measures (sim/survey.py): the pulse survey is a sample, not a census.
    survey_response_rate: float = param(
        0.7,
        0.05,
        1.0,
        "share of employees",
        "assumption (engagement surveys commonly reach 60-80%)",
        "share of employees who answer the pulse survey (at work happiness 7)",
    )
    customer_survey_rate: float = param(
        0.05,
        0.0001,
        1.0,
        "share of customers",
        A,
        "share of the customers who answer each pulse survey",
    )
    # The people at the start, as distributions (a twin's roster summarised: sim-twin writes
    # them; never one person's row). Empty = the built-in assumption of sim/workforce.py.
    start_tenure_years: list[float] = field(
        default_factory=list,
        metadata={
            "doc": "quantiles (0%..100%, evenly spaced, >= 2 values, years) of the starting "
            "workforce's tenure; empty = 70% recent hires (mean 2 years), 30% 5-20 years"
        },
    )
    hire_age_years: list[float] = field(
        default_factory=list,
        metadata={
            "doc": "quantiles (0%..100%, evenly spaced, >= 2 values, years) of the age at hire; "
            "empty = uniform 20-35"
        },
    )


def check_quantiles(key: str, values: list[float], lo: float, hi: float) -> None:
    """Refuse a quantile list that is not empty or >= 2 non-decreasing numbers in [lo, hi].

    Raises:
        ConfigError: naming `key`, the value and what is allowed.
    """
    allowed = f"empty, or at least 2 non-decreasing numbers in [{lo}, {hi}] (quantiles 0%..100%)"
    numbers = list(values)
    if not numbers:
        return
    if len(numbers) < 2 or any(
        isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi for v in numbers
    ):
        raise ConfigError(key, numbers, allowed)
    if any(b < a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise ConfigError(key, numbers, allowed)
