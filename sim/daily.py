"""What passes along the day's chain, and what is measured of it.

`Carry` is everything one day hands to the next (besides the population tables): the front
office's workload, each role's output quality, the norm of service effort, the contacts per
journey stage so far and the seats each role is budgeted. `Day` holds the results of the day's
stages, in chain order. `daily_row` turns them into the day's KPI row (model.history) and
`journey_log` into the day's entry of where EX meets CX per stage and role (model.journey_log):
both in one place, from the stage results.

Observers (validation probes, the dashboard, a user's own code) watch a run through
`ServiceModel.observers`: each is called after every stage with the stage's name and result
(`Observer.stage`), and at the end of the day with the whole `Day` (`Observer.day`). They must
not change the model; nothing outside the model needs its private members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import survey
from sim.back_office import BackOffice
from sim.calls import Calls
from sim.demand import Contacts
from sim.encounter import Encounters
from sim.finance import DayMoney
from sim.journey import Journey, RoleState
from sim.loyalty import CustomerDay
from sim.population import CustomerTable, EmployeeTable
from sim.recovery import RecoveryDay
from sim.workforce import WorkforceDay

if TYPE_CHECKING:
    from sim.model import ServiceModel


@dataclass(frozen=True)
class Carry:
    """What one day hands to the next."""

    front_load: float  # the front office's workload (occupancy + overtime), yesterday
    role_quality: np.ndarray  # (R,) each role's output quality, yesterday
    effort_norm: float  # the effort the floor and the planners consider normal
    stage_counts: np.ndarray  # (S,) contacts answered per stage so far (for `impact`)
    role_seats: np.ndarray  # (R,) seats budgeted per role (workforce planning)


@dataclass(frozen=True)
class Day:
    """The results of one day's stages, in chain order."""

    day: int  # 1-based, as in the KPI rows
    roles: RoleState
    contacts: Contacts
    calls: Calls
    encounters: Encounters
    recovery: RecoveryDay
    back_office: BackOffice
    customers: CustomerDay
    workforce: WorkforceDay
    money: DayMoney

    @property
    def unrepaired(self) -> np.ndarray:
        """Customer rows left with a failure not put right today (front or back office)."""
        return unrepaired(self.recovery, self.back_office)


def unrepaired(recovery: RecoveryDay, back_office: BackOffice) -> np.ndarray:
    """Customer rows left with a failure not put right today, by the front or the back office."""
    return np.union1d(recovery.failures.unrepaired, back_office.failures.unrepaired)


class Observer:
    """Watches a run. Override `stage` (called after every stage of a day with its name and
    result) and/or `day` (called after the day with all of them). Never change the model."""

    def stage(self, model: ServiceModel, name: str, result: Any) -> None:  # noqa: B027
        """After stage `name` of the current day."""

    def day(self, model: ServiceModel, day: Day) -> None:  # noqa: B027
        """After the whole day (model.day is already the day's 1-based number)."""


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    return _avg(values[mask])


def _avg(values: np.ndarray) -> float:
    """`values.mean()` (nan when empty), bit for bit, without its Python-level overhead: for
    float64 numpy's mean is exactly the same `add.reduce` divided by the count."""
    if values.size == 0:
        return np.nan
    if values.dtype != np.float64:
        return float(values.mean())
    return float(np.add.reduce(values) / values.size)


def daily_row(
    d: Day,
    *,
    staff: EmployeeTable,
    customers: CustomerTable,
    seats: int,
) -> dict[str, float]:
    """The day's KPI row, from the stage results and the populations at the end of the day."""
    calls, q, out = d.calls, d.calls.queue, d.encounters.outcomes
    front, back = d.recovery.failures, d.back_office.failures
    n_contacts = d.contacts.count
    first = calls.answered.attempts == 0
    n_first = int(np.count_nonzero(first))
    n_resolved_first = int(np.count_nonzero(out.resolved & first))
    end = customers.end()  # past it every customer row is free
    act, cust = staff.active, customers.active[:end]
    heads = int(np.count_nonzero(act))
    n_customers = int(np.count_nonzero(cust))
    drv = d.workforce.drivers
    row: dict[str, float] = {
        "day": d.day,
        "contacts": n_contacts,
        "repeat_contacts": int(np.count_nonzero(d.contacts.repeat)),
        "abandoned": calls.abandoned.count,
        "answered": calls.answered.count,
        "retries_after_abandon": calls.retries_after_abandon,
        "service_level": q.stats.service_level if n_contacts else 1.0,
        "abandon_rate": calls.abandoned.count / n_contacts if n_contacts else 0.0,
        "mean_wait_seconds": q.stats.mean_wait,
        "occupancy": q.stats.occupancy,
        "handle_seconds": q.handle_seconds,
        "effort": q.effort,
        "effort_norm": q.effort_norm,
        "on_duty": calls.on_duty,
        "overtime_hours": calls.overtime_hours,
        "first_contacts": n_first,
        "resolved_first": n_resolved_first,
        "first_contact_resolution": n_resolved_first / n_first if n_first else np.nan,
        "resolved": int(np.count_nonzero(out.resolved)),
        "encounter_quality": _avg(out.experience) if calls.answered.count else np.nan,
        "failures": front.rows.size + back.rows.size,
        "complaints": front.n_heard + back.n_heard,
        "silent_failures": front.n_silent + back.n_silent,
        "recovered_on_the_spot": front.n_on_the_spot + back.n_on_the_spot,
        "recoveries_delivered_late": d.recovery.delivered_late,
        "recovery_spend": d.recovery.spend + back.spend_now,
        "back_office_errors": int(back.rows.size),
        "churned": int(d.customers.left.size),
        "acquired": int(d.customers.joined.size),
        "referrals": d.customers.word_of_mouth.referrals,
        "wom_positive": d.customers.word_of_mouth.positive,
        "wom_negative": d.customers.word_of_mouth.negative,
        "quit_hazard_annual": d.workforce.quit_hazard_annual,
        "quits": int(d.workforce.quits.size),
        "hires": int(d.workforce.hires.size),
        "want": _mean(drv.want, act),
        "know": _mean(drv.know, act),
        "can": _mean(drv.can, act),
        "feel": _mean(drv.feel, act),
        **d.money.as_dict(),
        "headcount": heads,
        "vacancies": max(seats - heads, 0),
        "in_training": int(np.count_nonzero(act & (staff.training_left > 0))),
        "customers": n_customers,
        "work_happiness_mean": _mean(staff.engagement, act),
        "stress_mean": _mean(staff.stress, act),
        "skill_mean": _mean(staff.skill, act),
        "enps": survey.nps(survey.employee_answers(staff)[act]),
        "nps": survey.nps_among(
            customers.satisfaction[:end], customers.recommend_bias[:end], cust, customers.scratch
        ),
        "csat_mean": _avg(customers.satisfaction[:end][cust]),
    }
    return row


def journey_log(d: Day, *, journey: Journey, staff: EmployeeTable) -> dict[str, np.ndarray]:
    """The day where EX meets CX: per stage the touchpoints rated (contacts and back-office
    outputs) and their ratings; per role and stage the drivers as the employee-journey method
    asks them (a front role at a stage: its people weighted by the contacts they took there; a
    back role: its mean at every stage it reaches; feel: the organisation's everywhere); per
    role headcount, work happiness, output quality, internal service and load."""
    n_roles, n_stages = journey.n_roles, journey.n_stages
    enc, bo = d.encounters, d.back_office
    at_work = d.workforce.at_work
    drv = d.workforce.drivers
    agents, stage = d.calls.agents, d.calls.answered.stage
    values = np.stack([drv.want, drv.know, drv.can, drv.feel])  # (4, seats)
    # The four drivers in one bincount each for heads and sums (driver i's bins offset by i x
    # the bins of one): bincount adds each bin's weights in input order, as four calls would.
    role_at_work = staff.role[at_work]
    heads = np.bincount(role_at_work, minlength=n_roles)
    with np.errstate(invalid="ignore", divide="ignore"):  # nan for a role nobody is in
        per_role = _bincount4(role_at_work, values[:, at_work], n_roles) / heads  # (4, R)
    cell = staff.role[agents] * n_stages + stage
    n_cell = np.bincount(cell, minlength=n_roles * n_stages).astype(float)
    sums = _bincount4(cell, values[:, agents], n_roles * n_stages).reshape(4, n_roles, n_stages)
    n_cell = n_cell.reshape(n_roles, n_stages)
    back = ((~journey.front)[:, None] & journey.reaches) & np.isfinite(per_role[0])[:, None]
    role_drivers = np.nan_to_num(per_role)
    sums = np.where(back, role_drivers[:, :, None], sums)
    n_cell = np.where(back, 1.0, n_cell)
    feel = _mean(drv.feel, at_work)
    sums[3] = np.where(n_cell > 0, feel * n_cell, 0.0)
    return {
        "contacts": enc.stage_contacts,
        "resolved": enc.stage_resolved,
        "failures": enc.stage_failures + bo.delivered_wrong,
        "cx_sum": enc.stage_rating_sum + bo.stage_rating_sum,
        "cx_n": enc.stage_contacts + bo.delivered,
        "delivered": bo.delivered,
        "delivered_wrong": bo.delivered_wrong,
        "driver_sum": sums,
        "driver_n": n_cell,
        "role_drivers": role_drivers,
        "role_headcount": heads.astype(float),
        "role_happiness": np.bincount(
            role_at_work, weights=staff.engagement[at_work], minlength=n_roles
        ),
        "role_quality": d.roles.quality,
        "role_load": d.roles.load,
        "role_internal_service": d.roles.internal_service,
    }


def _bincount4(bins: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """(4, n_bins): `np.bincount(bins, weights=w, minlength=n_bins)` for each row w of the
    (4, n) `weights`, in one call."""
    offset = (np.arange(4) * n_bins)[:, None]
    total = np.bincount((bins + offset).ravel(), weights=weights.ravel(), minlength=4 * n_bins)
    return total.reshape(4, n_bins)
