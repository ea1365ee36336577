"""Service standards: the time staff give a contact, and how overload can erode it for good.

Oliva & Sterman (2001): when demand outruns capacity, staff cut the time they give each
customer to keep up. Management reads the shorter times as the new normal and plans capacity
on them, so the pressure persists and quality stays low after the overload is gone. Here
`effort` is the share of the standard handle time actually given (1 = the full standard), and
the `norm` is the effort management plans headcount with. `policy.hold_standards` = 1 holds
the standard (the norm stays at 1), 0 lets the norm drift to whatever was achieved.
"""

from __future__ import annotations

from sim.config import BehaviourConfig


def effort_today(load_at_full_effort: float, capacity: float, b: BehaviourConfig) -> float:
    """Share of the standard time given today: all of it, unless the floor cannot keep up.

    `load_at_full_effort` is the offered work in erlangs at the standard handle time;
    `capacity` is what the servers carry at the overtime threshold."""
    if load_at_full_effort <= 0 or capacity <= 0:
        return 1.0
    return float(min(1.0, max(b.min_effort, capacity / load_at_full_effort)))


def update_norm(norm: float, effort: float, hold: float, b: BehaviourConfig) -> float:
    """The planning norm drifts toward today's effort, held at the standard by `hold`."""
    target = hold * 1.0 + (1.0 - hold) * effort
    return norm + (target - norm) / b.standard_drift_days
