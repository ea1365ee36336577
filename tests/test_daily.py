"""The day measured (the KPI row, the journey log) and watched (observers), from hand-built stage
results and tiny models (tests/worlds.py).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from worlds import (
    CFG,
    DAY,
    ORG,
    B,
    changed,
    customers,
    people,
    roles_of,
    snapshot,
    two_stage,
)

from sim import (
    back_office,
    calls,
    encounter,
    finance,
    loyalty,
    queueing,
    recovery,
    workforce,
)
from sim.daily import Day, Observer, daily_row, journey_log
from sim.demand import Contacts
from sim.model import ServiceModel
from sim.population import CustomerTable, EmployeeTable

# ---- the day measured: the KPI row, the journey log, the observers -------------------------


def _a_day(staff: EmployeeTable) -> Day:
    """One day's stage results written by hand, two-stage journey. Seats: 0-1 service desk,
    2 billing desk, 3 billing office (quits today), 4 IT (vacant). Five callers, the fourth
    abandons; seat 0 takes one contact at each stage."""
    a = np.array
    contacts = Contacts(
        a([0, 1, 2, 3, 4]),
        a([0, 1, 0, 0, 1], bool),
        a([0, 0, 1, 0, 0], bool),
        a([0, 0, 1, 0, 0]),
        a([0, 0, 1, 0, 1]),
    )
    took = a([1, 1, 1, 0, 1], bool)
    agents, answered = a([0, 1, 2, 0]), contacts.subset(took)  # stages 0, 0, 1, 1
    stats = queueing.QueueStats(0.4, 0.7, 0.2, 30.0, 0.85)  # p_wait, SL, abandon, wait, occ
    queue = queueing.DayQueue(2.0, 0.2, 0.9, 0.95, 400.0, 0.001, stats)
    waits = a([10.0, 20, 30, 40])
    took_calls = calls.Calls(  # 3 on duty, 1 retry after abandoning, patience 150, 2.5 h overtime
        answered, contacts.subset(~took), agents, waits, 3, 1, 150.0, 2.5, queue
    )
    outcomes = encounter.Outcomes(
        agents, a([1, 0, 1, 1], bool), a([0, 1, 0, 0], bool), a([9.0, 3, 7, 8]), np.full(4, 0.5)
    )
    met = encounter.Encounters(
        outcomes=outcomes,
        rated=a([9.0, 0.5, 7, 8]),  # the failed contact loses the failure drop
        stage_contacts=a([2, 2]),
        stage_resolved=a([1.0, 2]),
        stage_failures=a([1.0, 0]),
        stage_rating_sum=a([9.5, 15]),
        retries=1,
        satisfaction_before=np.full(4, 7.0),
        failures_before=np.zeros(4, np.int32),
    )
    front = recovery.Recoveries(a([1]), a([True]), a([False]), 0.0)  # heard, awaiting approval
    back = recovery.Recoveries(a([5, 6]), a([True, False]), a([True, False]), 12.0)
    bills = back_office.BackOffice(
        a([0, 10]), a([0, 2]), a([0.0, 70 - 2 * B.failure_drop]), back, 0
    )
    talk = loyalty.WordOfMouth(positive=3, negative=4, referrals=1, deterred=0.02)
    drivers = workforce.Drivers(
        want=a([0.1, 0.2, 0.3, 0.4, 0.5]),
        know=np.full(5, 0.6),
        can=np.full(5, 0.4),
        feel=np.full(5, 0.5),
    )
    at_work = a([1, 1, 1, 1, 0], bool)
    return Day(
        day=DAY + 1,
        roles=roles_of(two_stage(), staff),
        contacts=contacts,
        calls=took_calls,
        encounters=met,
        recovery=recovery.RecoveryDay(front, delivered_late=2, spend_late=30.0),
        back_office=bills,
        customers=loyalty.CustomerDay(talk, left=a([7]), joined=a([8, 9]), paid_acquisitions=1),
        workforce=workforce.WorkforceDay(drivers, at_work, 0.95, 0.3, a([3]), hires=a([], int)),
        # revenue, cost of sales, wages, overtime, recruiting, training, programmes,
        # marketing, recovery
        money=finance.DayMoney(1000.0, 720.0, 300.0, 10.0, 0.0, 0.0, 5.0, 150.0, 42.0),
    )


def _day_world() -> tuple[EmployeeTable, CustomerTable, Day]:
    """The tables as they stand at the end of `_a_day` (seat 3 quit, customer 7 left)."""
    staff = people([0, 0, 1, 2, 3], engagement=[6.0, 8, 7, 5, 0], training_left=[0, 0, 3, 0, 0])
    staff.recommend_bias[:] = [3.0, 1, -1, 0, 0]  # eNPS answers 9, 9, 6 from those still there
    staff.skill[:3], staff.stress[:3] = [0.8, 0.9, 1.0], [0.2, 0.4, 0.3]
    staff.active[4] = False
    day = _a_day(staff)
    staff.active[3] = False
    table = customers(10, satisfaction=[9.0, 9, 8, 7, 6, 5, 4, 3, 10, 2], recommend_bias=0.0)
    table.active[7] = False
    return staff, table, day


def test_daily_row_reads_each_kpi_from_its_stage_result_and_changes_nothing():
    staff, table, d = _day_world()
    staff_before, table_before = snapshot(staff), snapshot(table)
    row = daily_row(d, staff=staff, customers=table, seats=5)
    assert changed(staff_before, staff) == set() and changed(table_before, table) == set()
    expected = (
        dict(day=DAY + 1, contacts=5, repeat_contacts=1, abandoned=1, answered=4, on_duty=3)
        | dict(retries_after_abandon=1, service_level=0.7, abandon_rate=1 / 5, occupancy=0.85)
        | dict(mean_wait_seconds=30.0, handle_seconds=400.0, effort=0.9, effort_norm=0.95)
        | dict(overtime_hours=2.5, first_contacts=3, resolved_first=2, resolved=3)
        | dict(first_contact_resolution=2 / 3, encounter_quality=27 / 4)
        | dict(failures=3, complaints=2, silent_failures=1, recovered_on_the_spot=1)
        | dict(recoveries_delivered_late=2, recovery_spend=42.0, back_office_errors=2)
        | dict(churned=1, acquired=2, referrals=1, wom_positive=3, wom_negative=4)
        | dict(quit_hazard_annual=0.3, quits=1, hires=0, want=0.2, know=0.6, can=0.4, feel=0.5)
        | dict(revenue=1000.0, costs=1227.0, profit=-227.0, recovery=42.0)
        | dict(headcount=3, vacancies=2, in_training=1, customers=9)
        | dict(work_happiness_mean=7.0, stress_mean=0.3, skill_mean=0.9)
        | dict(enps=100 * (2 - 1) / 3, nps=100 * (3 - 4) / 9, csat_mean=60 / 9)
    )
    assert {k: row[k] for k in expected} == pytest.approx(expected)
    assert d.unrepaired.tolist() == [1, 6]  # not put right today: the front's and the back's


def test_journey_log_meets_ex_and_cx_per_stage_and_role():
    staff, _, d = _day_world()
    before = snapshot(staff)
    log = journey_log(d, journey=two_stage(), staff=staff)
    assert changed(before, staff) == set()
    assert log["contacts"].tolist() == [2, 2] and log["delivered"].tolist() == [0, 10]
    assert log["failures"].tolist() == [1, 2]  # contacts that failed + wrong outputs
    assert log["cx_n"].tolist() == [2, 12]
    assert log["cx_sum"] == pytest.approx([9.5, 15.0 + 70.0 - 2 * B.failure_drop])
    # Drivers where roles meet stages: a front role by the contacts it took there, a back role
    # once at each stage it reaches; IT (nobody at work) nowhere.
    assert log["driver_n"].tolist() == [[2, 1], [0, 1], [0, 1], [0, 0]]
    want = [[0.1 + 0.2, 0.1], [0.0, 0.3], [0.0, 0.4], [0.0, 0.0]]
    assert log["driver_sum"][0] == pytest.approx(np.array(want))
    assert log["driver_sum"][3] == pytest.approx(0.5 * log["driver_n"])  # feel: the org's
    # Per role, those at work today (seat 3 quit at the end of the day: still counted).
    assert log["role_headcount"].tolist() == [2, 1, 1, 0]
    assert log["role_happiness"].tolist() == [14.0, 7.0, 5.0, 0.0]
    assert log["role_quality"] is d.roles.quality and log["role_load"] is d.roles.load


# Stage names as observers see them, and the `Day` field holding each one's result.
CHAIN = {"roles": "roles", "demand": "contacts", "queue": "calls", "encounters": "encounters"}
CHAIN |= {"recovery": "recovery", "back_office": "back_office", "customers": "customers"}
CHAIN |= {"workforce": "workforce", "money": "money"}


class Watcher(Observer):
    def __init__(self) -> None:
        self.stages: list[tuple[int, str, object]] = []
        self.days: list[tuple[int, Day]] = []

    def stage(self, model: ServiceModel, name: str, result: object) -> None:
        self.stages.append((model.day, name, result))

    def day(self, model: ServiceModel, day: Day) -> None:
        self.days.append((model.day, day))


def _tiny_model() -> ServiceModel:
    org = replace(ORG, employees=3, customers=300)
    return ServiceModel(replace(CFG, org=org, days=3, progress=False))


def test_observers_see_every_stage_in_chain_order_then_the_whole_day():
    model, watcher = _tiny_model(), Watcher()
    model.observers.append(watcher)
    for _ in range(2):
        model.step()
    for day in (0, 1):
        assert [name for d, name, _ in watcher.stages if d == day] == list(CHAIN)
    assert [d for d, _ in watcher.days] == [1, 2]
    for number, day in watcher.days:
        assert day.day == number
        seen = [(name, result) for d, name, result in watcher.stages if d == number - 1]
        assert all(getattr(day, CHAIN[name]) is result for name, result in seen)
    assert model.last_day is watcher.days[-1][1]
    # The day's KPI row is daily_row of the day the observers saw (plus the levers).
    row = daily_row(model.last_day, staff=model.staff, customers=model.customers, seats=model.seats)
    recorded = {k: v for k, v in model.history[-1].items() if not k.startswith("lever_")}
    assert recorded == pytest.approx(row, nan_ok=True)


def test_an_observer_changes_nothing_in_the_run():
    watched, alone = _tiny_model(), _tiny_model()
    watched.observers.append(Watcher())
    for _ in range(3):
        watched.step()
        alone.step()
    pd.testing.assert_frame_equal(watched.timeseries(), alone.timeseries())
