"""What each view shows, as plain numbers: tested without a browser.

KPIs use the definitions of `summary.json` (the registry, sim/kpis.py): the cards call
`sim.outputs.summarise` on the last `WINDOW` days, and the plotted rolling lines are the same
aggregations over a trailing window (tests check them against `summarise` day by day). State
measures (eNPS, NPS, work happiness, customer satisfaction, the four drivers) are the timeseries
columns the model writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.kpis import REGISTRY, rolling, subset
from sim.outputs import summarise
from sim.population import EmployeeTable
from sim.viz.session import LeverChange, Session
from sim.workforce import DRIVERS

WINDOW = 91  # days: a quarter; with 20 employees a month holds too few quits to read a rate
MIN_RATE_DAYS = 30  # annualised turnover and churn are shown from a month of data on
NEW_HIRE_DAYS = 90  # a tile is marked "new" for the first three months after the first day

# The KPI cards and lines, in the order of the cards (labels, units and formulas: sim/kpis.py).
KPI_KEYS = subset(
    "enps",
    "nps",
    "work_happiness_mean",
    "csat_mean",
    "employee_turnover_annual",
    "customer_churn_annual",
    "profit",
)
# Means of a daily state (survey scores, satisfaction): the lines plot the daily column as is.
STATE_KEYS = tuple(k for k in KPI_KEYS if REGISTRY[k].how.kind == "mean")
# Annual rates (quits, defections over the stock): meaningless over the first few days.
RATE_KEYS = tuple(k for k in KPI_KEYS if REGISTRY[k].quantity == "rate")


def rolling_kpis(ts: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """Per day, every KPI in `KPI_KEYS` as `summarise(ts up to that day, window)` gives it."""
    out = pd.DataFrame({"day": ts["day"]}) if len(ts) else pd.DataFrame({"day": []})
    for key in KPI_KEYS:
        out[key] = rolling(key, ts, window) if len(ts) else []
    return out


def plot_frame(ts: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """What the line panels draw: state measures as measured each day (they react at once),
    flows and profit as `rolling_kpis` over the trailing window. Turnover and churn start after
    `MIN_RATE_DAYS`: one quit on day 2, annualised, would read as a turnover of 900%."""
    out = rolling_kpis(ts, window)
    for key in STATE_KEYS:
        out[key] = ts[REGISTRY[key].how.column] if len(ts) else []
    for key in RATE_KEYS:
        out.loc[out["day"] < MIN_RATE_DAYS, key] = np.nan
    return out


@dataclass(frozen=True)
class KpiCard:
    key: str
    value: float
    baseline: float

    @property
    def delta(self) -> float:
        return self.value - self.baseline


def kpi_cards(ts: pd.DataFrame, base: pd.DataFrame, window: int = WINDOW) -> list[KpiCard]:
    """The headline numbers over the last `window` days, live and baseline (summary.json's
    definitions: `sim.outputs.summarise`). NaN before the first day, and for turnover and
    churn before `MIN_RATE_DAYS`."""
    live = summarise(ts, window=window) if len(ts) else {}
    ghost = summarise(base.head(len(ts)), window=window) if len(ts) and len(base) else {}
    if len(ts) < MIN_RATE_DAYS:  # too few days for an annual rate (see plot_frame)
        for key in RATE_KEYS:
            live.pop(key, None)
            ghost.pop(key, None)
    nan = float("nan")
    return [KpiCard(k, float(live.get(k, nan)), float(ghost.get(k, nan))) for k in KPI_KEYS]


def format_kpi(key: str, value: float) -> str:
    """How a KPI reads on a projector: scores as integers, rates as percent, money in k."""
    if value is None or math.isnan(value):
        return "–"
    quantity = REGISTRY[key].quantity
    if quantity == "score":
        return f"{value:+.0f}"
    if quantity == "rate":
        return f"{100 * value:.0f}%"
    if quantity == "money":
        return f"{value / 1000:,.0f}k"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Tile:
    """One desk on the floor."""

    seat: int
    state: str  # "occupied", "vacant" (a replacement is coming) or "closed" (not refilled)
    engagement: float  # work happiness 0-10 (NaN when empty)
    training: bool  # in onboarding: takes no contacts yet
    new: bool  # first NEW_HIRE_DAYS days
    refill_in: int  # days until the replacement starts (vacant), else -1
    role: str = ""  # the seat's role in the journey
    back: bool = False  # a back-office desk: no customer contacts


def desk_tiles(
    staff: EmployeeTable,
    seats: int,
    day: int,
    roles: tuple[str, ...] = (),
    front: np.ndarray | None = None,
) -> list[Tile]:
    """One tile per seat of the budget, plus any seat beyond it that is still occupied or
    awaiting a hire (a shrinking budget is met by not refilling, never by dismissals). With the
    journey's `roles` and `front` flags, each tile names its role and marks the back office."""
    busy = np.flatnonzero(staff.active | (staff.refill_day > day))
    n = min(staff.size, max(int(seats), int(busy[-1]) + 1 if busy.size else 0))
    tiles = []
    for s in range(n):
        role = roles[staff.role[s]] if roles else ""
        back = bool(front is not None and not front[staff.role[s]])
        if staff.active[s]:
            tiles.append(
                Tile(
                    seat=s,
                    state="occupied",
                    engagement=float(staff.engagement[s]),
                    training=bool(staff.training_left[s] > 0),
                    new=bool(staff.tenure[s] < NEW_HIRE_DAYS),
                    refill_in=-1,
                    role=role,
                    back=back,
                )
            )
        else:
            pending = staff.refill_day[s] > day
            tiles.append(
                Tile(
                    seat=s,
                    state="vacant" if pending else "closed",
                    engagement=float("nan"),
                    training=False,
                    new=False,
                    refill_in=int(staff.refill_day[s] - day) if pending else -1,
                    role=role,
                    back=back,
                )
            )
    return tiles


def satisfaction_shares(counts: np.ndarray) -> np.ndarray:
    """Counts per bin as shares of all customers (zeros when there are none)."""
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def drivers_now(ts: pd.DataFrame) -> dict[str, float]:
    """The four drivers (0..1, mean over occupied seats) on the latest day; NaN before day 1."""
    if not len(ts):
        return {d: float("nan") for d in DRIVERS}
    last = ts.iloc[-1]
    return {d: float(last[d]) for d in DRIVERS}


@dataclass(frozen=True)
class View:
    """Everything one render of the page shows, read from a session in one go (under its lock,
    so a step in the play thread cannot change the numbers halfway through a render)."""

    day: int
    preset: str
    seed: int
    levers: dict[str, float]
    changes: list[LeverChange]
    live: pd.DataFrame  # plot_frame of the live model
    ghost: pd.DataFrame  # plot_frame of the baseline, same days
    cards: list[KpiCard]
    tiles: list[Tile]
    hist_live: np.ndarray  # shares per satisfaction bin
    hist_ghost: np.ndarray
    drivers_live: dict[str, float]
    drivers_ghost: dict[str, float]
    stages_live: dict[str, float]  # customers' rating per journey stage, last month
    stages_ghost: dict[str, float]
    roles_live: dict[str, float]  # work happiness per role, last month
    roles_ghost: dict[str, float]
    step_seconds: float  # mean wall time of one model day, recent days


JOURNEY_DAYS = 30  # the journey panels show the last month


def journey_now(
    log: list[dict[str, np.ndarray]], stages: tuple[str, ...], roles: tuple[str, ...], day: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Customers' rating per journey stage and work happiness per role over the last
    JOURNEY_DAYS days up to `day` (NaN before day 1 or where nothing happened)."""
    days = log[max(day - JOURNEY_DAYS, 0) : day]
    if not days:
        nan = float("nan")
        return {s: nan for s in stages}, {r: nan for r in roles}
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = sum(d["cx_sum"] for d in days) / sum(d["cx_n"] for d in days)
        happy = sum(d["role_happiness"] for d in days) / sum(d["role_headcount"] for d in days)
    return (
        {s: float(v) for s, v in zip(stages, cx, strict=True)},
        {r: float(v) for r, v in zip(roles, happy, strict=True)},
    )


def view(session: Session, window: int = WINDOW) -> View:
    with session.lock:
        ts = session.timeseries()
        base = session.baseline_timeseries()
        m = session.model
        jn = m.journey
        stages_live, roles_live = journey_now(m.journey_log, jn.stages, jn.roles, session.day)
        track = session.baseline
        track.extend_to(session.day)
        with track.lock:
            stages_ghost, roles_ghost = journey_now(
                track.model.journey_log, jn.stages, jn.roles, session.day
            )
        return View(
            day=session.day,
            preset=session.preset,
            seed=session.seed,
            levers=session.levers(),
            changes=list(session.changes),
            live=plot_frame(ts, window),
            ghost=plot_frame(base, window),
            cards=kpi_cards(ts, base, window),
            tiles=desk_tiles(m.staff, m.seats, m.day, m.journey.roles, m.journey.front),
            hist_live=satisfaction_shares(session.satisfaction_counts()),
            hist_ghost=satisfaction_shares(session.baseline_satisfaction_counts()),
            drivers_live=drivers_now(ts),
            drivers_ghost=drivers_now(base),
            stages_live=stages_live,
            stages_ghost=stages_ghost,
            roles_live=roles_live,
            roles_ghost=roles_ghost,
            step_seconds=session.mean_step_seconds(),
        )
