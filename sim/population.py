"""The state of everyone as arrays: one row per employee seat and per customer slot.

The day's arithmetic runs over these arrays; the Mesa agents in `agents.py` are windows onto a
row. Customer rows are reused: when a customer defects the slot is freed, and a newcomer later
takes it (with fresh values), so the arrays stay dense and only grow when the base grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

AGE_BANDS = ("<30", "30-39", "40-49", "50+")
AGE_EDGES = (30.0, 40.0, 50.0)
TENURE_BANDS = ("<1y", "1-2y", "3-5y", "6-10y", ">10y")
TENURE_EDGES_YEARS = (1.0, 3.0, 6.0, 10.0)


def _grow(arr: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, *arr.shape[1:]), dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


class Scratch:
    """Work arrays kept from one day to the next, one per name (`scratch("demand.u", n, f32)`).

    A temporary as long as the customer table (4.5 MB of float64 at 500,000 rows) costs more
    to get fresh every day than the arithmetic on it: the allocator hands large freed blocks
    back to the system and the next one page-faults in again (about 1 ms each at L, measured in
    `loyalty.drift_and_defect`). The day's full-table passes write into these instead: the
    first `n` of a kept array, grown (with an eighth to spare, as `n` creeps up day by day with
    the customers' `end`) when `n` passes it. A name belongs to one place in the code; what it
    holds is garbage once that function returns, so never return or keep the array. Copies and
    pickles of a table start with none."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def __call__(self, name: str, n: int, dtype: type = np.float64) -> np.ndarray:
        arr = self._arrays.get(name)
        if arr is None or arr.shape[0] < n or arr.dtype != dtype:
            arr = self._arrays[name] = np.empty(n + n // 8, dtype)
        return arr[:n]

    def __reduce__(self) -> tuple:
        return (Scratch, ())


class _Table:
    """Columns of equal length with a boolean `active` column; rows are slots. `scratch`
    holds work arrays (not a column)."""

    active: np.ndarray

    def __post_init__(self) -> None:
        self.scratch = Scratch()

    def columns(self) -> list[str]:
        return [f.name for f in fields(self)]  # type: ignore[arg-type]

    @property
    def size(self) -> int:
        return self.active.shape[0]

    def ensure_capacity(self, needed: int) -> None:
        if needed <= self.size:
            return
        new = max(needed, int(self.size * 1.5) + 16)
        for name in self.columns():
            setattr(self, name, _grow(getattr(self, name), new))


@dataclass
class EmployeeTable(_Table):
    """One row per desk (seat). A seat is occupied, or vacant until `refill_day`."""

    active: np.ndarray  # seat is occupied by an employee
    team: np.ndarray
    role: np.ndarray  # index of the seat's role in the journey (journey.py)
    age: np.ndarray  # years
    tenure: np.ndarray  # days since hire
    training_left: np.ndarray  # onboarding days still to go (no contacts while > 0)
    skill: np.ndarray  # 0..1, learning curve; speed and resolution
    deviation: np.ndarray  # 0..1, knowing when to leave the script
    engagement: np.ndarray  # work happiness 0..10
    trait: np.ndarray  # individual offset of work happiness (points)
    disposition: np.ndarray  # individual offset of displayed positivity (0..1 scale)
    ability: np.ndarray  # individual x on the chance to resolve (around 1)
    resilience: np.ndarray  # individual offset of the stress target (negative: more resilient)
    manager: np.ndarray  # the team manager's offset of work happiness (points)
    stress: np.ndarray  # 0..1, job demands against resources
    recommend_bias: np.ndarray  # individual offset of the eNPS answer against work happiness
    mirror: np.ndarray  # smoothed experience of the customers served (points around 7)
    contacts_today: np.ndarray
    refill_day: np.ndarray  # for vacant seats: day the replacement starts (-1: not to refill)
    agent_id: np.ndarray  # Mesa unique_id of the occupant, -1 when vacant
    occupants: np.ndarray  # people who have held the seat so far (keys the next hire's draws)

    @classmethod
    def empty(cls, n: int) -> EmployeeTable:
        f = np.zeros
        return cls(
            active=f(n, bool),
            team=f(n, np.int32),
            role=f(n, np.int64),
            age=f(n),
            tenure=f(n),
            training_left=f(n),
            skill=f(n),
            deviation=f(n),
            engagement=f(n),
            trait=f(n),
            disposition=f(n),
            ability=np.ones(n),
            resilience=f(n),
            manager=f(n),
            stress=f(n),
            recommend_bias=f(n),
            mirror=f(n),
            contacts_today=f(n, np.int32),
            refill_day=np.full(n, -1, np.int64),
            agent_id=np.full(n, -1, np.int64),
            occupants=f(n, np.int64),
        )


@dataclass
class CustomerTable(_Table):
    """One row per customer slot; inactive rows are free for newcomers."""

    active: np.ndarray
    satisfaction: np.ndarray  # 0..10
    baseline: np.ndarray  # satisfaction with the product itself, where memory returns to
    expectation: np.ndarray  # points above the population's usual expectation
    tenure: np.ndarray  # days
    value: np.ndarray  # revenue per year
    need_rate: np.ndarray  # service needs per year
    patience: np.ndarray  # seconds in the queue before abandoning
    complain: np.ndarray  # probability of reporting a failure
    recommend_bias: np.ndarray  # offset of the NPS answer against satisfaction
    failures: np.ndarray  # remembered failures (decays)
    failures_ever: np.ndarray  # count of failures (for the paradox: first failure only)
    retry_day: np.ndarray  # day an open problem comes back (-1: none)
    retry_complex: np.ndarray  # the open problem is non-standard
    retry_stage: np.ndarray  # the journey stage of the open problem
    attempts: np.ndarray  # contacts already spent on the open problem
    recovery_day: np.ndarray  # day an approved recovery arrives (-1: none)
    recovery_value: np.ndarray  # satisfaction points it will restore
    recovery_spend_due: np.ndarray  # what that recovery will cost when paid
    ties: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    agent_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Who the customer is for the keyed draws (streams.py), whatever row they sit in: the row
    # for starting customers, the day and order of arrival for newcomers.
    luck: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def empty(cls, n: int, n_ties: int) -> CustomerTable:
        f = np.zeros
        return cls(
            active=f(n, bool),
            satisfaction=f(n),
            baseline=f(n),
            expectation=f(n),
            tenure=f(n),
            value=f(n),
            need_rate=f(n),
            patience=f(n),
            complain=f(n),
            recommend_bias=f(n),
            failures=f(n),
            failures_ever=f(n, np.int32),
            retry_day=np.full(n, -1, np.int64),
            retry_complex=f(n, bool),
            retry_stage=f(n, np.int64),
            attempts=f(n, np.int32),
            recovery_day=np.full(n, -1, np.int64),
            recovery_value=f(n),
            recovery_spend_due=f(n),
            ties=f((n, n_ties), np.int64),
            agent_id=np.full(n, -1, np.int64),
            luck=np.arange(n, dtype=np.int64),
        )

    def end(self) -> int:
        """One past the last active row (0 when nobody is active): every row from here on is
        free. The table grows by half when a day's newcomers outnumber its free rows and
        newcomers take the lowest free rows, so at L a quarter of the table can lie past it."""
        stop = self.size
        while stop > 0:  # backwards in blocks: a reversed view's argmax is 100x slower
            start = max(stop - 65536, 0)
            block = self.active[start:stop]
            if block.any():
                return start + int(np.flatnonzero(block)[-1]) + 1
            stop = start
        return 0

    def free_slots(self, count: int) -> np.ndarray:
        """Indices of `count` free rows, the lowest first, growing the table if needed."""
        end = self.end()  # the holes before it, then every row from it on
        free = np.flatnonzero(
            np.logical_not(self.active[:end], out=self.scratch("free", end, bool))
        )
        if free.size < count:
            free = np.concatenate((free, np.arange(end, self.size)))
        if free.size < count:
            old = self.size
            self.ensure_capacity(old + count - free.size)
            free = np.concatenate((free, np.arange(old, self.size)))
            self.retry_day[old:] = -1
            self.recovery_day[old:] = -1
            self.agent_id[old:] = -1
        return free[:count]


def band(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Index of the band each value falls in (edges are the lower bounds of bands 1..)."""
    return np.searchsorted(np.asarray(edges), values, side="right")
