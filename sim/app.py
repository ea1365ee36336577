"""The workshop dashboard (Mesa convention: a module-level `Page` component).

Run it with `sim-viz` (or `make demo`); see docs/DASHBOARD.md. Each browser session builds its
own model inside `Page`, so participants in a room never step each other's simulation. The
organisation and the number of desks come from the `sim-viz` options (through the environment,
since Solara imports this module itself).
"""

from __future__ import annotations

import os

import solara

from sim.viz.components import Dashboard
from sim.viz.levers import DEFAULT_ORG, WORKSHOP_EMPLOYEES
from sim.viz.session import Session

ORG_ENV = "SIM_VIZ_ORG"
EMPLOYEES_ENV = "SIM_VIZ_EMPLOYEES"


def new_session() -> Session:
    """A session on the baseline preset, sized by the server's options."""
    org = os.environ.get(ORG_ENV, DEFAULT_ORG)
    employees = int(os.environ.get(EMPLOYEES_ENV, WORKSHOP_EMPLOYEES))
    return Session(org=org, employees=employees)


@solara.component
def Page() -> None:
    session = solara.use_memo(new_session, [])
    Dashboard(session)
