"""Teams that are away: pages open per team, parking the units of teams gone for long, playing
the rounds they miss while away, and taking them back.

A team whose laptop slept, or whose browser closed, must not lose rounds: the room keeps
playing its unit with the levers it left with (its last decisions), with every round's events,
exactly as if it had stayed. While parked its model lives in a file of the room's scratch
folder, not in the server's memory, so those rounds are played on the file after the click
(in a worker process when there are workers: `play.play_file`), not in the click's critical
path; the leaderboard and the debrief see the parked team's numbers once that is done (a few
seconds after the round). When the team comes back, whatever is still missing is played the
same way before it takes its unit back. `Room` (room.py) mixes this in.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sim.workshop.play import give_back_memory, play_file
from sim.workshop.team import Team


class Presence:
    """The room's bookkeeping of who is here (mixed into `Room`, which sets `idle_timeout`,
    `lock`, `teams`, `played`, `player`, `state`, `storyline` and the panel cache)."""

    def _init_presence(self, idle_timeout: float) -> None:
        self.idle_timeout = float(idle_timeout)
        self._pages: dict[str, int] = {}
        self._away_since: dict[str, float] = {}
        self._scratch: Path | None = None  # parked units' files (a temporary folder)
        # Held while a parked unit's file is played or taken back: a team returning while its
        # missed rounds are being played waits for them instead of reading a half-written file.
        # Order: the room's lock before this one, never the other way round.
        self._away_lock = threading.Lock()

    # ---- pages ---------------------------------------------------------------------------
    def attach(self, team: Team) -> Callable[[], None]:
        """A page of `team` is open; call what this returns when it closes."""
        with self.lock:
            self._pages[team.name] = self._pages.get(team.name, 0) + 1
            self._away_since.pop(team.name, None)

        def detach() -> None:
            with self.lock:
                self._pages[team.name] -= 1
                if not self._pages[team.name]:
                    self._away_since[team.name] = time.monotonic()

        return detach

    # ---- parking -------------------------------------------------------------------------
    def park_idle(self, now: float | None = None) -> list[str]:
        """Park the units of teams that have had no page open for `idle_timeout` s (between
        rounds); return their names. Their model goes to a file, their prepared round and
        pictures are dropped; the debrief keeps their timeseries, decisions and predictions."""
        now = time.monotonic() if now is None else now
        parked = []
        with self.lock:
            if self.state == "advancing":
                return parked
            for name, since in list(self._away_since.items()):
                team = self.teams.get(name)
                if team is None or team.parked is not None or now - since < self.idle_timeout:
                    continue
                if self._scratch is None:
                    self._scratch = scratch_folder()
                team.park(self._scratch)
                self.player.forget(name)
                with self._panels_lock:
                    for key in [k for k in self._panels if k[0] == name]:
                        del self._panels[key]
                parked.append(name)
        if parked:
            give_back_memory()
            self._touch()
        return parked

    def _park_loop(self) -> None:
        while not self._closed.wait(min(30.0, max(1.0, self.idle_timeout / 4))):
            for name in self.park_idle():
                # The server's log (the trainer's terminal): why a team shows as left.
                print(
                    f"team {name!r}: no page open for {self.idle_timeout:g} s, parked", flush=True
                )

    # ---- the rounds of teams that are away -------------------------------------------------
    def _missed(self, team: Team, played: list | None = None) -> list:
        """The rounds played (`played`: the room's so far) since `team`'s unit last played;
        a parked unit's day is always a round's start (units are parked between rounds)."""
        return [rnd for rnd in (self.played if played is None else played) if rnd.start >= team.day]

    def play_parked(self) -> list[str]:
        """Play the rounds parked teams have missed, on their files, with the levers they left
        with; return the teams played. Called after each round (room.py)."""
        with self.lock:  # not inside _away_lock (the lock order)
            away = [t for t in self.teams.values() if t.parked is not None]
            rounds_so_far = list(self.played)  # a round added later is caught the next time
        played = []
        with self._away_lock:
            for team in away:
                missed = self._missed(team, rounds_so_far) if team.parked is not None else []
                if missed:
                    self._play_missed(team, missed, self.player.call)
                    played.append(team.name)
        if played:
            self._touch()
        return played

    def _unpark(self, team: Team) -> None:
        """Bring a parked team's unit back, after playing the rounds it missed (call with the
        room's lock held, between rounds)."""
        with self._away_lock:
            if team.parked is None:
                return
            missed = self._missed(team)
            if missed:
                self._play_missed(team, missed, lambda play, *args: play(*args))
            team.unpark()

    def _play_missed(self, team: Team, missed: list, call: Callable) -> None:
        """Play `missed` rounds on a parked team's file (`call(play_file, ...)`: in a worker, or
        here) and record their outcomes (call with `_away_lock` held)."""
        rounds = tuple((rnd.events, rnd.days) for rnd in missed)
        team.extend_parked(*call(play_file, str(team.parked), rounds))
        for rnd in missed:
            team.record_outcome(rnd.number, rnd.days, self.storyline.predict)


def scratch_folder() -> Path:
    """A new temporary folder for parked units, named by this process; folders of processes
    that are gone (a server killed before it could remove its own) are removed first."""
    for old in Path(tempfile.gettempdir()).glob("sim-workshop-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"sim-workshop-{os.getpid()}-"))
