"""Customers: satisfaction, repeat contacts, defection, word of mouth and acquisition.

Satisfaction moves toward each encounter's experience and, between contacts, drifts back to the
customer's baseline view of the product. The defection hazard is convex in satisfaction (Jones
& Sasser 1995) and rises with remembered failures (de Matos et al. 2007). Delighted customers
tell a few people, angry ones about twice as many (Goodman & Newman 2003); tellings reach other
customers (who shift a little) or prospects (referrals won, paid acquisitions deterred).
Growth comes from retention and referrals, never from the NPS number itself (Keiningham 2007).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from sim.config import (
    BehaviourConfig,
    CustomerBehaviour,
    OrgConfig,
    WordOfMouthBehaviour,
)
from sim.population import CustomerTable
from sim.streams import Streams, normal_from_uniform, poisson_from_uniform

N_TIES = 4  # assumption: a few social ties each (Mesa brief)
DELIGHT, ANGER = 9.0, 4.0  # assumption: experience that makes people talk
MAX_ATTEMPTS = 3  # assumption: after three failed contacts a customer gives up on the need
NEWCOMER_LUCK = 1 << 50  # newcomers' keys start here, above any starting row


CUSTOMER_DRAWS = 8 + N_TIES  # uniform numbers that make up one newcomer


def fill_customers(
    source: np.random.Generator | np.ndarray,
    table: CustomerTable,
    rows: np.ndarray,
    org: OrgConfig,
    b: BehaviourConfig,
    *,
    start: bool,
) -> None:
    """Give new customers their traits. Assumed distributions, see docs/MODEL.md.

    `source` is a generator (the starting customers: the same count in every scenario) or an
    (n, CUSTOMER_DRAWS) array of uniform numbers, one row per newcomer (streams.py: the k-th
    newcomer of a day is the same person in two scenarios), turned into the same laws by their
    inverse CDFs."""
    n = rows.size
    draw = _Draws(source, n)
    table.active[rows] = True
    table.baseline[rows] = np.clip(draw.normal(0, 7.5, 1.0), 0.0, 10.0)
    # Starting customers have been served before day 0: they stand where the baseline's
    # service leaves them, not at their view of the product alone.
    gap = b.start_satisfaction_gap if start else 0.0
    table.satisfaction[rows] = np.clip(table.baseline[rows] - gap, 0.0, 10.0)
    table.expectation[rows] = draw.normal(1, org.market_expectation, 0.5)
    table.tenure[rows] = draw.exponential(2, 4 * 365.0) if start else 0.0
    # Lognormal value with mean revenue_per_customer_year (sd of log 0.5).
    table.value[rows] = org.revenue_per_customer_year * draw.lognormal(3, -0.125, 0.5)
    # Gamma-distributed need rates with mean contacts_per_customer_year (shape 2).
    table.need_rate[rows] = draw.gamma(4, 2.0, org.contacts_per_customer_year / 2.0)
    table.patience[rows] = org.patience_seconds * draw.lognormal(5, -0.125, 0.5)
    # Beta with mean complaint_share (concentration 4): some customers always complain, some never.
    cs = b.complaint_share
    table.complain[rows] = draw.beta(6, max(4 * cs, 1e-3), max(4 * (1 - cs), 1e-3))
    table.recommend_bias[rows] = draw.normal(7, 0.5, 1.0)  # assumption: loyal answers run high
    table.failures[rows] = 0.0
    table.failures_ever[rows] = 0
    table.retry_day[rows] = -1
    table.attempts[rows] = 0
    table.recovery_day[rows] = -1
    table.recovery_value[rows] = 0.0
    table.recovery_spend_due[rows] = 0.0
    table.ties[rows] = draw.ties(8, table.ties.shape[1], max(table.size, 1))


class _Draws:
    """The laws of `fill_customers`, from a generator or from given uniform numbers (column j
    of the array for draw j)."""

    def __init__(self, source: np.random.Generator | np.ndarray, n: int) -> None:
        self.rng = source if isinstance(source, np.random.Generator) else None
        self.u = None if self.rng is not None else np.asarray(source).reshape(n, -1)
        self.n = n

    def normal(self, j: int, mean: float, sd: float) -> np.ndarray:
        if self.rng is not None:
            return self.rng.normal(mean, sd, self.n)
        return mean + sd * normal_from_uniform(self.u[:, j])

    def exponential(self, j: int, scale: float) -> np.ndarray:
        if self.rng is not None:
            return self.rng.exponential(scale, self.n)
        return -scale * np.log1p(-self.u[:, j])

    def lognormal(self, j: int, mean: float, sigma: float) -> np.ndarray:
        if self.rng is not None:
            return self.rng.lognormal(mean, sigma, self.n)
        return np.exp(mean + sigma * normal_from_uniform(self.u[:, j]))

    def gamma(self, j: int, shape: float, scale: float) -> np.ndarray:
        if self.rng is not None:
            return self.rng.gamma(shape, scale, self.n)
        return scale * special.gammaincinv(shape, self.u[:, j])

    def beta(self, j: int, a: float, b: float) -> np.ndarray:
        if self.rng is not None:
            return self.rng.beta(a, b, self.n)
        return special.betaincinv(a, b, self.u[:, j])

    def ties(self, j: int, k: int, high: int) -> np.ndarray:
        """(n, k) uniform integers 0..high-1 (from columns j..j+k-1)."""
        if self.rng is not None:
            return self.rng.integers(0, high, (self.n, k))
        return np.minimum((self.u[:, j : j + k] * high).astype(np.int64), high - 1)


def experience(
    table: CustomerTable,
    rows: np.ndarray,
    rating: np.ndarray,
    b: BehaviourConfig,
    impact: np.ndarray | float = 1.0,
) -> None:
    """Satisfaction moves a step toward each encounter's experience; `impact` scales the step by
    the weight of the encounter's journey stage (journey.py), never past the rating itself."""
    step = np.minimum(b.encounter_weight * impact, 1.0)
    table.satisfaction[rows] += step * (rating - table.satisfaction[rows])


def schedule_retries(
    streams: Streams,
    table: CustomerTable,
    rows: np.ndarray,
    is_complex: np.ndarray,
    attempts: np.ndarray,
    day: int,
    b: BehaviourConfig,
    stage: np.ndarray | None = None,
) -> int:
    """Unresolved needs come back in 1-3 days, until the customer gives up (a further drop)."""
    attempts = attempts + 1
    giving_up = attempts >= MAX_ATTEMPTS
    u_back, u_delay = streams.keyed("retries", table.luck[rows], draws=2)
    back = (u_back < b.retry_share) & ~giving_up
    delay = 1 + (3.0 * u_delay[back]).astype(np.int64)  # 1-3 days
    table.retry_day[rows[back]] = day + delay
    table.retry_complex[rows[back]] = is_complex[back]
    table.retry_stage[rows[back]] = 0 if stage is None else stage[back]
    table.attempts[rows[back]] = attempts[back]
    done = rows[~back]
    table.attempts[done] = 0
    table.satisfaction[rows[giving_up]] -= 1.0  # assumption: giving up costs a point
    return int(back.sum())


def close_needs(table: CustomerTable, rows: np.ndarray) -> None:
    table.attempts[rows] = 0


def drift_and_defect(
    rng: np.random.Generator, table: CustomerTable, b: CustomerBehaviour
) -> np.ndarray:
    """Memory fades toward the baseline, failures are forgotten slowly, some customers defect.

    Returns the rows of today's defectors (not yet freed). The hazards and their draws stop at
    `table.end()`: past it every row is free, and those draws are the stream's last, which
    nothing reads (the first numbers of a shorter draw are the longer draw's)."""
    size, end, scratch = table.size, table.end(), table.scratch
    act, sat = table.active, table.satisfaction
    step = np.subtract(table.baseline, sat, out=scratch("drift.step", size))
    step *= 1.0 / b.satisfaction_memory_days
    sat += step
    np.clip(sat, 0.0, 10.0, out=sat)
    table.failures *= np.exp(-1.0 / b.failure_memory_days)
    table.tenure += act  # +1 day for active rows; free rows are reset when reused
    # hazard = rate/365 * exp(slope * (7 - s)) * (1 + effect * failures), in one buffer
    hazard = np.multiply(sat[:end], -b.churn_satisfaction_slope, out=step[:end])
    hazard += 7.0 * b.churn_satisfaction_slope
    np.exp(hazard, out=hazard)
    hazard *= b.churn_rate_annual / 365.0
    memory = np.multiply(
        table.failures[:end], b.failure_memory_effect, out=scratch("drift.memory", end)
    )
    memory += 1.0
    hazard *= memory
    u = rng.random(out=scratch("drift.u", end, np.float32), dtype=np.float32)
    leaving = np.less(u, hazard, out=scratch("drift.leaving", end, bool))
    leaving &= act[:end]
    return np.flatnonzero(leaving)


@dataclass(frozen=True)
class WordOfMouth:
    positive: int  # tellings
    negative: int
    referrals: int  # prospects won
    deterred: float  # paid acquisitions lost (expected)
    # The teller's row of each referral won (one entry per referral): who recruits customers.
    referrers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


MAX_TELLINGS = 64  # tellings per teller and day kept apart in the draws' keys (assumption)


def word_of_mouth(
    streams: Streams,
    table: CustomerTable,
    speakers_good: np.ndarray,
    speakers_bad: np.ndarray,
    b: WordOfMouthBehaviour,
) -> WordOfMouth:
    """Delighted and angry customers talk; listeners are their ties or prospects. Each teller's
    tellings, and where each telling lands, are keyed by the teller (streams.py)."""
    k = table.ties.shape[1]
    speakers = np.concatenate((speakers_good, speakers_bad))
    angry = np.repeat([False, True], [speakers_good.size, speakers_bad.size])
    teller = table.luck[speakers] * 2 + angry  # one customer may be both, for two reasons
    u = streams.keyed("word_of_mouth", teller)
    count = np.where(
        angry,
        poisson_from_uniform(u, b.wom_positive_reach * b.wom_negative_ratio),
        poisson_from_uniform(u, b.wom_positive_reach),
    )
    count = np.minimum(count, MAX_TELLINGS)
    src = np.repeat(speakers, count)
    bad = np.repeat(angry, count)
    nth = np.arange(src.size) - np.repeat(np.cumsum(count) - count, count)
    key = np.repeat(teller, count) * MAX_TELLINGS + nth
    u_where, u_pick, u_won = streams.keyed("word_of_mouth", key, 1, draws=3)
    to_customer = u_where < b.wom_to_customers
    pick = np.minimum((u_pick[to_customer] * k).astype(np.int64), k - 1)
    listeners = table.ties[src[to_customer], pick]
    alive = table.active[listeners]
    effect = np.where(bad[to_customer], -b.wom_effect, b.wom_effect)
    np.add.at(table.satisfaction, listeners[alive], effect[alive])
    prospect = ~to_customer
    n_bad = int(bad.sum())
    # A prospect told good things may become a customer; bad things deter paid acquisitions.
    won = (u_won < b.referral_conversion) & prospect & ~bad
    return WordOfMouth(
        src.size - n_bad,
        n_bad,
        int(won.sum()),
        int((prospect & bad).sum()) * b.deterrence,
        src[won],
    )


def paid_acquisitions(u: float, start_customers: int, org: OrgConfig, deterred: float) -> int:
    """Marketing brings a steady flow, less what bad word of mouth deters (a Poisson count from
    the day's uniform number `u`)."""
    expected = org.acquisition_rate * start_customers / 365.0 - deterred
    return int(poisson_from_uniform(u, max(expected, 0.0)))


@dataclass(frozen=True)
class CustomerDay:
    """Stage 7's result: who talked, who left, who joined."""

    word_of_mouth: WordOfMouth
    left: np.ndarray  # rows of today's defectors (now free)
    joined: np.ndarray  # rows of today's new customers
    paid_acquisitions: int  # of the new customers, those won by marketing


def customers_day(
    *,
    customers: CustomerTable,
    delighted: np.ndarray,
    upset: np.ndarray,
    start_customers: int,
    org: OrgConfig,
    b: BehaviourConfig,
    streams: Streams,
) -> CustomerDay:
    """Stage 7, the customers: the `delighted` and `upset` (angry, or left with a failure not
    put right) talk; memory fades and some defect; marketing and referrals bring new customers.
    Changes: satisfaction, tenure and remembered failures of everyone; defectors' rows are
    freed and new customers fill free rows (customer table)."""
    wom = word_of_mouth(streams, customers, delighted, upset, b)
    leaving = drift_and_defect(streams.today("churn"), customers, b)
    customers.active[leaving] = False
    customers.retry_day[leaving] = -1
    customers.recovery_day[leaving] = -1
    customers.agent_id[leaving] = -1
    day_draw = float(streams.keyed("acquisition", np.zeros(1, np.int64))[0])
    paid = paid_acquisitions(day_draw, start_customers, org, wom.deterred)
    new = paid + wom.referrals
    if org.max_customers:  # full: no one more is taken in (a hotel cannot grow past its rooms)
        new = min(new, max(0, org.max_customers - int(customers.active.sum())))
        paid = min(paid, max(0, new - wom.referrals))  # referrals take the places first
    joined = customers.free_slots(new) if new else np.zeros(0, np.int64)
    if new:
        # The k-th newcomer of the day is the same person in two scenarios.
        nth = np.arange(1, new + 1)
        u = streams.keyed("acquisition", nth, draws=CUSTOMER_DRAWS).T
        fill_customers(u, customers, joined, org, b, start=False)
        # ... and keeps that luck in whatever row it sits (streams.py).
        customers.luck[joined] = NEWCOMER_LUCK + (streams.day << 20) + nth
    return CustomerDay(wom, leaving, joined, paid)
