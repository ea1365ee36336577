"""Every stage of the day alone (issue 11): a tiny hand-built population, one stage function, and
what it read, what it returned and what it changed in the tables (and what it left alone).

The worlds are a handful of people with their columns set by hand. Two journeys: the single
stage, and a two-stage one (service, billing) with a front desk per stage, a back office that
sends bills, and an IT role that makes the back office's rosters.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim import (
    back_office,
    calls,
    demand,
    encounter,
    finance,
    journey,
    loyalty,
    queueing,
    recovery,
    workforce,
)
from sim.config import (
    JourneyConfig,
    Office,
    Provides,
    RoleConfig,
    SimConfig,
    StageConfig,
    single_stage,
    validate_journey,
)
from sim.daily import Day, Observer, daily_row, journey_log
from sim.demand import Contacts
from sim.journey import MAX_ERROR_FACTOR, REFERENCE_SKILL, REFERENCE_STRESS, Journey
from sim.model import ServiceModel
from sim.population import CustomerTable, EmployeeTable
from sim.streams import Streams

CFG = SimConfig()
ORG, POLICY, B = CFG.org, CFG.policy, CFG.behaviour
DAY = 10
SERVICE_DESK, BILLING_DESK, BILLING_OFFICE, IT = range(4)  # the two-stage journey's roles


def single() -> Journey:
    return Journey.from_config(single_stage())


def two_stage() -> Journey:
    cfg = JourneyConfig(
        name="two_stage",
        stages={
            "service": StageConfig(need_share=3.0, complex_share=0.2, weight=0.6),
            # A bill every day to every customer; 5% wrong from a reference back office.
            "billing": StageConfig(
                need_share=1.0,
                complex_share=0.6,
                weight=0.4,
                deliveries_per_year=365.0,
                delivery_error=0.05,
            ),
        },
        roles={
            "service_desk": RoleConfig(stages=["service"]),
            "billing_desk": RoleConfig(stages=["billing"], headcount=0.5),
            "billing_office": RoleConfig(
                office=Office.back, stages=["billing"], headcount=0.5, depends_on=["it"]
            ),
            "it": RoleConfig(office=Office.back, provides=Provides.rosters, headcount=0.25),
        },
    )
    validate_journey(cfg)
    return Journey.from_config(cfg)


def people(roles: list[int], **columns) -> EmployeeTable:
    """Seats of the given roles, everyone at work, at a reference team's skill and stress."""
    staff = EmployeeTable.empty(len(roles))
    staff.active[:] = True
    staff.role[:] = roles
    staff.skill[:] = REFERENCE_SKILL
    staff.stress[:] = REFERENCE_STRESS
    staff.engagement[:] = 7.0
    staff.deviation[:] = 0.5
    staff.tenure[:] = 1000.0
    staff.age[:] = 40.0
    for name, value in columns.items():
        getattr(staff, name)[:] = value
    return staff


def customers(n: int, **columns) -> CustomerTable:
    """`n` customers at satisfaction 7, nobody with a need unless told (need_rate 0)."""
    table = CustomerTable.empty(n, loyalty.N_TIES)
    table.active[:] = True
    table.satisfaction[:] = 7.0
    table.baseline[:] = 7.0
    table.tenure[:] = 400.0
    table.value[:] = 360.0
    table.patience[:] = 120.0
    table.complain[:] = 0.5
    table.ties[:] = (np.arange(n)[:, None] + np.arange(1, loyalty.N_TIES + 1)) % n
    for name, value in columns.items():
        getattr(table, name)[:] = value
    return table


def streams(day: int = DAY, seed: int = 1) -> Streams:
    s = Streams(seed)
    s.new_day(day)
    return s


def snapshot(table: EmployeeTable | CustomerTable) -> dict[str, np.ndarray]:
    return {name: getattr(table, name).copy() for name in table.columns()}


def changed(before: dict[str, np.ndarray], table: EmployeeTable | CustomerTable) -> set[str]:
    """Columns whose values (or length) differ from the snapshot."""
    return {n for n, old in before.items() if not np.array_equal(old, getattr(table, n))}


def roles_of(jn: Journey, staff: EmployeeTable, employees: int = 4, **kw) -> journey.RoleState:
    args = dict(work_scale=1.0, front_load=0.8, quality_yesterday=np.ones(jn.n_roles))
    args.update(kw)
    return journey.roles_today(
        journey=jn, staff=staff, employees=employees, policy=POLICY, b=B, **args
    )


def all_calling(rows: np.ndarray, stage: np.ndarray | int = 0, complex_=False) -> Contacts:
    n = rows.size
    kind = np.full(n, complex_), np.broadcast_to(stage, n).astype(np.int64)
    return Contacts(rows, kind[0], np.zeros(n, bool), np.zeros(n, np.int32), kind[1])


# ---- stage 1: roles and internal service ------------------------------------------------


def test_roles_today_a_reference_team_makes_reference_quality_and_changes_nothing():
    staff = people([0, 0, 0, 0])
    before = snapshot(staff)
    state = roles_of(single(), staff)
    assert changed(before, staff) == set()
    # Skill 0.9, stress 0.3, happiness 7 at load 0.8: positivity 0.5, errors x1, quality 1.
    assert state.ready.tolist() == [4]
    assert state.load.tolist() == [0.8]
    assert state.positivity == pytest.approx([0.5])
    assert state.internal_service == pytest.approx([POLICY.internal_service])
    assert state.error_factor == pytest.approx([1.0])
    assert state.quality == pytest.approx([1.0])
    assert state.roster_fit.tolist() == [1.0]


def test_roles_today_back_load_is_the_work_over_the_people_ready_and_an_empty_role_errs_most():
    trainee = 8  # in the billing office, still in onboarding: not ready, skill not counted
    staff = people([0, 0, 0, 0, 1, 1, 2, 2, 2])
    staff.training_left[trainee], staff.skill[trainee] = 5.0, 0.1
    before = snapshot(staff)
    quality_yesterday = np.array([1.0, 1.0, 1.0, 0.5])  # IT's output was poor yesterday
    state = roles_of(
        two_stage(), staff, employees=4, front_load=0.9, quality_yesterday=quality_yesterday
    )
    assert changed(before, staff) == set()
    assert state.ready.tolist() == [4, 2, 2, 0]
    # Front: yesterday's queue. Billing office: 0.8 x 4 employees x 0.5 headcount / 2 ready.
    # IT: nobody there, the most load and the most errors.
    assert state.load == pytest.approx([0.9, 0.9, 0.8, 1.5])
    assert state.skill[BILLING_OFFICE] == pytest.approx(REFERENCE_SKILL)
    assert state.error_factor[IT] == MAX_ERROR_FACTOR
    assert state.quality[IT] == pytest.approx(1.0 / MAX_ERROR_FACTOR)
    # The billing office gets IT's quality of yesterday as its internal service.
    assert state.internal_service == pytest.approx(
        [POLICY.internal_service] * 2 + [POLICY.internal_service * 0.5, POLICY.internal_service]
    )
    # IT makes the rosters: its quality today (0.1) costs the billing office 0.2 x 0.5 of hours.
    assert state.roster_fit == pytest.approx([1.0, 1.0, 0.9, 1.0])


# ---- stage 2: demand ----------------------------------------------------------------


ALWAYS = 365.0 * 1000  # needs a year: a new need every day
# What a caller's contact may change: satisfaction, and the open need coming back (or not).
CALLER_COLUMNS = {"satisfaction", "retry_day", "retry_stage", "retry_complex", "attempts"}


def test_todays_contacts_a_huge_need_rate_always_calls_and_a_due_retry_calls_as_a_repeat():
    table = customers(8)
    table.need_rate[[0, 3, 6, 7]] = ALWAYS
    table.active[[3, 4]] = False  # gone: never call, whatever they had
    table.retry_day[[1, 4, 6]] = DAY
    table.retry_day[5] = DAY + 1  # not yet
    table.retry_stage[[1, 6]] = 1, 0
    table.retry_complex[[1, 6]] = True, False
    table.attempts[[1, 6]] = 2, 1
    before = snapshot(table)
    got = demand.todays_contacts(
        customers=table, day=DAY, journey=two_stage(), demand_factor=1.0, streams=streams()
    )
    assert got.customer.tolist() == [0, 1, 6, 7]
    assert got.repeat.tolist() == [False, True, True, False]  # 6 has both: calls once, a repeat
    assert got.attempts.tolist() == [0, 2, 1, 0]
    assert got.stage[1:3].tolist() == [1, 0] and got.complex[1:3].tolist() == [True, False]
    assert set(got.stage.tolist()) <= {0, 1}
    # Only the callers' retry days are cleared.
    assert changed(before, table) == {"retry_day"}
    expected = before["retry_day"].copy()
    expected[[1, 6]] = -1
    np.testing.assert_array_equal(table.retry_day, expected)


def test_todays_contacts_with_no_demand_only_repeats_call():
    table = customers(5, need_rate=ALWAYS)
    table.retry_day[2] = DAY
    got = demand.todays_contacts(
        customers=table, day=DAY, journey=single(), demand_factor=0.0, streams=streams()
    )
    assert got.customer.tolist() == [2] and got.repeat.tolist() == [True]


def test_todays_contacts_a_callers_new_need_is_theirs_whoever_else_calls():
    crowd = customers(50, need_rate=ALWAYS)
    alone = customers(50)
    alone.need_rate[7] = ALWAYS
    got = [
        demand.todays_contacts(
            customers=t, day=DAY, journey=two_stage(), demand_factor=1.0, streams=streams()
        )
        for t in (crowd, alone)
    ]
    at = int(np.flatnonzero(got[0].customer == 7)[0])
    assert (got[0].stage[at], got[0].complex[at]) == (got[1].stage[0], got[1].complex[0])


def test_todays_contacts_new_needs_follow_need_rates_stage_shares_and_complexity():
    n = 20_000
    table = customers(n, need_rate=36.5)  # one need in ten days
    got = demand.todays_contacts(
        customers=table, day=DAY, journey=two_stage(), demand_factor=1.0, streams=streams()
    )
    assert got.count == pytest.approx(0.1 * n, abs=4 * np.sqrt(n * 0.09))
    # Both stages are open all the time: needs split 3:1, each with its stage's complexity.
    service = got.stage == 0
    assert service.mean() == pytest.approx(0.75, abs=0.04)
    assert got.complex[service].mean() == pytest.approx(0.2, abs=0.04)
    assert got.complex[~service].mean() == pytest.approx(0.6, abs=0.06)


# ---- stage 3: the queue ----------------------------------------------------------------


def _full_handle(complex_share: float, speed: float) -> float:
    mix = 1.0 + complex_share * (ORG.complex_handle_factor - 1.0)
    pressed = 1.0 - B.pressure_speedup * POLICY.productivity_pressure
    return ORG.handle_minutes * 60.0 * pressed * mix / speed


def _day_queue(contacts: int, **given) -> queueing.DayQueue:
    args = dict(complex_share=0.3, mean_speed=0.9, rostered=5.0, patience=180.0, org=ORG) | given
    return queueing.day_queue(contacts=contacts, effort_norm=1.0, policy=POLICY, b=B, **args)


def test_day_queue_without_overtime_needed_is_erlang_a_called_directly():
    q = _day_queue(200)  # 2.5 erlangs on 5 x 6.5 / 10 = 3.25 servers: below 90% occupancy
    servers, arrival, handle = 5 * 6.5 / 10, 200 / (10 * 3600.0), _full_handle(0.3, 0.9)
    assert (q.servers, q.overtime_servers, q.effort, q.effort_norm) == pytest.approx(
        (servers, 0.0, 1.0, 1.0)
    )
    assert (q.arrival_rate, q.handle_seconds) == pytest.approx((arrival, handle))
    assert q.stats == queueing.erlang_a(servers, arrival, handle, 180.0, ORG.target_wait_seconds)
    assert q.overtime_share == 0.0


def test_day_queue_buys_overtime_up_to_its_cap_and_then_rushes_each_contact():
    q = _day_queue(600)  # 7.5 erlangs: far beyond 90% of 3.25 servers
    servers, arrival, full = 3.25, 600 / 36000.0, _full_handle(0.3, 0.9)
    extra = ORG.overtime_max_share * servers  # the cap binds
    effort = B.min_effort  # keeping up would need 0.43 of the standard time: floored
    assert (q.overtime_servers, q.effort) == pytest.approx((extra, effort))
    hold = POLICY.hold_standards
    norm = 1.0 + (hold + (1 - hold) * effort - 1.0) / B.standard_drift_days
    assert q.effort_norm == pytest.approx(norm)
    assert q.handle_seconds == pytest.approx(full * effort)
    assert q.stats == queueing.erlang_a(
        servers + extra, arrival, full * effort, 180.0, ORG.target_wait_seconds
    )


NO_ABSENCE = replace(ORG, absence_rate=0.0)


def _answer(table, staff, jn, contacts, org=NO_ABSENCE) -> calls.Calls:
    args = dict(contacts=contacts, staff=staff, customers=table, roles=roles_of(jn, staff))
    args |= dict(journey=jn, stage_prior=jn.need_mix(table.tenure), effort_norm=1.0, day=DAY)
    return calls.answer_calls(**args, org=org, policy=POLICY, b=B, streams=streams())


def test_answer_calls_routes_each_stage_to_its_front_desk_and_never_to_the_back_office():
    jn = two_stage()
    # Seats: 3 service desk, 2 billing desk, 2 billing office, 1 IT, a trainee, a vacant desk.
    staff = people([0, 0, 0, 1, 1, 2, 2, 3, 0, 0])
    staff.training_left[8] = 10.0
    staff.active[9] = False
    table = customers(100, patience=1e7)  # patient enough never to give up
    contacts = all_calling(np.arange(100), stage=np.arange(100) % 2)
    staff_before, table_before = snapshot(staff), snapshot(table)
    got = _answer(table, staff, jn, contacts)
    assert got.on_duty == 5
    assert got.abandoned.count == 0 and got.answered.count == 100
    service = got.answered.stage == 0
    assert set(got.agents[service].tolist()) == {0, 1, 2}
    assert set(got.agents[~service].tolist()) == {3, 4}
    assert (got.waits >= 0).all()
    # The queue is the day's Erlang A for the callers and the agents on duty.
    expected = _day_queue(
        100, complex_share=0.0, mean_speed=REFERENCE_SKILL, patience=1e7, org=NO_ABSENCE
    )
    assert got.queue == expected
    assert got.overtime_hours == pytest.approx(expected.overtime_servers * ORG.open_hours)
    # Nobody abandoned: nothing changes in either table.
    assert changed(staff_before, staff) == set() and changed(table_before, table) == set()


def test_answer_calls_with_nobody_on_duty_everyone_abandons_and_most_come_back():
    jn = two_stage()
    staff = people([0, 1, 2])
    table = customers(300)  # patience 120 s: each waits two minutes, then gives up
    contacts = all_calling(np.arange(300), stage=np.arange(300) % 2, complex_=True)
    staff_before, table_before = snapshot(staff), snapshot(table)
    got = _answer(table, staff, jn, contacts, org=replace(ORG, absence_rate=1.0))
    assert got.on_duty == 0 and got.answered.count == 0 and got.agents.size == 0
    assert got.abandoned.customer.tolist() == list(range(300))
    assert changed(staff_before, staff) == set()
    assert changed(table_before, table) <= CALLER_COLUMNS
    assert table.satisfaction == pytest.approx(7.0 - B.wait_penalty_per_minute * 2.0)
    back = table.retry_day > DAY
    assert got.retries_after_abandon == int(back.sum())
    assert back.mean() == pytest.approx(B.retry_share, abs=0.1)
    assert set(table.retry_day[back].tolist()) <= {DAY + 1, DAY + 2, DAY + 3}
    np.testing.assert_array_equal(table.retry_stage[back], np.arange(300)[back] % 2)
    assert table.retry_complex[back].all() and (table.attempts[back] == 1).all()
    assert (table.attempts[~back] == 0).all() and (table.retry_day[~back] == -1).all()


# ---- stage 4: the encounters ----------------------------------------------------------


FREE_OF_PRESSURE = replace(POLICY, productivity_pressure=0.0)


def _serve(table, staff, answered, *, waits=0.0, risk=1.0, impact=(1.0, 1.0), policy=POLICY):
    n = answered.count
    args = dict(answered=answered, agents=np.arange(n) % staff.size, waits=np.full(n, waits))
    args |= dict(staff=staff, customers=table, occupancy=0.8, effort=1.0, day=DAY)
    args |= dict(failure_risk=np.full(n, risk), impact=np.asarray(impact), n_stages=len(impact))
    return encounter.serve(**args, policy=policy, b=B, streams=streams())


def test_serve_moves_each_callers_satisfaction_toward_its_rating_by_the_stages_impact():
    n = 4000
    staff = people([0, 0], skill=1.0, deviation=1.0)
    table = customers(n)
    table.satisfaction[:] = np.linspace(2.0, 9.0, n)
    answered = all_calling(np.arange(n), stage=np.arange(n) % 2)
    staff_before, table_before = snapshot(staff), snapshot(table)
    met = _serve(table, staff, answered, impact=(2.0, 0.5), policy=FREE_OF_PRESSURE)
    out = met.outcomes
    assert changed(staff_before, staff) == set()  # people change in the workforce stage
    assert changed(table_before, table) <= CALLER_COLUMNS
    np.testing.assert_array_equal(met.satisfaction_before, table_before["satisfaction"])
    step = np.where(
        answered.stage == 0, min(B.encounter_weight * 2.0, 1.0), B.encounter_weight * 0.5
    )
    before = table_before["satisfaction"]
    assert table.satisfaction == pytest.approx(before + step * (out.experience - before))
    # A fully skilled, judging agent without pressure solves a standard need at resolve_base;
    # the rating is 4.5, +4 resolved, positivity 0.5 adds nothing, noise sd 0.8.
    assert out.resolved.mean() == pytest.approx(B.resolve_base, abs=4 * np.sqrt(0.13 / n))
    assert out.experience[out.resolved].mean() == pytest.approx(8.5, abs=0.06)
    assert out.experience[~out.resolved].mean() == pytest.approx(4.5, abs=0.15)
    assert out.positivity == pytest.approx(0.5)
    # Resolved needs close; open ones come back in 1-3 days or are dropped.
    assert (table.retry_day[out.resolved] == -1).all()
    back = table.retry_day > DAY
    assert met.retries == int(back.sum()) and not (back & out.resolved).any()
    # The day per stage adds up from the outcomes.
    assert met.stage_contacts.tolist() == [n // 2, n // 2]
    assert met.stage_resolved.sum() == out.resolved.sum()
    assert met.stage_failures.sum() == out.failure.sum()
    np.testing.assert_allclose(met.rated, out.experience - B.failure_drop * out.failure)
    assert met.stage_rating_sum.sum() == pytest.approx(met.rated.sum())


def test_serve_a_stage_without_risk_never_fails_and_a_huge_risk_always_does():
    staff = people([0, 0])
    answered = all_calling(np.arange(500))
    safe = _serve(customers(500), staff, answered, risk=0.0)
    doomed = _serve(customers(500), staff, answered, risk=1000.0)
    assert not safe.outcomes.failure.any() and doomed.outcomes.failure.all()
    # The failure itself is applied by the recovery stage, not here.
    assert safe.failures_before.tolist() == [0] * 500


def test_serve_waiting_two_minutes_costs_each_caller_one_point_of_the_same_luck():
    staff = people([0, 0])
    answered = all_calling(np.arange(1000))
    quick = _serve(customers(1000), staff, answered).outcomes
    slow = _serve(customers(1000), staff, answered, waits=120.0).outcomes
    np.testing.assert_array_equal(quick.resolved, slow.resolved)  # keyed by caller: same luck
    inside = (quick.experience > 1.0) & (quick.experience < 10.0)  # away from the clip at 0, 10
    assert inside.sum() > 900
    assert quick.experience[inside] - slow.experience[inside] == pytest.approx(
        B.wait_penalty_per_minute * 2.0
    )


# ---- stage 5: failure and recovery ----------------------------------------------------


def _recover(table, rows, day=DAY, **policy):
    """Failures of the customers in `rows`, each met by a warm agent (positivity 1)."""
    failed = dict(failed_rows=np.asarray(rows, np.int64), positivity=np.ones(len(rows)))
    policy = replace(POLICY, **policy)
    return recovery.recover(
        **failed, customers=table, day=day, policy=policy, b=B, streams=streams(day)
    )


def test_recover_a_complaint_with_full_authority_is_put_right_on_the_spot_above_where_it_was():
    rows = np.arange(0, 40, 2)
    table = customers(40, complain=1.0)
    before = snapshot(table)
    got = _recover(table, rows, recovery_authority=1.0, recovery_budget=1e9)
    assert changed(before, table) == {"satisfaction", "failures", "failures_ever"}
    f = got.failures
    assert f.n_heard == f.n_on_the_spot == rows.size and f.unrepaired.size == 0
    # An adequate (budget >> need), immediate, warm first recovery restores the drop and the
    # paradox bonus: 7 - 2.5 + (2.5 + 0.8).
    assert table.satisfaction[rows] == pytest.approx(7.0 + B.paradox_bonus)
    untouched = np.setdiff1d(np.arange(40), rows)
    assert (table.satisfaction[untouched] == 7.0).all()
    assert (table.failures_ever[rows] == 1).all() and (table.failures[rows] == 1.0).all()
    assert got.spend == f.spend_now > 0 and got.delivered_late == 0
    # A second failure has no paradox: back to where the customer was.
    _recover(table, rows, day=DAY + 1, recovery_authority=1.0, recovery_budget=1e9)
    assert table.satisfaction[rows] == pytest.approx(7.0 + B.paradox_bonus)


def test_recover_spends_the_need_up_to_the_budget_and_restores_in_proportion():
    rows = np.arange(30)
    full = dict(recovery_authority=1.0, recovery_budget=1e9)
    # Each failure's need, alone (a keyed draw: the same as in a batch).
    need = np.array(
        [_recover(customers(30, complain=1.0), [r], **full).failures.spend_now for r in rows]
    )
    budget = float(np.median(need))
    table = customers(30, complain=1.0)
    got = _recover(table, rows, recovery_authority=1.0, recovery_budget=budget)
    assert got.failures.spend_now == pytest.approx(np.minimum(need, budget).sum())
    adequacy = np.minimum(need, budget) / need
    restore = (B.apology_floor + (1 - B.apology_floor) * adequacy) * (
        B.failure_drop + B.paradox_bonus
    )
    assert table.satisfaction == pytest.approx(7.0 - B.failure_drop + restore)


def test_recover_a_silent_failure_is_never_put_right():
    table = customers(10, complain=0.0)
    got = _recover(table, [3, 4], recovery_authority=1.0)
    assert got.failures.n_silent == 2 and got.failures.unrepaired.tolist() == [3, 4]
    assert got.spend == 0.0
    assert table.satisfaction[[3, 4]] == pytest.approx(7.0 - B.failure_drop)
    assert (table.recovery_day == -1).all()


def test_recover_without_authority_waits_for_approval_then_pays_the_customers_still_there():
    rows = np.arange(6)
    table = customers(6, complain=1.0)
    got = _recover(table, rows, recovery_authority=0.0, recovery_budget=1e9, approval_days=5.0)
    assert got.failures.n_on_the_spot == 0 and got.spend == 0.0
    assert got.failures.unrepaired.tolist() == rows.tolist()
    assert table.satisfaction == pytest.approx(7.0 - B.failure_drop)
    assert (table.recovery_day == DAY + 5).all()
    late = 0.5 ** (5.0 / B.delay_halflife_days) * (B.failure_drop + B.paradox_bonus)
    assert table.recovery_value == pytest.approx(late)
    due = table.recovery_spend_due.copy()
    assert (due > 0).all()
    assert _recover(table, [], day=DAY + 4).delivered_late == 0  # not yet
    table.active[5] = False  # left before the approval came
    paid = _recover(table, [], day=DAY + 5)
    assert paid.delivered_late == 5 and paid.spend_late == pytest.approx(due[:5].sum())
    assert paid.spend == paid.spend_late
    assert table.satisfaction[:5] == pytest.approx(7.0 - B.failure_drop + late)
    assert (table.recovery_day == -1).all() and (table.recovery_spend_due == 0).all()


# ---- stage 6: the back office ---------------------------------------------------------


def _deliver(table, staff, jn=None, **policy):
    jn, policy = jn or two_stage(), replace(POLICY, **policy)
    made = dict(journey=jn, roles=roles_of(jn, staff), customers=table, day=DAY)
    return back_office.deliver(**made, policy=policy, b=B, streams=streams())


def test_deliver_an_empty_back_office_errs_most_and_its_outputs_reach_only_customers():
    table = customers(200, complain=0.0)
    table.active[0] = False
    staff = people([0, 1])  # nobody in the billing office: 10 x the 5% error rate
    staff_before = snapshot(staff)
    got = _deliver(table, staff)
    assert changed(staff_before, staff) == set()
    assert got.delivered.tolist() == [0, 199]  # a bill each day to every active customer
    assert got.delivered_wrong[1] == pytest.approx(0.5 * 199, abs=4 * np.sqrt(199 * 0.25))
    assert got.stage_rating_sum == pytest.approx(
        got.delivered * 7.0 - got.delivered_wrong * B.failure_drop
    )
    hit = got.failures.rows
    assert hit.size == np.unique(hit).size and table.active[hit].all()
    assert hit.size <= got.delivered_wrong[1]
    assert table.satisfaction[hit] == pytest.approx(7.0 - B.failure_drop)  # nobody complained
    assert got.callbacks == 0 and (table.retry_day == -1).all()


def test_deliver_a_staffed_back_office_errs_far_less_than_an_empty_one():
    empty = _deliver(customers(500), people([0, 1]))
    staffed = _deliver(customers(500), people([0, 1, 2, 2]))
    assert staffed.delivered_wrong[1] < 0.3 * empty.delivered_wrong[1]


def test_deliver_complainers_call_back_at_the_stage_and_an_open_retry_is_kept():
    table = customers(100, complain=1.0)
    table.retry_day[:] = DAY + 2  # everyone already calls back about something else ...
    table.retry_day[:50] = -1  # ... except the first fifty
    got = _deliver(table, people([0, 1]), recovery_authority=1.0)
    heard = got.failures.heard_rows
    new = heard[heard < 50]
    assert got.callbacks == new.size > 0
    assert set(table.retry_day[new].tolist()) <= {DAY + 1, DAY + 2, DAY + 3}
    assert (table.retry_stage[new] == 1).all() and (table.attempts[new] == 0).all()
    assert (table.retry_day[50:] == DAY + 2).all()
    assert got.failures.n_on_the_spot == heard.size  # full authority: put right at once too


def test_deliver_without_back_office_outputs_changes_nothing():
    table = customers(50)
    before = snapshot(table)
    got = _deliver(table, people([0]), jn=single())
    assert got.delivered.tolist() == [0] and got.failures.rows.size == 0 and got.callbacks == 0
    assert changed(before, table) == set()


# ---- stage 7: the customers -----------------------------------------------------------


QUIET = replace(B, churn_rate_annual=0.0, wom_positive_reach=0.0)
NO_MARKETING = replace(ORG, acquisition_rate=0.0)


def _customers_day(table, b=QUIET, org=NO_MARKETING, delighted=(), upset=(), start=365):
    talk = dict(delighted=np.asarray(delighted, np.int64), upset=np.asarray(upset, np.int64))
    return loyalty.customers_day(
        customers=table, **talk, start_customers=start, org=org, b=b, streams=streams()
    )


def test_customers_day_memory_drifts_to_the_baseline_and_nobody_comes_or_goes():
    table = customers(100, satisfaction=5.0, baseline=8.0, failures=1.0)
    table.active[90:] = False
    before = snapshot(table)
    got = _customers_day(table)
    assert got.left.size == got.joined.size == got.paid_acquisitions == 0
    assert changed(before, table) == {"satisfaction", "failures", "tenure"}
    assert table.satisfaction == pytest.approx(5.0 + 3.0 / B.satisfaction_memory_days)
    assert table.failures == pytest.approx(np.exp(-1.0 / B.failure_memory_days))
    assert (table.tenure[:90] == 401).all() and (table.tenure[90:] == 400).all()


def test_customers_day_word_of_mouth_moves_the_speakers_ties_by_wom_effect_per_telling():
    b = replace(
        QUIET, wom_positive_reach=3.0, wom_to_customers=1.0, satisfaction_memory_days=1e12
    )  # no drift: only word of mouth moves anyone
    table = customers(200)
    speakers_good, speakers_bad = [0, 50, 100], [150, 151]
    before = snapshot(table)
    got = _customers_day(table, b=b, delighted=speakers_good, upset=speakers_bad)
    wom = got.word_of_mouth
    assert wom.positive > 0 and wom.negative > 0 and wom.referrals == 0
    shift = table.satisfaction - before["satisfaction"]
    assert shift.sum() == pytest.approx((wom.positive - wom.negative) * B.wom_effect)
    ties = table.ties[speakers_good + speakers_bad].ravel()
    assert set(np.flatnonzero(shift).tolist()) <= set(ties.tolist())


def test_customers_day_referrals_and_paid_acquisitions_fill_free_rows_first():
    b = replace(QUIET, wom_positive_reach=3.0, wom_to_customers=0.0, referral_conversion=1.0)
    org = replace(ORG, acquisition_rate=10.0)  # 10 x 365 start customers / 365: ten a day
    table = customers(100)
    table.active[60:] = False
    table.retry_day[60:] = DAY  # leftovers of those who left
    got = _customers_day(table, b=b, org=org, delighted=[1, 2])
    assert got.word_of_mouth.referrals == got.word_of_mouth.positive  # every telling converts
    assert got.joined.size == got.paid_acquisitions + got.word_of_mouth.referrals
    assert 0 < got.joined.size <= 40
    np.testing.assert_array_equal(got.joined, np.arange(60, 60 + got.joined.size))
    assert table.size == 100 and table.active[got.joined].all()
    assert (table.tenure[got.joined] == 0).all() and (table.retry_day[got.joined] == -1).all()
    assert table.satisfaction[got.joined] == pytest.approx(table.baseline[got.joined])


def test_customers_day_grows_the_table_when_no_row_is_free():
    table = customers(20)
    got = _customers_day(table, org=replace(ORG, acquisition_rate=10.0))
    assert got.joined.size == got.paid_acquisitions > 0
    assert table.size >= 20 + got.joined.size and (got.joined >= 20).all()
    assert table.active[got.joined].all() and table.active[:20].all()


def test_customers_day_defectors_rows_are_freed():
    table = customers(30)
    table.active[25:] = False
    table.retry_day[:] = DAY + 1
    table.recovery_day[:] = DAY + 2
    table.agent_id[:] = np.arange(30)
    got = _customers_day(table, b=replace(QUIET, churn_rate_annual=365.0 * 1000))
    assert got.left.tolist() == list(range(25))
    assert not table.active.any()
    assert (table.retry_day[:25] == -1).all() and (table.recovery_day[:25] == -1).all()
    assert (table.agent_id[:25] == -1).all() and (table.agent_id[25:] == np.arange(25, 30)).all()


# ---- stage 8: the workforce -----------------------------------------------------------


STAYING = replace(B, quit_rate_annual=0.0)


def _workforce_day(staff, agents=(), experience=(), b=STAYING, seats=None, **policy):
    """A day on the single-stage floor: occupancy 0.7, overtime 0.1, contacts by `agents`."""
    jn, pol = single(), replace(POLICY, **policy)
    day = dict(agents=np.asarray(agents, np.int64), experience=np.asarray(experience, float))
    day |= dict(occupancy=0.7, overtime_share=0.1, role_load=np.array([0.7]))
    roles = dict(front=jn.front, feedback_reach=jn.feedback_reach, training=jn.training)
    roles |= dict(role_internal_service=np.array([pol.internal_service]))
    roles |= dict(freedom=np.array([1.0 - pol.script_strictness]))
    roles |= dict(role_seats=np.array([staff.size if seats is None else seats]))
    return workforce.workforce_day(
        staff=staff, **day, **roles, teams=2, day=DAY, policy=pol, b=b, streams=streams()
    )


def test_workforce_day_people_feel_the_day_learn_and_age_and_a_vacant_desk_stays_as_it_was():
    staff = people([0, 0, 0, 0])
    staff.training_left[2] = 3.0
    staff.active[3] = False
    before = snapshot(staff)
    got = _workforce_day(staff, agents=[0, 0, 1], experience=[10.0, 10.0, 4.0])
    assert staff.contacts_today.tolist() == [2, 1, 0, 0]
    # Mirror: a month's smoothing of (experience - 7) / 3: +1 for seat 0, -1 for seat 1.
    assert staff.mirror[:3] == pytest.approx([1 / 30, -1 / 30, 0.0])
    assert staff.tenure.tolist() == [1001, 1001, 1001, 1000]
    assert staff.training_left.tolist() == [0, 0, 2, 0]
    assert staff.skill[[0, 1]] == pytest.approx(  # learning toward 1 at the training pace
        REFERENCE_SKILL + 0.1 * (0.5 + 0.5 * POLICY.training) / B.learning_days
    )
    assert staff.skill[2] == REFERENCE_SKILL  # no learning on the job while in training
    for name, old in before.items():
        assert getattr(staff, name)[3] == old[3], name
    # The drivers by hand: want = (freedom 0.2 + feedback 0.5) / 2; feel = (0.5 + 0.5) / 2.
    assert got.drivers.want == pytest.approx(0.35) and got.drivers.feel == pytest.approx(0.5)
    assert got.front_load == pytest.approx(0.8)
    assert got.at_work.tolist() == [True, True, True, False]
    assert got.quits.size == got.hires.size == 0 and got.quit_hazard_annual == 0.0


def test_workforce_day_everyone_quits_when_quitting_is_certain_and_desks_wait_for_the_lag():
    staff = people([0, 0, 0])
    staff.agent_id[:] = [5, 6, 7]
    got = _workforce_day(staff, b=replace(B, quit_rate_annual=365.0 * 1e6))
    assert got.quits.tolist() == [0, 1, 2] and got.hires.size == 0
    assert got.at_work.all() and got.quit_hazard_annual == pytest.approx(365.0)
    assert not staff.active.any() and (staff.agent_id == -1).all()
    assert (staff.refill_day == DAY + POLICY.hiring_lag_days).all()


def test_workforce_day_refills_due_desks_only_within_the_roles_budget():
    staff = people([0, 0, 0, 0, 0])
    staff.active[[3, 4]] = False
    staff.refill_day[[3, 4]] = DAY
    got = _workforce_day(staff, seats=4)  # room for one more
    assert got.hires.tolist() == [3] and staff.active.tolist() == [True] * 4 + [False]
    assert staff.refill_day[4] == -1  # over the budget: not refilled
    assert staff.tenure[3] == 0 and staff.training_left[3] == POLICY.onboarding_days
    assert staff.skill[3] == pytest.approx(B.new_hire_skill)
    assert staff.deviation[3] == 0 and 0 <= staff.team[3] < 2


def test_review_headcount_opens_desks_after_the_lag_reusing_free_ones_then_growing():
    staff = people([0, 0, 0, 0, 0])
    staff.active[4] = False  # a free desk
    plan = dict(journey=single(), work_scale=1.0, employees=6, effort_norm=1.0, day=DAY)
    seats = workforce.review_headcount(staff=staff, **plan, policy=POLICY)
    assert seats.tolist() == [6]
    # Two new desks: the free one (4) and one the table grew for (5); nobody is hired yet.
    assert staff.size >= 6 and staff.active.tolist() == [True] * 4 + [False] * (staff.size - 4)
    assert (staff.refill_day[4:6] == DAY + POLICY.hiring_lag_days).all()
    assert (staff.refill_day[6:] == -1).all() and (staff.agent_id[4:] == -1).all()
    assert (staff.role[4:6] == 0).all()


def test_review_headcount_never_dismisses_and_plans_the_front_at_the_effort_norm():
    jn = two_stage()
    staff = people([0] * 6 + [1, 1, 2, 2, 3])
    before = snapshot(staff)
    plan = dict(staff=staff, journey=jn, work_scale=1.0, employees=4, day=DAY, policy=POLICY)
    assert workforce.review_headcount(effort_norm=1.0, **plan).tolist() == [4, 2, 2, 1]
    # An eroded norm plans the front office smaller; the back office keeps its plan.
    assert workforce.review_headcount(effort_norm=0.5, **plan).tolist() == [2, 1, 2, 1]
    assert changed(before, staff) == set()  # too many people: nobody is dismissed


# ---- stage 9: the money ---------------------------------------------------------------


def test_money_today_adds_up_by_hand_and_changes_nothing():
    staff = people([0, 0, 0, 0, 0])
    staff.active[4] = False
    table = customers(12)
    table.value[:] = np.arange(12) * 100.0
    table.active[[10, 11]] = False
    staff_before, table_before = snapshot(staff), snapshot(table)
    policy = replace(POLICY, pay_level=1.2)
    today = dict(overtime_hours=3.0, hires=2, paid_acquisitions=4, recovery_spend=123.0)
    money = finance.money_today(
        customers=table, staff=staff, journey=single(), **today, org=ORG, policy=policy
    )
    assert changed(staff_before, staff) == set() and changed(table_before, table) == set()
    revenue = sum(range(10)) * 100.0 / 365
    # Programmes per head: feedback (4 - 1) / 6, leadership 0.5, development 0.1.
    programmes = 4 * (0.5 + 0.5 + 0.1) * ORG.programme_cost_per_employee_year / 365
    expected = (
        dict(revenue=revenue, cost_of_sales=ORG.variable_cost_share * revenue)
        | dict(wages=4 * ORG.wage_annual * 1.2 / 365)  # headcount x wage x pay level / 365
        | dict(overtime=3.0 * ORG.wage_annual * 1.2 / ORG.fte_hours_year * ORG.overtime_premium)
        | dict(recruiting=2 * ORG.recruiting_cost, training=2 * ORG.trainer_cost * POLICY.training)
        | dict(programmes=programmes, marketing=4 * ORG.acquisition_cost, recovery=123.0)
    )
    got = money.as_dict()
    assert {k: got[k] for k in expected} == pytest.approx(expected)
    assert money.costs == pytest.approx(sum(expected.values()) - revenue)
    assert money.profit == pytest.approx(revenue - money.costs)


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
    assert d.upset.tolist() == [1, 6]  # not put right today: the front's and the back's


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
