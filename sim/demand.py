"""Demand: who contacts the organisation today, and with what kind of need.

New needs arrive as a Bernoulli thinning of each customer's yearly rate (Poisson in aggregate,
as Brown et al. 2005 found for call arrivals). Problems left unresolved or calls abandoned come
back on their retry day as repeat contacts: the failure demand that the cycle of failure feeds on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.population import CustomerTable
from sim.streams import Streams

if TYPE_CHECKING:  # journey.py imports the encounter, which imports this module
    from sim.journey import Journey


@dataclass(frozen=True)
class Contacts:
    """Today's contacts, one entry per customer who calls."""

    customer: np.ndarray  # customer rows
    complex: np.ndarray  # non-standard need
    repeat: np.ndarray  # the customer tried before for this need
    attempts: np.ndarray  # earlier contacts on this need
    stage: np.ndarray  # the journey stage the need belongs to

    @property
    def count(self) -> int:
        return int(self.customer.size)

    def subset(self, mask: np.ndarray) -> Contacts:
        return Contacts(
            self.customer[mask],
            self.complex[mask],
            self.repeat[mask],
            self.attempts[mask],
            self.stage[mask],
        )


def todays_contacts(
    *,
    customers: CustomerTable,
    day: int,
    journey: Journey,
    demand_factor: float,
    streams: Streams,
) -> Contacts:
    """Stage 2, demand: new needs plus repeats due today; a customer with both calls once, about
    the open one. A new need belongs to one of the stages open at the customer's tenure, and is
    non-standard with that stage's probability. Changes: clears the callers' retry days."""
    rng = streams.today("needs")
    # float32 draws: half the bytes, same law. Few full-table passes, into work arrays kept
    # from day to day (population.Scratch), and none past the last customer (`end`: the rows
    # after it are free, and their draws would be the stream's last): this runs every day.
    n, scratch = customers.end(), customers.scratch
    u = rng.random(out=scratch("demand.u", n, np.float32), dtype=np.float32)
    rate = np.multiply(
        customers.need_rate[:n], demand_factor / 365.0, out=scratch("demand.rate", n)
    )
    calls = np.less(u, rate, out=scratch("demand.calls", n, bool))
    calls |= np.equal(customers.retry_day[:n], day, out=scratch("demand.due", n, bool))
    calls &= customers.active[:n]
    calling = np.flatnonzero(calls)
    is_repeat = customers.retry_day[calling] == day
    # A caller's need is theirs whoever else calls today (draws keyed by customer row).
    u_stage, u_complex = streams.keyed("need_kind", customers.luck[calling], draws=2)
    fresh = ~is_repeat
    stage = customers.retry_stage[calling]  # a repeat comes back at its stage
    stage[fresh] = journey.draw_stages(u_stage[fresh], customers.tenure[calling[fresh]])
    is_complex = customers.retry_complex[calling]
    is_complex[fresh] = u_complex[fresh] < journey.complex_share[stage[fresh]]
    attempts = np.where(is_repeat, customers.attempts[calling], 0)
    customers.retry_day[calling[is_repeat]] = -1
    return Contacts(calling, is_complex, is_repeat, attempts, stage)
