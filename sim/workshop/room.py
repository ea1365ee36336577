"""The workshop room: teams, rounds, budgets, predictions, events and the leaderboard.

No Solara here: the pages (pages.py) call these methods and redraw when `version` moves. One
room per server process. Every team's unit is a `Team` (the dashboard's `Session`, so lever
changes act from the next day and are logged as decisions) built from the storyline's
organisation, preset and seed: fair play, the same world for all. Beside the teams the room runs
a `reference` unit that gets the same events and no decisions; the debrief compares each team
with it, so a gap is the team's doing, not the events' or luck's.

Rounds: round N is *open* while teams decide and predict; the facilitator's advance plays it
for every unit at once (one lock per unit, each unit the same days), then opens round N+1.
Budget cuts act at once (teams decide within them); events on the units (a demand surge, a
market wage rise, a competitor raising expectations) act from the first day of the coming round.
"""

from __future__ import annotations

import contextlib
import hmac
import math
import shutil
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

import sim.workshop.labels  # noqa: F401  (registers the ws.* labels)
from sim.kpis import REGISTRY
from sim.outputs import summarise
from sim.viz.data import MIN_RATE_DAYS, WINDOW
from sim.viz.levers import WORKSHOP_EMPLOYEES, lever_specs
from sim.workshop.away import Presence, scratch_folder
from sim.workshop.play import BUDGET_CUT, Player
from sim.workshop.storyline import EVENTS, ROUND_LENGTHS, WORKSHOP_LEVERS, Storyline
from sim.workshop.team import Team, planned_cost

__all__ = ["Room", "Team", "WorkshopError", "planned_cost", "rank", "scratch_folder"]

DEBOUNCE = 1.0  # s without a change to a unit's round before it is prepared (play.py)
ROOM_WIDE = ""  # `Room._moved`'s key for changes to every unit's round (events, its length)
# s after a round before the next is prepared: copying a dozen models for the workers holds the
# server's interpreter for a second or more, which the pages showing the new round need first.
AFTER_ROUND = 5.0
IDLE_TIMEOUT = 600.0  # s a team may have no page open before its unit is parked (team.py)
SCORECARD = ("profit", "nps", "enps", "employee_turnover_annual")
DEFAULT_WEIGHTS = {"profit": 1.0, "nps": 1.0, "enps": 1.0, "employee_turnover_annual": 1.0}
MAX_WEIGHT = 10.0
MAX_TEAMS = 24
MAX_NAME = 24
REFERENCE = "(no decisions)"


class WorkshopError(ValueError):
    """An action the room refuses. `key` names the label (sim/workshop/labels.py) the pages
    show, in the page's language, formatted with `fmt`; str() is the English line."""

    def __init__(self, key: str, **fmt: object) -> None:
        from sim.viz.i18n import t

        self.key, self.fmt = key, fmt
        super().__init__(t(f"ws.err.{key}", "en", **fmt))


@dataclass(frozen=True)
class RoundRecord:
    number: int  # 1-based
    start: int  # the units' day before the round
    days: int
    events: tuple[str, ...]


@dataclass(frozen=True)
class Standing:
    rank: int
    team: str
    score: float  # 0..100: weighted mean of each KPI's place between the room's worst and best
    values: dict[str, float]
    reference: bool = False


def kpis(ts: pd.DataFrame, window: int = WINDOW) -> dict[str, float]:
    """The scorecard's KPIs over the last `window` days (summary.json's definitions); NaN
    before day 1, and for annual rates before `MIN_RATE_DAYS`."""
    nan = float("nan")
    if not len(ts):
        return {k: nan for k in SCORECARD}
    values = summarise(ts, window=window)
    out = {k: float(values[k]) for k in SCORECARD}
    if len(ts.tail(window)) < MIN_RATE_DAYS:
        for k in SCORECARD:
            if REGISTRY[k].quantity == "rate":
                out[k] = nan
    return out


def rank(rows: dict[str, dict[str, float]], weights: dict[str, float]) -> list[tuple[str, float]]:
    """Teams by score, best first. Each KPI places a team between the room's worst (0) and best
    (1) value, the direction the registry gives (turnover: lower is better); a KPI all teams
    share or nobody has yet places everyone at 0.5. Score = 100 x the weighted mean of places."""
    names = list(rows)
    total = sum(max(w, 0.0) for w in weights.values())
    score = dict.fromkeys(names, 0.0)
    for key, w in weights.items():
        if w <= 0:
            continue
        vals = np.array([rows[n].get(key, np.nan) for n in names], dtype=float)
        ok = np.isfinite(vals)
        lo, hi = (vals[ok].min(), vals[ok].max()) if ok.any() else (0.0, 0.0)
        place = np.full(len(names), 0.5)
        if hi > lo:
            place[ok] = (vals[ok] - lo) / (hi - lo)
            if REGISTRY[key].better < 0:
                place[ok] = 1.0 - place[ok]
        for n, p in zip(names, place, strict=True):
            score[n] += w * p
    result = [(n, 100.0 * score[n] / total if total else 50.0) for n in names]
    return sorted(result, key=lambda x: (-x[1], x[0]))


class Room(Presence):
    """The whole session: storyline, teams, the round, the facilitator's settings."""

    def __init__(
        self,
        storyline: Storyline,
        *,
        room_code: str,
        facilitator_key: str,
        employees: int = WORKSHOP_EMPLOYEES,
        export_dir: Path | None = None,
        workers: int = 0,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        """`workers`: processes that play rounds ahead of the click and draw the team pages'
        panels (play.py); 0 does both in this process (tests, a laptop on its own).
        `idle_timeout`: seconds a team may have no page open before its unit is parked."""
        self.storyline = storyline
        # The session's own folder: the only place a page can make the server write.
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.export_dir = Path(export_dir or "workshop-exports") / f"{storyline.name}-{stamp}"
        self.error: str | None = None
        self._code, self._key = room_code, facilitator_key
        self.employees = int(employees)
        # The sliders' ranges compose every preset with Hydra (seconds): once, here, rather
        # than in the first team's page while other pages wait for the same lock.
        lever_specs(storyline.org)
        self.lock = threading.RLock()
        self.changed = threading.Condition()
        self.version = 0  # moves when every page should redraw
        self.changes = 0  # moves on any change, a team's own decisions too (for preparing)
        self.teams: dict[str, Team] = {}
        self.reference = Team(REFERENCE, storyline, self.employees)
        self.state = "lobby"  # lobby -> open <-> paused -> (advancing) -> open ... -> finished
        self.round = 0  # rounds played
        self.round_days = storyline.round_days
        self.open_levers = set(storyline.open_levers)
        self.weights = dict(DEFAULT_WEIGHTS)
        self.budget = storyline.budget * planned_cost(self.reference)
        self.pending: list[str] = []
        self.played: list[RoundRecord] = []
        self.advance_seconds: list[float] = []
        self.prepared: list[tuple[int, int]] = []  # per round: units prepared at the click, all
        self._round_done = -math.inf  # when the last round was played (time.monotonic)
        self._moved: dict[str, float] = {}  # when a unit's round last changed (preparing)
        self._open_round(1)
        self.player = Player(workers)
        self._closed = threading.Event()
        self._init_presence(idle_timeout)  # pages open per team, parked units (away.py)
        self._panels: dict[tuple[str, str], tuple[int, Future]] = {}
        self._panels_lock = threading.Lock()
        if workers > 0:
            threading.Thread(
                target=self._prepare_loop, name="workshop-prepare", daemon=True
            ).start()
        threading.Thread(target=self._park_loop, name="workshop-park", daemon=True).start()

    def close(self) -> None:
        """Stop preparing rounds and the worker processes, remove parked units' files (the
        server's end)."""
        self._closed.set()
        self._touch()
        self.player.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def units(self) -> list[Team]:
        """The units that play the rounds: the reference and every team present (not parked)."""
        return [self.reference, *(t for t in self.teams.values() if t.parked is None)]

    def _round_key(self, unit: Team) -> tuple:
        """What a unit's coming round depends on: when a prepared copy was made for another
        key (a lever moved, an event injected, the round's length changed), it is played again."""
        return (
            self.round + 1,
            self.round_days,
            tuple(self.pending),
            unit.day,
            *unit.levers().items(),
        )

    def _prepare_loop(self) -> None:
        """Play each unit's coming round on a copy once that unit has been still for DEBOUNCE
        s (its team's levers; the room's events and round length) and AFTER_ROUND s have passed
        since the last round; units already prepared for their key are skipped. Per unit, not
        once the whole room is still: a room whose teams decide one after the other, the
        facilitator clicking right after the last, had nothing prepared at the click."""
        seen, wait = -1, 0.0
        while not self._closed.is_set():
            seen = self._wait_any(seen, timeout=max(wait, 0.05))
            now = time.monotonic()
            wait = AFTER_ROUND - (now - self._round_done)
            if wait > 0:
                continue
            with self.lock:
                if self.state not in ("lobby", "open", "paused"):
                    wait = 5.0
                    continue
                room_moved = self._moved.get(ROOM_WIDE, -math.inf)
                jobs, later = [], []
                for u in self.units():
                    due = max(room_moved, self._moved.get(u.name, -math.inf)) + DEBOUNCE
                    if due > now:
                        later.append(due)
                        continue
                    jobs.append((u, self._round_key(u), tuple(self.pending), self.round_days))
            for unit, key, events, days in jobs:
                if self._closed.is_set() or self.state == "advancing":
                    break
                try:
                    self.player.prepare(unit.name, key, unit, events, days)
                except Exception as ex:  # a broken pool: the click plays in this process
                    self.error = f"{type(ex).__name__}: {ex}"
            wait = min(later) - time.monotonic() if later else 5.0
            try:  # after the coming round's copies: the rounds parked teams missed (away.py)
                self.play_parked()
            except Exception as ex:
                traceback.print_exc()
                self.error = f"{type(ex).__name__}: {ex}"

    # ---- notification -------------------------------------------------------------------
    def _touch(self, pages: bool = True) -> None:
        """Something changed. `pages`: every page redraws (a round, a setting, a new team);
        a team's own decision redraws only its own page (the page does that itself), so that a
        dozen teams deciding at once do not redraw a dozen pages for each slider move."""
        with self.changed:
            self.changes += 1
            if pages:
                self.version += 1
            self.changed.notify_all()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Block until `version` differs from `seen` (or `timeout` s); return the version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version

    def _wait_any(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.changes != seen, timeout=timeout)
            return self.changes

    # ---- access -------------------------------------------------------------------------
    def code_ok(self, code: str) -> bool:
        return hmac.compare_digest(str(code).strip().encode(), self._code.encode())

    def key_ok(self, key: str) -> bool:
        return hmac.compare_digest(str(key).strip().encode(), self._key.encode())

    def join(self, code: str, name: str, token: str | None = None) -> Team:
        """The team `name`: new, or the same unit again (a reload, or back after a break) for
        a browser that shows the team's secret `token` (`Team.token`, given at the first join);
        without it a taken name is refused. A team joining late starts as a copy of the
        reference unit (the rounds so far, their events, no decisions); a parked team takes its
        unit back and catches up the rounds it missed the same way."""
        if not self.code_ok(code):
            raise WorkshopError("code")
        name = " ".join(str(name).split())
        if not name or len(name) > MAX_NAME or name == REFERENCE:
            raise WorkshopError("name", n=MAX_NAME)
        with self._between_rounds():
            team = self.teams.get(name)
            if team is not None:
                if not team.token_ok(token):
                    raise WorkshopError("taken")
                self._unpark(team)
                return team
            if len(self.teams) >= MAX_TEAMS:
                raise WorkshopError("full", n=MAX_TEAMS)
            team = self.teams[name] = Team(
                name, self.storyline, self.employees, like=self.reference
            )
            self._moved[name] = time.monotonic()
        self._touch()
        return team

    def rejoin(self, name: str, token: str) -> Team:
        """A team's page again from its link (name and secret; the code was shown at the first
        join). Refused like a wrong code when they do not match."""
        team = self.teams.get(" ".join(str(name).split()))
        if team is None or not team.token_ok(token):
            raise WorkshopError("code")
        return self.join(self._code, team.name, token)

    @contextlib.contextmanager
    def _between_rounds(self) -> Iterator[None]:
        """The room's lock, taken while no round is being played (a unit joining or coming back
        mid-round would miss the round or be swapped under it)."""
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.state != "advancing", timeout=600.0)
            self.lock.acquire()
            if self.state != "advancing":
                break
            self.lock.release()
        try:
            yield
        finally:
            self.lock.release()

    # ---- the team page's pictures ----------------------------------------------------------
    def panels(self, team: Team, lang: str) -> list[bytes]:
        """The team page's two panels (PNG) for its day: drawn once per day and language, in a
        worker process when there are workers. Blocks until drawn: call it from a thread."""
        with team.lock:
            key = team.day
            ts, decisions = team.timeseries(), list(team.decisions)
        with self._panels_lock:
            cached = self._panels.get((team.name, lang))
            if cached is None or cached[0] != key:
                ref = self.reference.timeseries().head(len(ts))
                cached = (key, self.player.draw(ts, ref, decisions, lang))
                self._panels[(team.name, lang)] = cached
        return cached[1].result()

    # ---- the team's decisions -------------------------------------------------------------
    @property
    def deciding(self) -> bool:
        return self.state == "open"

    def set_lever(self, team: Team, name: str, value: float) -> None:
        """A team's decision. Refused when the round is not open, the lever is closed, or it
        raises the plan's cost above the budget (a decision that lowers the cost always goes)."""
        with self.lock:
            if not self.deciding:
                raise WorkshopError("closed")
            if name not in self.open_levers:
                raise WorkshopError("lever_closed")
            with team.lock:
                before = planned_cost(team)
                after = planned_cost(team, replace(team.model.policy, **{name: value}))
                if after > self.budget and after > before:
                    raise WorkshopError(
                        "budget", cost=f"{after / 1000:,.0f}k", budget=f"{self.budget / 1000:,.0f}k"
                    )
                team.decide(name, value)
                self._moved[team.name] = time.monotonic()
        self._touch(pages=False)

    def predict(self, team: Team, key: str, value: float) -> None:
        """A team's prediction of `key` over the open round, in the units the page shows
        (scores as is, rates in percent, money in thousands)."""
        if key not in self.storyline.predict:
            raise WorkshopError("predict_key")
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise WorkshopError("number")
        with self.lock:
            if not self.deciding:
                raise WorkshopError("closed")
            team.predictions.setdefault(self.round + 1, {})[key] = from_display(key, value)
        self._touch(pages=False)

    # ---- the facilitator --------------------------------------------------------------------
    def start(self) -> None:
        with self.lock:
            if self.state in ("lobby", "paused"):
                self.state = "open"
        self._touch()

    def pause(self) -> None:
        with self.lock:
            if self.state == "open":
                self.state = "paused"
        self._touch()

    def set_round_length(self, length: str) -> None:
        if length not in ROUND_LENGTHS:
            raise WorkshopError("round_length", allowed=", ".join(ROUND_LENGTHS))
        with self.lock:
            self.round_days = ROUND_LENGTHS[length]
            self._moved[ROOM_WIDE] = time.monotonic()
        self._touch()

    def set_open_lever(self, name: str, is_open: bool) -> None:
        if name not in WORKSHOP_LEVERS:
            raise WorkshopError("lever_closed")
        with self.lock:
            (self.open_levers.add if is_open else self.open_levers.discard)(name)
        self._touch()

    def set_budget(self, amount: float) -> None:
        if not isinstance(amount, int | float) or not 0 < amount < 1e12:
            raise WorkshopError("number")
        with self.lock:
            self.budget = float(amount)
        self._touch()

    def set_weight(self, key: str, weight: float) -> None:
        if key not in SCORECARD or not 0 <= weight <= MAX_WEIGHT:
            raise WorkshopError("weight", n=MAX_WEIGHT)
        with self.lock:
            self.weights[key] = float(weight)
        self._touch()

    def inject(self, event: str) -> None:
        """An event for every unit: a budget cut now, the others from the coming round."""
        if event not in EVENTS:
            raise WorkshopError("event", allowed=", ".join(EVENTS))
        with self.lock:
            if self.state in ("finished", "advancing"):
                raise WorkshopError("closed")
            if event == "budget_cut":
                self.budget *= BUDGET_CUT
            if event not in self.pending:
                self.pending.append(event)
            self._moved[ROOM_WIDE] = time.monotonic()
        self._touch()

    def _open_round(self, number: int) -> None:
        self.pending = list(self.storyline.round(number).events)
        if "budget_cut" in self.pending:
            self.budget *= BUDGET_CUT

    def advance(self) -> float:
        """Play the open round for every unit at once; return the seconds it took. Teams cannot
        decide while it runs; the next round opens when every unit has played."""
        return self._play(*self._begin())

    def advance_async(self) -> threading.Thread:
        """`advance` in a thread (the facilitator's page stays live); refusals raise here, and a
        failure while playing shows as `error`."""
        begun = self._begin()

        def run() -> None:
            try:
                self._play(*begun)
            except Exception as ex:  # shown on the facilitator's page, and in the server's log
                traceback.print_exc()
                self.error = f"{type(ex).__name__}: {ex}"
                self._touch()

        thread = threading.Thread(target=run, name="workshop-advance", daemon=True)
        thread.start()
        return thread

    def _begin(self) -> tuple[RoundRecord, list[Team], str]:
        with self.lock:
            if self.state not in ("open", "paused"):
                raise WorkshopError("not_running")
            rnd = RoundRecord(self.round + 1, self.day, self.round_days, tuple(self.pending))
            units = [(u, self._round_key(u)) for u in self.units()]
            self.state, resume = "advancing", self.state
            self.error = None
            ready = sum(self.player.ready(u.name, key) for u, key in units)
            self.prepared.append((ready, len(units)))
        # Every page shows "being played" only when it will take a while: with every round
        # prepared the click only swaps copies in, and a dozen extra redraws would only delay
        # the one that shows the new round (the room refuses decisions meanwhile either way).
        self._touch(pages=ready < len(units))
        return rnd, units, resume

    def _play(self, rnd: RoundRecord, units: list[tuple[Team, tuple]], resume: str) -> float:
        t0 = time.perf_counter()
        try:
            for unit, key in units:  # whatever is not prepared yet runs on every worker
                self.player.prepare(unit.name, key, unit, rnd.events, rnd.days)
            for unit, key in units:
                played = self.player.take(unit.name, key, unit, rnd.events, rnd.days)
                unit.take(played)
                unit.record_outcome(rnd.number, rnd.days, self.storyline.predict)
        except Exception:
            with self.lock:
                self.state = resume
            self._touch()
            raise
        seconds = time.perf_counter() - t0
        with self.lock:
            self.played.append(rnd)
            self.round = rnd.number
            self.advance_seconds.append(seconds)
            self._round_done = time.monotonic()
            if self.round >= self.storyline.rounds:
                self.state, self.pending = "finished", []
            else:
                self.state = "open"
                self._open_round(self.round + 1)
        self._touch()
        if self.player.pool is None:  # with workers, the preparing loop plays them
            self.play_parked()
        return seconds

    def write_debrief(self, lang: str = "en") -> dict[str, Path]:
        """The debrief and the session's data, written into this session's own folder."""
        from sim.workshop.debrief import export

        return export(self, self.export_dir, lang)

    # ---- reading ----------------------------------------------------------------------------
    @property
    def day(self) -> int:
        return self.reference.day

    def leaderboard(self) -> list[Standing]:
        """Every team and the reference, ranked by the scorecard with the room's weights."""
        with self.lock:
            units = {REFERENCE: self.reference, **self.teams}  # parked teams as they left
            weights = dict(self.weights)
        rows = {}
        for name, unit in units.items():
            with unit.lock:
                rows[name] = kpis(unit.timeseries())
        return [
            Standing(i + 1, name, score, rows[name], name == REFERENCE)
            for i, (name, score) in enumerate(rank(rows, weights))
        ]


def display_scale(key: str) -> float:
    """How a KPI is entered and shown: rates in percent, money in thousands, scores as is."""
    return {"rate": 100.0, "money": 0.001}.get(REGISTRY[key].quantity, 1.0)


def from_display(key: str, value: float) -> float:
    return float(value) / display_scale(key)
