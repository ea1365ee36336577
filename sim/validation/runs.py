"""One validation run: a scenario at a size and seed, with scheduled events and probes.

A `RunSpec` says what to simulate; `execute` builds the model, sets an initial state if asked,
applies the scheduled events (a demand surge, a temporary policy push) before the day they
start, and lets probes watch the run. Probes wrap the model's own step methods on the instance
(`model._queue`, `model._encounters`, `model._customers`) to see what each day's contacts,
encounters and failures were; they never change what the model does. Nothing here edits the
model: the hooks are the ones the model exposes (`demand_factor`, `policy`, the population
arrays).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig, validate
from sim.loyalty import ANGER, DELIGHT

PROBES = ("queue", "encounters", "agents", "recovery", "hires", "wom", "loyalty", "nps")


@dataclass(frozen=True)
class Size:
    """How big and how many: the org size of the scenario runs, the unit size of the sweeps and
    dynamic experiments, horizons and replications."""

    name: str
    employees: int  # envelope and scenario runs (the calibrated default org)
    customers: int
    days: int
    seeds: int  # replications of the scenario runs
    unit_employees: int  # sweeps and dynamic experiments
    unit_customers: int
    unit_days: int
    unit_seeds: int
    sweep_days: int  # market orientation and staffing sweeps
    units: int  # Sears design: number of units
    unit_period: int  # Sears design: days per period (two periods per unit)
    levels: tuple[float, ...]  # market orientation levels of the sweep
    staffing: tuple[float, ...]  # staffing levels of the Erlang check
    pushes: tuple[float, ...]  # sizes of the temporary push on a failing unit
    churn_factors: tuple[float, ...]  # retention leverage: defection rate x factor

    def with_seeds(self, n: int) -> Size:
        """The same size with `n` replications (the sweeps and unit runs scale alongside)."""
        scale = n / self.seeds
        return _replace(
            self,
            seeds=n,
            unit_seeds=max(2, round(self.unit_seeds * scale)),
            units=max(8, round(self.units * scale)),
        )


def _replace(size: Size, **kw: Any) -> Size:
    from dataclasses import replace

    return replace(size, **kw)


# `--quick` and the tests: a small org at the default load (1,000 customers per agent).
QUICK = Size(
    name="quick",
    employees=10,
    customers=10_000,
    days=730,
    seeds=2,
    unit_employees=10,
    unit_customers=10_000,
    unit_days=450,
    unit_seeds=2,
    sweep_days=365,
    units=10,
    unit_period=180,
    levels=(1.0, 4.0, 7.0),
    staffing=(0.8, 1.1),
    pushes=(1.0,),
    churn_factors=(0.5,),
)
# The full command: the calibrated default org (50 agents) for the envelope and the scenarios,
# units of 20 agents (same load per agent) for the sweeps and the dynamic experiments.
FULL = Size(
    name="full",
    employees=50,
    customers=50_000,
    days=1095,
    seeds=6,
    unit_employees=20,
    unit_customers=20_000,
    unit_days=1460,
    unit_seeds=8,
    sweep_days=730,
    units=60,
    unit_period=365,
    levels=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    staffing=(0.8, 0.9, 1.0, 1.1),
    pushes=(0.5, 1.0, 2.0),
    churn_factors=(0.75, 0.5),
)


@dataclass(frozen=True)
class RunSpec:
    """One simulation: scenario preset, size, seed, settings, initial state, events, probes.

    `settings` are (dotted key, value) pairs set on the composed config (e.g. a feedback-sharing
    level of a sweep). `events` are (day, kind, key, value): kind "demand" sets
    `model.demand_factor`, kind "policy" sets `model.policy.<key>`, before that day's step.
    `init` = "failing" starts the unit in a failing state (see `make_failing`).
    """

    scenario: str = "baseline"
    employees: int = 50
    customers: int = 50_000
    days: int = 1095
    seed: int = 0
    settings: tuple[tuple[str, float], ...] = ()
    events: tuple[tuple[int, str, str, float], ...] = ()
    init: str = ""
    probes: frozenset[str] = field(default_factory=frozenset)

    def key(self) -> RunSpec:
        """The run without its probes: runs that differ only in probes are done once."""
        return RunSpec(
            self.scenario,
            self.employees,
            self.customers,
            self.days,
            self.seed,
            self.settings,
            self.events,
            self.init,
            frozenset(),
        )


def configure(base: SimConfig, spec: RunSpec) -> SimConfig:
    """The run's config: the composed scenario with the spec's size, seed, horizon, settings."""
    config = copy.deepcopy(base)
    config.org.employees = spec.employees
    config.org.customers = spec.customers
    config.days = spec.days
    config.seed = spec.seed
    config.progress = False
    for key, value in spec.settings:
        group, name = key.split(".")
        node = getattr(config, group)
        setattr(node, name, type(getattr(node, name))(value))
    validate(config)
    return config


# ---- initial states -------------------------------------------------------------------------
FAILING = {
    "new_share": 0.6,  # share of desks held by recent hires (tenure 0-120 days)
    "engagement": 4.5,  # work happiness before the personal trait
    "stress": 0.8,
}


def make_failing(model: Any, seed: int) -> None:
    """A unit caught in the cycle of failure on day 0 (Schlesinger & Heskett 1991): most desks
    held by recent hires low on the learning curve, low work happiness, high stress. The rest
    of the parameters are the healthy unit's. A separate generator keeps the model's own random
    stream identical to the healthy twin's."""
    rng = np.random.default_rng([seed, 20_251_124])
    s, b, pol = model.staff, model.behaviour, model.policy
    n = s.size
    new = rng.random(n) < FAILING["new_share"]
    tenure = rng.uniform(0.0, 120.0, n)
    from sim.workforce import new_hire_skill

    start = new_hire_skill(pol, b)
    pace = (0.5 + 0.5 * pol.training) / b.learning_days
    on_phones = np.maximum(tenure - pol.onboarding_days, 0.0)
    s.tenure[new] = tenure[new]
    s.skill[new] = 1.0 - (1.0 - start) * np.exp(-pace * on_phones[new])
    s.training_left[new] = np.maximum(pol.onboarding_days - tenure[new], 0.0)
    s.deviation[new] = 0.0
    s.age[new] = rng.uniform(20.0, 35.0, int(new.sum()))
    s.engagement[s.active] = np.clip(FAILING["engagement"] + s.trait[s.active], 0.0, 10.0)
    s.stress[s.active] = FAILING["stress"]


# ---- probes ---------------------------------------------------------------------------------
class Probe(ABC):
    """Watches a run; `after_day` runs after each step, `result` returns what it saw."""

    def after_day(self, model: Any) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    def result(self) -> Any:
        """What the probe saw."""


def _wrap(model: Any, name: str, before: Callable | None, after: Callable) -> None:
    """Wrap `model.<name>` on the instance.

    `before(*args)` returns a state; `after(state, result, *args)` sees the outcome."""
    inner = getattr(model, name)

    def wrapped(*args: Any) -> Any:
        state = before(*args) if before else None
        res = inner(*args)
        after(state, res, *args)
        return res

    setattr(model, name, wrapped)


class QueueProbe(Probe):
    """The day's Erlang A inputs and outputs, and what the callers really got (waits drawn)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.rows: list[dict[str, float]] = []
        self.model = model
        _wrap(model, "_queue", self._before, self._after)

    def _before(self, contacts: Any, t: dict) -> float:
        c = self.model.customers
        return float(c.patience[contacts.customer].mean()) if contacts.count else np.nan

    def _after(self, patience: float, res: tuple, contacts: Any, t: dict) -> None:
        answered, waits, q = res
        org = self.model.org
        self.rows.append(
            {
                "contacts": contacts.count,
                "answered": answered.count,
                "in_time": int((waits <= org.target_wait_seconds).sum()),
                "servers": t["on_duty"] * org.productive_hours / org.open_hours
                + t["overtime_hours"] / org.open_hours,
                "arrival": contacts.count / (org.open_hours * 3600.0),
                "handle": t["handle_seconds"],
                "patience": patience,
                "sl_formula": q.service_level,
                "abandon_formula": q.abandon_rate,
                "mean_wait_formula": q.mean_wait,
            }
        )

    def result(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class EncounterProbe(Probe):
    """Per day: answered contacts, resolutions and experience split by complexity; a sample of
    single encounters (agent state, positivity, outcome) for the contagion and burnout checks;
    the day's occupancy and mean displayed positivity."""

    SAMPLE_PER_DAY = 60

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model = model
        self.daily: list[dict[str, float]] = []
        self.sample: list[pd.DataFrame] = []
        self.rng = np.random.default_rng([spec.seed, 7])
        _wrap(model, "_encounters", None, self._after)

    def _after(self, _s: None, out: Any, answered: Any, waits: Any, occ: float, t: dict) -> None:
        cx, first = answered.complex, answered.attempts == 0
        row: dict[str, float] = {"day": self.model.day, "occupancy": occ}
        for label, sel in (("std", ~cx), ("cx", cx)):
            row[f"n_{label}"] = int(sel.sum())
            row[f"resolved_{label}"] = int(out.resolved[sel].sum())
            row[f"first_{label}"] = int((sel & first).sum())
            row[f"fcr_{label}"] = int((sel & first & out.resolved).sum())
            row[f"exp_{label}"] = float(out.experience[sel].sum())
        row["positivity"] = float(out.positivity.mean()) if answered.count else np.nan
        self.daily.append(row)
        if answered.count:
            k = min(self.SAMPLE_PER_DAY, answered.count)
            pick = self.rng.choice(answered.count, k, replace=False)
            s = self.model.staff
            seat = out.employee[pick]
            self.sample.append(
                np.column_stack(
                    [
                        np.full(k, self.model.day),
                        np.full(k, occ),
                        s.engagement[seat],
                        s.stress[seat],
                        s.skill[seat],
                        out.positivity[pick],
                        out.resolved[pick],
                        out.failure[pick],
                        out.experience[pick],
                        waits[pick],
                        answered.complex[pick],
                        answered.attempts[pick],
                    ]
                )
            )

    SAMPLE_COLUMNS = (
        "day",
        "occupancy",
        "engagement",
        "stress",
        "skill",
        "positivity",
        "resolved",
        "failure",
        "experience",
        "wait",
        "complex",
        "attempts",
    )

    def result(self) -> dict[str, pd.DataFrame]:
        rows = np.concatenate(self.sample) if self.sample else np.zeros((0, 12))
        sample = pd.DataFrame(rows, columns=list(self.SAMPLE_COLUMNS))
        return {"daily": pd.DataFrame(self.daily), "sample": sample}


class AgentProbe(Probe):
    """Per employee over the last `window` days: contacts, resolutions, failures, experience
    given, and mean stress and work happiness (for burnout vs performance)."""

    WINDOW = 182

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model = model
        self.start = max(0, spec.days - self.WINDOW)
        self.acc: dict[int, np.ndarray] = {}
        _wrap(model, "_encounters", None, self._after)

    def _after(self, _s: None, out: Any, *args: Any) -> None:
        m = self.model
        if m.day < self.start:
            return
        s = m.staff
        n = s.size
        served = np.bincount(out.employee, minlength=n)
        resolved = np.bincount(out.employee, weights=out.resolved, minlength=n)
        failed = np.bincount(out.employee, weights=out.failure, minlength=n)
        exp = np.bincount(out.employee, weights=out.experience, minlength=n)
        ready = np.flatnonzero(s.active & (s.training_left <= 0))
        for seat in ready.tolist():
            a = self.acc.setdefault(int(s.agent_id[seat]), np.zeros(8))
            a += (
                served[seat],
                resolved[seat],
                failed[seat],
                exp[seat],
                s.stress[seat],
                s.engagement[seat],
                s.skill[seat],
                1.0,
            )

    def result(self) -> pd.DataFrame:
        cols = [
            "contacts",
            "resolved",
            "failures",
            "experience_sum",
            "stress_sum",
            "eng_sum",
            "skill_sum",
        ]
        rows = [dict(zip([*cols, "days"], v, strict=True), agent=k) for k, v in self.acc.items()]
        df = pd.DataFrame(rows)
        if df.empty:
            return df
        df["stress"] = df.stress_sum / df.days
        df["work_happiness"] = df.eng_sum / df.days
        df["skill"] = df.skill_sum / df.days
        with np.errstate(invalid="ignore", divide="ignore"):
            df["resolution"] = df.resolved / df.contacts
            df["experience"] = df.experience_sum / df.contacts
            df["failure_rate"] = df.failures / df.contacts
        return df


class RecoveryProbe(Probe):
    """Customers after a service failure, by failure number and by what the firm did (put right
    on the spot, after approval, never heard), with no-failure controls from the same day's
    callers: satisfaction change 7 days later, still a customer a year later."""

    FOLLOW = 365
    CHECK = 7
    WINDOW = 330
    CONTROLS_PER_DAY = 30
    GROUPS = ("control", "spot", "delayed", "silent")

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model = model
        self.end = spec.days - self.FOLLOW - 1
        self.start = max(120, self.end - self.WINDOW)
        self.chunks: dict[int, dict[str, np.ndarray]] = {}
        self.rng = np.random.default_rng([spec.seed, 11])
        _wrap(model, "_encounters", self._before, self._after)

    def _before(self, answered: Any, *args: Any) -> tuple[np.ndarray, ...] | None:
        if not (self.start <= self.model.day < self.end):
            return None
        c, rows = self.model.customers, answered.customer
        return (
            c.failures_ever[rows].copy(),
            c.satisfaction[rows].copy(),
            c.recovery_day[rows].copy(),
        )

    def _after(self, state: tuple | None, out: Any, answered: Any, *args: Any) -> None:
        if state is None:
            return
        ever, sat0, rec0 = state
        m, c, rows = self.model, self.model.customers, answered.customer
        failed = out.failure
        unrepaired = np.isin(rows, m._unrepaired)
        delayed = failed & (c.recovery_day[rows] != rec0) & (c.recovery_day[rows] > m.day)
        group = np.full(rows.size, -1)
        group[failed & ~unrepaired] = 1
        group[delayed] = 2
        group[failed & unrepaired & ~delayed] = 3
        calm = np.flatnonzero(~failed & (ever == 0))
        pick = self.rng.choice(calm, min(self.CONTROLS_PER_DAY, calm.size), replace=False)
        group[pick] = 0
        keep = group >= 0
        self.chunks[m.day] = {
            "row": rows[keep],
            "id": c.agent_id[rows[keep]].copy(),
            "group": group[keep],
            "nth": ever[keep] + failed[keep].astype(int),  # 0 for controls, 1 = first failure
            "sat0": sat0[keep],
        }

    def after_day(self, model: Any) -> None:
        c = model.customers
        for lag, name in ((self.CHECK, "sat7"), (self.FOLLOW, "kept")):
            chunk = self.chunks.get(model.day - 1 - lag)
            if chunk is None:
                continue
            same = c.active[chunk["row"]] & (c.agent_id[chunk["row"]] == chunk["id"])
            if name == "sat7":
                chunk[name] = np.where(same, c.satisfaction[chunk["row"]], np.nan)
            else:
                chunk[name] = same

    def result(self) -> pd.DataFrame:
        done = [ch for ch in self.chunks.values() if "kept" in ch]
        if not done:
            return pd.DataFrame(columns=["group", "nth", "sat0", "sat7", "kept"])
        df = pd.DataFrame(
            {k: np.concatenate([ch[k] for ch in done]) for k in ("group", "nth", "sat0", "sat7")}
        )
        df["kept"] = np.concatenate([ch["kept"] for ch in done])
        df["group"] = np.asarray(self.GROUPS)[df["group"].to_numpy()]
        return df


class HireProbe(Probe):
    """Every hire of the run: days from hire to the first contact taken, and skill (= efficiency:
    handle time is the standard time / skill) by day of tenure."""

    TRACK = 28 + 400

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model = model
        self.known = set(model.staff.agent_id[model.staff.active].tolist())
        self.hires: dict[int, dict[str, Any]] = {}

    def after_day(self, model: Any) -> None:
        s, today = model.staff, model.day - 1
        for seat in np.flatnonzero(s.active).tolist():
            aid = int(s.agent_id[seat])
            if aid not in self.known:
                self.known.add(aid)
                self.hires[aid] = {
                    "seat": seat,
                    "day": today,
                    "first_contact": -1,
                    "skill": np.full(self.TRACK, np.nan),
                }
        for aid, h in self.hires.items():
            seat = h["seat"]
            if not (s.active[seat] and s.agent_id[seat] == aid):
                continue
            tenure = today - h["day"]
            if tenure < self.TRACK:
                h["skill"][tenure] = s.skill[seat]
            if h["first_contact"] < 0 and s.contacts_today[seat] > 0:
                h["first_contact"] = today

    def result(self) -> dict[str, np.ndarray]:
        hires = list(self.hires.values())
        skill = np.array([h["skill"] for h in hires]).reshape(len(hires), self.TRACK)
        lag = np.array([h["first_contact"] - h["day"] for h in hires if h["first_contact"] >= 0])
        return {
            "skill": skill,
            "first_contact_lag": lag,
            "hire_day": np.array([h["day"] for h in hires]),
        }


class WomProbe(Probe):
    """Tellers per day: delighted customers and angry (or unrepaired) ones, and their tellings."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model = model
        self.rows: list[dict[str, int]] = []
        _wrap(model, "_customers", None, self._after)

    def _after(self, _s: None, _r: None, answered: Any, out: Any, t: dict) -> None:
        good = answered.customer[out.experience >= DELIGHT]
        bad = np.union1d(answered.customer[out.experience <= ANGER], self.model._unrepaired)
        self.rows.append(
            {
                "good_tellers": int(good.size),
                "bad_tellers": int(bad.size),
                "positive": int(t["wom_positive"]),
                "negative": int(t["wom_negative"]),
            }
        )

    def result(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class LoyaltyProbe(Probe):
    """Snapshot of every customer's satisfaction 18 months (or what the run allows) before the
    end; at the end, who is still a customer (Xerox: repurchase over 18 months)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.horizon = min(548, spec.days - 365)
        self.snap_day = spec.days - self.horizon
        self.snap: dict[str, np.ndarray] | None = None
        self.model = model

    def after_day(self, model: Any) -> None:
        if model.day == self.snap_day:
            c = model.customers
            rows = np.flatnonzero(c.active)
            self.snap = {
                "row": rows,
                "id": c.agent_id[rows].copy(),
                "sat": c.satisfaction[rows].copy(),
            }

    def result(self) -> pd.DataFrame:
        if self.snap is None:
            return pd.DataFrame(columns=["sat", "kept"])
        c, rows = self.model.customers, self.snap["row"]
        kept = c.active[rows] & (c.agent_id[rows] == self.snap["id"])
        return pd.DataFrame({"sat": self.snap["sat"], "kept": kept, "horizon": self.horizon})


class NpsProbe(Probe):
    """On the last day: every active customer's and employee's 0-10 answer, and the NPS and
    eNPS the model reported for that day (to check the reporting against the definition)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.model, self.last = model, spec.days
        self.out: dict[str, Any] = {}

    def after_day(self, model: Any) -> None:
        if model.day == self.last:
            c, s = model.customers, model.staff
            self.out = {
                "customer_answers": model.survey_answers_customers()[c.active],
                "employee_answers": model.survey_answers_employees()[s.active],
                "nps_reported": model.today["nps"],
                "enps_reported": model.today["enps"],
            }

    def result(self) -> dict[str, Any]:
        return self.out


PROBE_TYPES: dict[str, type[Probe]] = {
    "nps": NpsProbe,
    "queue": QueueProbe,
    "encounters": EncounterProbe,
    "agents": AgentProbe,
    "recovery": RecoveryProbe,
    "hires": HireProbe,
    "wom": WomProbe,
    "loyalty": LoyaltyProbe,
}

TS_COLUMNS = (
    "day",
    "contacts",
    "abandoned",
    "answered",
    "service_level",
    "occupancy",
    "handle_seconds",
    "effort",
    "effort_norm",
    "first_contacts",
    "resolved_first",
    "encounter_quality",
    "failures",
    "complaints",
    "recovery_spend",
    "churned",
    "acquired",
    "quits",
    "hires",
    "headcount",
    "customers",
    "work_happiness_mean",
    "stress_mean",
    "csat_mean",
    "nps",
    "enps",
    "revenue",
    "costs",
    "profit",
    "wages",
    "recruiting",
    "training",
)


def execute(spec: RunSpec, base: SimConfig) -> dict[str, Any]:
    """Simulate `spec` (on the composed scenario `base`) and return its daily KPIs, its
    employee surveys and what each probe saw."""
    from sim.model import ServiceModel

    config = configure(base, spec)
    model = ServiceModel(config)
    if spec.init == "failing":
        make_failing(model, spec.seed)
    elif spec.init == "nps_shift":
        # Every customer answers the recommend question 2 points higher; nothing else changes.
        model.customers.recommend_bias += 2.0
    elif spec.init:
        raise ValueError(f"unknown initial state {spec.init!r}")
    probes = {name: PROBE_TYPES[name](model, spec) for name in sorted(spec.probes)}
    events: dict[int, list[tuple[str, str, float]]] = {}
    for day, kind, key, value in spec.events:
        events.setdefault(day, []).append((kind, key, value))
    for day in range(config.days):
        for kind, key, value in events.get(day, ()):
            if kind == "demand":
                model.demand_factor = float(value)
            elif kind == "policy":
                setattr(model.policy, key, type(getattr(model.policy, key))(value))
            else:
                raise ValueError(f"unknown event kind {kind!r}")
        model.step()
        for probe in probes.values():
            probe.after_day(model)
    ts = model.timeseries()
    surveys = pd.DataFrame(model.survey_rows)
    if not surveys.empty:
        surveys = surveys[(surveys.population == "employees") & (surveys.split == "all")]
    out: dict[str, Any] = {
        "ts": ts[[c for c in TS_COLUMNS if c in ts]].copy(),
        "surveys": surveys.reset_index(drop=True),
        "config": config,
    }
    out.update({name: p.result() for name, p in probes.items()})
    return out
