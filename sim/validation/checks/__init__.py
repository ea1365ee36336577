"""The checks, one per row of docs/TARGETS.md plus the dynamic patterns of the
model's purpose, by section of the report:

    envelope.py   the call-centre operating envelope (baseline): turnover ... Erlang, work happiness
    employee.py   the employee side: market orientation, scripts, burnout, contagion
    customer.py   the customer side: loyalty, complaints, word of mouth, NPS, recovery
    chain.py      the chain across units: Sears, retention leverage, cycles, quality erosion
    lags.py       direction and lags: attitudes lead results, results feed attitudes, the
                  months between EX and CX, concentrated customer value

Each check is declared beside its judge with its published figure (`base.Published`: the claim,
the source and the range a pass needs); `experiment.py` holds the run lists and readings the
checks share. `CHECKS` is the registry, in the order of the report.
"""

from __future__ import annotations

from sim.validation.checks.base import Check, Get, Judgement, Published, Section
from sim.validation.checks.chain import CHAIN
from sim.validation.checks.customer import CUSTOMER
from sim.validation.checks.employee import EMPLOYEE
from sim.validation.checks.envelope import ENVELOPE
from sim.validation.checks.lags import LAGS

SECTIONS: tuple[Section, ...] = (ENVELOPE, EMPLOYEE, CUSTOMER, CHAIN, LAGS)
CHECKS: dict[str, Check] = {c.name: c for section in SECTIONS for c in section.checks}


def check_names() -> list[str]:
    """Every check's name, in the order of the report."""
    return list(CHECKS)


__all__ = ["CHECKS", "SECTIONS", "Check", "Get", "Judgement", "Published", "check_names"]
