"""The customer journey and the roles behind it: where the employee journey meets the customer's.

Customers move through the stages of a journey over their life (onboarding in the first months,
renewal around each anniversary, everyday service in between); each need they bring belongs to a
stage, with that stage's complexity, failure risk and weight in their overall judgement. Roles
work at stages: front-office roles take the contacts, back-office roles produce what customers
receive without meeting anyone (a bill, an activation, a fix), and some roles serve only their
colleagues (tools, rosters, support). A role's output quality follows its people: skill, stress
and displayed positivity, the internal service it gets itself, and whether it has the people for
its work. That quality is the internal service of the roles that depend on it: the first link of
the service-profit chain (Heskett et al. 1994).

Everything here works over whole arrays: one row per stage, per role, or per seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.config import BehaviourConfig, JourneyConfig, Office, PolicyConfig, Provides, single_stage
from sim.encounter import displayed_positivity
from sim.population import EmployeeTable

REFERENCE_SKILL = 0.9  # assumption: a team's usual skill (the learning curve's plateau region)
REFERENCE_STRESS = 0.3  # assumption: the stress of a normally loaded team (workforce.py's start)
REFERENCE_INTERNAL_SERVICE = 0.6  # assumption: the baseline quality of tools and support
INTERNAL_SERVICE_ERROR = 0.5  # assumption: errors x (1 + 0.5 per unit of internal service lacking)
BACK_OFFICE_UTILISATION = 0.8  # assumption: a back office staffed to plan is 80% busy
MAX_ERROR_FACTOR = 10.0  # assumption: an empty or broken back office errs at most 10x as often
ROSTER_LOSS = 0.2  # assumption: a roster at half its usual quality wastes a tenth of the hours
ROSTER_LOSS_CAP = 0.5  # assumption: even a broken roster is half right (last week's is reused)
DELIVERY_RATING = 7.0  # assumption: a correct bill or fix meets expectations (7 of 10)
SHARE_PRIOR = 1_000.0  # pseudo-contacts of the configured need shares in the stage-share estimate


@dataclass(frozen=True)
class Journey:
    """A journey compiled to arrays (S stages, R roles)."""

    stages: tuple[str, ...]
    roles: tuple[str, ...]
    touchpoints: tuple[str, ...]  # per stage, comma-separated labels
    contact_reasons: tuple[str, ...]
    need_share: np.ndarray
    complex_share: np.ndarray
    failure_risk: np.ndarray
    weight: np.ndarray
    from_day: np.ndarray
    until_day: np.ndarray
    cycle_days: np.ndarray
    deliveries_per_year: np.ndarray
    delivery_error: np.ndarray
    front: np.ndarray  # (R,) front-office role
    headcount: np.ndarray  # (R,) staff the work needs, x org.employees
    staffing: np.ndarray  # (R,) staff given against that need
    training: np.ndarray
    feedback_reach: np.ndarray
    autonomy: np.ndarray
    tools: np.ndarray
    covers: np.ndarray  # (R, S) the role works at the stage
    supplies: np.ndarray  # (R, R) supplies[a, b]: role a's output is internal service to b
    rosters: np.ndarray  # (R,) the role makes the rosters

    @classmethod
    def from_config(cls, cfg: JourneyConfig) -> Journey:
        if not cfg.stages and not cfg.roles:
            cfg = single_stage()
        stages, roles = tuple(cfg.stages), tuple(cfg.roles)
        st = [cfg.stages[s] for s in stages]
        ro = [cfg.roles[r] for r in roles]

        def col(items: list, name: str) -> np.ndarray:
            return np.array([float(getattr(i, name)) for i in items])

        covers = np.array([[s in r.stages for s in stages] for r in ro], dtype=bool)
        supplies = np.array([[a in r.depends_on for r in ro] for a in roles], dtype=bool)
        return cls(
            stages=stages,
            roles=roles,
            touchpoints=tuple(", ".join(s.touchpoints) for s in st),
            contact_reasons=tuple(", ".join(s.contact_reasons) for s in st),
            need_share=col(st, "need_share"),
            complex_share=col(st, "complex_share"),
            failure_risk=col(st, "failure_risk"),
            weight=col(st, "weight"),
            from_day=col(st, "from_day"),
            until_day=col(st, "until_day"),
            cycle_days=col(st, "cycle_days"),
            deliveries_per_year=col(st, "deliveries_per_year"),
            delivery_error=col(st, "delivery_error"),
            front=np.array([r.office == Office.front for r in ro]),
            headcount=col(ro, "headcount"),
            staffing=col(ro, "staffing"),
            training=col(ro, "training"),
            feedback_reach=col(ro, "feedback_reach"),
            autonomy=col(ro, "autonomy"),
            tools=col(ro, "tools"),
            covers=covers,
            supplies=supplies,
            rosters=np.array([r.provides == Provides.rosters for r in ro]),
        )

    @cached_property  # the journey never changes during a run
    def reaches(self) -> np.ndarray:
        """(R, S): the role works at the stage, or serves a role that does (internal service)."""
        through = (self.supplies.astype(int) @ self.covers.astype(int)) > 0
        return self.covers | through

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    @property
    def n_roles(self) -> int:
        return len(self.roles)

    def open_stages(self, tenure: np.ndarray) -> np.ndarray:
        """(n, S): which stages are open for customers of these tenures (days)."""
        t = tenure[:, None]
        open_ = (t >= self.from_day) & (t < self.until_day)
        for s in np.flatnonzero(self.cycle_days > 0).tolist():  # the few stages that repeat
            open_[:, s] = self.open_at(s, tenure)
        return open_

    def open_at(self, stage: int, tenure: np.ndarray) -> np.ndarray:
        """(n,): whether `stage` is open for customers of these tenures (`open_stages`' column)."""
        cycle = self.cycle_days[stage]
        phase = tenure % max(cycle, 1.0) if cycle > 0 else tenure
        return (phase >= self.from_day[stage]) & (phase < self.until_day[stage])

    def draw_stages(self, u: np.ndarray, tenure: np.ndarray) -> np.ndarray:
        """The stage of each new need: among the stages open at the customer's tenure, in
        proportion to their need shares, from one uniform number `u` per need."""
        n_stages = self.n_stages
        if n_stages == 1:
            return np.zeros(tenure.size, np.int64)
        # Stage by stage over contiguous rows (S, n): the weights `open x need share`, their
        # running sum and the count of sums at or below the point are the (n, S) cumsum's
        # numbers, added in the same order (tests/test_exact_bulk.py has the plain version).
        cum = np.empty((n_stages, tenure.size))
        for s in range(n_stages):
            np.multiply(self.open_at(s, tenure), self.need_share[s], out=cum[s])
        # With no stage open the need goes to the stage that usually has the most (shares are
        # >= 0, so a total <= 0 is all weights 0).
        nobody = ~cum.any(axis=0)
        if nobody.any():
            cum[int(np.argmax(self.need_share)), nobody] = 1.0
        for s in range(1, n_stages):
            cum[s] += cum[s - 1]
        point = u * cum[-1]
        below = np.zeros(tenure.size, np.int64)
        for s in range(n_stages):
            below += cum[s] <= point
        return np.minimum(below, n_stages - 1)

    def seat_budgets(self, employees: int, staffing_level, scale: float) -> np.ndarray:
        """Seats per role: the staff its work needs (headcount x org.employees, scaled with the
        customer base) x the role's own staffing x the org's staffing level."""
        need = employees * self.headcount * self.staffing * np.asarray(staffing_level) * scale
        raw = np.rint(need).astype(np.int64)
        return np.where(self.headcount * self.staffing > 0, np.maximum(raw, 1), 0)

    def need_mix(self, tenure: np.ndarray) -> np.ndarray:
        """(S,) the expected share of new needs per stage for customers of these tenures."""
        w = self.open_stages(tenure) * self.need_share
        total = w.sum(axis=1, keepdims=True)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)
        mix = w.sum(axis=0)
        return mix / mix.sum() if mix.sum() > 0 else self.need_share / self.need_share.sum()

    def impact(self, stage_counts: np.ndarray, prior: np.ndarray) -> np.ndarray:
        """How far one encounter at each stage moves overall satisfaction, relative to the
        average encounter: weight / the stage's share of contacts (so far, after a prior of
        SHARE_PRIOR contacts at the `prior` mix), so that each stage's part in the customer's
        judgement is its weight (1 everywhere for a single stage)."""
        if self.n_stages == 1:
            return np.ones(1)
        share = (stage_counts + SHARE_PRIOR * prior) / (stage_counts.sum() + SHARE_PRIOR)
        return self.weight / np.maximum(share, 1e-9)


@dataclass(frozen=True)
class RoleState:
    """What each role is like today (R,), from its people: the day's internal service."""

    ready: np.ndarray  # people at work and past onboarding
    load: np.ndarray  # work against capacity (front: the queue's occupancy)
    skill: np.ndarray
    stress: np.ndarray
    positivity: np.ndarray
    internal_service: np.ndarray  # quality of tools and support the role gets, 0..1
    error_factor: np.ndarray  # x the reference error rate of the role's output
    quality: np.ndarray  # 1 / error_factor: output quality relative to a reference team
    roster_fit: np.ndarray  # share of rostered hours that meet the demand


def error_factor(
    skill: np.ndarray,
    stress: np.ndarray,
    positivity: np.ndarray,
    internal_service: np.ndarray,
    load: np.ndarray,
    b: BehaviourConfig,
) -> np.ndarray:
    """How much more often than a reference team a role's output is wrong (1 = reference).

    The same ingredients as a frontline failure (skill and stress, `encounter.meet`), plus care
    (displayed positivity: work happiness shows in the work, seen or not), the internal service
    the role gets, and a workload above capacity (assumptions)."""
    f = (
        (2.0 - skill)
        / (2.0 - REFERENCE_SKILL)
        * (1.0 + b.burnout_effect * stress)
        / (1.0 + b.burnout_effect * REFERENCE_STRESS)
        * (1.5 - positivity)
        * internal_service_factor(internal_service)
        * np.maximum(load, 1.0)
    )
    return np.clip(f, 1.0 / MAX_ERROR_FACTOR, MAX_ERROR_FACTOR)


def internal_service_factor(internal_service: np.ndarray | float) -> np.ndarray:
    """Errors rise as tools and support fall short of the reference (1 at the reference)."""
    return 1.0 + INTERNAL_SERVICE_ERROR * (
        REFERENCE_INTERNAL_SERVICE - np.asarray(internal_service)
    )


def internal_service(journey: Journey, quality: np.ndarray, policy: PolicyConfig) -> np.ndarray:
    """(R,) the internal service each role gets: the org's tools x the role's own, x the mean
    output quality of the roles it depends on (1 if none), capped at 1."""
    n_sup = journey.supplies.sum(axis=0)
    supplied = np.divide(
        quality @ journey.supplies, n_sup, out=np.ones(journey.n_roles), where=n_sup > 0
    )
    return np.clip(policy.internal_service * journey.tools * supplied, 0.0, 1.0)


def roster_fit(journey: Journey, quality: np.ndarray) -> np.ndarray:
    """(R,) share of a role's rostered hours that meet demand: a poor roster from the planners a
    role depends on leaves it understaffed when the customers come."""
    fit = np.ones(journey.n_roles)
    for planner in np.flatnonzero(journey.rosters):
        loss = ROSTER_LOSS * min(max(0.0, 1.0 - float(quality[planner])), ROSTER_LOSS_CAP)
        fit = np.where(journey.supplies[planner], fit * (1.0 - loss), fit)
    return fit


def role_means(values: np.ndarray, role: np.ndarray, mask: np.ndarray, n_roles: int) -> np.ndarray:
    """(R,) the mean of `values` over the seats in `mask`, per role (nan for an empty role)."""
    count = np.bincount(role[mask], minlength=n_roles)
    total = np.bincount(role[mask], weights=values[mask], minlength=n_roles)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def deliveries(
    rng: np.random.Generator,
    journey: Journey,
    tenure: np.ndarray,
    active: np.ndarray,
    error_by_stage: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's back-office outputs (bills, activations, fixes) to customers at open stages.

    Returns the counts per stage (row 0: delivered, row 1: wrong), the customers who got a wrong
    one (each once, even if hit twice today) and the stage of that wrong output."""
    counts = np.zeros((2, journey.n_stages), np.int64)
    making = np.flatnonzero(journey.deliveries_per_year > 0)
    live = np.flatnonzero(active)
    if making.size == 0 or live.size == 0:
        return counts, np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, stages = [], []
    for s in making.tolist():
        # Thinning: draw today's recipients among all customers, keep those at the stage (the
        # same law as a draw per eligible customer, at the cost of the few drawn).
        p = min(journey.deliveries_per_year[s] / 365.0, 1.0)
        drawn = live[rng.integers(0, live.size, int(rng.binomial(live.size, p)))]
        got = drawn[journey.open_at(s, tenure[drawn])]
        wrong = int(rng.binomial(got.size, float(np.clip(error_by_stage[s], 0.0, 1.0))))
        counts[:, s] = got.size, wrong
        if wrong:
            rows.append(got[:wrong])  # the draw is in random order: any `wrong` of them
            stages.append(np.full(wrong, s, np.int64))
    if not rows:
        return counts, np.zeros(0, np.int64), np.zeros(0, np.int64)
    all_rows, all_stages = np.concatenate(rows), np.concatenate(stages)
    _, first = np.unique(all_rows, return_index=True)
    return counts, all_rows[first], all_stages[first]


def roles_today(
    *,
    journey: Journey,
    staff: EmployeeTable,
    work_scale: float,
    employees: int,
    front_load: float,
    quality_yesterday: np.ndarray,
    policy: PolicyConfig,
    b: BehaviourConfig,
) -> RoleState:
    """Stage 1, roles and internal service: each role as it starts the day. People ready, the
    workload (front roles: yesterday's queue; back roles: the work, which follows the customer
    base `work_scale`, against the people there), and the quality of the role's output, which
    is the internal service its dependants get. The internal service a role gets today comes
    from its suppliers' quality yesterday. Reads only; changes nothing."""
    n_roles = journey.n_roles
    ready = staff.active & (staff.training_left <= 0)
    heads = np.bincount(staff.role[ready], minlength=n_roles)
    needed = employees * journey.headcount * work_scale  # the work, in staff at plan
    back_load = np.divide(
        BACK_OFFICE_UTILISATION * needed, heads, out=np.full(n_roles, 1.5), where=heads > 0
    )
    load = np.where(journey.front, front_load, np.minimum(back_load, 1.5))
    skill = role_means(staff.skill, staff.role, ready, n_roles)
    stress = role_means(staff.stress, staff.role, ready, n_roles)
    engagement = role_means(staff.engagement, staff.role, ready, n_roles)
    positivity = displayed_positivity(engagement, stress, load, b)
    isq = internal_service(journey, quality_yesterday, policy)
    err = error_factor(skill, stress, positivity, isq, load, b)
    err = np.where(heads > 0, err, MAX_ERROR_FACTOR)  # nobody to do the work
    quality = 1.0 / err
    return RoleState(
        ready=heads,
        load=load,
        skill=skill,
        stress=stress,
        positivity=positivity,
        internal_service=isq,
        error_factor=err,
        quality=quality,
        roster_fit=roster_fit(journey, quality),
    )
