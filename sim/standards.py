"""Service standards: the time staff give a contact, and how overload can erode it for good.

Oliva & Sterman (2001): when demand outruns capacity, staff cut the time they give each
customer to keep up. Management reads the shorter times as the new normal and plans capacity
on them, and staff work to the norm they now perceive: with slack again they drift back toward
the full standard only slowly. So the pressure persists and quality stays low after the
overload is gone. Here `effort` is the share of the standard handle time actually given
(1 = the full standard) and the `norm` is the effort the floor and the planners consider
normal. `policy.hold_standards` = 1 holds the standard (the norm is pulled back to 1),
0 lets the norm drift to whatever was achieved.
"""

from __future__ import annotations

from sim.config import StandardsBehaviour


def effort_today(
    load_at_full_effort: float, capacity: float, norm: float, b: StandardsBehaviour
) -> float:
    """Share of the standard time given today.

    Pressed (the floor cannot keep up at the norm): as much as keeping up allows, down to
    `min_effort`. With slack: the norm, plus `slack_recovery` of the way back to the standard.
    `load_at_full_effort` is the offered work in erlangs at the standard handle time;
    `capacity` is what the servers carry at the overtime threshold."""
    keep_up = capacity / load_at_full_effort if load_at_full_effort > 0 else float("inf")
    if capacity <= 0:
        return 1.0
    relaxed = norm + b.slack_recovery * (1.0 - norm)
    return float(min(relaxed, max(b.min_effort, keep_up)))


def update_norm(norm: float, effort: float, hold: float, b: StandardsBehaviour) -> float:
    """The norm drifts toward today's effort, held at the standard by `hold`."""
    target = hold * 1.0 + (1.0 - hold) * effort
    return norm + (target - norm) / b.standard_drift_days
