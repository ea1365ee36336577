"""The encounter: one employee meets one customer; what comes out depends on both.

Resolution depends on the agent's skill, the script, knowing when to leave it and the need's
complexity (Victorino, Verma & Wardell 2008: scripts help on standard needs, cap customised
ones), and on the agent's effort, which work happiness raises: the quality path that carries
most of the link from employees to customers (Brown & Lam 2008). How it felt depends on the
agent's displayed positivity, which work happiness raises a little, a person's own service
disposition sets, and stress and busyness lower (Pugh 2001; Barger & Grandey 2006), on the wait
and on earlier failed attempts. The customer's experience flows back to the agent (satisfaction
mirror / contagion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import loyalty
from sim.config import BehaviourConfig, PolicyConfig
from sim.demand import Contacts
from sim.population import CustomerTable, EmployeeTable
from sim.streams import Streams, normal_from_uniform


@dataclass(frozen=True)
class Outcomes:
    """What happened in each of today's answered contacts (aligned with the contacts)."""

    employee: np.ndarray  # seat of the agent who took it
    resolved: np.ndarray
    failure: np.ndarray  # a service failure happened (an error that harms the customer)
    experience: np.ndarray  # the customer's rating of the encounter, 0..10
    positivity: np.ndarray  # the agent's displayed positivity, 0..1


def route(u: np.ndarray, on_duty: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Assign contacts (one uniform number `u` each) to agents on duty, in proportion to how
    fast each works (an ACD's effect)."""
    cdf = np.cumsum(speed[on_duty])
    pick = np.searchsorted(cdf, u * cdf[-1], side="right")
    return on_duty[np.minimum(pick, on_duty.size - 1)]


def resolution_probability(
    skill: np.ndarray,
    deviation: np.ndarray,
    is_complex: np.ndarray,
    policy: PolicyConfig,
    b: BehaviourConfig,
) -> np.ndarray:
    """Chance the agent solves the need at this contact."""
    strict = policy.script_strictness
    freedom = 1.0 - strict
    misjudged = freedom * (1.0 - deviation)  # deviating where one should not
    standard = (skill + strict * b.script_help * (1.0 - skill)) * (
        1.0 - 0.5 * b.deviation_error * misjudged
    )
    custom = skill * (1.0 - b.script_cap * strict) * (1.0 - b.deviation_error * misjudged)
    p = np.where(is_complex, custom, standard)
    return b.resolve_base * p * (1.0 - b.pressure_resolution_loss * policy.productivity_pressure)


def displayed_positivity(
    engagement: np.ndarray,
    stress: np.ndarray,
    occupancy: float,
    b: BehaviourConfig,
    disposition: np.ndarray | float = 0.0,
) -> np.ndarray:
    """0..1: happier agents show a little more positivity, stress and a busy floor less, and
    each person has their own service disposition (`disposition`, around 0)."""
    raw = (
        0.5
        + b.display_slope * (engagement - 7.0)
        + disposition
        - 0.5 * b.burnout_effect * (stress - 0.3)
        - b.busyness_effect * (occupancy - 0.8)
    )
    return np.clip(raw, 0.0, 1.0)


def effort_factor(engagement: np.ndarray, b: BehaviourConfig) -> np.ndarray:
    """x the chance to resolve: engaged agents try harder (discretionary effort), the quality
    path from employees to customers; 0.5..1.5."""
    return np.clip(1.0 + b.engagement_effort * (engagement - 7.0), 0.5, 1.5)


def meet(
    streams: Streams,
    contacts: Contacts,
    agent: np.ndarray,
    wait_seconds: np.ndarray,
    staff: EmployeeTable,
    customers: CustomerTable,
    occupancy: float,
    policy: PolicyConfig,
    b: BehaviourConfig,
    *,
    effort: float = 1.0,
    failure_risk: np.ndarray | float = 1.0,
) -> Outcomes:
    """Play out every answered contact at once (`failure_risk`: per contact, the journey
    stage's risk x the agent's internal service, journey.py)."""
    skill, deviation = staff.skill[agent], staff.deviation[agent]
    stress = staff.stress[agent]
    is_complex = contacts.complex
    rushed = 1.0 - b.rush_resolution_loss * (1.0 - effort)  # less time, fewer fixes
    engagement = staff.engagement[agent]
    p_resolve = (
        resolution_probability(skill, deviation, is_complex, policy, b)
        * rushed
        * effort_factor(engagement, b)
        * staff.ability[agent]
    )
    # Each caller's luck is theirs, whoever else called today (keyed by customer row).
    luck = customers.luck[contacts.customer]
    u_resolve, u_fail, u_rating, u_display = streams.keyed("encounter", luck, draws=4)
    resolved = u_resolve < p_resolve
    p_fail = b.failure_rate * (2.0 - skill) * (1.0 + b.burnout_effect * stress) * failure_risk
    failure = u_fail < np.clip(p_fail, 0.0, 1.0)
    positivity = displayed_positivity(
        engagement,
        stress,
        occupancy,
        b,
        staff.disposition[agent] + b.display_noise_sd * normal_from_uniform(u_display),
    )
    freedom = 1.0 - policy.script_strictness
    tailoring = is_complex * (
        b.personal_touch * freedom * deviation - b.script_feel * (1 - freedom)
    )
    experience = (
        4.5
        + 4.0 * resolved
        + b.positivity_effect * (2.0 * positivity - 1.0)
        + tailoring
        - b.wait_penalty_per_minute * wait_seconds / 60.0
        - b.repeat_penalty * contacts.attempts
        - customers.expectation[contacts.customer]
        + 0.8 * normal_from_uniform(u_rating)
    )
    return Outcomes(agent, resolved, failure, np.clip(experience, 0.0, 10.0), positivity)


@dataclass(frozen=True)
class Encounters:
    """Stage 4's result: every answered contact's outcome, and the day per journey stage."""

    outcomes: Outcomes
    rated: np.ndarray  # the touchpoint's rating: the experience, less a failure's drop
    stage_contacts: np.ndarray  # (S,) contacts answered per stage
    stage_resolved: np.ndarray  # (S,)
    stage_failures: np.ndarray  # (S,)
    stage_rating_sum: np.ndarray  # (S,) sum of `rated`
    retries: int  # unresolved needs that will come back
    satisfaction_before: np.ndarray  # each caller's satisfaction before the encounter
    failures_before: np.ndarray  # each caller's failures ever before the encounter


def serve(
    *,
    answered: Contacts,
    agents: np.ndarray,
    waits: np.ndarray,
    staff: EmployeeTable,
    customers: CustomerTable,
    occupancy: float,
    effort: float,
    failure_risk: np.ndarray,
    impact: np.ndarray,
    n_stages: int,
    day: int,
    policy: PolicyConfig,
    b: BehaviourConfig,
    streams: Streams,
) -> Encounters:
    """Stage 4, the encounters: every answered contact played out (`meet`). Changes: each
    caller's satisfaction moves toward the rating, scaled by the stage's `impact`
    (journey.py); resolved needs close; unresolved ones may come back (customer table)."""
    rows = answered.customer
    satisfaction_before = customers.satisfaction[rows]
    failures_before = customers.failures_ever[rows]
    out = meet(
        streams,
        answered,
        agents,
        waits,
        staff,
        customers,
        occupancy,
        policy,
        b,
        effort=effort,
        failure_risk=failure_risk,
    )
    loyalty.experience(customers, rows, out.experience, b, impact[answered.stage])
    loyalty.close_needs(customers, rows[out.resolved])
    open_ = ~out.resolved
    retries = loyalty.schedule_retries(
        streams,
        customers,
        rows[open_],
        answered.complex[open_],
        answered.attempts[open_],
        day,
        b,
        answered.stage[open_],
    )
    rated = out.experience - b.failure_drop * out.failure  # a failure spoils the touchpoint
    per_stage = np.bincount(answered.stage, minlength=n_stages)
    return Encounters(
        outcomes=out,
        rated=rated,
        stage_contacts=per_stage,
        stage_resolved=np.bincount(answered.stage, weights=out.resolved, minlength=n_stages),
        stage_failures=np.bincount(answered.stage, weights=out.failure, minlength=n_stages),
        stage_rating_sum=np.bincount(answered.stage, weights=rated, minlength=n_stages),
        retries=retries,
        satisfaction_before=satisfaction_before,
        failures_before=failures_before,
    )
