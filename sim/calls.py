"""Stage 3, the queue: who is on duty, who gives up waiting, who answers whom, and the waits.

The day's figures come from Erlang A (queueing.py: `day_queue`); here they meet the day's
callers and agents one by one. The less patient abandon more often, at the day's Erlang A rate
on average; an abandoned need may come back in a few days (loyalty.py). Answered contacts go to
an agent on duty in a front role that works at the contact's stage, in proportion to speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import encounter, loyalty, queueing
from sim.config import BehaviourConfig, OrgConfig, PolicyConfig
from sim.demand import Contacts
from sim.journey import Journey, RoleState
from sim.population import CustomerTable, EmployeeTable
from sim.streams import Streams


@dataclass(frozen=True)
class Calls:
    """What the queue did today."""

    answered: Contacts
    abandoned: Contacts
    agents: np.ndarray  # seat of the agent who took each answered contact
    waits: np.ndarray  # seconds each answered caller waited
    on_duty: int  # front-office agents on duty
    retries_after_abandon: int  # abandoned needs that will come back
    patience: float  # mean patience of today's callers (seconds)
    overtime_hours: float  # hours of overtime bought
    queue: queueing.DayQueue


def answer_calls(
    *,
    contacts: Contacts,
    staff: EmployeeTable,
    customers: CustomerTable,
    roles: RoleState,
    journey: Journey,
    stage_prior: np.ndarray,
    effort_norm: float,
    day: int,
    org: OrgConfig,
    policy: PolicyConfig,
    b: BehaviourConfig,
    streams: Streams,
) -> Calls:
    """Stage 3: the day's queue. Changes: abandoners lose satisfaction for the time they waited
    and may have a retry scheduled (customer table)."""
    absent_p = np.clip(org.absence_rate * (1.0 + b.stress_absence * staff.stress), 0, 1)
    ready = staff.active & (staff.training_left <= 0) & journey.front[staff.role]
    on_duty = np.flatnonzero(ready & (streams.today("absence").random(staff.size) >= absent_p))
    speed = staff.skill  # efficiency: a new hire at 0.5 takes twice as long
    usual = float(journey.complex_share @ stage_prior)
    patience = (
        float(customers.patience[contacts.customer].mean())
        if contacts.count
        else org.patience_seconds
    )
    q = queueing.day_queue(
        contacts=contacts.count,
        complex_share=contacts.complex.mean() if contacts.count else usual,
        mean_speed=float(speed[on_duty].mean()) if on_duty.size else 1.0,
        # A poor roster puts people on the phones when the customers are not calling.
        rostered=float(roles.roster_fit[staff.role[on_duty]].sum()),
        patience=patience,
        effort_norm=effort_norm,
        org=org,
        policy=policy,
        b=b,
    )
    # Who abandons: the less patient more often, at the day's Erlang A rate on average.
    impatience = 1.0 / customers.patience[contacts.customer]
    mean_impatience = float(impatience.mean()) if contacts.count else 1.0
    p_ab = np.clip(q.stats.abandon_rate * impatience / max(mean_impatience, 1e-12), 0, 1)
    gone = streams.keyed("abandon", customers.luck[contacts.customer]) < p_ab
    if on_duty.size == 0:
        gone[:] = True
    abandoned = contacts.subset(gone)
    customers.satisfaction[abandoned.customer] -= (
        b.wait_penalty_per_minute * customers.patience[abandoned.customer] / 60.0
    )
    retries = loyalty.schedule_retries(
        streams,
        customers,
        abandoned.customer,
        abandoned.complex,
        abandoned.attempts,
        day,
        b,
        abandoned.stage,
    )
    answered = contacts.subset(~gone)
    u_route, u_wait = streams.keyed("answer", customers.luck[answered.customer], draws=2)
    agents = route(on_duty, speed, answered, staff, journey, u_route)
    # Exponential waits around the day's Erlang A mean (inverse CDF of a keyed number).
    waits = -np.log1p(-u_wait) * max(q.stats.mean_wait, 1e-9)
    return Calls(
        answered=answered,
        abandoned=abandoned,
        agents=agents,
        waits=waits,
        on_duty=int(on_duty.size),
        retries_after_abandon=retries,
        patience=patience,
        overtime_hours=q.overtime_servers * org.open_hours,
        queue=q,
    )


def route(
    on_duty: np.ndarray,
    speed: np.ndarray,
    answered: Contacts,
    staff: EmployeeTable,
    journey: Journey,
    u: np.ndarray,
) -> np.ndarray:
    """Each contact to an agent on duty in a front role that works at its stage (any front
    agent on duty if none is), in proportion to speed; `u` is one uniform number per contact."""
    if answered.count == 0:
        return np.zeros(0, np.int64)
    serving = journey.covers[staff.role[on_duty]]  # (on duty, S)
    if serving.all():
        return encounter.route(u, on_duty, speed)
    agents = np.empty(answered.count, np.int64)
    for s in range(journey.n_stages):
        here = np.flatnonzero(answered.stage == s)
        if here.size:
            pool = on_duty[serving[:, s]]
            pool = pool if pool.size else on_duty
            agents[here] = encounter.route(u[here], pool, speed)
    return agents
