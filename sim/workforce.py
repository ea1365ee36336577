"""The workforce: drivers, stress, work happiness, learning, quitting and hiring.

Work happiness (engagement, 0-10) moves toward a target set by the four drivers of the employee
journey (want / know / can / feel), minus stress, plus the mirror of the customers served, minus
a plateau for long-tenured staff without development. Stress follows job demands against job
resources (Job Demands-Resources). The daily quit hazard rises with low work happiness and high
stress; a leaver's seat stays empty for the hiring lag, then a new hire spends the onboarding
weeks in training and starts low on the learning curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.config import BehaviourConfig, PolicyConfig
from sim.population import EmployeeTable
from sim.recovery import empowerment
from sim.streams import Streams, normal_from_uniform

if TYPE_CHECKING:  # journey.py reaches this module through the encounter
    from sim.journey import Journey

DRIVERS = ("want", "know", "can", "feel")
MIRROR_DAYS = 30.0  # assumption: the mirror is a month's experience of customers


@dataclass(frozen=True)
class Drivers:
    """The four drivers per seat, each 0..1 (rows of vacant seats are meaningless)."""

    want: np.ndarray
    know: np.ndarray
    can: np.ndarray
    feel: np.ndarray

    def index(self, b: BehaviourConfig) -> np.ndarray:
        """0..1: the drivers taken together, as `driver_index` does."""
        return driver_index((self.want, self.know, self.can, self.feel), b)


def driver_index(values: Sequence[np.ndarray | float], b: BehaviourConfig) -> np.ndarray:
    """0..1: the four drivers as one index, with diminishing returns and complementarity.

    Each driver first passes a concave response g(x) = (1 - e^-kx) / (1 - e^-k) (Warr's vitamin
    model: more of a resource helps less), then the four are combined by a power mean with
    exponent rho < 1, so one weak driver holds the index back more than the linear mean would
    (k = 0 and rho = 1 give the old equal-weight mean). g(0) = 0 and g(1) = 1, so the index still
    spans 0..1 and `driver_weight` keeps its meaning: the points all four drivers at full add."""
    k, rho = b.driver_curvature, b.driver_complementarity
    x = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    g = -np.expm1(-k * x) / -np.expm1(-k) if k > 0 else x
    return np.mean(g**rho, axis=0) ** (1.0 / rho)


def market_orientation(policy: PolicyConfig) -> float:
    """Feedback sharing on 1..7 as 0..1."""
    return (policy.feedback_sharing - 1.0) / 6.0


def drivers(
    staff: EmployeeTable,
    workload: np.ndarray | float,
    policy: PolicyConfig,
    b: BehaviourConfig,
    *,
    autonomy: np.ndarray | float | None = None,
    feedback_reach: np.ndarray | float = 1.0,
    internal_service: np.ndarray | float | None = None,
) -> Drivers:
    """want: ownership (autonomy, seeing customer feedback); know: self-efficacy (skill,
    feedback, judgement); can: facilitation (empowerment, tools, a bearable workload);
    feel: culture (consistent leadership, recognition through pay).

    Per seat, the role's own autonomy, share of the customer feedback and internal service
    (journey.py) replace the frontline's; feel is the organisation's, the same for everyone."""
    n = staff.size
    mo = market_orientation(policy) * np.asarray(feedback_reach)
    autonomy = 1.0 - policy.script_strictness if autonomy is None else autonomy
    tools = policy.internal_service if internal_service is None else internal_service
    want = np.broadcast_to((autonomy + mo) / 2.0, n).astype(float)
    know = (staff.skill + mo + staff.deviation) / 3.0
    can = (empowerment(policy, b) + np.asarray(tools) + (1.0 - np.minimum(workload, 1.0))) / 3.0
    recognition = float(np.clip(policy.pay_level - 0.5, 0.0, 1.0))
    feel_value = (policy.leadership_consistency + recognition) / 2.0
    return Drivers(want, know, np.broadcast_to(can, n).astype(float), np.full(n, feel_value))


def plateau(staff: EmployeeTable, policy: PolicyConfig, b: BehaviourConfig) -> np.ndarray:
    """Points lost by staff past 5 years' tenure (full at 10) who see no development."""
    years = staff.tenure / 365.0
    return b.plateau_penalty * (1.0 - policy.development) * np.clip((years - 5.0) / 5.0, 0, 1)


def update_people(
    staff: EmployeeTable,
    drv: Drivers,
    workload: float,
    overtime_share: float,
    bad_share: np.ndarray,
    mirror_today: np.ndarray,
    served: np.ndarray,
    policy: PolicyConfig,
    b: BehaviourConfig,
    *,
    training: np.ndarray | float | None = None,
    freedom: np.ndarray | float | None = None,
    manager_skill: float = 0.0,
) -> None:
    """One day of learning, stress and work happiness for every occupied seat (`training` and
    `freedom` per seat: the role's own; default the frontline's; `manager_skill`: the unit's
    management above the firm's usual, in points of work happiness)."""
    n = staff.size
    occ = staff.active
    learning = staff.active & (staff.training_left <= 0)
    training = policy.training if training is None else training
    freedom = 1.0 - policy.script_strictness if freedom is None else freedom
    pace = np.broadcast_to((0.5 + 0.5 * np.asarray(training)) / b.learning_days, n)[learning]
    staff.skill[learning] += (1.0 - staff.skill[learning]) * pace
    dev_pace = np.broadcast_to((0.5 + 0.5 * np.asarray(training)) / b.deviation_learning_days, n)[
        learning
    ]
    target_dev = np.broadcast_to(freedom, n)[learning]
    staff.deviation[learning] += (target_dev - staff.deviation[learning]) * dev_pace
    # Satisfaction mirror: the experience of customers served, smoothed over about a month.
    staff.mirror[served] += (mirror_today[served] - staff.mirror[served]) / MIRROR_DAYS
    # Job demands against job resources.
    demands = workload + 0.5 * policy.productivity_pressure + 2.0 * overtime_share + bad_share
    resources = staff.skill + drv.can + drv.feel
    target_stress = np.clip(
        b.stress_gain * (demands - resources) + b.stress_offset + staff.resilience, 0.0, 1.0
    )
    staff.stress[occ] += (target_stress[occ] - staff.stress[occ]) / b.stress_adjust_days
    target = (
        b.engagement_base
        + b.driver_weight * drv.index(b)
        - b.stress_weight * staff.stress
        + b.mirror_weight * staff.mirror
        - plateau(staff, policy, b)
        + staff.trait
        + staff.manager
        + manager_skill
    )
    staff.engagement[occ] += (target[occ] - staff.engagement[occ]) / b.engagement_adjust_days
    np.clip(staff.engagement, 0.0, 10.0, out=staff.engagement)
    staff.tenure[occ] += 1.0
    staff.age[occ] += 1.0 / 365.0
    staff.training_left[occ] = np.maximum(staff.training_left[occ] - 1.0, 0.0)


def quit_hazard(staff: EmployeeTable, b: BehaviourConfig, labour_market: float = 1.0) -> np.ndarray:
    """Daily probability of resigning, per seat (`labour_market`: x the hazard where jobs
    outside are easier or harder to find)."""
    log_h = b.quit_engagement_slope * (7.0 - staff.engagement) + b.quit_stress_slope * (
        staff.stress - 0.3
    )
    factor = np.where(staff.tenure < 182.0, b.newcomer_quit_factor, 1.0)
    factor = np.where(staff.tenure > 5 * 365.0, b.veteran_quit_factor, factor)
    return np.clip(labour_market * b.quit_rate_annual / 365.0 * np.exp(log_h) * factor, 0.0, 1.0)


def headcount_budget(
    employees: int, staffing_level: float, customers_now: int, customers_start: int
) -> int:
    """Seats the firm budgets: the org's headcount x staffing level, scaled to the customer base."""
    scale = customers_now / max(customers_start, 1)
    return max(1, int(round(employees * staffing_level * scale)))


def new_hire_skill(
    policy: PolicyConfig, b: BehaviourConfig, training: np.ndarray | float | None = None
) -> np.ndarray | float:
    """Skill after onboarding: deeper training starts new hires higher on the curve."""
    training = policy.training if training is None else training
    gap = 1.0 - b.new_hire_skill
    skill = np.clip(b.new_hire_skill + 0.25 * gap * (np.asarray(training) - 1.0), 0.0, 1.0)
    return float(skill) if skill.ndim == 0 else skill


def from_quantiles(u: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Inverse CDF by linear interpolation between evenly spaced quantiles (0%..100%)."""
    q = np.asarray(quantiles, dtype=float)
    return np.interp(u, np.linspace(0.0, 1.0, q.size), q)


PERSON_DRAWS = 9  # uniform numbers that make up one person (team, trait, bias, history, age,
# service disposition, ability, resilience)
# Strides of the starting workforce's stratified draws (`stratified_uniforms`), per rank and
# per role: irrationals with small continued-fraction terms, so that the first n ranks of a
# role, and the roles' first, second, ... people, spread evenly over [0, 1). Age on day 0 is
# age at hire + tenure, so the two draws' strides must not nearly add up to a whole number (the
# golden ratio's 0.618 with sqrt(2)'s 0.414 do: the age spread then swings more than with
# independent draws); ln 2's and the plastic number's fractions keep the between-seed sd of the
# age bands' shares at 5-6 points for 15-50 people (independent draws: 7-13), checked on the
# example twin's quantiles.
STRIDES = {
    "tenure": (0.6180339887498949, 0.41421356237309515),  # golden ratio, sqrt(2)
    "age": (0.6931471805599453, 0.32471795724474602),  # ln 2, plastic number
}


def stratified_uniforms(
    streams: Streams, purpose: str, roles: np.ndarray, ranks: np.ndarray, which: str
) -> np.ndarray:
    """One uniform number per person, spread evenly over the workforce rather than drawn
    independently: person `rank` of role `role` gets frac(offset + rank * a + role * b), a
    Kronecker sequence in both the rank and the role, with one offset per seed (so each person's
    number is still uniform over seeds, and the mix is the quantiles' on average). A person's
    number depends on their role, rank and the seed alone, so person k of role r is the same in
    every scenario with this seed, whatever the staffing levers make of the roles' sizes.
    Why: at 25 people, independent draws move a tenure band's share by 5-10 points between
    seeds (docs/TWIN.md); these hold it to a few."""
    a, b = STRIDES[which]
    draw = PERSON_DRAWS + (0 if which == "tenure" else 1)  # past the person draws: unused
    offset = streams.keyed(purpose, np.zeros(1, np.int64), draw, daily=False)[0]
    return np.mod(offset + ranks * a + roles * b, 1.0)


def team_managers(streams: Streams, teams: int, b: BehaviourConfig) -> np.ndarray:
    """(teams,) each team manager's offset of work happiness (points, mean 0): the same team
    has the same manager in every scenario with this seed."""
    u = streams.keyed("managers", np.arange(teams), daily=False)
    return b.manager_sd * normal_from_uniform(u)


def fill_seats(
    streams: Streams,
    purpose: str,
    staff: EmployeeTable,
    seats: np.ndarray,
    keys: np.ndarray,
    teams: int,
    policy: PolicyConfig,
    b: BehaviourConfig,
    *,
    veterans: bool = False,
    past_freedom: np.ndarray | float = 0.0,
    training: np.ndarray | float | None = None,
    tenure_quantiles: Sequence[float] = (),
    hire_age_quantiles: Sequence[float] = (),
) -> None:
    """Put people in `seats`: new hires, or (at the start) a workforce with a history.

    Each person is drawn from their own `keys` (streams.py): the same key gives the same person
    in any run with this seed, however many others are hired with them. A starting workforce
    from the organisation's quantiles takes its tenure and age at hire from stratified draws
    (`stratified_uniforms`, by role and rank in the role: still the same person in any run with
    this seed), so a small twin's mix stays near its roster's in every run.
    Assumptions, where the organisation gives no distribution (`org.start_tenure_years`,
    `org.hire_age_years`, e.g. from a twin's roster): new hires are 20-35 years old; the
    starting workforce's tenure is a mix of 70% recent hires (exponential, mean 2 years) and 30%
    long-timers (5-20 years), with age rising with tenure, so that the survey can show the
    over-50s with 10+ years (seed 002).
    """
    u = streams.keyed(purpose, keys, draws=PERSON_DRAWS, daily=False)
    normal = [normal_from_uniform(x) for x in u[1:3]]
    staff.active[seats] = True
    staff.occupants[seats] += 1
    staff.team[seats] = np.minimum((u[0] * teams).astype(np.int64), teams - 1)
    staff.manager[seats] = team_managers(streams, teams, b)[staff.team[seats]]
    staff.trait[seats] = b.trait_sd * normal[0]
    staff.disposition[seats] = b.disposition_sd * normal_from_uniform(u[6])
    staff.ability[seats] = np.clip(1.0 + b.ability_sd * normal_from_uniform(u[7]), 0.3, 1.7)
    staff.resilience[seats] = b.resilience_sd * normal_from_uniform(u[8])
    staff.recommend_bias[seats] = normal[1] - 0.5  # assumption: eNPS below happiness
    staff.mirror[seats] = 0.0
    staff.refill_day[seats] = -1
    roles = staff.role[seats]
    # A starting workforce from the organisation's own mix: stratified, not independent.
    ranks = _rank_within(roles) if veterans else None
    if ranks is not None and len(hire_age_quantiles):
        u[5] = stratified_uniforms(streams, purpose, roles, ranks, "age")
    young = (
        from_quantiles(u[5], hire_age_quantiles) if len(hire_age_quantiles) else 20.0 + 15.0 * u[5]
    )
    if veterans:
        if len(tenure_quantiles):
            u[3] = stratified_uniforms(streams, purpose, roles, ranks, "tenure")
            tenure_years = from_quantiles(u[3], tenure_quantiles)
        else:
            # u[3] decides long-timer (below 0.3) and, rescaled within its part, the tenure.
            tenure_years = np.where(
                u[3] < 0.3,
                5.0 + 15.0 * u[3] / 0.3,  # uniform 5-20 years
                -2.0 * np.log1p(-(u[3] - 0.3) / 0.7),  # exponential, mean 2 years
            )
        staff.tenure[seats] = tenure_years * 365.0
        staff.age[seats] = np.clip(young + tenure_years, 18.0, 67.0)
        staff.training_left[seats] = 0.0
        training = policy.training if training is None else training
        start = new_hire_skill(policy, b, training)
        pace = (0.5 + 0.5 * np.asarray(training)) / b.learning_days
        staff.skill[seats] = 1.0 - (1.0 - start) * np.exp(-pace * tenure_years * 365.0)
        # What they know of deviating comes from the regime they worked under before day 0.
        staff.deviation[seats] = past_freedom * (
            1.0 - np.exp(-tenure_years * 365.0 / b.deviation_learning_days)
        )
        staff.engagement[seats] = np.clip(
            7.0 + staff.trait[seats] + staff.manager[seats], 0.0, 10.0
        )
        staff.stress[seats] = np.clip(0.3 + staff.resilience[seats], 0.0, 1.0)
    else:
        staff.tenure[seats] = 0.0
        staff.age[seats] = young
        staff.training_left[seats] = float(policy.onboarding_days)
        staff.skill[seats] = new_hire_skill(policy, b, training)
        staff.deviation[seats] = 0.0
        # Assumption: newcomers start hopeful (the honeymoon), then settle toward their target.
        staff.engagement[seats] = np.clip(
            7.5 + staff.trait[seats] + staff.manager[seats], 0.0, 10.0
        )
        staff.stress[seats] = 0.1


@dataclass(frozen=True)
class WorkforceDay:
    """Stage 8's result: the drivers people felt, who quit, who started."""

    drivers: Drivers  # per seat, as they stood today
    at_work: np.ndarray  # (seats,) occupied before today's quits
    front_load: float  # the front office's workload today (occupancy + overtime, capped)
    quit_hazard_annual: float  # the mean quit hazard per head per year (the rate quits follow)
    quits: np.ndarray  # seats left today
    hires: np.ndarray  # seats filled today


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each group value, in the order given (e.g. seats of one role)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - starts
    return ranks


def workforce_day(
    *,
    staff: EmployeeTable,
    agents: np.ndarray,
    experience: np.ndarray,
    occupancy: float,
    overtime_share: float,
    role_load: np.ndarray,
    role_internal_service: np.ndarray,
    front: np.ndarray,
    feedback_reach: np.ndarray,
    freedom: np.ndarray,
    training: np.ndarray,
    role_seats: np.ndarray,
    teams: int,
    day: int,
    policy: PolicyConfig,
    b: BehaviourConfig,
    streams: Streams,
    hire_age_years: Sequence[float] = (),
    manager_skill: float = 0.0,
    labour_market: float = 1.0,
) -> WorkforceDay:
    """Stage 8, the workforce: what the day's customers (`experience` of the contacts each seat
    in `agents` took) and work did to people; then quits, and refills of seats whose hiring lag
    is over. Role arrays (`role_load`, `front`, `freedom`, ...) are per role, R long;
    `hire_age_years`: the organisation's age-at-hire quantiles (empty: the assumption);
    `manager_skill` and `labour_market`: the unit's context (org.manager_skill,
    org.labour_market_quit_factor), which management does not set.
    Changes: every seat's learning, stress, work happiness, tenure; quits and hires."""
    n = staff.size
    role = staff.role
    served = np.bincount(agents, minlength=n)
    staff.contacts_today[:] = served
    with np.errstate(invalid="ignore", divide="ignore"):
        mirror = np.bincount(agents, weights=(experience - 7.0) / 3.0, minlength=n) / served
        bad = np.bincount(agents, weights=experience < 5.0, minlength=n) / served
    has = served > 0
    bad = np.where(has, bad, 0.0)
    workload = min(occupancy + overtime_share, 1.5)
    drv = drivers(
        staff,
        np.where(front, occupancy, role_load)[role],  # can: the queue without overtime
        policy,
        b,
        autonomy=freedom[role],
        feedback_reach=feedback_reach[role],
        internal_service=role_internal_service[role],
    )
    update_people(
        staff,
        drv,
        np.where(front, workload, role_load)[role],
        np.where(front[role], overtime_share, 0.0),
        bad,
        mirror,
        has,
        policy,
        b,
        training=training[role],
        freedom=freedom[role],
        manager_skill=manager_skill,
    )
    at_work = staff.active.copy()
    hazard = quit_hazard(staff, b, labour_market)
    # Expected quits per head per year: the same rate as the quits, without their noise.
    hazard_year = float(hazard[at_work].mean() * 365) if at_work.any() else 0.0
    quitting = np.flatnonzero(at_work & (streams.today("quits").random(n) < hazard))
    staff.active[quitting] = False
    staff.agent_id[quitting] = -1
    staff.refill_day[quitting] = day + max(1, policy.hiring_lag_days)
    due = np.flatnonzero(~staff.active & (staff.refill_day == day))
    # Over a role's budget the seat is not refilled (a shrinking budget is met this way).
    room = role_seats - np.bincount(role[staff.active], minlength=role_seats.size)
    refill = _rank_within(role[due]) < np.maximum(room, 0)[role[due]]
    staff.refill_day[due[~refill]] = -1
    due = due[refill]
    if due.size:
        # A hire is keyed by the seat and how many held it before: the n-th person to take a
        # seat is the same in two scenarios, whenever each refilled it.
        fill_seats(
            streams,
            "hires",
            staff,
            due,
            (due.astype(np.int64) << 24) + staff.occupants[due],
            teams,
            policy,
            b,
            training=training[role[due]],
            hire_age_quantiles=hire_age_years,
        )
    return WorkforceDay(drv, at_work, workload, hazard_year, quitting, due)


def review_headcount(
    *,
    staff: EmployeeTable,
    journey: Journey,
    work_scale: float,
    employees: int,
    effort_norm: float,
    day: int,
    policy: PolicyConfig,
) -> np.ndarray:
    """Workforce planning, each survey cycle: every role's headcount budget follows the
    customer base `work_scale` (assumption: planners staff to forecast volume); the front office
    is planned at the norm of handle time (standards.py: an eroded norm plans fewer staff).
    New seats open after the hiring lag (the table grows if no desk is free); a shrinking
    budget is met by not refilling vacancies, never by dismissals. Returns the new budgets."""
    level = policy.staffing_level * np.where(journey.front, effort_norm, 1.0)
    seats = journey.seat_budgets(employees, level, work_scale)
    planned = np.bincount(
        # Seats whose hire starts today (the next step) are planned too.
        staff.role[staff.active | (staff.refill_day >= day)],
        minlength=journey.n_roles,
    )
    for r in np.flatnonzero(seats > planned).tolist():
        new = int(seats[r] - planned[r])
        free = np.flatnonzero(~staff.active & (staff.refill_day < 0))[:new]  # any desk
        if free.size < new:
            old = staff.size
            staff.ensure_capacity(old + new - free.size)
            staff.refill_day[old:] = -1
            staff.agent_id[old:] = -1
            free = np.concatenate((free, np.arange(old, old + new - free.size)))
        staff.role[free] = r
        staff.refill_day[free] = day + max(1, policy.hiring_lag_days)
    return seats
