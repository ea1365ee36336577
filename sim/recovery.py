"""Service failure and recovery: the iceberg, the budget, the authority and the paradox.

About half of customers with a problem tell the front line (Goodman & Newman 2003); the rest
stay silent and are never put right. A reported failure is recovered on the spot when the agent
may spend (any Ritz-Carlton employee may spend up to USD 2,000), otherwise after an approval
delay. The recovery's value falls with delay and inadequate compensation; a good first recovery
can leave the customer above where they were (the recovery paradox, de Matos et al. 2007), but
only on satisfaction, and only after a first failure: the failure stays in memory, which keeps
defection from falling below the no-failure level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.config import PolicyConfig, RecoveryBehaviour
from sim.population import CustomerTable
from sim.streams import Streams, normal_from_uniform


@dataclass(frozen=True)
class Recoveries:
    """Today's service failures, one entry per failure, and what the firm did about them."""

    rows: np.ndarray  # customer row of each failure
    heard: np.ndarray  # the customer told the firm
    on_the_spot: np.ndarray  # put right at once (heard, and the employee may spend)
    spend_now: float  # paid on the spot today

    @property
    def n_heard(self) -> int:
        return int(self.heard.sum())

    @property
    def n_silent(self) -> int:
        return int(self.rows.size - self.heard.sum())

    @property
    def n_on_the_spot(self) -> int:
        return int(self.on_the_spot.sum())

    @property
    def unrepaired(self) -> np.ndarray:
        """Customer rows not put right today (silent, or waiting for approval)."""
        return self.rows[~self.on_the_spot]

    @property
    def heard_rows(self) -> np.ndarray:
        return self.rows[self.heard]


@dataclass(frozen=True)
class RecoveryDay:
    """Stage 5's result: the front office's failures today, and approved recoveries paid."""

    failures: Recoveries
    delivered_late: int  # recoveries approved earlier that reached customers today
    spend_late: float  # what those cost

    @property
    def spend(self) -> float:
        return self.failures.spend_now + self.spend_late


NEED_SIGMA = 1.0  # sd of log need (assumption, as in `fail_and_recover`)


def need_covered(budget: float, need_mean: float) -> float:
    """Expected share of a failure's need that a cap of `budget` pays: E[min(need, B) / need]
    over the lognormal need of `fail_and_recover` (closed form). It saturates once the cap is
    well above what failures need, so a cap that is not used adds nothing."""
    if budget <= 0.0:
        return 0.0
    if need_mean <= 0.0:
        return 1.0
    mu = np.log(need_mean) - 0.5 * NEED_SIGMA**2
    z = (np.log(budget) - mu) / NEED_SIGMA
    paid_in_full = ndtr(z)
    part_paid = budget * np.exp(-mu + 0.5 * NEED_SIGMA**2) * ndtr(-z - NEED_SIGMA)
    return float(paid_in_full + part_paid)


def empowerment(policy: PolicyConfig, b: RecoveryBehaviour) -> float:
    """0..1: how far the frontline can put a failure right: the share of failures' need the
    budget covers x authority (half without it: a recovery still happens, after approval).
    The budget counts only through what it pays, so raising an unused cap changes nothing
    (the Ritz-Carlton's budget "doesn't get used much", targets.md)."""
    covered = need_covered(policy.recovery_budget, b.recovery_need_mean)
    return covered * (0.5 + 0.5 * policy.recovery_authority)


def fail_and_recover(
    streams: Streams,
    rows: np.ndarray,
    positivity: np.ndarray,
    customers: CustomerTable,
    day: int,
    policy: PolicyConfig,
    b: RecoveryBehaviour,
    *,
    source: int = 0,
) -> Recoveries:
    """Apply today's failures (customer `rows`, one per failure) and start their recovery.
    Draws are keyed by customer; `source` tells apart failures of one customer on one day from
    different sources (0 the front office, 1 the back office)."""
    n = rows.size
    if n == 0:
        nobody = np.zeros(0, bool)
        return Recoveries(rows, nobody, nobody, 0.0)
    first = customers.failures_ever[rows] == 0
    customers.satisfaction[rows] -= b.failure_drop
    customers.failures[rows] += 1.0
    customers.failures_ever[rows] += 1
    draw = 3 * source
    u_heard, u_need, u_spot = streams.keyed("recovery", customers.luck[rows], draw, draws=3)
    heard = u_heard < customers.complain[rows]
    # Compensation that would put it right: lognormal, mean recovery_need_mean (assumption: sd 1).
    need = b.recovery_need_mean * np.exp(
        NEED_SIGMA * normal_from_uniform(u_need) - 0.5 * NEED_SIGMA**2
    )
    spend = np.minimum(need, policy.recovery_budget)
    adequacy = np.divide(spend, need, out=np.ones(n), where=need > 0)
    on_spot = u_spot < policy.recovery_authority
    delay = np.where(on_spot, 0.0, policy.approval_days)
    quality = (
        (b.apology_floor + (1 - b.apology_floor) * adequacy)
        * 0.5 ** (delay / b.delay_halflife_days)
        * (0.7 + 0.3 * positivity)
    )
    restore = quality * (b.failure_drop + b.paradox_bonus * first)
    now = heard & on_spot
    later = heard & ~on_spot
    customers.satisfaction[rows[now]] += restore[now]
    later_rows = rows[later]
    customers.recovery_day[later_rows] = day + max(1, int(round(policy.approval_days)))
    customers.recovery_value[later_rows] = restore[later]
    # Spend is booked when paid: now, or when the approval comes (see `pay_due_recoveries`).
    customers.recovery_spend_due[later_rows] = spend[later]
    return Recoveries(rows=rows, heard=heard, on_the_spot=now, spend_now=float(spend[now].sum()))


def pay_due_recoveries(customers: CustomerTable, day: int) -> tuple[int, float]:
    """Deliver approved recoveries due today; return how many and what they cost."""
    n = customers.size
    due = np.flatnonzero(
        np.equal(customers.recovery_day, day, out=customers.scratch("recovery.due", n, bool))
    )
    if due.size == 0:
        return 0, 0.0
    live = due[customers.active[due]]
    customers.satisfaction[live] += customers.recovery_value[live]
    spend = float(customers.recovery_spend_due[live].sum())
    customers.recovery_day[due] = -1
    customers.recovery_value[due] = 0.0
    customers.recovery_spend_due[due] = 0.0
    return int(live.size), spend


def recover(
    *,
    failed_rows: np.ndarray,
    positivity: np.ndarray,
    customers: CustomerTable,
    day: int,
    policy: PolicyConfig,
    b: RecoveryBehaviour,
    streams: Streams,
) -> RecoveryDay:
    """Stage 5, failure and recovery: today's front-office failures (`failed_rows`, with the
    displayed positivity of whoever failed) start their recovery; approved recoveries due today
    are paid. Changes: satisfaction, remembered failures and pending recoveries (customers)."""
    failures = fail_and_recover(streams, failed_rows, positivity, customers, day, policy, b)
    delivered, spend = pay_due_recoveries(customers, day)
    return RecoveryDay(failures=failures, delivered_late=delivered, spend_late=spend)
