"""One validation run: a scenario at a size and seed, with scheduled events and probes.

A `RunSpec` says what to simulate; `execute` builds the model, sets an initial state if asked,
applies the scheduled events (a demand surge, a temporary policy push) before the day they
start, and lets probes watch the run. Probes are the model's observers (sim/daily.py): they see
each stage's result as it passes along the day's chain and the whole day at its end, and never
change what the model does. Nothing here edits the model: the handles are the ones the model
exposes (`demand_factor`, `policy`, the population arrays).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig, validate
from sim.validation.probes import PROBE_TYPES

PROBES = (
    "queue",
    "encounters",
    "agents",
    "recovery",
    "hires",
    "wom",
    "loyalty",
    "nps",
    "value",
)


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
    surveys (whole-population rows of employees and customers) and what each probe saw."""
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
    model.observers.extend(probes.values())
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
    ts = model.timeseries()
    surveys = pd.DataFrame(model.survey_rows)
    if not surveys.empty:  # the whole-population rows of employees and customers
        surveys = surveys[surveys.split == "all"]
    out: dict[str, Any] = {
        "ts": ts[[c for c in TS_COLUMNS if c in ts]].copy(),
        "surveys": surveys.reset_index(drop=True),
        "config": config,
    }
    out.update({name: p.result() for name, p in probes.items()})
    return out
