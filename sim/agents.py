"""Mesa agents: one per employee and one per customer, each a window onto a row of the arrays.

The day's arithmetic runs over whole populations in `population.py`; the `Manager` reads the
surveys and moves the levers. The person agents let a user
look at (and change) one person: `model.agents_by_type[Employee]`, `emp.engagement`,
`cust.satisfaction = 4.0`. Their attributes read and write the arrays directly, so what an
agent shows is always the model's current state.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

import mesa
from mesa.experimental.mesa_signals import ModelSignals

from sim import management

if TYPE_CHECKING:
    from sim.model import ServiceModel


def _column(table: str, name: str, doc: str) -> property:
    def get(self: _RowAgent) -> float:
        return getattr(self.model, table).__dict__[name][self.row].item()

    def set_(self: _RowAgent, value: float) -> None:
        getattr(self.model, table).__dict__[name][self.row] = value

    return property(get, set_, doc=doc)


class _RowAgent(mesa.Agent):
    model: ServiceModel

    def __init__(self, model: ServiceModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.unique_id} row={self.row}>"


_ADDED = ("agents", ModelSignals.AGENT_ADDED)
_REMOVED = ("agents", ModelSignals.AGENT_REMOVED)
_MESA_LOG = logging.getLogger("MESA.mesa.model")  # mesa.model's own logger


def _quiet(model: mesa.Model, cls: type, signal: tuple) -> bool:
    """Registering (or removing) an agent of `cls` would do nothing but the bookkeeping: nobody
    listens for the model's signal, no dataset tracks the class, Mesa's debug log is off, and the
    class has its agent set already. Anything else (or a Mesa without these internals): the
    agent-by-agent path."""
    try:
        return (
            model._batch_context is None
            and (model._suppress or signal not in model.subscribers)
            and not cls._datasets
            and cls in model._agents_by_type
            and not _MESA_LOG.isEnabledFor(logging.DEBUG)
        )
    except AttributeError:
        return False


def row_agents(model: ServiceModel, cls: type[_RowAgent], rows: list[int]) -> list[_RowAgent]:
    """`[cls(model, row) for row in rows]`, the same agents with the same ids in the same
    order, registered in one pass when nothing watches registrations (`_quiet`): Mesa's
    `register_agent` costs a signal, a debug f-string and two set inserts per agent, which
    was a tenth of a run of 500,000 customers (benchmarks/README.md)."""
    agents: list[_RowAgent] = []
    if rows and not _quiet(model, cls, _ADDED):
        agents.append(cls(model, rows[0]))  # the first of its class creates the agent set
        if not _quiet(model, cls, _ADDED):
            return agents + [cls(model, row) for row in rows[1:]]
        rows = rows[1:]
    first, bulk = model.agent_id_counter, len(agents)
    new, add = cls.__new__, agents.append
    # The cyclic collector would walk the heap every few hundred new agents (none is garbage
    # yet): about 40% of the loop at 500,000 customers. Paused for the loop only.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for uid, row in enumerate(rows, first):
            agent = new(cls)
            agent.model, agent.unique_id, agent.pos, agent.row = model, uid, None, row
            add(agent)
    finally:
        if collecting:
            gc.enable()
    model.agent_id_counter = first + len(rows)
    model._all_agents._agents.update(dict.fromkeys(agents[bulk:]))
    model._agents_by_type[cls]._agents.update(dict.fromkeys(agents[bulk:]))
    return agents


def remove_agents(model: ServiceModel, cls: type[_RowAgent], agents: list[_RowAgent]) -> None:
    """`agent.remove()` for each of these agents of `cls`, in one pass when nothing watches."""
    if not _quiet(model, cls, _REMOVED):
        for agent in agents:
            agent.remove()
        return
    everyone, of_type = model._all_agents._agents, model._agents_by_type[cls]._agents
    for agent in agents:
        try:  # as Agent.remove: an agent already gone is no error
            del of_type[agent]
            del everyone[agent]
        except KeyError:
            pass


class Employee(_RowAgent):
    """A frontline employee at one desk (seat)."""

    team = _column("staff", "team", "team index")
    age = _column("staff", "age", "age in years")
    tenure = _column("staff", "tenure", "days since hire")
    training_left = _column("staff", "training_left", "onboarding days to go")
    skill = _column("staff", "skill", "0..1 learning curve")
    deviation = _column("staff", "deviation", "0..1 knowing when to leave the script")
    engagement = _column("staff", "engagement", "work happiness 0..10")
    stress = _column("staff", "stress", "0..1 job demands against resources")

    @property
    def seat(self) -> int:
        return self.row

    @property
    def enps_answer(self) -> int:
        """How likely (0-10) this employee would recommend the employer, as a survey would read."""
        return int(self.model.survey_answers_employees()[self.row])


class Customer(_RowAgent):
    """A customer with a satisfaction, a memory of failures and a few social ties."""

    satisfaction = _column("customers", "satisfaction", "0..10")
    tenure = _column("customers", "tenure", "days as a customer")
    value = _column("customers", "value", "revenue per year")
    need_rate = _column("customers", "need_rate", "service needs per year")
    patience = _column("customers", "patience", "seconds before abandoning the queue")
    failures = _column("customers", "failures", "remembered failures (decaying)")

    @property
    def nps_answer(self) -> int:
        """How likely (0-10) this customer would recommend the firm."""
        return int(self.model.survey_answers_customers()[self.row])


class Manager(mesa.Agent):
    """Management: reads the surveys and the books every review and moves levers, with a lag.

    The rule is `config.management.rule` (see sim/management.py); with `none` it only watches.
    """

    model: ServiceModel

    def __init__(self, model: ServiceModel) -> None:
        super().__init__(model)
        self.pending: list[management.Decision] = []
        self.decisions: list[management.Decision] = []

    def review(self) -> None:
        """Read the last two cycles and queue the rule's decision for after the lag."""
        cfg = self.model.config.management
        reading = management.reading_from(self.model.history, cfg.review_days)
        if reading is None:
            return
        reason, changes = management.decide(reading, self.model.policy, self.model.org, cfg)
        if changes:
            day = self.model.day
            decision = management.Decision(day, day + cfg.lag_days, reason, changes)
            self.pending.append(decision)
            self.decisions.append(decision)

    def act(self) -> None:
        """Put into force the decisions whose lag is over."""
        due = [d for d in self.pending if d.effective_day <= self.model.day]
        for decision in due:
            for lever, value in decision.changes.items():
                setattr(self.model.policy, lever, value)
            self.pending.remove(decision)
