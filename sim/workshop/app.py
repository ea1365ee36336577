"""The Solara module `sim-workshop` serves: the team's page at `/`, the facilitator's at
`/facilitator`, both over one room per server process.

The room is built once, from the options `sim-workshop` passes through the environment (Solara
imports this module itself); `serve.py` builds it before the server starts, so the first page
does not wait for it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import solara

from sim.viz.levers import WORKSHOP_EMPLOYEES
from sim.workshop.pages import FacilitatorPage, TeamPage
from sim.workshop.room import IDLE_TIMEOUT, Room
from sim.workshop.storyline import DEFAULT, load

ENV = {
    "storyline": "SIM_WS_STORYLINE",
    "room_code": "SIM_WS_ROOM_CODE",
    "facilitator_key": "SIM_WS_FACILITATOR_KEY",
    "employees": "SIM_WS_EMPLOYEES",
    "export_dir": "SIM_WS_EXPORT_DIR",
    "workers": "SIM_WS_WORKERS",
    "team_timeout": "SIM_WS_TEAM_TIMEOUT",
}
_ROOM: Room | None = None
_LOCK = threading.Lock()


def room() -> Room:
    """The server's room (built on first use from the environment)."""
    global _ROOM
    with _LOCK:
        if _ROOM is None:
            env = os.environ
            _ROOM = Room(
                load(env.get(ENV["storyline"], DEFAULT)),
                room_code=env[ENV["room_code"]],
                facilitator_key=env[ENV["facilitator_key"]],
                employees=int(env.get(ENV["employees"], WORKSHOP_EMPLOYEES)),
                export_dir=Path(env.get(ENV["export_dir"], "workshop-exports")),
                workers=int(env.get(ENV["workers"], "0")),
                idle_timeout=float(env.get(ENV["team_timeout"], IDLE_TIMEOUT)),
            )
        return _ROOM


@solara.component
def Team() -> None:
    TeamPage(room())


@solara.component
def Facilitator() -> None:
    FacilitatorPage(room())


@solara.component
def Layout(children: list | None = None) -> None:
    """No tabs between the pages: teams are not pointed at the facilitator's page."""
    solara.AppLayout(children=children or [], navigation=False)


routes = [
    solara.Route(path="/", component=Team, label="team", layout=Layout),
    solara.Route(path="facilitator", component=Facilitator, label="facilitator"),
]
