"""The money: revenue from customers, and what the service and its people cost.

All flows are per day, in the organisation's currency. Replacing an agent costs recruiting and
trainer fees plus four weeks' paid onboarding and the months below full speed: about 3-4
months of pay in all, as the Global Call Centre Report (2007) found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.config import OrgConfig, PolicyConfig
from sim.population import CustomerTable, EmployeeTable
from sim.workforce import market_orientation

if TYPE_CHECKING:
    from sim.journey import Journey


@dataclass(frozen=True)
class DayMoney:
    revenue: float
    cost_of_sales: float
    wages: float
    overtime: float
    recruiting: float
    training: float
    programmes: float
    marketing: float
    recovery: float

    @property
    def costs(self) -> float:
        return (
            self.cost_of_sales
            + self.wages
            + self.overtime
            + self.recruiting
            + self.training
            + self.programmes
            + self.marketing
            + self.recovery
        )

    @property
    def profit(self) -> float:
        return self.revenue - self.costs

    def as_dict(self) -> dict[str, float]:
        # Not dataclasses.asdict: it deep-copies, and this runs every day.
        return {**self.__dict__, "costs": self.costs, "profit": self.profit}


def programme_intensity(policy: PolicyConfig) -> float:
    """Sum of the people programmes' intensities, each 0..1 (training above standard counts)."""
    return (
        market_orientation(policy)
        + policy.leadership_consistency
        + policy.development
        + max(policy.training - 1.0, 0.0)
    )


def role_programme_intensity(
    policy: PolicyConfig, training: np.ndarray, feedback_reach: np.ndarray, tools: np.ndarray
) -> np.ndarray:
    """Programme intensity per role: the org's programmes as they reach the role (customer
    feedback as far as it is shared with the role), its training above standard, and tools
    above the org's standard (assumption: priced like a programme at full intensity)."""
    return (
        market_orientation(policy) * feedback_reach
        + policy.leadership_consistency
        + policy.development
        + np.maximum(policy.training * training - 1.0, 0.0)
        + np.maximum(tools - 1.0, 0.0)
    )


def day_money(
    org: OrgConfig,
    policy: PolicyConfig,
    *,
    revenue_year: float,
    headcount: int,
    overtime_hours: float,
    hires: int,
    paid_acquisitions: int,
    recovery_spend: float,
    programme_units: float | None = None,
) -> DayMoney:
    """One day's money, from the day's counts. `programme_units` is the sum over employees of
    their programmes' intensity (roles differ: journey.py); default headcount x the org's."""
    wage_day = org.wage_annual * policy.pay_level / 365.0
    hourly = org.wage_annual * policy.pay_level / org.fte_hours_year
    revenue = revenue_year / 365.0
    return DayMoney(
        revenue=revenue,
        cost_of_sales=org.variable_cost_share * revenue,
        wages=headcount * wage_day,
        overtime=overtime_hours * hourly * org.overtime_premium,
        recruiting=hires * org.recruiting_cost,
        training=hires * org.trainer_cost * policy.training,
        programmes=(
            headcount * programme_intensity(policy) if programme_units is None else programme_units
        )
        * org.programme_cost_per_employee_year
        / 365.0,
        marketing=paid_acquisitions * org.acquisition_cost,
        recovery=recovery_spend,
    )


def money_today(
    *,
    customers: CustomerTable,
    staff: EmployeeTable,
    journey: Journey,
    overtime_hours: float,
    hires: int,
    paid_acquisitions: int,
    recovery_spend: float,
    org: OrgConfig,
    policy: PolicyConfig,
) -> DayMoney:
    """Stage 9, the money: today's revenue from the customers on the books, the people on the
    payroll (each role's programmes as they reach it), and the day's overtime, hires,
    acquisitions and recovery spend. Reads only."""
    end = customers.end()
    intensity = role_programme_intensity(
        policy, journey.training, journey.feedback_reach, journey.tools
    )
    return day_money(
        org,
        policy,
        # The same rows as `value[active]`: past `end` every row is free.
        revenue_year=float(customers.value[:end][customers.active[:end]].sum()),
        headcount=int(staff.active.sum()),
        overtime_hours=overtime_hours,
        hires=hires,
        paid_acquisitions=paid_acquisitions,
        recovery_spend=recovery_spend,
        programme_units=float(intensity[staff.role[staff.active]].sum()),
    )
