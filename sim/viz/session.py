"""One browser session's simulation, its baseline ghost, and live lever changes (no Solara here).

Each session owns its own `ServiceModel` (participants never step each other's model). Next to
it runs the baseline preset with the same organisation, size and seed: the "ghost" that shows
what would have happened without the levers the room pulled. Baselines are deterministic, so
sessions with the same seed share one baseline run per process (`baseline_track`), extended day
by day as far as any session has got.

Levers set before the first step define the start (the model is rebuilt with them); levers
moved later are interventions: they change the running model's policy from the next day and are
logged, so the plots can mark the day a lever moved.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from sim.config import ConfigError, PolicyConfig, SimConfig, validate
from sim.model import ServiceModel
from sim.viz.levers import (
    BASELINE,
    DEFAULT_ORG,
    LEVERS,
    WORKSHOP_EMPLOYEES,
    policy_range,
    preset_config,
    workshop_config,
)

HIST_EDGES = np.linspace(0.0, 10.0, 21)  # satisfaction bins of half a point
MAX_BASELINES = 16  # baseline runs kept per process (one per org, size and seed)


def satisfaction_counts(customers) -> np.ndarray:
    """Active customers per satisfaction bin (`HIST_EDGES`); 10.0 falls in the last bin."""
    sat = customers.satisfaction[customers.active]
    counts, _ = np.histogram(np.clip(sat, 0.0, 10.0), bins=HIST_EDGES)
    return counts


class BaselineTrack:
    """The baseline preset run with one org, size and seed, extended on demand (thread-safe)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.model = ServiceModel(config)
        self.hists = [satisfaction_counts(self.model.customers)]  # index = day
        self.lock = threading.Lock()

    def extend_to(self, day: int) -> None:
        with self.lock:
            while self.model.day < day:
                self.model.step()
                self.hists.append(satisfaction_counts(self.model.customers))

    def timeseries(self, day: int) -> pd.DataFrame:
        """The baseline's daily KPIs for days 1..day."""
        self.extend_to(day)
        with self.lock:
            return pd.DataFrame(self.model.history[:day])

    def histogram(self, day: int) -> np.ndarray:
        self.extend_to(day)
        return self.hists[day]


_BASELINES: OrderedDict[str, BaselineTrack] = OrderedDict()
_BASELINES_LOCK = threading.Lock()


def baseline_config(config: SimConfig, org: str = DEFAULT_ORG) -> SimConfig:
    """`config` with the baseline preset's policy: same organisation, size, behaviour and seed."""
    base = copy.deepcopy(config)
    base.policy = copy.deepcopy(preset_config(BASELINE, org).policy)
    return base


def baseline_track(config: SimConfig, org: str = DEFAULT_ORG) -> BaselineTrack:
    """The shared baseline run for this session's organisation, size and seed."""
    base = baseline_config(config, org)
    key = repr((base.org, base.behaviour, base.policy, base.seed, base.survey_interval_days))
    with _BASELINES_LOCK:
        track = _BASELINES.get(key)
        if track is None:
            track = _BASELINES[key] = BaselineTrack(base)
            while len(_BASELINES) > MAX_BASELINES:
                _BASELINES.popitem(last=False)
        _BASELINES.move_to_end(key)
        return track


@dataclass(frozen=True)
class LeverChange:
    """A lever moved during the run: it applies from day `day + 1`."""

    day: int
    name: str
    old: float
    new: float


class Session:
    """One participant's model, its baseline ghost and the levers pulled so far."""

    # The policy values `levers()` reports and a Reset before day 1 carries over (a workshop
    # team also has pay: sim/workshop).
    LEVER_NAMES: tuple[str, ...] = LEVERS

    def __init__(
        self,
        preset: str = BASELINE,
        levers: dict[str, float] | None = None,
        *,
        seed: int = 0,
        org: str = DEFAULT_ORG,
        employees: int = WORKSHOP_EMPLOYEES,
        model: ServiceModel | None = None,
    ) -> None:
        """`model`: run this model (a copy of a running unit, built with the same preset,
        seed, organisation and size) instead of building one at day 0."""
        self.org, self.employees = org, int(employees)
        self.lock = threading.RLock()
        self.reset(preset, levers, seed=seed, model=model)

    # ---- building -------------------------------------------------------------------
    def reset(
        self,
        preset: str | None = None,
        levers: dict[str, float] | None = None,
        *,
        seed=None,
        model: ServiceModel | None = None,
    ) -> None:
        """Start again at day 0 with `preset`, `levers` on top of it and `seed`. None keeps the
        current value; without a preset or levers, the sliders' current values are kept (Reset
        rebuilds the model from the controls, as in Mesa). `model`: see `__init__`."""
        with self.lock:
            if preset is None and levers is None and hasattr(self, "model"):
                levers = self.levers()
            self.preset = preset if preset is not None else self.preset
            self.seed = int(seed) if seed is not None else self.seed
            config = workshop_config(
                self.preset, levers, seed=self.seed, org=self.org, employees=self.employees
            )
            self.model = model if model is not None else ServiceModel(config)
            self.baseline = baseline_track(config, self.org)
            self.changes: list[LeverChange] = []
            self.step_seconds: list[float] = []
            self._ts: tuple[int, pd.DataFrame] | None = None

    @property
    def day(self) -> int:
        return self.model.day

    def levers(self) -> dict[str, float]:
        """The slider levers as the model runs them now."""
        return {name: float(getattr(self.model.policy, name)) for name in self.LEVER_NAMES}

    # ---- levers -----------------------------------------------------------------------
    def set_lever(self, name: str, value: float) -> None:
        """Move one lever. Before the first step it sets the start; later it is an
        intervention from the next day, logged in `changes`."""
        if name not in self.LEVER_NAMES:
            raise ConfigError(f"policy.{name}", value, f"one of {', '.join(self.LEVER_NAMES)}")
        lo, hi = policy_range(name)
        if not lo <= value <= hi:
            raise ConfigError(f"policy.{name}", value, f"a number in [{lo}, {hi}]")
        with self.lock:
            if self.day == 0:
                self.reset(levers={**self.levers(), name: value})
                return
            self._apply({name: value})

    def set_preset(self, preset: str) -> None:
        """Pick a preset: every policy value of it (sliders and the rest, e.g. development)."""
        with self.lock:
            if self.day == 0:
                self.reset(preset)
                return
            policy = preset_config(preset, self.org).policy
            self.preset = preset
            self._apply({f.name: getattr(policy, f.name) for f in fields(PolicyConfig)})

    def _apply(self, values: dict) -> None:
        policy = self.model.policy
        old = {k: getattr(policy, k) for k in values}
        for k, v in values.items():
            setattr(policy, k, type(old[k])(v))
        try:
            validate(self.model.config)
        except ConfigError:
            for k, v in old.items():
                setattr(policy, k, v)
            raise
        for k, v in values.items():
            if float(v) == float(old[k]):
                continue
            before = float(old[k])
            last = self.changes[-1] if self.changes else None
            if last is not None and (last.day, last.name) == (self.day, k):
                # a slider dragged through several values on one day: one change
                before = self.changes.pop().old
            if float(v) != before:
                self.changes.append(LeverChange(self.day, k, before, float(v)))

    # ---- running ----------------------------------------------------------------------
    def step(self, days: int = 1) -> None:
        """Advance `days` days (the ghost follows); time each model day."""
        with self.lock:
            for _ in range(int(days)):
                t0 = time.perf_counter()
                self.model.step()
                self.step_seconds.append(time.perf_counter() - t0)
                self.baseline.extend_to(self.model.day)

    def mean_step_seconds(self, last: int = 30) -> float:
        """Mean wall time of one model day over the last `last` days (NaN before the first)."""
        recent = self.step_seconds[-last:]
        return float(np.mean(recent)) if recent else float("nan")

    # ---- reading ----------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """The live model's daily KPIs (cached until the next day)."""
        with self.lock:
            n = len(self.model.history)
            if self._ts is None or self._ts[0] != n:
                self._ts = (n, pd.DataFrame(self.model.history))
            return self._ts[1]

    def baseline_timeseries(self) -> pd.DataFrame:
        """The ghost's daily KPIs for the same days as the live model."""
        return self.baseline.timeseries(self.day)

    def satisfaction_counts(self) -> np.ndarray:
        with self.lock:
            return satisfaction_counts(self.model.customers)

    def baseline_satisfaction_counts(self) -> np.ndarray:
        return self.baseline.histogram(self.day)
