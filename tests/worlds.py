"""Tiny hand-built worlds for the stage tests (tests/test_stages_*.py, test_daily.py): a handful
of people with their columns set by hand, and two journeys: the single stage, and a two-stage one
(service, billing) with a front desk per stage, a back office that sends bills, and an IT role
that makes the back office's rosters.
"""

from __future__ import annotations

import numpy as np

from sim import (
    journey,
    loyalty,
)
from sim.config import (
    JourneyConfig,
    Office,
    Provides,
    RoleConfig,
    SimConfig,
    StageConfig,
    single_stage,
    validate_journey,
)
from sim.demand import Contacts
from sim.journey import REFERENCE_SKILL, REFERENCE_STRESS, Journey
from sim.population import CustomerTable, EmployeeTable
from sim.streams import Streams

CFG = SimConfig()
ORG, POLICY, B = CFG.org, CFG.policy, CFG.behaviour
DAY = 10
SERVICE_DESK, BILLING_DESK, BILLING_OFFICE, IT = range(4)  # the two-stage journey's roles


def single() -> Journey:
    return Journey.from_config(single_stage())


def two_stage() -> Journey:
    cfg = JourneyConfig(
        name="two_stage",
        stages={
            "service": StageConfig(need_share=3.0, complex_share=0.2, weight=0.6),
            # A bill every day to every customer; 5% wrong from a reference back office.
            "billing": StageConfig(
                need_share=1.0,
                complex_share=0.6,
                weight=0.4,
                deliveries_per_year=365.0,
                delivery_error=0.05,
            ),
        },
        roles={
            "service_desk": RoleConfig(stages=["service"]),
            "billing_desk": RoleConfig(stages=["billing"], headcount=0.5),
            "billing_office": RoleConfig(
                office=Office.back, stages=["billing"], headcount=0.5, depends_on=["it"]
            ),
            "it": RoleConfig(office=Office.back, provides=Provides.rosters, headcount=0.25),
        },
    )
    validate_journey(cfg)
    return Journey.from_config(cfg)


def people(roles: list[int], **columns) -> EmployeeTable:
    """Seats of the given roles, everyone at work, at a reference team's skill and stress."""
    staff = EmployeeTable.empty(len(roles))
    staff.active[:] = True
    staff.role[:] = roles
    staff.skill[:] = REFERENCE_SKILL
    staff.stress[:] = REFERENCE_STRESS
    staff.engagement[:] = 7.0
    staff.deviation[:] = 0.5
    staff.tenure[:] = 1000.0
    staff.age[:] = 40.0
    for name, value in columns.items():
        getattr(staff, name)[:] = value
    return staff


def customers(n: int, **columns) -> CustomerTable:
    """`n` customers at satisfaction 7, nobody with a need unless told (need_rate 0)."""
    table = CustomerTable.empty(n, loyalty.N_TIES)
    table.active[:] = True
    table.satisfaction[:] = 7.0
    table.baseline[:] = 7.0
    table.tenure[:] = 400.0
    table.value[:] = 360.0
    table.patience[:] = 120.0
    table.complain[:] = 0.5
    table.ties[:] = (np.arange(n)[:, None] + np.arange(1, loyalty.N_TIES + 1)) % n
    for name, value in columns.items():
        getattr(table, name)[:] = value
    return table


def streams(day: int = DAY, seed: int = 1) -> Streams:
    s = Streams(seed)
    s.new_day(day)
    return s


def snapshot(table: EmployeeTable | CustomerTable) -> dict[str, np.ndarray]:
    return {name: getattr(table, name).copy() for name in table.columns()}


def changed(before: dict[str, np.ndarray], table: EmployeeTable | CustomerTable) -> set[str]:
    """Columns whose values (or length) differ from the snapshot."""
    return {n for n, old in before.items() if not np.array_equal(old, getattr(table, n))}


def roles_of(jn: Journey, staff: EmployeeTable, employees: int = 4, **kw) -> journey.RoleState:
    args = dict(work_scale=1.0, front_load=0.8, quality_yesterday=np.ones(jn.n_roles))
    args.update(kw)
    return journey.roles_today(
        journey=jn, staff=staff, employees=employees, policy=POLICY, b=B, **args
    )


def all_calling(rows: np.ndarray, stage: np.ndarray | int = 0, complex_=False) -> Contacts:
    n = rows.size
    kind = np.full(n, complex_), np.broadcast_to(stage, n).astype(np.int64)
    return Contacts(rows, kind[0], np.zeros(n, bool), np.zeros(n, np.int32), kind[1])
