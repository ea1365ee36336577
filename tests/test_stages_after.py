"""Stages 5-9 of the day alone (recovery, back office, customers, workforce, money): a tiny
hand-built world (tests/worlds.py), one stage function, and what it read, returned and changed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from worlds import (
    DAY,
    ORG,
    POLICY,
    B,
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
    back_office,
    finance,
    loyalty,
    recovery,
    workforce,
)
from sim.journey import REFERENCE_SKILL

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
