"""Playing rounds off the server's thread: in worker processes, and ahead of the click.

A round of a quarter for a dozen units is about ten CPU-seconds of model days (docs/DASHBOARD.md,
workshop section), more than a room wants to wait after the facilitator's click and more than
one Python process can do with the page server on the same core. So the room plays each unit's
coming round in a worker process as soon as the unit's decisions settle: a copy of the model
(pickled: the copy continues exactly as the original would, a test checks it) goes to the
worker with the round's events and days; the played copy comes back and waits. The click then
only swaps the prepared copies in. A unit whose decisions (or the round's events or length)
changed after its copy was made is played again; at the click, whatever is not ready is
played then, on all workers at once.

The same workers draw the team pages' two panels after each round (`team_panels`): a dozen
matplotlib figures drawn in the server's own threads held its interpreter lock for seconds, and
the websocket traffic of every page (which passes through the server's event loop) waited
behind them. Workers run at a lower priority (`WORKER_NICE`): the pages come first.

`events_on` is the one definition of what an event does to a unit.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sim.analysis.parallel import die_with_parent
from sim.model import ServiceModel
from sim.viz.data import plot_frame
from sim.viz.figures import line_figure, png
from sim.viz.levers import policy_range
from sim.viz.session import LeverChange

# Sizes of the events (assumptions of the workshop, not of the model; docs/WORKSHOP.md).
DEMAND_SURGE = 1.25  # needs per customer x this for the round of the surge
BUDGET_CUT = 0.85  # the yearly budget x this
WAGE_RISE = 1.08  # the market wage x this: the same pay is worth less (pay_level / this)
COMPETITOR_POINTS = 0.5  # customers expect this much more (0-10 scale) from now on
TEAM_PANELS = ("scores", "profit")  # a team page's two line panels (sim/viz/figures.py)
# Niceness of the workers: rounds ahead of the click and pictures give way to the page server
# on a small machine (a round played at the click still runs at once when the server is idle).
WORKER_NICE = 5
T = TypeVar("T")


def events_on(model: ServiceModel, events: tuple[str, ...]) -> None:
    """The events of a round on one unit, before the round's first day."""
    model.demand_factor = DEMAND_SURGE if "demand_surge" in events else 1.0
    if "wage_rise" in events:
        # The market pays more; the unit's pay stays what it was, so relative pay falls.
        model.org.wage_annual *= WAGE_RISE
        lo, _ = policy_range("pay_level")
        model.policy.pay_level = max(lo, model.policy.pay_level / WAGE_RISE)
    if "competitor" in events:
        # The model's handle: every active customer's expectation and the market's level
        # (newcomers from now on) rise; the level travels with the model (a copy keeps it).
        model.raise_expectations(COMPETITOR_POINTS)


@dataclass
class Played:
    """A unit's round played on a copy: the model after it and what the unit must take over."""

    model: ServiceModel
    step_seconds: list[float]


def play(model: ServiceModel, events: tuple[str, ...], days: int) -> Played:
    """Apply the round's events to `model` and step it `days` days (in place)."""
    events_on(model, events)
    seconds = []
    for _ in range(int(days)):
        t0 = time.perf_counter()
        model.step()
        seconds.append(time.perf_counter() - t0)
    return Played(model, seconds)


def give_back_memory() -> None:
    """Collect dropped models (their agents refer to them in cycles) and hand freed heap back
    to the system: glibc keeps freed arrays of a few MB in its arenas, so without malloc_trim
    the resident memory did not fall (measured: 6 parked units of 20 desks gave back about
    117 MiB of the server's memory only after the trim)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS): nothing to trim
        ctypes.CDLL(None).malloc_trim(0)


def _play_blob(blob: bytes, events: tuple[str, ...], days: int) -> bytes:
    """In a worker: unpickle, play, pickle back, and let the copy go (a worker held the memory
    of every model it had played)."""
    played = play(pickle.loads(blob), events, days)
    out = pickle.dumps(played, protocol=pickle.HIGHEST_PROTOCOL)
    del played
    give_back_memory()
    return out


def play_file(
    path: str, rounds: tuple[tuple[tuple[str, ...], int], ...]
) -> tuple[list[dict[str, float]], list[float]]:
    """A parked unit's missed rounds (events, days), played on its file (away.py): the file
    then holds the model after them. Returns the new days' timeseries rows and step times."""
    with open(path, "rb") as f:
        model = pickle.load(f)
    start, seconds = len(model.history), []
    for events, days in rounds:
        seconds += play(model, events, days).step_seconds
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # a team coming back meanwhile waits (away.py), never half a file
    rows = model.history[start:]
    del model
    give_back_memory()
    return rows, seconds


def team_panels(
    ts: pd.DataFrame, ref: pd.DataFrame, decisions: list[LeverChange], lang: str
) -> list[bytes]:
    """A team page's panels as PNG: the team's lines, the reference unit as the ghost."""
    live, ghost = plot_frame(ts), plot_frame(ref)
    return [png(line_figure(p, live, ghost, decisions, lang)) for p in TEAM_PANELS]


def _worker_init(parent: int) -> None:
    """Worker start-up: leave Ctrl+C to the server (a terminal sends it to the whole group),
    die with the server whatever stops it (sim/analysis/parallel.py), give way to the server,
    import the model now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    os.nice(WORKER_NICE)
    np.zeros(1)


@dataclass
class Job:
    key: tuple
    future: Future
    played: Played | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class Player:
    """Plays units' rounds on `workers` processes (0: in this process, at the click)."""

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)
        self.pool = (
            ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),  # the server runs threads
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
            if self.workers > 0
            else None
        )
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        # Start every worker now, from this thread: the pool spawns on demand from whichever
        # thread submits, and a worker's death-with-parent follows the thread that spawned it.
        if self.pool is not None:
            for f in [self.pool.submit(time.sleep, 0.5) for _ in range(self.workers)]:
                f.result()

    def prepare(self, name: str, key: tuple, unit: Any, events: tuple, days: int) -> None:
        """Play `unit`'s round on a copy in a worker, unless a job for `key` exists already."""
        if self.pool is None:
            return
        with self.lock:
            job = self.jobs.get(name)
            if job is not None and job.key == key:
                return
            if job is not None:
                job.future.cancel()  # a job not started yet is dropped; a running one ignored
        with unit.lock:
            blob = pickle.dumps(unit.model, protocol=pickle.HIGHEST_PROTOCOL)
        future = self.pool.submit(_play_blob, blob, events, days)
        job = Job(key, future)

        def unpack(f: Future) -> None:
            # Unpickled here, while the room deliberates, so the click only swaps it in.
            if not f.cancelled() and f.exception() is None:
                job.played = pickle.loads(f.result())
            job.ready.set()

        future.add_done_callback(unpack)
        with self.lock:
            self.jobs[name] = job

    def ready(self, name: str, key: tuple) -> bool:
        """Whether `name`'s round for `key` has been played ahead (or plays at the click: no
        workers, nothing to wait for)."""
        if self.pool is None:
            return True
        with self.lock:
            job = self.jobs.get(name)
        return job is not None and job.key == key and job.ready.is_set()

    def take(self, name: str, key: tuple, unit: Any, events: tuple, days: int) -> Played:
        """The unit's round for `key`: the prepared copy, or played now (in a worker when
        there are workers: call `prepare` for every unit first so they run together)."""
        if self.pool is None:
            with unit.lock:
                return play(unit.model, events, days)
        self.prepare(name, key, unit, events, days)
        with self.lock:
            job = self.jobs.pop(name)
        job.ready.wait()
        if job.played is None:
            job.future.result()  # raises the worker's error
            raise RuntimeError(f"the round of {name} was cancelled")
        return job.played

    def draw(
        self, ts: pd.DataFrame, ref: pd.DataFrame, decisions: list[LeverChange], lang: str
    ) -> Future:
        """`team_panels` in a worker (in this thread when there are none); a future of it."""
        if self.pool is not None:
            return self.pool.submit(team_panels, ts, ref, decisions, lang)
        done: Future = Future()
        done.set_result(team_panels(ts, ref, decisions, lang))
        return done

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker (in this thread when there are none); waits for it."""
        if self.pool is None:
            return fn(*args)
        return self.pool.submit(fn, *args).result()

    def forget(self, name: str) -> None:
        with self.lock:
            job = self.jobs.pop(name, None)
        if job is not None:
            job.future.cancel()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
