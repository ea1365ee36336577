"""Management as an agent: it reads the surveys and the books on a cycle and moves levers.

Each review (every `management.review_days`) compares the last cycle with the one before and
decides by its rule; the decision takes effect `management.lag_days` later, so cycles of failure
and of success can arise from decisions, not only from fixed settings:

- `cost_focused` cuts when profit dips: fewer staff, less training, more pressure.
- `people_driven` fixes the worst-scoring driver first (want, know, can or feel), within the
  budget for people programmes.
- `balanced` weighs one third employee (eNPS), one third customer (NPS) and one third
  financial (profit) measures, as Sears' balanced scorecard did (Rucci, Kirn & Quinn 1998),
  and acts on the measure that fell most.

Every lever stays inside its schema range; a change that would break the budget is not made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sim.config import RANGES, ManagementConfig, ManagementRule, OrgConfig, PolicyConfig
from sim.finance import programme_intensity
from sim.workforce import DRIVERS


@dataclass(frozen=True)
class Reading:
    """What management sees at a review: this cycle and the one before."""

    day: int
    profit: float
    profit_before: float
    enps: float
    enps_before: float
    nps: float
    nps_before: float
    drivers: dict[str, float] = field(default_factory=dict)


@dataclass
class Decision:
    day: int  # the review day
    effective_day: int
    reason: str
    changes: dict[str, float]


# Which levers act on which driver, in the order management tries them (each one step).
DRIVER_LEVERS: dict[str, tuple[tuple[str, float], ...]] = {
    "want": (("script_strictness", -1.0), ("feedback_sharing", +1.0)),
    "know": (("training", +1.0), ("feedback_sharing", +1.0)),
    "can": (("recovery_authority", +1.0), ("internal_service", +1.0)),
    "feel": (("leadership_consistency", +1.0), ("development", +1.0)),
}
COST_CUTS: tuple[tuple[str, float], ...] = (
    ("staffing_level", -0.5),  # half a step: headcount is the largest cost line
    ("training", -1.0),
    ("productivity_pressure", +1.0),
)


def _moved(policy: PolicyConfig, lever: str, direction: float, step: float) -> float:
    lo, hi = RANGES[f"policy.{lever}"]
    scale = min(hi, 7.0 if lever == "feedback_sharing" else 1.0) - lo  # the lever's usual span
    value = getattr(policy, lever) + direction * step * scale
    return float(min(max(value, lo), hi))


def _people_action(
    reading: Reading, policy: PolicyConfig, org: OrgConfig, cfg: ManagementConfig
) -> tuple[str, dict[str, float]]:
    ranked = sorted(DRIVERS, key=lambda d: reading.drivers.get(d, 1.0))
    for driver in ranked:
        for lever, direction in DRIVER_LEVERS[driver]:
            new = _moved(policy, lever, direction, cfg.step)
            if new == getattr(policy, lever):
                continue  # at the end of its range: try the next lever
            trial = replace(policy, **{lever: new})
            cost = programme_intensity(trial) * org.programme_cost_per_employee_year
            if cost > cfg.budget_per_employee_year:
                continue
            return f"weakest driver '{driver}': {lever}", {lever: new}
    return "no people measure fits the budget", {}


def _cost_action(policy: PolicyConfig, cfg: ManagementConfig) -> tuple[str, dict[str, float]]:
    changes = {lever: _moved(policy, lever, d, cfg.step) for lever, d in COST_CUTS}
    changes = {k: v for k, v in changes.items() if v != getattr(policy, k)}
    return "profit fell: cut costs", changes


def _relative_change(now: float, before: float, scale: float) -> float:
    return (now - before) / scale if scale else 0.0


def decide(
    reading: Reading, policy: PolicyConfig, org: OrgConfig, cfg: ManagementConfig
) -> tuple[str, dict[str, float]]:
    """The rule's answer to a reading: a reason and the lever values to set."""
    rule = ManagementRule(cfg.rule)
    if rule is ManagementRule.none:
        return "no management rule", {}
    if rule is ManagementRule.cost_focused:
        if reading.profit < reading.profit_before:
            return _cost_action(policy, cfg)
        return "profit held: no change", {}
    if rule is ManagementRule.people_driven:
        return _people_action(reading, policy, org, cfg)
    # balanced: one third each; act on the measure that fell most.
    moves = {
        "employee": _relative_change(reading.enps, reading.enps_before, 100.0),
        "customer": _relative_change(reading.nps, reading.nps_before, 100.0),
        "financial": _relative_change(
            reading.profit, reading.profit_before, abs(reading.profit_before)
        ),
    }
    worst = min(moves, key=moves.get)
    if moves[worst] >= 0:
        return "every measure held: no change", {}
    if worst == "financial":
        lever, direction = COST_CUTS[-1]  # a balanced manager pushes productivity, no layoffs
        return "financial measure fell most", {lever: _moved(policy, lever, direction, cfg.step)}
    reason, changes = _people_action(reading, policy, org, cfg)
    return f"{worst} measure fell most; {reason}", changes


def reading_from(history: list[dict[str, Any]], cycle: int) -> Reading | None:
    """Read the last two cycles of the daily KPIs; None until two full cycles exist."""
    if len(history) < 2 * cycle:
        return None
    now, before = history[-cycle:], history[-2 * cycle : -cycle]
    last, first = now[-1], before[-1]
    return Reading(
        day=int(last["day"]),
        profit=float(sum(d["profit"] for d in now)),
        profit_before=float(sum(d["profit"] for d in before)),
        enps=float(last["enps"]),
        enps_before=float(first["enps"]),
        nps=float(last["nps"]),
        nps_before=float(first["nps"]),
        drivers={d: float(last[d]) for d in DRIVERS},
    )
