"""ServiceModel: one Mesa model, one step = one day of the service-profit chain.

The day is a pipeline of stages, each a function over whole populations that takes what it
needs by name and returns a small frozen result (sim/daily.py lists what passes along):

    roles (internal service) -> demand -> queue -> encounters -> failure & recovery ->
    back-office outputs -> customers (word of mouth, churn, acquisition) ->
    workforce (learning, stress, work happiness, quits, hires) -> money

then the day is measured (one KPI row, one journey-log entry) and observers are told. What one
day hands to the next besides the population tables is one `Carry`. Every stage draws from its
own random streams (streams.py), so a lever in one stage never shifts another stage's luck, and
two scenarios with the same seed start from the same world.

Needs belong to the stages of the customer journey and employees to its roles (journey.py):
front-office roles take the contacts of their stages, back-office roles reach customers only
through what they produce, and every role's output quality is the internal service of the roles
that depend on it. The Employee and Customer agents are Mesa agents that look at one row of the
population arrays.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, replace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import (
    back_office,
    calls,
    demand,
    encounter,
    finance,
    journey,
    loyalty,
    management,
    recovery,
    survey,
    workforce,
)
from sim.agents import Customer, Employee, Manager, remove_agents, row_agents
from sim.config import PolicyConfig, SimConfig
from sim.config.hold import held_levers, held_policy, stage_policy
from sim.daily import Carry, Day, Observer, daily_row, journey_log, unrepaired
from sim.journey import Journey
from sim.population import CustomerTable, EmployeeTable
from sim.streams import Streams

START_FRONT_LOAD = 0.8  # assumption: the front office's workload before day 1


class ServiceModel(mesa.Model):
    """A service organisation: employees serve customers, day by day.

    Args:
        config: the full configuration (defaults: the baseline call centre).
        rng: seed; defaults to `config.seed`.

    Attributes a user may read: `staff` and `customers` (the population tables), `journey`,
    `policy` (levers: management and the dashboard move them), `demand_factor` (multiplies
    every need rate: a handle for demand shocks), `carry`, `history` (one KPI row per day),
    `journey_log`, `survey_rows`, `last_day` (the last `Day` of stage results),
    `observers` (append an `Observer` to watch each stage) and `held` (the policy that held
    channels read, `hold.*`; None without a hold). `policy_for(stage)` is what a stage reads.
    """

    def __init__(self, config: SimConfig | None = None, *, rng: int | None = None) -> None:
        config = config if config is not None else SimConfig()
        seed = config.seed if rng is None else rng
        super().__init__(rng=seed)
        # A copy: management and the dashboard change the policy of a running model, and the
        # caller's config must not change with it.
        self.config = config = copy.deepcopy(config)
        self.org, self.policy, self.behaviour = config.org, config.policy, config.behaviour
        self.streams = Streams(seed)
        self.day = 0
        self.demand_factor = 1.0
        self.observers: list[Observer] = []
        # Attribution (sim/config/hold.py): held channels read `held` instead of `policy`.
        self.held = held_policy(config.hold) if config.hold.channels else None
        self._held_levers = held_levers(config.hold.channels)
        self._held_pending: list[management.Decision] = []
        self.journey = jn = Journey.from_config(config.journey)
        staffing = self.policy_for("start").staffing_level
        role_seats = jn.seat_budgets(self.org.employees, staffing, 1.0)
        self.staff = self._starting_workforce(role_seats)
        self._employee_agents: list[Employee | None] = [None] * self.staff.size
        for seat in range(self.staff.size):
            self._seat_agent(seat)
        n = self.org.customers
        self.customers = CustomerTable.empty(n, loyalty.N_TIES)
        loyalty.fill_customers(
            self.streams.start("customers_start"),
            self.customers,
            np.arange(n),
            self.org,
            self.behaviour,
            start=True,
        )
        self._customer_agents: list[Customer | None] = [None] * n
        self._customer_agents_for(np.arange(n))
        # The stage mix of needs the starting customers would bring: the prior of `impact`.
        self.stage_prior = jn.need_mix(self.customers.tenure[:n])
        self.carry = Carry(
            front_load=START_FRONT_LOAD,
            role_quality=np.ones(jn.n_roles),
            effort_norm=1.0,
            stage_counts=np.zeros(jn.n_stages),
            role_seats=role_seats,
        )
        self.start = {"headcount": int(role_seats.sum()), "customers": n}
        self.totals = {"hires": 0, "quits": 0, "acquired": 0, "churned": 0}
        self.today: dict[str, float] = {}
        self.last_day: Day | None = None
        self.history: list[dict[str, float]] = []
        self.journey_log: list[dict[str, np.ndarray]] = []
        self.survey_rows: list[dict[str, Any]] = []
        self.manager = Manager(self)

    def _starting_workforce(self, role_seats: np.ndarray) -> EmployeeTable:
        """Seats by role, filled with people who have a history (tenure, skill, know-how of
        deviating from the script) under the regime before day 0, the same in every scenario."""
        jn = self.journey
        staff = EmployeeTable.empty(int(role_seats.sum()))
        staff.role[:] = np.repeat(np.arange(jn.n_roles), role_seats)
        past = np.where(jn.front, 1.0 - self.org.past_script_strictness, jn.autonomy)
        # Person k of role r is the same in every scenario with this seed, whatever the
        # staffing levers make of the role's size (keys: role x 2**32 + rank in the role).
        rank = np.arange(staff.size) - np.repeat(np.cumsum(role_seats) - role_seats, role_seats)
        workforce.fill_seats(
            self.streams,
            "staff_start",
            staff,
            np.arange(staff.size),
            (staff.role.astype(np.int64) << 32) + rank,
            self.org.teams,
            self.policy_for("start"),
            self.behaviour,
            veterans=True,
            past_freedom=past[staff.role],
            # They learned under the standard training before day 0: a scenario's training
            # acts from day 1 (as its scripts do: `org.past_script_strictness`).
            training=jn.training[staff.role],
            tenure_quantiles=self.org.start_tenure_years,
            hire_age_quantiles=self.org.hire_age_years,
        )
        return staff

    # ---- agents over rows -------------------------------------------------------------
    def _seat_agent(self, seat: int) -> None:
        agent = Employee(self, seat)
        self._employee_agents[seat] = agent
        self.staff.agent_id[seat] = agent.unique_id

    def _customer_agents_for(self, rows: np.ndarray) -> None:
        grow = self.customers.size - len(self._customer_agents)
        if grow > 0:
            self._customer_agents.extend([None] * grow)
        rows = rows.tolist()
        agents = row_agents(self, Customer, rows)
        for row, agent in zip(rows, agents, strict=True):
            self._customer_agents[row] = agent
        self.customers.agent_id[rows] = [agent.unique_id for agent in agents]

    def _sync_agents(self, customers: loyalty.CustomerDay, work: workforce.WorkforceDay) -> None:
        """Mesa agents follow the rows: leavers go, newcomers come (after the arrays did)."""
        left = customers.left.tolist()
        remove_agents(self, Customer, [self._customer_agents[row] for row in left])
        for row in left:
            self._customer_agents[row] = None
        self._customer_agents_for(customers.joined)
        for seat in work.quits.tolist():
            self._employee_agents[seat].remove()
            self._employee_agents[seat] = None
        for seat in work.hires.tolist():
            self._seat_agent(seat)

    # ---- the day ------------------------------------------------------------------------
    def step(self) -> None:
        """One day: the chain, stage by stage; then measure, tell observers, plan."""
        self.manager.act()
        self._act_held()
        self.streams.new_day(self.day)
        carry, jn, staff, custs = self.carry, self.journey, self.staff, self.customers
        b, org, day = self.behaviour, self.org, self.day
        roles = self._stage(
            "roles",
            journey.roles_today(
                journey=jn,
                staff=staff,
                work_scale=self._work_scale(),
                employees=org.employees,
                front_load=carry.front_load,
                quality_yesterday=carry.role_quality,
                policy=self.policy_for("roles"),
                b=b,
            ),
        )
        contacts = self._stage(
            "demand",
            demand.todays_contacts(
                customers=custs,
                day=day,
                journey=jn,
                demand_factor=self.demand_factor,
                streams=self.streams,
            ),
        )
        answered = self._stage(
            "queue",
            calls.answer_calls(
                contacts=contacts,
                staff=staff,
                customers=custs,
                roles=roles,
                journey=jn,
                stage_prior=self.stage_prior,
                effort_norm=carry.effort_norm,
                day=day,
                org=org,
                policy=self.policy_for("queue"),
                b=b,
                streams=self.streams,
            ),
        )
        seen = answered.answered
        served = self._stage(
            "encounters",
            encounter.serve(
                answered=seen,
                agents=answered.agents,
                waits=answered.waits,
                staff=staff,
                customers=custs,
                occupancy=answered.queue.stats.occupancy,
                effort=answered.queue.effort,
                # A stage's own risk, raised where the agent's tools and support fall short.
                failure_risk=jn.failure_risk[seen.stage]
                * journey.internal_service_factor(
                    roles.internal_service[staff.role[answered.agents]]
                ),
                impact=jn.impact(carry.stage_counts, self.stage_prior),
                n_stages=jn.n_stages,
                day=day,
                policy=self.policy_for("encounters"),
                b=b,
                streams=self.streams,
            ),
        )
        failed = served.outcomes.failure
        recovered = self._stage(
            "recovery",
            recovery.recover(
                failed_rows=seen.customer[failed],
                positivity=served.outcomes.positivity[failed],
                customers=custs,
                day=day,
                policy=self.policy_for("recovery"),
                b=b,
                streams=self.streams,
            ),
        )
        outputs = self._stage(
            "back_office",
            back_office.deliver(
                journey=jn,
                roles=roles,
                customers=custs,
                day=day,
                policy=self.policy_for("back_office"),
                b=b,
                streams=self.streams,
            ),
        )
        experience = served.outcomes.experience
        customers = self._stage(
            "customers",
            loyalty.customers_day(
                customers=custs,
                delighted=seen.customer[experience >= loyalty.DELIGHT],
                upset=np.union1d(
                    seen.customer[experience <= loyalty.ANGER], unrepaired(recovered, outputs)
                ),
                start_customers=self.start["customers"],
                org=org,
                b=b,
                streams=self.streams,
            ),
        )
        work = self._stage(
            "workforce",
            workforce.workforce_day(
                staff=staff,
                agents=answered.agents,
                experience=experience,
                occupancy=answered.queue.stats.occupancy,
                overtime_share=answered.queue.overtime_share,
                role_load=roles.load,
                role_internal_service=roles.internal_service,
                front=jn.front,
                feedback_reach=jn.feedback_reach,
                freedom=self._role_freedom(),
                training=self._role_training(),
                role_seats=carry.role_seats,
                teams=org.teams,
                day=day,
                policy=self.policy_for("workforce"),
                b=b,
                streams=self.streams,
                hire_age_years=org.hire_age_years,
                manager_skill=org.manager_skill,
                labour_market=org.labour_market_quit_factor,
            ),
        )
        money = self._stage(
            "money",
            finance.money_today(
                customers=custs,
                staff=staff,
                journey=jn,
                overtime_hours=answered.overtime_hours,
                hires=int(work.hires.size),
                paid_acquisitions=customers.paid_acquisitions,
                recovery_spend=recovered.spend + outputs.failures.spend_now,
                org=org,
                policy=self.policy_for("money"),
            ),
        )
        self._sync_agents(customers, work)
        self.day += 1
        today = Day(
            self.day, roles, contacts, answered, served, recovered, outputs, customers, work, money
        )
        self._measure(today)
        self.carry = replace(
            carry,
            front_load=work.front_load,
            role_quality=roles.quality,
            effort_norm=answered.queue.effort_norm,
            stage_counts=carry.stage_counts + served.stage_contacts,
        )
        if self.day % self.config.survey_interval_days == 0:
            self._survey_and_plan()
        if self.day % self.config.management.review_days == 0:
            self.manager.review()
            self._review_held()

    def _stage(self, name: str, result: Any) -> Any:
        """A stage's result, shown to the observers as it passes along the chain."""
        for observer in self.observers:
            observer.stage(self, name, result)
        return result

    def _measure(self, today: Day) -> None:
        """The day's KPI row and journey-log entry; then the observers see the whole day."""
        row = daily_row(
            today,
            staff=self.staff,
            customers=self.customers,
            seats=int(self.carry.role_seats.sum()),
        )
        row.update({f"lever_{k}": float(v) for k, v in asdict(self.policy).items()})
        self.totals["churned"] += int(today.customers.left.size)
        self.totals["acquired"] += int(today.customers.joined.size)
        self.totals["quits"] += int(today.workforce.quits.size)
        self.totals["hires"] += int(today.workforce.hires.size)
        self.today = row
        self.last_day = today
        self.history.append(row)
        self.journey_log.append(journey_log(today, journey=self.journey, staff=self.staff))
        for observer in self.observers:
            observer.day(self, today)

    def _survey_and_plan(self) -> None:
        """The pulse survey, then workforce planning (budgets follow the customer base)."""
        self.survey_rows += survey.run_survey(
            self.streams.today("survey"),
            self.day,
            self.staff,
            self.customers,
            self.org.teams,
            self.journey.roles,
            response_rate=self.org.survey_response_rate,
            customer_rate=self.org.customer_survey_rate,
        )
        seats = workforce.review_headcount(
            staff=self.staff,
            journey=self.journey,
            work_scale=self._work_scale(),
            employees=self.org.employees,
            effort_norm=self.carry.effort_norm,
            day=self.day,
            policy=self.policy_for("planning"),
        )
        grow = self.staff.size - len(self._employee_agents)
        if grow > 0:
            self._employee_agents.extend([None] * grow)
        self.carry = replace(self.carry, role_seats=seats)

    def _work_scale(self) -> float:
        """The customer base against the start: the work grows and shrinks with it."""
        return int(np.count_nonzero(self.customers.active)) / max(self.start["customers"], 1)

    def _role_training(self) -> np.ndarray:
        """(R,) training intensity per role: the org's x the role's own."""
        return self.policy_for("workforce").training * self.journey.training

    def _role_freedom(self) -> np.ndarray:
        """(R,) freedom in the work: front roles follow the script, back roles their autonomy."""
        strictness = self.policy_for("workforce").script_strictness
        return np.where(self.journey.front, 1.0 - strictness, self.journey.autonomy)

    # ---- attribution: channels held at another policy (sim/config/hold.py) --------------
    def policy_for(self, stage: str) -> PolicyConfig:
        """The policy stage `stage` (one of hold.STAGES) reads: the run's own, except the
        levers of held channels, which come from `held`. Without a hold, `policy` itself."""
        if self.held is None:
            return self.policy
        return stage_policy(self.policy, self.held, self._held_levers[stage])

    def _review_held(self) -> None:
        """Management moves the held policy by its rule too, on this run's books, as it moves
        the run's own (Manager.review): with every channel held, the run is then the baseline's
        run number for number, management and all."""
        cfg = self.config.management
        reading = management.reading_from(self.history, cfg.review_days)
        if self.held is None or reading is None:
            return
        _, changes = management.decide(reading, self.held, self.org, cfg)
        if changes:
            self._held_pending.append(
                management.Decision(self.day, self.day + cfg.lag_days, "held", changes)
            )

    def _act_held(self) -> None:
        """Put the held policy's decisions into force when their lag is over (Manager.act)."""
        due = [d for d in self._held_pending if d.effective_day <= self.day]
        for decision in due:
            for lever, value in decision.changes.items():
                setattr(self.held, lever, value)
            self._held_pending.remove(decision)

    @property
    def seats(self) -> int:
        """Seats budgeted across all roles."""
        return int(self.carry.role_seats.sum())

    def timeseries(self) -> pd.DataFrame:
        """One row per simulated day, one column per KPI."""
        return pd.DataFrame(self.history)

    # ---- handles for events from outside (the workshop, experiments) --------------------
    def raise_expectations(self, points: float) -> None:
        """A rival raises the bar: every active customer expects `points` more (0-10 scale),
        and so does every customer who joins from now on (`org.market_expectation`)."""
        active = self.customers.active
        self.customers.expectation[active] += points
        self.org.market_expectation += points

    # ---- what a survey would read now ---------------------------------------------------
    def survey_answers_employees(self) -> np.ndarray:
        return survey.employee_answers(self.staff)

    def survey_answers_customers(self) -> np.ndarray:
        return survey.customer_answers(self.customers)
