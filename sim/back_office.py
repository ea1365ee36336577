"""Stage 6, the back office: outputs that reach customers without a contact.

Back-office roles produce what customers receive at their stages (a bill, an activation, a fix).
A wrong one is a service failure the customer meets without any contact; one the customer tells
the firm about comes back as a contact at that stage (failure demand, Seddon 2003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import journey as jny
from sim.config import BehaviourConfig, PolicyConfig
from sim.journey import Journey, RoleState
from sim.population import CustomerTable
from sim.recovery import Recoveries, fail_and_recover
from sim.streams import Streams

BACK_OFFICE_POSITIVITY = 0.5  # assumption: the care shown in a back-office recovery (0..1)


@dataclass(frozen=True)
class BackOffice:
    """What the back office delivered today."""

    delivered: np.ndarray  # (S,) outputs delivered per stage
    delivered_wrong: np.ndarray  # (S,) of which wrong
    stage_rating_sum: np.ndarray  # (S,) the outputs' ratings (a wrong one loses the drop)
    failures: Recoveries  # the customers who got a wrong one (each once) and their recovery
    callbacks: int  # of those, customers who will call about it


def deliver(
    *,
    journey: Journey,
    roles: RoleState,
    customers: CustomerTable,
    day: int,
    policy: PolicyConfig,
    b: BehaviourConfig,
    streams: Streams,
) -> BackOffice:
    """Stage 6. The error rate of a stage's outputs follows the back roles that make them
    (their error factors, weighted by headcount). Changes: wrong outputs are service failures
    (satisfaction, recoveries); those who complained get a contact scheduled at that stage."""
    back = journey.covers & ~journey.front[:, None]  # (R, S) back roles making each stage's
    weights = back * journey.headcount[:, None]
    w_sum = weights.sum(axis=0)
    factor = np.divide(  # nobody to make a stage's outputs: as an empty role
        weights.T @ roles.error_factor,
        w_sum,
        out=np.full(journey.n_stages, jny.MAX_ERROR_FACTOR),
        where=w_sum > 0,
    )
    rng = streams.today("deliveries")
    end = customers.end()  # past it every row is free: the same live rows
    counts, rows, stages = jny.deliveries(
        rng,
        journey,
        customers.tenure[:end],
        customers.active[:end],
        journey.delivery_error * factor,
    )
    delivered, wrong = counts[0], counts[1]
    # A correct output meets expectations; a wrong one spoils the touchpoint like a failure.
    rating = delivered * jny.DELIVERY_RATING - wrong * b.failure_drop
    if rows.size == 0:
        nobody = np.zeros(0, bool)
        return BackOffice(delivered, wrong, rating, Recoveries(rows, nobody, nobody, 0.0), 0)
    failures = fail_and_recover(
        streams,
        rows,
        np.full(rows.size, BACK_OFFICE_POSITIVITY),
        customers,
        day,
        policy,
        b,
        source=1,
    )
    # Those who complained call about it, unless they are already calling back about another.
    calling = failures.heard & (customers.retry_day[rows] < 0)
    who, where = rows[calling], stages[calling]
    customers.retry_day[who] = day + rng.integers(1, 4, who.size)
    customers.retry_stage[who] = where
    customers.retry_complex[who] = rng.random(who.size) < journey.complex_share[where]
    customers.attempts[who] = 0
    return BackOffice(delivered, wrong, rating, failures, int(who.size))
