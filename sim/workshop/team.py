"""One team's unit in a workshop room: the dashboard's session with pay as a lever, the team's
secret, its decisions, predictions and outcomes, and parking (the model to disk) when the team
has left.

Parking is how a room gives memory back: a unit's model is most of its memory (about 7 MB of
customer arrays and the agents' objects, more while a prepared copy of its next round waits),
while the debrief needs only the daily timeseries, the decisions and the predictions. A parked
team keeps those; its model waits in a file of the room's own scratch folder and comes back,
exactly as it was, when the team returns (then it catches up the rounds it missed, without
decisions, as a late team does).
"""

from __future__ import annotations

import hmac
import os
import pickle
import secrets
import time
from pathlib import Path

import pandas as pd

from sim.finance import day_money
from sim.outputs import summarise
from sim.viz.data import MIN_RATE_DAYS, WINDOW
from sim.viz.session import LeverChange, Session
from sim.workshop.play import Played, events_on
from sim.workshop.storyline import WORKSHOP_LEVERS, Storyline


class Team(Session):
    """One team's unit: the dashboard's session with pay as a lever, its predictions and the
    outcomes they are compared with (by round). `like`: start as an exact copy of that unit
    (the room's reference: a late team has had the same events and no decisions)."""

    LEVER_NAMES = WORKSHOP_LEVERS

    def __init__(
        self, name: str, storyline: Storyline, employees: int, *, like: Team | None = None
    ) -> None:
        self.name = name
        # The team's secret: a second browser that types the same name must also show it.
        self.token = secrets.token_urlsafe(12)
        self.predictions: dict[int, dict[str, float]] = {}
        self.outcomes: dict[int, dict[str, float]] = {}
        # Every decision, from day 0 on (the session's `changes` start only after day 0, when a
        # lever becomes an intervention): the debrief marks these.
        self.decisions: list[LeverChange] = []
        self.parked: Path | None = None  # the model's file while the team is away
        self._kept: pd.DataFrame | None = None  # the timeseries while parked
        self._kept_day = 0
        model = None
        if like is not None:
            with like.lock:
                # A copy through pickle, as a worker's (play.py; a test checks it is exact).
                model = pickle.loads(pickle.dumps(like.model, protocol=pickle.HIGHEST_PROTOCOL))
        super().__init__(
            storyline.preset,
            seed=storyline.seed,
            org=storyline.org,
            employees=employees,
            model=model,
        )

    def token_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(str(token).encode(), self.token.encode())

    # ---- while parked, the day and the timeseries come from what was kept ------------------
    @property
    def day(self) -> int:
        return self._kept_day if self.parked is not None else self.model.day

    def timeseries(self) -> pd.DataFrame:
        with self.lock:
            if self.parked is not None:
                return self._kept
            return super().timeseries()

    def park(self, folder: Path) -> None:
        """Write the model to `folder` and let it go (the team has left)."""
        with self.lock:
            if self.parked is not None:
                return
            self._kept, self._kept_day = super().timeseries(), self.model.day
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"unit-{secrets.token_hex(8)}.pkl"
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump(self.model, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            self.parked, self.model, self._ts = path, None, None

    def extend_parked(self, rows: list[dict[str, float]], seconds: list[float]) -> None:
        """Rounds played on the parked model's file (away.py): their days join what is kept."""
        with self.lock:
            if self.parked is None or not rows:
                return
            self._kept = pd.concat([self._kept, pd.DataFrame(rows)], ignore_index=True)
            self._kept_day += len(rows)
            self.step_seconds += seconds

    def unpark(self) -> None:
        """Take the model back from its file (the team has returned)."""
        with self.lock:
            if self.parked is None:
                return
            with self.parked.open("rb") as f:
                self.model = pickle.load(f)
            self.parked.unlink(missing_ok=True)
            self.parked, self._kept = None, None

    # ---- decisions and days ------------------------------------------------------------
    def decide(self, name: str, value: float) -> None:
        """Move a lever and log it; several moves of one lever on one day are one decision."""
        with self.lock:
            old = self.levers()[name]
            self.set_lever(name, value)
            last = self.decisions[-1] if self.decisions else None
            if last is not None and (last.day, last.name) == (self.day, name):
                old = self.decisions.pop().old
            if float(value) != old:
                self.decisions.append(LeverChange(self.day, name, old, float(value)))

    def step(self, days: int = 1) -> None:
        """Advance `days` days. Unlike the dashboard, no ghost: the room's reference unit is the
        comparison (it has had the same events)."""
        with self.lock:
            for _ in range(int(days)):
                t0 = time.perf_counter()
                self.model.step()
                self.step_seconds.append(time.perf_counter() - t0)

    def apply_events(self, events: tuple[str, ...]) -> None:
        """The events of a round, on this unit, before its first day."""
        events_on(self.model, events)

    def take(self, played: Played) -> None:
        """Take over a round played on a copy of this unit's model."""
        with self.lock:
            self.model = played.model
            self.step_seconds += played.step_seconds

    def record_outcome(self, number: int, days: int, keys: tuple[str, ...]) -> None:
        """What round `number` (its last `days` days) gave for the predicted `keys`."""
        with self.lock:
            ts = self.timeseries().tail(days)
            self.outcomes[number] = {k: float(summarise(ts, window=days)[k]) for k in keys}


def planned_cost(team: Team, policy=None) -> float:
    """The yearly cost a team's levers commit it to, as a plan: wages of the seats the levers
    budget, people programmes, recovery at the budget per incident, and hiring and training at
    the recent rates of incidents and hires (the last quarter; before that, the reference's
    first quarter without decisions). `policy` defaults to the unit's own."""
    m = team.model
    pol = policy if policy is not None else m.policy
    ts = team.timeseries()
    recent = ts.tail(WINDOW) if len(ts) >= MIN_RATE_DAYS else team.baseline.timeseries(WINDOW)
    seats = int(m.journey.seat_budgets(m.org.employees, pol.staffing_level, 1.0).sum())
    money = day_money(
        m.org,
        pol,
        revenue_year=0.0,
        headcount=seats,
        overtime_hours=0.0,
        hires=float(recent["hires"].mean()),
        paid_acquisitions=0,
        recovery_spend=pol.recovery_budget * float(recent["failures"].mean()),
    )
    return 365.0 * (
        money.wages + money.programmes + money.recruiting + money.training + money.recovery
    )
