"""Management as an agent (`management.*`): its rule, how often and how far it acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sim.config.errors import ASSUMPTION as A
from sim.config.errors import param


class ManagementRule(StrEnum):
    """How management reacts to what it reads (issue 7; Sears' balanced scorecard)."""

    none = "none"  # levers stay where the scenario put them
    cost_focused = "cost_focused"  # cuts when profit dips
    people_driven = "people_driven"  # fixes the worst-scoring driver first
    balanced = "balanced"  # one third employee, one third customer, one third financial


@dataclass
class ManagementConfig:
    """Management as an agent: it reads the surveys and the books on a cycle and moves levers."""

    rule: ManagementRule = field(
        default=ManagementRule.none,
        metadata={"doc": "decision rule: none, cost_focused, people_driven or balanced"},
    )
    review_days: int = param(91, 1, 3650, "days", A, "days between management reviews")
    lag_days: int = param(30, 0, 3650, "days", A, "days from a decision to its effect")
    step: float = param(
        0.1, 0.01, 1.0, "share of a lever's scale", A, "size of one decision on one lever"
    )
    budget_per_employee_year: float = param(
        2_000.0,
        0.0,
        1e7,
        "currency / employee / year",
        A,
        "most management will spend on people programmes",
    )
