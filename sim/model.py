"""ServiceModel: one Mesa model, one step = one day of the service-profit chain.

    roles (internal service) -> demand -> queue -> encounters -> failure & recovery ->
    back-office outputs -> customers (satisfaction, churn, word of mouth, acquisition) ->
    workforce (learning, stress, work happiness, quits, hires) -> money -> survey

Needs belong to the stages of the customer journey and employees to its roles (journey.py):
front-office roles take the contacts of their stages, back-office roles reach customers only
through what they produce, and every role's output quality is the internal service of the roles
that depend on it.

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
    journey,
    loyalty,
    queueing,
    recovery,
    standards,
    survey,
    workforce,
)
from sim.agents import Customer, Employee, Manager
from sim.config import SimConfig
from sim.journey import Journey, RoleState
from sim.population import CustomerTable, EmployeeTable

OCCUPANCY_CEILING = 0.9  # assumption: above this the firm buys overtime (up to its cap)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each group value, in the order given (e.g. seats of one role)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - starts
    return ranks


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
        self.journey = jn = Journey.from_config(config.journey)
        self.role_seats = jn.seat_budgets(self.org.employees, self.policy.staffing_level, 1.0)
        self.seats = int(self.role_seats.sum())
        self.staff = EmployeeTable.empty(self.seats)
        self.staff.role[:] = np.repeat(np.arange(jn.n_roles), self.role_seats)
        self._employee_agents: list[Employee | None] = [None] * self.seats
        everyone = np.arange(self.seats)
        past = np.where(jn.front, 1.0 - self.org.past_script_strictness, jn.autonomy)
        workforce.fill_seats(
            self.rng,
            self.staff,
            everyone,
            self.org.teams,
            self.policy,
            self.behaviour,
            veterans=True,
            past_freedom=past[self.staff.role],
            training=self._role_training()[self.staff.role],
        )
        self._front_load = 0.8  # yesterday's workload of the front office (occupancy + overtime)
        self._role_quality = np.ones(jn.n_roles)  # yesterday's output quality per role
        self.roles_today: RoleState | None = None
        self._stage_counts = np.zeros(jn.n_stages)  # contacts per stage so far (for `impact`)
        self.journey_log: list[dict[str, np.ndarray]] = []
        for seat in range(self.seats):
            self._seat_agent(seat)
        n = self.org.customers
        self.customers = CustomerTable.empty(n, loyalty.N_TIES)
        self._customer_agents: list[Customer | None] = [None] * n
        self._add_customers(np.arange(n), start=True)
        # The stage mix of needs the starting customers would bring: the prior of `impact`.
        self._stage_prior = jn.need_mix(self.customers.tenure[:n])
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
        self._log: dict[str, np.ndarray] = {}
        self.roles_today = self._roles()
        contacts = demand.todays_contacts(
            self.rng, self.customers, self.day, self.journey, self.demand_factor
        )
        answered, waits, queue = self._queue(contacts, t)
        outcomes = self._encounters(answered, waits, queue.occupancy, t)
        self._back_office(t)
        self._customers(answered, outcomes, t)
        self._workforce(answered, outcomes, queue.occupancy, t)
        self._money(t)
        self._measure(t)
        self.day += 1
        if self.day % self.config.survey_interval_days == 0:
            self.survey_rows += survey.run_survey(
                self.rng, self.day, self.staff, self.customers, self.org.teams, self.journey.roles
            )
            self._review_headcount()
        t.update({f"lever_{k}": float(v) for k, v in asdict(self.policy).items()})
        self.today = t
        self.history.append(t)
        self.journey_log.append(self._log)
        if self.day % self.config.management.review_days == 0:
            self.manager.review()

    def _role_training(self) -> np.ndarray:
        """(R,) training intensity per role: the org's x the role's own."""
        return self.policy.training * self.journey.training

    def _role_freedom(self) -> np.ndarray:
        """(R,) freedom in the work: front roles follow the script, back roles their autonomy."""
        return np.where(
            self.journey.front, 1.0 - self.policy.script_strictness, self.journey.autonomy
        )

    def _roles(self) -> RoleState:
        """Each role as it starts the day: people ready, workload, and the quality of its output
        (from yesterday's state), which is the internal service its dependants get today."""
        jn, staff, b = self.journey, self.staff, self.behaviour
        n_roles = jn.n_roles
        ready = staff.active & (staff.training_left <= 0)
        heads = np.bincount(staff.role[ready], minlength=n_roles)
        scale = self.customers.active.sum() / max(self.start["customers"], 1)
        needed = self.org.employees * jn.headcount * scale  # the work, in staff at plan
        back_load = np.divide(
            journey.BACK_OFFICE_UTILISATION * needed,
            heads,
            out=np.full(n_roles, 1.5),
            where=heads > 0,
        )
        load = np.where(jn.front, self._front_load, np.minimum(back_load, 1.5))
        skill = journey.role_means(staff.skill, staff.role, ready, n_roles)
        stress = journey.role_means(staff.stress, staff.role, ready, n_roles)
        engagement = journey.role_means(staff.engagement, staff.role, ready, n_roles)
        positivity = encounter.displayed_positivity(engagement, stress, load, b)
        isq = journey.internal_service(jn, self._role_quality, self.policy)
        err = journey.error_factor(skill, stress, positivity, isq, load, b)
        err = np.where(heads > 0, err, journey.MAX_ERROR_FACTOR)  # nobody to do the work
        self._role_quality = 1.0 / err
        return RoleState(
            ready=heads,
            load=load,
            skill=skill,
            stress=stress,
            positivity=positivity,
            internal_service=isq,
            error_factor=err,
            quality=self._role_quality,
            roster_fit=journey.roster_fit(jn, self._role_quality),
        )

    def timeseries(self) -> pd.DataFrame:
        """One row per simulated day, one column per KPI."""
        return pd.DataFrame(self.history)

    def _queue(self, contacts: demand.Contacts, t: dict) -> tuple:
        """Erlang A for the day's load; who abandons, who is answered and how long they waited."""
        org, pol, b, staff = self.org, self.policy, self.behaviour, self.staff
        absent_p = np.clip(org.absence_rate * (1.0 + b.stress_absence * staff.stress), 0, 1)
        ready = staff.active & (staff.training_left <= 0) & self.journey.front[staff.role]
        on_duty = np.flatnonzero(ready & (self.rng.random(staff.size) >= absent_p))
        speed = staff.skill  # efficiency: a new hire at 0.5 takes twice as long
        jn = self.journey
        usual = float(jn.complex_share @ self._stage_prior)
        complex_share = contacts.complex.mean() if contacts.count else usual
        mix = 1.0 + complex_share * (org.complex_handle_factor - 1.0)
        base = org.handle_minutes * 60.0 * (1.0 - b.pressure_speedup * pol.productivity_pressure)
        full = base * mix / max(float(speed[on_duty].mean()) if on_duty.size else 1.0, 1e-3)
        # A poor roster puts people on the phones when the customers are not calling.
        fit = self.roles_today.roster_fit[staff.role[on_duty]]
        servers = float(fit.sum()) * org.productive_hours / org.open_hours
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
            self.rng,
            c,
            abandoned.customer,
            abandoned.complex,
            abandoned.attempts,
            self.day,
            b,
            abandoned.stage,
        )
        answered = contacts.subset(~gone)
        agents = self._route(on_duty, speed, answered)
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

    def _route(
        self, on_duty: np.ndarray, speed: np.ndarray, answered: demand.Contacts
    ) -> np.ndarray:
        """Each contact to an agent on duty in a front role that works at its stage (any front
        agent on duty if none is), in proportion to speed."""
        if answered.count == 0:
            return np.zeros(0, np.int64)
        jn = self.journey
        serving = jn.covers[self.staff.role[on_duty]]  # (on duty, S)
        if serving.all():
            return encounter.route(self.rng, on_duty, speed, answered.count)
        agents = np.empty(answered.count, np.int64)
        for s in range(jn.n_stages):
            here = np.flatnonzero(answered.stage == s)
            if here.size:
                pool = on_duty[serving[:, s]]
                pool = pool if pool.size else on_duty
                agents[here] = encounter.route(self.rng, pool, speed, here.size)
        return agents

    def _encounters(
        self, answered: demand.Contacts, waits: np.ndarray, occupancy: float, t: dict
    ) -> encounter.Outcomes:
        pol, b, c, jn = self.policy, self.behaviour, self.customers, self.journey
        agents = self._agents_today
        isq = self.roles_today.internal_service[self.staff.role[agents]]
        risk = jn.failure_risk[answered.stage] * journey.internal_service_factor(isq)
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
            failure_risk=risk,
        )
        impact = jn.impact(self._stage_counts, self._stage_prior)
        loyalty.experience(c, answered.customer, out.experience, b, impact[answered.stage])
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
            answered.stage[open_],
        )
        n_stages = jn.n_stages
        per_stage = np.bincount(answered.stage, minlength=n_stages)
        self._stage_counts += per_stage
        rated = out.experience - b.failure_drop * out.failure  # a failure spoils the touchpoint
        self._log.update(
            contacts=per_stage,
            resolved=np.bincount(answered.stage, weights=out.resolved, minlength=n_stages),
            failures=np.bincount(answered.stage, weights=out.failure, minlength=n_stages),
            cx_sum=np.bincount(answered.stage, weights=rated, minlength=n_stages),
            cx_n=per_stage.astype(float),
        )
        self._answered_stage = answered.stage
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

    def _back_office(self, t: dict) -> None:
        """Back-office outputs reach customers at their stages; a wrong one is a service failure
        the customer meets without any contact, and one they tell the firm about comes back as
        a contact at that stage (failure demand)."""
        jn, c, b, roles = self.journey, self.customers, self.behaviour, self.roles_today
        back = jn.covers & ~jn.front[:, None]  # (R, S) back roles producing each stage's outputs
        weights = back * jn.headcount[:, None]
        w_sum = weights.sum(axis=0)
        factor = np.divide(  # nobody to make a stage's outputs: as an empty role
            weights.T @ roles.error_factor,
            w_sum,
            out=np.full(jn.n_stages, journey.MAX_ERROR_FACTOR),
            where=w_sum > 0,
        )
        counts, rows, stages = journey.deliveries(
            self.rng, jn, c.tenure, c.active, jn.delivery_error * factor
        )
        log = self._log
        log.update(delivered=counts[0], delivered_wrong=counts[1])
        log["failures"] = log["failures"] + counts[1]
        ok = counts[0] - counts[1]
        log["cx_sum"] = (
            log["cx_sum"]
            + ok * journey.DELIVERY_RATING
            + counts[1] * (journey.DELIVERY_RATING - b.failure_drop)
        )
        log["cx_n"] = log["cx_n"] + counts[0]
        t["back_office_errors"] = int(rows.size)
        if rows.size == 0:
            return
        rec = recovery.fail_and_recover(
            self.rng, rows, np.full(rows.size, 0.5), c, self.day, self.policy, b
        )
        t["failures"] += rec.heard + rec.silent
        t["complaints"] += rec.heard
        t["silent_failures"] += rec.silent
        t["recovered_on_the_spot"] += rec.on_the_spot
        t["recovery_spend"] += rec.spend_now
        self._unrepaired = np.union1d(self._unrepaired, rec.unrepaired)
        # Those who complained call about it, unless they are already calling back about another.
        calling = np.isin(rows, rec.heard_rows) & (c.retry_day[rows] < 0)
        who, where = rows[calling], stages[calling]
        c.retry_day[who] = self.day + self.rng.integers(1, 4, who.size)
        c.retry_stage[who] = where
        c.retry_complex[who] = self.rng.random(who.size) < jn.complex_share[where]
        c.attempts[who] = 0

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
        jn, roles, role = self.journey, self.roles_today, staff.role
        workload = min(occupancy + self._overtime_share, 1.5)
        self._front_load = workload
        seat_load = np.where(jn.front, workload, roles.load)[role]
        freedom = self._role_freedom()[role]
        training = self._role_training()
        drv = workforce.drivers(
            staff,
            np.where(jn.front, occupancy, roles.load)[role],  # can: the queue without overtime
            pol,
            b,
            autonomy=freedom,
            feedback_reach=jn.feedback_reach[role],
            internal_service=roles.internal_service[role],
        )
        overtime = np.where(jn.front[role], self._overtime_share, 0.0)
        workforce.update_people(
            staff,
            drv,
            seat_load,
            overtime,
            bad,
            mirror,
            has,
            pol,
            b,
            training=training[role],
            freedom=freedom,
        )
        self._log_drivers(drv, agents)
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
        # Over a role's budget the seat is not refilled (a shrinking budget is met this way).
        room = self.role_seats - np.bincount(role[staff.active], minlength=jn.n_roles)
        rank = _rank_within(role[due])
        refill = rank < np.maximum(room, 0)[role[due]]
        staff.refill_day[due[~refill]] = -1
        due = due[refill]
        if due.size:
            workforce.fill_seats(
                self.rng,
                staff,
                due,
                self.org.teams,
                pol,
                b,
                training=training[role[due]],
            )
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

    def _log_drivers(self, drv: workforce.Drivers, agents: np.ndarray) -> None:
        """The drivers per role and stage, as the employee-journey method asks them: a front
        role at a stage is its people weighted by the contacts they took there; a back role is
        the same at every stage it works at. Also each role's headcount and work happiness."""
        jn, staff = self.journey, self.staff
        n_roles, n_stages = jn.n_roles, jn.n_stages
        act = staff.active
        values = np.stack([drv.want, drv.know, drv.can, drv.feel])  # (4, seats)
        per_role = np.stack(
            [journey.role_means(v, staff.role, act, n_roles) for v in values]
        )  # (4, R)
        cell = staff.role[agents] * n_stages + self._answered_stage
        n_cell = np.bincount(cell, minlength=n_roles * n_stages).astype(float)
        sums = np.stack(
            [np.bincount(cell, weights=v[agents], minlength=n_roles * n_stages) for v in values]
        ).reshape(4, n_roles, n_stages)
        n_cell = n_cell.reshape(n_roles, n_stages)
        # Back roles (and roles serving others): the role's mean at every stage they reach,
        # with weight 1 on days the role has anyone; feel is the organisation's everywhere.
        back = ((~jn.front)[:, None] & jn.reaches) & np.isfinite(per_role[0])[:, None]
        sums = np.where(back, np.nan_to_num(per_role)[:, :, None], sums)
        n_cell = np.where(back, 1.0, n_cell)
        feel = float(drv.feel[act].mean()) if act.any() else np.nan
        sums[3] = np.where(n_cell > 0, feel * n_cell, 0.0)
        self._log.update(
            driver_sum=sums,
            driver_n=n_cell,
            role_drivers=np.nan_to_num(per_role),
            role_headcount=np.bincount(staff.role[act], minlength=n_roles).astype(float),
            role_happiness=np.bincount(
                staff.role[act], weights=staff.engagement[act], minlength=n_roles
            ),
            role_quality=self.roles_today.quality.copy(),
            role_load=self.roles_today.load.copy(),
            role_internal_service=self.roles_today.internal_service.copy(),
        )

    def _review_headcount(self) -> None:
        """Workforce planning: each survey cycle every role's headcount budget follows the
        customer base (assumption: planners staff to forecast volume); the front office is
        planned at the norm of handle time (standards.py: an eroded norm plans fewer staff).
        New seats open after the hiring lag, and a shrinking budget is met by not refilling
        vacancies, never by dismissals."""
        jn, staff = self.journey, self.staff
        scale = int(self.customers.active.sum()) / max(self.start["customers"], 1)
        level = self.policy.staffing_level * np.where(jn.front, self.effort_norm, 1.0)
        self.role_seats = jn.seat_budgets(self.org.employees, level, scale)
        self.seats = int(self.role_seats.sum())
        planned = np.bincount(
            # Seats whose hire starts today (the next step) are planned too.
            staff.role[staff.active | (staff.refill_day >= self.day)],
            minlength=jn.n_roles,
        )
        for r in np.flatnonzero(self.role_seats > planned).tolist():
            new = int(self.role_seats[r] - planned[r])
            free = np.flatnonzero(~staff.active & (staff.refill_day < 0))[:new]  # any desk
            if free.size < new:
                old = staff.size
                staff.ensure_capacity(old + new - free.size)
                staff.refill_day[old:] = -1
                staff.agent_id[old:] = -1
                self._employee_agents.extend([None] * (staff.size - old))
                free = np.concatenate((free, np.arange(old, old + new - free.size)))
            staff.role[free] = r
            staff.refill_day[free] = self.day + max(1, self.policy.hiring_lag_days)

    def _money(self, t: dict) -> None:
        c, jn = self.customers, self.journey
        self._programme_intensity = finance.role_programme_intensity(
            self.policy, jn.training, jn.feedback_reach, jn.tools
        )
        money = finance.day_money(
            self.org,
            self.policy,
            revenue_year=float(c.value[c.active].sum()),
            headcount=int(self.staff.active.sum()),
            overtime_hours=self._overtime_hours,
            hires=self._hires,
            paid_acquisitions=self._paid_acquisitions,
            recovery_spend=t["recovery_spend"],
            programme_units=float(
                self._programme_intensity[self.staff.role[self.staff.active]].sum()
            ),
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
