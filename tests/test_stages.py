"""Stages 1-4 of the day alone (roles, demand, queue, encounters): a tiny hand-built world
(tests/worlds.py), one stage function, and what it read, returned and changed in the tables.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from worlds import (
    BILLING_OFFICE,
    DAY,
    IT,
    ORG,
    POLICY,
    B,
    all_calling,
    changed,
    customers,
    people,
    roles_of,
    single,
    snapshot,
    streams,
    two_stage,
)

from sim import (
    calls,
    demand,
    encounter,
    queueing,
)
from sim.journey import MAX_ERROR_FACTOR, REFERENCE_SKILL

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
    # the rating is 4.5, +4 resolved, positivity 0.5 on average adds nothing, noise sd 0.8.
    assert out.resolved.mean() == pytest.approx(B.resolve_base, abs=4 * np.sqrt(0.13 / n))
    assert out.experience[out.resolved].mean() == pytest.approx(8.5, abs=0.06)
    assert out.experience[~out.resolved].mean() == pytest.approx(4.5, abs=0.15)
    # Positivity 0.5 on average, varying from one encounter to the next (display noise).
    assert out.positivity.mean() == pytest.approx(0.5, abs=4 * B.display_noise_sd / np.sqrt(n))
    assert out.positivity.std() == pytest.approx(B.display_noise_sd, rel=0.1)
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
