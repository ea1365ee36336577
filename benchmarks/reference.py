"""The yardstick: the simulator's day written the way Mesa models usually are.

Every customer and employee is a Mesa agent with its state in Python attributes; the day runs
agent by agent (`agents_by_type[...].shuffle_do("step")`) and contact by contact, with the
stdlib random generator (`model.random`). The behavioural equations are the simulator's own
(`sim/demand.py`, `encounter.py`, `recovery.py`, `loyalty.py`, `workforce.py`), re-written per
agent and read from the same `SimConfig`; only model-level arithmetic that has no agents in it
(the Erlang A queue, the day's effort and its norm, the day's money, the headcount budget) is
imported from `sim`. When a module's equations change, change them here too:
`tests/test_reference.py` fails when the two drift apart.

Simplified bookkeeping (no behaviour depends on it): no pulse-survey rows are kept (the
headcount review they trigger is kept), social ties point at customer agents instead of table
rows (a tie to a customer who left is silent, like a tie to a free row), and random numbers
come from other draws, so the two models agree in distribution over seeds, not draw by draw
(`tests/test_reference.py` checks that).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import pandas as pd

from sim import finance, queueing, recovery, workforce
from sim.config import SimConfig, single_stage
from sim.journey import INTERNAL_SERVICE_ERROR, REFERENCE_INTERNAL_SERVICE

N_TIES = 4
DELIGHT, ANGER = 9.0, 4.0
MAX_ATTEMPTS = 3
MIRROR_DAYS = 30.0


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _driver_index(values: tuple[float, ...], b: Any) -> float:
    """The simulator's driver index (workforce.driver_index), one person at a time."""
    k, rho = b.driver_curvature, b.driver_complementarity
    xs = [_clip(v, 0.0, 1.0) for v in values]
    g = [(1.0 - math.exp(-k * x)) / (1.0 - math.exp(-k)) for x in xs] if k > 0 else xs
    return (sum(x**rho for x in g) / len(g)) ** (1.0 / rho)


def _poisson(rnd, lam: float) -> int:
    """Poisson draw by Knuth's product of uniforms (the stdlib has no Poisson)."""
    if lam <= 0.0:
        return 0
    if lam > 30.0:  # normal approximation for large means (only model-level draws get here)
        return max(0, int(round(rnd.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


def _answer(state: float, bias: float) -> int:
    return int(_clip(round(state + bias), 0, 10))


def _nps(answers: list[int]) -> float:
    if not answers:
        return float("nan")
    n = len(answers)
    return 100.0 * (sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)) / n


class RefCustomer(mesa.Agent):
    """A customer: traits drawn as in `loyalty.fill_customers`, state in attributes."""

    def __init__(self, model: ReferenceModel, *, start: bool) -> None:
        super().__init__(model)
        r, org, b = model.random, model.org, model.behaviour
        self.baseline = _clip(r.gauss(7.5, 1.0), 0.0, 10.0)
        # Starting customers stand where past service left them (loyalty.fill_customers).
        gap = getattr(b, "start_satisfaction_gap", 0.0) if start else 0.0
        self.satisfaction = _clip(self.baseline - gap, 0.0, 10.0)
        self.expectation = r.gauss(model.org.market_expectation, 0.5)
        self.tenure = r.expovariate(1.0 / (4 * 365.0)) if start else 0.0
        self.value = org.revenue_per_customer_year * r.lognormvariate(-0.125, 0.5)
        self.need_rate = r.gammavariate(2.0, org.contacts_per_customer_year / 2.0)
        self.patience = org.patience_seconds * r.lognormvariate(-0.125, 0.5)
        cs = b.complaint_share
        self.complain = r.betavariate(max(4 * cs, 1e-3), max(4 * (1 - cs), 1e-3))
        self.recommend_bias = r.gauss(0.5, 1.0)
        self.failures = 0.0
        self.failures_ever = 0
        self.retry_day = -1
        self.retry_complex = False
        self.attempts = 0
        self.recovery_day = -1
        self.recovery_value = 0.0
        self.recovery_spend_due = 0.0
        self.ties: list[RefCustomer] = []
        self.alive = True

    # -- demand ---------------------------------------------------------------------------
    def call(self) -> None:
        """A new need (Bernoulli thinning of the yearly rate) or an open one coming back."""
        m = self.model
        new = m.random.random() < self.need_rate * m.demand_factor / 365.0
        repeat = self.retry_day == m.day
        if not (new or repeat):
            return
        if repeat:
            self.retry_day = -1
            m.contacts.append((self, self.retry_complex, True, self.attempts))
        else:
            m.contacts.append((self, m.random.random() < m.complex_share, False, 0))

    def schedule_retry(self, is_complex: bool, attempts: int) -> bool:
        """An unresolved need comes back in 1-3 days, until the customer gives up."""
        m, b = self.model, self.model.behaviour
        attempts += 1
        giving_up = attempts >= MAX_ATTEMPTS
        back = m.random.random() < b.retry_share and not giving_up
        if back:
            self.retry_day = m.day + m.random.randint(1, 3)
            self.retry_complex = is_complex
            self.attempts = attempts
        else:
            self.attempts = 0
        if giving_up:
            self.satisfaction -= 1.0
        return back

    def abandon(self, is_complex: bool, attempts: int) -> bool:
        b = self.model.behaviour
        self.satisfaction -= b.wait_penalty_per_minute * self.patience / 60.0
        return self.schedule_retry(is_complex, attempts)

    # -- failure and recovery ---------------------------------------------------------------
    def fail(self, positivity: float) -> tuple[bool, bool, float]:
        """A service failure; returns (heard, repaired now, spend now)."""
        m, b, pol = self.model, self.model.behaviour, self.model.policy
        r = m.random
        first = self.failures_ever == 0
        self.satisfaction -= b.failure_drop
        self.failures += 1.0
        self.failures_ever += 1
        heard = r.random() < self.complain
        need = b.recovery_need_mean * r.lognormvariate(-0.5, 1.0)
        spend = min(need, pol.recovery_budget)
        adequacy = spend / need if need > 0 else 1.0
        on_spot = r.random() < pol.recovery_authority
        delay = 0.0 if on_spot else pol.approval_days
        quality = (
            (b.apology_floor + (1 - b.apology_floor) * adequacy)
            * 0.5 ** (delay / b.delay_halflife_days)
            * (0.7 + 0.3 * positivity)
        )
        restore = quality * (b.failure_drop + b.paradox_bonus * first)
        if heard and on_spot:
            self.satisfaction += restore
            return True, True, spend
        if heard:
            self.recovery_day = m.day + max(1, int(round(pol.approval_days)))
            self.recovery_value = restore
            self.recovery_spend_due = spend
        return heard, False, 0.0

    def receive_recovery(self) -> None:
        """An approved recovery arrives on its day."""
        m = self.model
        if self.recovery_day == m.day:
            self.satisfaction += self.recovery_value
            m.today_recovery_spend += self.recovery_spend_due
            m.today_recoveries_late += 1
            self.recovery_day, self.recovery_value, self.recovery_spend_due = -1, 0.0, 0.0

    # -- word of mouth ------------------------------------------------------------------------
    def talk(self, sign: float) -> None:
        """Tell a Poisson number of people: ties (who shift a little) or prospects."""
        m, b = self.model, self.model.behaviour
        reach = b.wom_positive_reach * (1.0 if sign > 0 else b.wom_negative_ratio)
        for _ in range(_poisson(m.random, reach)):
            if sign > 0:
                m.wom_positive += 1
            else:
                m.wom_negative += 1
            if m.random.random() < b.wom_to_customers:
                listener = self.ties[m.random.randrange(len(self.ties))] if self.ties else None
                if listener is not None and listener.alive:
                    listener.satisfaction += sign * b.wom_effect
            elif sign > 0:
                if m.random.random() < b.referral_conversion:
                    m.referrals += 1
            else:
                m.deterred += b.deterrence

    # -- end of day -----------------------------------------------------------------------
    def step(self) -> None:
        """Memory fades toward the baseline, failures are forgotten, maybe defect."""
        m, b = self.model, self.model.behaviour
        self.satisfaction += (self.baseline - self.satisfaction) / b.satisfaction_memory_days
        self.satisfaction = _clip(self.satisfaction, 0.0, 10.0)
        self.failures *= m.failure_decay
        self.tenure += 1.0
        hazard = (
            b.churn_rate_annual
            / 365.0
            * math.exp(b.churn_satisfaction_slope * (7.0 - self.satisfaction))
            * (1.0 + b.failure_memory_effect * self.failures)
        )
        if m.random.random() < hazard:
            m.leaving.append(self)


class RefEmployee(mesa.Agent):
    """A frontline employee at one seat; traits drawn as in `workforce.fill_seats`."""

    def __init__(self, model: ReferenceModel, seat: int, *, veteran: bool) -> None:
        super().__init__(model)
        r, pol, b = model.random, model.policy, model.behaviour
        self.seat = seat
        self.team = r.randrange(model.org.teams)
        self.trait = r.gauss(0.0, b.trait_sd)
        self.manager = model.managers[self.team]
        self.disposition = r.gauss(0.0, b.disposition_sd)
        self.ability = _clip(r.gauss(1.0, b.ability_sd), 0.3, 1.7)
        self.resilience = r.gauss(0.0, b.resilience_sd)
        self.recommend_bias = r.gauss(-0.5, 1.0)
        self.mirror = 0.0
        freedom = 1.0 - pol.script_strictness
        if veteran:
            years = r.uniform(5.0, 20.0) if r.random() < 0.3 else r.expovariate(0.5)
            self.tenure = years * 365.0
            self.age = _clip(r.uniform(20.0, 35.0) + years, 18.0, 67.0)
            self.training_left = 0.0
            pace = (0.5 + 0.5 * pol.training) / b.learning_days
            start = workforce.new_hire_skill(pol, b)
            self.skill = 1.0 - (1.0 - start) * math.exp(-pace * years * 365.0)
            self.deviation = freedom * (1.0 - math.exp(-years * 365.0 / b.deviation_learning_days))
            self.engagement = _clip(7.0 + self.trait + self.manager, 0.0, 10.0)
            self.stress = _clip(0.3 + self.resilience, 0.0, 1.0)
        else:
            self.tenure = 0.0
            self.age = r.uniform(20.0, 35.0)
            self.training_left = float(pol.onboarding_days)
            self.skill = workforce.new_hire_skill(pol, b)
            self.deviation = 0.0
            self.engagement = _clip(7.5 + self.trait + self.manager, 0.0, 10.0)
            self.stress = 0.1
        self.on_duty = False
        self._reset_day()

    def _reset_day(self) -> None:
        self.served, self.mirror_sum, self.bad = 0, 0.0, 0

    def show_up(self) -> None:
        m, org, b = self.model, self.model.org, self.model.behaviour
        absent_p = _clip(org.absence_rate * (1.0 + b.stress_absence * self.stress), 0.0, 1.0)
        ready = self.training_left <= 0
        self.on_duty = ready and m.random.random() >= absent_p
        self._reset_day()

    def serve(self, customer: RefCustomer, is_complex: bool, attempts: int, wait: float) -> None:
        """One encounter, as `encounter.meet` and the customer's side of `ServiceModel`."""
        m, pol, b = self.model, self.model.policy, self.model.behaviour
        r = m.random
        strict = pol.script_strictness
        freedom = 1.0 - strict
        misjudged = freedom * (1.0 - self.deviation)
        if is_complex:
            p = self.skill * (1.0 - b.script_cap * strict) * (1.0 - b.deviation_error * misjudged)
        else:
            p = (self.skill + strict * b.script_help * (1.0 - self.skill)) * (
                1.0 - 0.5 * b.deviation_error * misjudged
            )
        p *= b.resolve_base * (1.0 - b.pressure_resolution_loss * pol.productivity_pressure)
        p *= 1.0 - b.rush_resolution_loss * (1.0 - m.effort)  # rushed: fewer fixes
        p *= _clip(1.0 + b.engagement_effort * (self.engagement - 7.0), 0.5, 1.5) * self.ability
        resolved = r.random() < p
        p_fail = b.failure_rate * (2.0 - self.skill) * (1.0 + b.burnout_effect * self.stress)
        p_fail *= 1.0 + INTERNAL_SERVICE_ERROR * (REFERENCE_INTERNAL_SERVICE - pol.internal_service)
        failure = r.random() < _clip(p_fail, 0.0, 1.0)
        positivity = _clip(
            0.5
            + b.display_slope * (self.engagement - 7.0)
            + self.disposition
            + r.gauss(0.0, b.display_noise_sd)
            - 0.5 * b.burnout_effect * (self.stress - 0.3)
            - b.busyness_effect * (m.occupancy - 0.8),
            0.0,
            1.0,
        )
        tailoring = (
            b.personal_touch * freedom * self.deviation - b.script_feel * strict
            if is_complex
            else 0.0
        )
        exp = _clip(
            4.5
            + 4.0 * resolved
            + b.positivity_effect * (2.0 * positivity - 1.0)
            + tailoring
            - b.wait_penalty_per_minute * wait / 60.0
            - b.repeat_penalty * attempts
            - customer.expectation
            + r.gauss(0.0, 0.8),
            0.0,
            10.0,
        )
        self.served += 1
        self.mirror_sum += (exp - 7.0) / 3.0
        self.bad += exp < 5.0
        m.quality_sum += exp
        if attempts == 0:
            m.first_contacts += 1
            m.resolved_first += resolved
        m.resolved += resolved
        customer.satisfaction += b.encounter_weight * (exp - customer.satisfaction)
        if resolved:
            customer.attempts = 0
        else:
            customer.schedule_retry(is_complex, attempts)
        repaired = False
        if failure:
            heard, repaired, spend = customer.fail(positivity)
            m.complaints += heard
            m.silent_failures += not heard
            m.recovered_on_the_spot += repaired
            m.today_recovery_spend += spend
        if exp >= DELIGHT:
            m.speakers_good.append(customer)
        if exp <= ANGER or (failure and not repaired):
            m.speakers_bad[customer.unique_id] = customer

    def drivers(self) -> tuple[float, float, float, float]:
        m = self.model
        return (m.want, (self.skill + m.mo + self.deviation) / 3.0, m.can, m.feel)

    def step(self) -> None:
        """Learning, the mirror, stress and work happiness (`workforce.update_people`); quit?"""
        m, pol, b = self.model, self.model.policy, self.model.behaviour
        want, know, can, feel = self.drivers()
        m.driver_sums[0] += want
        m.driver_sums[1] += know
        m.driver_sums[2] += can
        m.driver_sums[3] += feel
        freedom = 1.0 - pol.script_strictness
        if self.training_left <= 0:
            self.skill += (1.0 - self.skill) * (0.5 + 0.5 * pol.training) / b.learning_days
            dev_pace = (0.5 + 0.5 * pol.training) / b.deviation_learning_days
            self.deviation += (freedom - self.deviation) * dev_pace
        bad_share = 0.0
        if self.served:
            self.mirror += (self.mirror_sum / self.served - self.mirror) / MIRROR_DAYS
            bad_share = self.bad / self.served
        demands = m.workload + 0.5 * pol.productivity_pressure + 2.0 * m.overtime_share + bad_share
        resources = self.skill + can + feel
        target_stress = _clip(
            b.stress_gain * (demands - resources) + b.stress_offset + self.resilience, 0.0, 1.0
        )
        self.stress += (target_stress - self.stress) / b.stress_adjust_days
        years = self.tenure / 365.0
        plateau = b.plateau_penalty * (1.0 - pol.development) * _clip((years - 5.0) / 5.0, 0, 1)
        target = (
            b.engagement_base
            + b.driver_weight * _driver_index((want, know, can, feel), b)
            - b.stress_weight * self.stress
            + b.mirror_weight * self.mirror
            - plateau
            + self.trait
            + self.manager
            + m.org.manager_skill
        )
        self.engagement += (target - self.engagement) / b.engagement_adjust_days
        self.engagement = _clip(self.engagement, 0.0, 10.0)
        self.tenure += 1.0
        self.age += 1.0 / 365.0
        self.training_left = max(self.training_left - 1.0, 0.0)
        log_h = b.quit_engagement_slope * (7.0 - self.engagement) + b.quit_stress_slope * (
            self.stress - 0.3
        )
        factor = b.newcomer_quit_factor if self.tenure < 182.0 else 1.0
        if self.tenure > 5 * 365.0:
            factor = b.veteran_quit_factor
        hazard = _clip(
            m.org.labour_market_quit_factor * b.quit_rate_annual / 365.0 * math.exp(log_h) * factor,
            0.0,
            1.0,
        )
        if m.random.random() < hazard:
            m.quitting.append(self)


class ReferenceModel(mesa.Model):
    """The same day as `sim.model.ServiceModel`, agent by agent and contact by contact."""

    def __init__(self, config: SimConfig | None = None, *, rng: int | None = None) -> None:
        config = config if config is not None else SimConfig()
        super().__init__(rng=config.seed if rng is None else rng)
        self.config = config
        self.org, self.policy, self.behaviour = config.org, config.policy, config.behaviour
        b, pol = self.behaviour, self.policy
        self.day = 0
        self.effort = 1.0  # share of the standard handle time given today (sim/standards.py)
        self.effort_norm = 1.0
        self.demand_factor = 1.0
        # The single-stage journey (sim/config.py `single_stage`): one stage, one front role.
        journey = config.journey if config.journey.stages else single_stage()
        self.complex_share = next(iter(journey.stages.values())).complex_share
        self.failure_decay = math.exp(-1.0 / b.failure_memory_days)
        self.mo = workforce.market_orientation(pol)
        self.want = ((1.0 - pol.script_strictness) + self.mo) / 2.0
        self.feel = (pol.leadership_consistency + _clip(pol.pay_level - 0.5, 0.0, 1.0)) / 2.0
        # Each team's manager: an offset of work happiness (workforce.team_managers).
        self.managers = [self.random.gauss(0.0, b.manager_sd) for _ in range(self.org.teams)]
        self.seats = workforce.headcount_budget(self.org.employees, pol.staffing_level, 1, 1)
        self.seat_agent: list[RefEmployee | None] = [
            RefEmployee(self, s, veteran=True) for s in range(self.seats)
        ]
        self.refill_day = [-1] * self.seats
        self.start_customers = self.org.customers
        first = [RefCustomer(self, start=True) for _ in range(self.start_customers)]
        for c in first:
            c.ties = [first[self.random.randrange(len(first))] for _ in range(N_TIES)]
        self.history: list[dict[str, float]] = []

    # ---- the day --------------------------------------------------------------------------
    def step(self) -> None:
        t: dict[str, Any] = {"day": self.day + 1}
        customers = self.agents_by_type[RefCustomer]
        employees = self.agents_by_type[RefEmployee]
        self._reset_counters()
        customers.shuffle_do("call")
        employees.shuffle_do("show_up")
        answered = self._queue(employees, t)
        for employee, customer, is_complex, attempts, wait in answered:
            employee.serve(customer, is_complex, attempts, wait)
        customers.do("receive_recovery")
        self._word_of_mouth_and_churn(customers, t)
        self._workforce(employees, t)
        self._money_and_measure(t)
        self.day += 1
        if self.day % self.config.survey_interval_days == 0:
            self._review_headcount()
        self.history.append(t)

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)

    def _reset_counters(self) -> None:
        self.contacts: list[tuple[RefCustomer, bool, bool, int]] = []
        self.speakers_good: list[RefCustomer] = []
        self.speakers_bad: dict[int, RefCustomer] = {}
        self.leaving: list[RefCustomer] = []
        self.quitting: list[RefEmployee] = []
        self.quality_sum = 0.0
        self.first_contacts = self.resolved_first = self.resolved = 0
        self.complaints = self.silent_failures = self.recovered_on_the_spot = 0
        self.today_recovery_spend = 0.0
        self.today_recoveries_late = 0
        self.wom_positive = self.wom_negative = self.referrals = 0
        self.deterred = 0.0
        self.driver_sums = [0.0, 0.0, 0.0, 0.0]

    def _queue(self, employees, t: dict) -> list[tuple]:
        org, pol, b, r = self.org, self.policy, self.behaviour, self.random
        on_duty = [e for e in employees if e.on_duty]
        contacts = self.contacts
        n = len(contacts)
        complex_share = sum(c[1] for c in contacts) / n if n else self.complex_share
        patience = sum(c[0].patience for c in contacts) / n if n else org.patience_seconds
        # The day's queue arithmetic is the array model's own (sim/queueing.py `day_queue`).
        day = queueing.day_queue(
            contacts=n,
            complex_share=complex_share,
            mean_speed=sum(e.skill for e in on_duty) / len(on_duty) if on_duty else 1.0,
            rostered=float(len(on_duty)),
            patience=patience,
            effort_norm=self.effort_norm,
            org=org,
            policy=pol,
            b=b,
        )
        self.effort, self.effort_norm, q = day.effort, day.effort_norm, day.stats
        handle, extra, servers = day.handle_seconds, day.overtime_servers, day.servers
        mean_imp = sum(1.0 / c[0].patience for c in contacts) / n if n else 1.0
        weights = [e.skill for e in on_duty]
        answered, abandoned, retries = [], 0, 0
        for customer, is_complex, _repeat, attempts in contacts:
            p_ab = _clip(q.abandon_rate / customer.patience / max(mean_imp, 1e-12), 0.0, 1.0)
            if not on_duty or r.random() < p_ab:
                abandoned += 1
                retries += customer.abandon(is_complex, attempts)
                continue
            employee = r.choices(on_duty, weights)[0]  # routed in proportion to speed
            wait = r.expovariate(1.0 / max(q.mean_wait, 1e-9))
            answered.append((employee, customer, is_complex, attempts, wait))
        self.occupancy = q.occupancy
        self.overtime_hours = extra * org.open_hours
        self.overtime_share = extra / servers if servers > 0 else 0.0
        t.update(
            contacts=n,
            repeat_contacts=sum(c[2] for c in contacts),
            abandoned=abandoned,
            answered=len(answered),
            retries_after_abandon=retries,
            service_level=q.service_level if n else 1.0,
            abandon_rate=abandoned / n if n else 0.0,
            mean_wait_seconds=q.mean_wait,
            occupancy=q.occupancy,
            handle_seconds=handle,
            effort=self.effort,
            effort_norm=self.effort_norm,
            on_duty=len(on_duty),
            overtime_hours=self.overtime_hours,
        )
        return answered

    def _word_of_mouth_and_churn(self, customers, t: dict) -> None:
        n_answered = t["answered"]
        t.update(
            first_contacts=self.first_contacts,
            resolved_first=self.resolved_first,
            first_contact_resolution=(
                self.resolved_first / self.first_contacts if self.first_contacts else math.nan
            ),
            resolved=self.resolved,
            encounter_quality=self.quality_sum / n_answered if n_answered else math.nan,
            failures=self.complaints + self.silent_failures,
            complaints=self.complaints,
            silent_failures=self.silent_failures,
            recovered_on_the_spot=self.recovered_on_the_spot,
            recoveries_delivered_late=self.today_recoveries_late,
            recovery_spend=self.today_recovery_spend,
        )
        for c in self.speakers_good:
            c.talk(+1.0)
        for c in self.speakers_bad.values():
            c.talk(-1.0)
        customers.shuffle_do("step")
        for c in self.leaving:
            c.alive = False
            c.remove()
        expected = self.org.acquisition_rate * self.start_customers / 365.0 - self.deterred
        paid = _poisson(self.random, max(expected, 0.0))
        new = paid + self.referrals
        if new:
            pool = list(self.agents_by_type[RefCustomer])  # one list per day (STACK-NOTES)
            for _ in range(new):
                c = RefCustomer(self, start=False)
                c.ties = [pool[self.random.randrange(len(pool))] for _ in range(N_TIES)]
        self.paid = paid
        t.update(
            churned=len(self.leaving),
            acquired=new,
            referrals=self.referrals,
            wom_positive=self.wom_positive,
            wom_negative=self.wom_negative,
        )

    def _workforce(self, employees, t: dict) -> None:
        pol, b = self.policy, self.behaviour
        self.workload = min(self.occupancy + self.overtime_share, 1.5)
        load = min(self.occupancy, 1.0)  # as the simulator: the drivers see occupancy
        self.can = (recovery.empowerment(pol, b) + pol.internal_service + (1.0 - load)) / 3.0
        n_emp = len(employees)  # the drivers are summed over everyone at work today
        employees.shuffle_do("step")
        for e in self.quitting:
            self.seat_agent[e.seat] = None
            self.refill_day[e.seat] = self.day + max(1, pol.hiring_lag_days)
            e.remove()
        occupied = sum(a is not None for a in self.seat_agent)
        due = [s for s, d in enumerate(self.refill_day) if d == self.day and not self.seat_agent[s]]
        room = max(self.seats - occupied, 0)
        for s in due[room:]:
            self.refill_day[s] = -1
        for s in due[:room]:
            self.seat_agent[s] = RefEmployee(self, s, veteran=False)
            self.refill_day[s] = -1
        self.hires = len(due[:room])
        # The simulator averages the drivers over those still active after the quits and hires;
        # with a handful of quits a day the difference is below the noise.
        means = [s / n_emp if n_emp else math.nan for s in self.driver_sums]
        t.update(
            quits=len(self.quitting),
            hires=self.hires,
            want=means[0],
            know=means[1],
            can=means[2],
            feel=means[3],
        )

    def _money_and_measure(self, t: dict) -> None:
        customers = self.agents_by_type[RefCustomer]
        employees = self.agents_by_type[RefEmployee]
        money = finance.day_money(
            self.org,
            self.policy,
            revenue_year=sum(c.value for c in customers),
            headcount=len(employees),
            overtime_hours=self.overtime_hours,
            hires=self.hires,
            paid_acquisitions=self.paid,
            recovery_spend=t["recovery_spend"],
        )
        t.update(money.as_dict())
        n_e, n_c = len(employees), len(customers)
        t.update(
            headcount=n_e,
            vacancies=max(self.seats - n_e, 0),
            in_training=sum(e.training_left > 0 for e in employees),
            customers=n_c,
            work_happiness_mean=sum(e.engagement for e in employees) / n_e if n_e else math.nan,
            stress_mean=sum(e.stress for e in employees) / n_e if n_e else math.nan,
            skill_mean=sum(e.skill for e in employees) / n_e if n_e else math.nan,
            enps=_nps([_answer(e.engagement, e.recommend_bias) for e in employees]),
            nps=_nps([_answer(c.satisfaction, c.recommend_bias) for c in customers]),
            csat_mean=sum(c.satisfaction for c in customers) / n_c if n_c else math.nan,
        )

    def _review_headcount(self) -> None:
        """As `ServiceModel._review_headcount`: the budget follows the customer base."""
        self.seats = workforce.headcount_budget(
            self.org.employees,
            self.policy.staffing_level * self.effort_norm,
            len(self.agents_by_type[RefCustomer]),
            self.start_customers,
        )
        occupied = sum(a is not None for a in self.seat_agent)
        planned = occupied + sum(d >= self.day for d in self.refill_day)
        if self.seats > planned:
            new = self.seats - planned
            free = [
                s for s, d in enumerate(self.refill_day) if self.seat_agent[s] is None and d < 0
            ][:new]
            while len(free) < new:
                self.seat_agent.append(None)
                self.refill_day.append(-1)
                free.append(len(self.seat_agent) - 1)
            for s in free:
                self.refill_day[s] = self.day + max(1, self.policy.hiring_lag_days)


def run_summary(which: str, config: SimConfig) -> dict[str, float]:
    """Run the simulator (`which="sim"`) or this reference for `config.days` days and return
    `sim.outputs.summarise` of its daily table (a top-level function, so pools can call it)."""
    from sim.model import ServiceModel
    from sim.outputs import summarise

    model = (ServiceModel if which == "sim" else ReferenceModel)(config)
    for _ in range(config.days):
        model.step()
    return summarise(model.timeseries())
