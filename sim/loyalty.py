"""Customers: satisfaction, repeat contacts, defection, word of mouth and acquisition.

Satisfaction moves toward each encounter's experience and, between contacts, drifts back to the
customer's baseline view of the product. The defection hazard is convex in satisfaction (Jones
& Sasser 1995) and rises with remembered failures (de Matos et al. 2007). Delighted customers
tell a few people, angry ones about twice as many (Goodman & Newman 2003); tellings reach other
customers (who shift a little) or prospects (referrals won, paid acquisitions deterred).
Growth comes from retention and referrals, never from the NPS number itself (Keiningham 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import BehaviourConfig, OrgConfig
from sim.population import CustomerTable
from sim.streams import Streams

N_TIES = 4  # assumption: a few social ties each (Mesa brief)
DELIGHT, ANGER = 9.0, 4.0  # assumption: experience that makes people talk
MAX_ATTEMPTS = 3  # assumption: after three failed contacts a customer gives up on the need


def fill_customers(
    rng: np.random.Generator,
    table: CustomerTable,
    rows: np.ndarray,
    org: OrgConfig,
    b: BehaviourConfig,
    *,
    start: bool,
) -> None:
    """Give new customers their traits. Assumed distributions, see docs/MODEL.md."""
    n = rows.size
    table.active[rows] = True
    table.baseline[rows] = np.clip(rng.normal(7.5, 1.0, n), 0.0, 10.0)
    # Starting customers have been served before day 0: they stand where the baseline's
    # service leaves them, not at their view of the product alone.
    gap = b.start_satisfaction_gap if start else 0.0
    table.satisfaction[rows] = np.clip(table.baseline[rows] - gap, 0.0, 10.0)
    table.expectation[rows] = rng.normal(0.0, 0.5, n)
    table.tenure[rows] = rng.exponential(4 * 365.0, n) if start else 0.0
    # Lognormal value with mean revenue_per_customer_year (sd of log 0.5).
    table.value[rows] = org.revenue_per_customer_year * rng.lognormal(-0.125, 0.5, n)
    # Gamma-distributed need rates with mean contacts_per_customer_year (shape 2).
    table.need_rate[rows] = rng.gamma(2.0, org.contacts_per_customer_year / 2.0, n)
    table.patience[rows] = org.patience_seconds * rng.lognormal(-0.125, 0.5, n)
    # Beta with mean complaint_share (concentration 4): some customers always complain, some never.
    cs = b.complaint_share
    table.complain[rows] = rng.beta(max(4 * cs, 1e-3), max(4 * (1 - cs), 1e-3), n)
    table.recommend_bias[rows] = rng.normal(0.5, 1.0, n)  # assumption: loyal answers run high
    table.failures[rows] = 0.0
    table.failures_ever[rows] = 0
    table.retry_day[rows] = -1
    table.attempts[rows] = 0
    table.recovery_day[rows] = -1
    table.recovery_value[rows] = 0.0
    table.recovery_spend_due[rows] = 0.0
    table.ties[rows] = rng.integers(0, max(table.size, 1), (n, table.ties.shape[1]))


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
    back = (streams.keyed("retries", rows, 0) < b.retry_share) & ~giving_up
    delay = 1 + (3.0 * streams.keyed("retries", rows[back], 1)).astype(np.int64)  # 1-3 days
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
    rng: np.random.Generator, table: CustomerTable, b: BehaviourConfig
) -> np.ndarray:
    """Memory fades toward the baseline, failures are forgotten slowly, some customers defect.

    Returns the rows of today's defectors (not yet freed)."""
    act = table.active
    sat = table.satisfaction
    step = np.subtract(table.baseline, sat)
    step *= 1.0 / b.satisfaction_memory_days
    sat += step
    np.clip(sat, 0.0, 10.0, out=sat)
    table.failures *= np.exp(-1.0 / b.failure_memory_days)
    table.tenure += act  # +1 day for active rows; free rows are reset when reused
    # hazard = rate/365 * exp(slope * (7 - s)) * (1 + effect * failures), in one buffer
    hazard = np.multiply(sat, -b.churn_satisfaction_slope, out=step)
    hazard += 7.0 * b.churn_satisfaction_slope
    np.exp(hazard, out=hazard)
    hazard *= b.churn_rate_annual / 365.0
    hazard *= 1.0 + b.failure_memory_effect * table.failures
    return np.flatnonzero(act & (rng.random(table.size, dtype=np.float32) < hazard))


@dataclass(frozen=True)
class WordOfMouth:
    positive: int  # tellings
    negative: int
    referrals: int  # prospects won
    deterred: float  # paid acquisitions lost (expected)


def word_of_mouth(
    rng: np.random.Generator,
    table: CustomerTable,
    speakers_good: np.ndarray,
    speakers_bad: np.ndarray,
    b: BehaviourConfig,
) -> WordOfMouth:
    """Delighted and angry customers talk; listeners are their ties or prospects."""
    n_pos = rng.poisson(b.wom_positive_reach, speakers_good.size)
    n_neg = rng.poisson(b.wom_positive_reach * b.wom_negative_ratio, speakers_bad.size)
    pos_src = np.repeat(speakers_good, n_pos)
    neg_src = np.repeat(speakers_bad, n_neg)
    to_cust_pos = rng.random(pos_src.size) < b.wom_to_customers
    to_cust_neg = rng.random(neg_src.size) < b.wom_to_customers
    k = table.ties.shape[1]
    for src, sign in ((pos_src[to_cust_pos], 1.0), (neg_src[to_cust_neg], -1.0)):
        listeners = table.ties[src, rng.integers(0, k, src.size)]
        listeners = listeners[table.active[listeners]]
        np.add.at(table.satisfaction, listeners, sign * b.wom_effect)
    pos_prospects = int((~to_cust_pos).sum())
    neg_prospects = int((~to_cust_neg).sum())
    referrals = int(rng.binomial(pos_prospects, b.referral_conversion))
    return WordOfMouth(
        int(pos_src.size), int(neg_src.size), referrals, neg_prospects * b.deterrence
    )


def paid_acquisitions(
    rng: np.random.Generator, start_customers: int, org: OrgConfig, deterred: float
) -> int:
    """Marketing brings a steady flow, less what bad word of mouth deters."""
    expected = org.acquisition_rate * start_customers / 365.0 - deterred
    return int(rng.poisson(max(expected, 0.0)))


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
    wom = word_of_mouth(streams.today("word_of_mouth"), customers, delighted, upset, b)
    leaving = drift_and_defect(streams.today("churn"), customers, b)
    customers.active[leaving] = False
    customers.retry_day[leaving] = -1
    customers.recovery_day[leaving] = -1
    customers.agent_id[leaving] = -1
    rng = streams.today("acquisition")
    paid = paid_acquisitions(rng, start_customers, org, wom.deterred)
    new = paid + wom.referrals
    joined = customers.free_slots(new) if new else np.zeros(0, np.int64)
    if new:
        fill_customers(rng, customers, joined, org, b, start=False)
    return CustomerDay(wom, leaving, joined, paid)
