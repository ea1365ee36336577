"""ServiceModel: one Mesa model, one step = one day of the service-profit chain.

    demand -> queue -> encounters -> failure & recovery -> customers (satisfaction, churn,
    word of mouth, acquisition) -> workforce (learning, stress, work happiness, quits, hires)
    -> money -> survey

Each verb is a call into a module that works over whole populations as arrays; the Employee
and Customer agents are Mesa agents that look at one row of those arrays.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import (
    demand,
    encounter,
    finance,
    loyalty,
    queueing,
    recovery,
    standards,
    survey,
    workforce,
)
from sim.agents import Customer, Employee, Manager
from sim.config import SimConfig
from sim.population import CustomerTable, EmployeeTable

OCCUPANCY_CEILING = 0.9  # assumption: above this the firm buys overtime (up to its cap)


class ServiceModel(mesa.Model):
    """A service organisation: employees serve customers, day by day.

    Args:
        config: the full configuration (defaults: the baseline call centre).
        rng: seed; defaults to `config.seed`.
    """

    def __init__(self, config: SimConfig | None = None, *, rng: int | None = None) -> None:
        config = config if config is not None else SimConfig()
        super().__init__(rng=config.seed if rng is None else rng)
        # A copy: management and the dashboard change the policy of a running model, and the
        # caller's config must not change with it.
        self.config = config = copy.deepcopy(config)
        self.org, self.policy, self.behaviour = config.org, config.policy, config.behaviour
        self.day = 0
        self.effort = 1.0  # share of the standard handle time given today (standards.py)
        self.effort_norm = 1.0  # the effort the floor considers normal
        self.demand_factor = 1.0  # multiplies every need rate: a handle for demand shocks
        self.seats = workforce.headcount_budget(
            self.org.employees, self.policy.staffing_level, 1, 1
        )
        self.staff = EmployeeTable.empty(self.seats)
        self._employee_agents: list[Employee | None] = [None] * self.seats
        workforce.fill_seats(
            self.rng,
            self.staff,
            np.arange(self.seats),
            self.org.teams,
            self.policy,
            self.behaviour,
            veterans=True,
            past_freedom=1.0 - self.org.past_script_strictness,
        )
        for seat in range(self.seats):
            self._seat_agent(seat)
        n = self.org.customers
        self.customers = CustomerTable.empty(n, loyalty.N_TIES)
        self._customer_agents: list[Customer | None] = [None] * n
        self._add_customers(np.arange(n), start=True)
        self.start = {"headcount": self.seats, "customers": n}
        self.totals = {"hires": 0, "quits": 0, "acquired": 0, "churned": 0}
        self.today: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self.survey_rows: list[dict[str, Any]] = []
        self.manager = Manager(self)

    # ---- agents over rows -------------------------------------------------------------
    def _seat_agent(self, seat: int) -> None:
        agent = Employee(self, seat)
        self._employee_agents[seat] = agent
        self.staff.agent_id[seat] = agent.unique_id

    def _add_customers(self, rows: np.ndarray, *, start: bool) -> None:
        loyalty.fill_customers(
            self.rng, self.customers, rows, self.org, self.behaviour, start=start
        )
        if self.customers.size > len(self._customer_agents):
            self._customer_agents.extend(
                [None] * (self.customers.size - len(self._customer_agents))
            )
        for row in rows.tolist():
            agent = Customer(self, row)
            self._customer_agents[row] = agent
            self.customers.agent_id[row] = agent.unique_id

    def _remove_customers(self, rows: np.ndarray) -> None:
        c = self.customers
        c.active[rows] = False
        c.retry_day[rows] = -1
        c.recovery_day[rows] = -1
        c.agent_id[rows] = -1
        for row in rows.tolist():
            self._customer_agents[row].remove()
            self._customer_agents[row] = None

    # ---- the day ------------------------------------------------------------------------
    def step(self) -> None:
        """One day."""
        t: dict[str, float] = {"day": self.day + 1}
        self.manager.act()
        contacts = demand.todays_contacts(
            self.rng, self.customers, self.day, self.org.complex_share, self.demand_factor
        )
        answered, waits, queue = self._queue(contacts, t)
        outcomes = self._encounters(answered, waits, queue.occupancy, t)
        self._customers(answered, outcomes, t)
        self._workforce(answered, outcomes, queue.occupancy, t)
        self._money(t)
        self._measure(t)
        self.day += 1
        if self.day % self.config.survey_interval_days == 0:
            self.survey_rows += survey.run_survey(
                self.rng, self.day, self.staff, self.customers, self.org.teams
            )
            self._review_headcount()
        t.update({f"lever_{k}": float(v) for k, v in asdict(self.policy).items()})
        self.today = t
        self.history.append(t)
        if self.day % self.config.management.review_days == 0:
            self.manager.review()

    def timeseries(self) -> pd.DataFrame:
        """One row per simulated day, one column per KPI."""
        return pd.DataFrame(self.history)

    def _queue(self, contacts: demand.Contacts, t: dict) -> tuple:
        """Erlang A for the day's load; who abandons, who is answered and how long they waited."""
        org, pol, b, staff = self.org, self.policy, self.behaviour, self.staff
        absent_p = np.clip(org.absence_rate * (1.0 + b.stress_absence * staff.stress), 0, 1)
        ready = staff.active & (staff.training_left <= 0)
        on_duty = np.flatnonzero(ready & (self.rng.random(staff.size) >= absent_p))
        speed = staff.skill  # efficiency: a new hire at 0.5 takes twice as long
        complex_share = contacts.complex.mean() if contacts.count else org.complex_share
        mix = 1.0 + complex_share * (org.complex_handle_factor - 1.0)
        base = org.handle_minutes * 60.0 * (1.0 - b.pressure_speedup * pol.productivity_pressure)
        full = base * mix / max(float(speed[on_duty].mean()) if on_duty.size else 1.0, 1e-3)
        servers = on_duty.size * org.productive_hours / org.open_hours
        arrival = contacts.count / (org.open_hours * 3600.0)
        load = arrival * full
        extra = 0.0
        if servers > 0 and load > OCCUPANCY_CEILING * servers:
            extra = min(org.overtime_max_share * servers, load / OCCUPANCY_CEILING - servers)
        # What overtime cannot absorb, the floor absorbs by giving each contact less time.
        self.effort = standards.effort_today(
            load, OCCUPANCY_CEILING * (servers + extra), self.effort_norm, b
        )
        self.effort_norm = standards.update_norm(
            self.effort_norm, self.effort, pol.hold_standards, b
        )
        handle = full * self.effort
        patience = (
            float(self.customers.patience[contacts.customer].mean())
            if contacts.count
            else org.patience_seconds
        )
        q = queueing.erlang_a(servers + extra, arrival, handle, patience, org.target_wait_seconds)
        # Who abandons: the less patient more often, at the day's Erlang A rate on average.
        impatience = 1.0 / self.customers.patience[contacts.customer]
        mean_impatience = float(impatience.mean()) if contacts.count else 1.0
        p_ab = np.clip(q.abandon_rate * impatience / max(mean_impatience, 1e-12), 0, 1)
        gone = self.rng.random(contacts.count) < p_ab
        if on_duty.size == 0:
            gone[:] = True
        abandoned = contacts.subset(gone)
        c = self.customers
        c.satisfaction[abandoned.customer] -= (
            b.wait_penalty_per_minute * c.patience[abandoned.customer] / 60.0
        )
        retries = loyalty.schedule_retries(
            self.rng, c, abandoned.customer, abandoned.complex, abandoned.attempts, self.day, b
        )
        answered = contacts.subset(~gone)
        agents = (
            encounter.route(self.rng, on_duty, speed, answered.count)
            if answered.count
            else np.zeros(0, np.int64)
        )
        waits = self.rng.exponential(max(q.mean_wait, 1e-9), answered.count)
        self._agents_today = agents
        self._overtime_hours = extra * org.open_hours
        self._overtime_share = extra / servers if servers > 0 else 0.0
        t.update(
            contacts=contacts.count,
            repeat_contacts=int(contacts.repeat.sum()),
            abandoned=abandoned.count,
            answered=answered.count,
            retries_after_abandon=retries,
            service_level=q.service_level if contacts.count else 1.0,
            abandon_rate=abandoned.count / contacts.count if contacts.count else 0.0,
            mean_wait_seconds=q.mean_wait,
            occupancy=q.occupancy,
            handle_seconds=handle,
            effort=self.effort,
            effort_norm=self.effort_norm,
            on_duty=int(on_duty.size),
            overtime_hours=self._overtime_hours,
        )
        return answered, waits, q

    def _encounters(
        self, answered: demand.Contacts, waits: np.ndarray, occupancy: float, t: dict
    ) -> encounter.Outcomes:
        pol, b, c = self.policy, self.behaviour, self.customers
        out = encounter.meet(
            self.rng,
            answered,
            self._agents_today,
            waits,
            self.staff,
            c,
            occupancy,
            pol,
            b,
            effort=self.effort,
        )
        loyalty.experience(c, answered.customer, out.experience, b)
        loyalty.close_needs(c, answered.customer[out.resolved])
        open_ = ~out.resolved
        loyalty.schedule_retries(
            self.rng,
            c,
            answered.customer[open_],
            answered.complex[open_],
            answered.attempts[open_],
            self.day,
            b,
        )
        failed = out.failure
        rec = recovery.fail_and_recover(
            self.rng, answered.customer[failed], out.positivity[failed], c, self.day, pol, b
        )
        delivered, spend_due = recovery.pay_due_recoveries(c, self.day)
        first = answered.attempts == 0
        n_first = int(first.sum())
        t.update(
            first_contacts=n_first,
            resolved_first=int((out.resolved & first).sum()),
            first_contact_resolution=(
                float((out.resolved & first).sum() / n_first) if n_first else np.nan
            ),
            resolved=int(out.resolved.sum()),
            encounter_quality=float(out.experience.mean()) if answered.count else np.nan,
            failures=rec.heard + rec.silent,
            complaints=rec.heard,
            silent_failures=rec.silent,
            recovered_on_the_spot=rec.on_the_spot,
            recoveries_delivered_late=delivered,
            recovery_spend=rec.spend_now + spend_due,
        )
        self._unrepaired = rec.unrepaired
        return out

    def _customers(self, answered: demand.Contacts, out: encounter.Outcomes, t: dict) -> None:
        b, c = self.behaviour, self.customers
        good = answered.customer[out.experience >= loyalty.DELIGHT]
        bad = np.union1d(answered.customer[out.experience <= loyalty.ANGER], self._unrepaired)
        wom = loyalty.word_of_mouth(self.rng, c, good, bad, b)
        leaving = loyalty.drift_and_defect(self.rng, c, b)
        self._remove_customers(leaving)
        paid = loyalty.paid_acquisitions(self.rng, self.start["customers"], self.org, wom.deterred)
        new = paid + wom.referrals
        if new:
            self._add_customers(c.free_slots(new), start=False)
        self.totals["churned"] += int(leaving.size)
        self.totals["acquired"] += new
        self._paid_acquisitions = paid
        t.update(
            churned=int(leaving.size),
            acquired=new,
            referrals=wom.referrals,
            wom_positive=wom.positive,
            wom_negative=wom.negative,
        )

    def _workforce(
        self, answered: demand.Contacts, out: encounter.Outcomes, occupancy: float, t: dict
    ) -> None:
        pol, b, staff = self.policy, self.behaviour, self.staff
        n = staff.size
        agents = out.employee
        served = np.bincount(agents, minlength=n)
        staff.contacts_today[:] = served
        with np.errstate(invalid="ignore", divide="ignore"):
            mirror = np.bincount(agents, weights=(out.experience - 7.0) / 3.0, minlength=n) / served
            bad = np.bincount(agents, weights=out.experience < 5.0, minlength=n) / served
        has = served > 0
        bad = np.where(has, bad, 0.0)
        workload = min(occupancy + self._overtime_share, 1.5)
        drv = workforce.drivers(staff, occupancy, pol, b)
        workforce.update_people(
            staff, drv, workload, self._overtime_share, bad, mirror, has, pol, b
        )
        # Quits, then refills of seats whose hiring lag is over.
        hazard = workforce.quit_hazard(staff, b)
        # Expected quits per head per year: the same rate as the quits, without their noise.
        t["quit_hazard_annual"] = (
            float(hazard[staff.active].mean() * 365) if staff.active.any() else 0.0
        )
        quitting = np.flatnonzero(staff.active & (self.rng.random(n) < hazard))
        for seat in quitting.tolist():
            self._employee_agents[seat].remove()
            self._employee_agents[seat] = None
        staff.active[quitting] = False
        staff.agent_id[quitting] = -1
        staff.refill_day[quitting] = self.day + max(1, pol.hiring_lag_days)
        due = np.flatnonzero(~staff.active & (staff.refill_day == self.day))
        room = max(self.seats - int(staff.active.sum()), 0)
        staff.refill_day[due[room:]] = -1  # over budget: the seat is not refilled
        due = due[:room]
        if due.size:
            workforce.fill_seats(self.rng, staff, due, self.org.teams, pol, b)
            for seat in due.tolist():
                self._seat_agent(seat)
        self.totals["quits"] += int(quitting.size)
        self.totals["hires"] += int(due.size)
        self._hires = int(due.size)
        act = staff.active
        t.update(
            quits=int(quitting.size),
            hires=int(due.size),
            want=float(drv.want[act].mean()) if act.any() else np.nan,
            know=float(drv.know[act].mean()) if act.any() else np.nan,
            can=float(drv.can[act].mean()) if act.any() else np.nan,
            feel=float(drv.feel[act].mean()) if act.any() else np.nan,
        )

    def _review_headcount(self) -> None:
        """Workforce planning: each survey cycle the headcount budget follows the customer base
        (assumption: planners staff to forecast volume) at the planning norm of handle time
        (standards.py: an eroded norm plans fewer staff); new seats open after the hiring lag,
        and a shrinking budget is met by not refilling vacancies, never by dismissals."""
        active_customers = int(self.customers.active.sum())
        self.seats = workforce.headcount_budget(
            self.org.employees,
            self.policy.staffing_level * self.effort_norm,
            active_customers,
            self.start["customers"],
        )
        staff = self.staff
        planned = int(staff.active.sum() + (staff.refill_day > self.day).sum())
        if self.seats > planned:
            new = self.seats - planned
            free = np.flatnonzero(~staff.active & (staff.refill_day < 0))[:new]
            if free.size < new:
                old = staff.size
                staff.ensure_capacity(old + new - free.size)
                staff.refill_day[old:] = -1
                staff.agent_id[old:] = -1
                self._employee_agents.extend([None] * (staff.size - old))
                free = np.concatenate((free, np.arange(old, old + new - free.size)))
            staff.refill_day[free] = self.day + max(1, self.policy.hiring_lag_days)

    def _money(self, t: dict) -> None:
        c = self.customers
        money = finance.day_money(
            self.org,
            self.policy,
            revenue_year=float(c.value[c.active].sum()),
            headcount=int(self.staff.active.sum()),
            overtime_hours=self._overtime_hours,
            hires=self._hires,
            paid_acquisitions=self._paid_acquisitions,
            recovery_spend=t["recovery_spend"],
        )
        t.update(money.as_dict())

    def _measure(self, t: dict) -> None:
        staff, c = self.staff, self.customers
        act = staff.active
        t.update(
            headcount=int(act.sum()),
            vacancies=max(self.seats - int(act.sum()), 0),
            in_training=int((act & (staff.training_left > 0)).sum()),
            customers=int(c.active.sum()),
            work_happiness_mean=float(staff.engagement[act].mean()) if act.any() else np.nan,
            stress_mean=float(staff.stress[act].mean()) if act.any() else np.nan,
            skill_mean=float(staff.skill[act].mean()) if act.any() else np.nan,
            enps=survey.nps(self.survey_answers_employees()[act]),
            nps=survey.nps(survey.answers(c.satisfaction[c.active], c.recommend_bias[c.active])),
            csat_mean=float(c.satisfaction[c.active].mean()) if c.active.any() else np.nan,
        )

    # ---- what a survey would read now ---------------------------------------------------
    def survey_answers_employees(self) -> np.ndarray:
        return survey.employee_answers(self.staff)

    def survey_answers_customers(self) -> np.ndarray:
        return survey.customer_answers(self.customers)
