"""Verdicts on intervals: how a check compares the model's figure with the published one.

The intervals are those of sim/stats.py (95%, over seeds). A verdict is taken on the interval,
not on the point estimate, so that "enough replications to be sure" is visible in the report:

    pass            the whole interval lies in the published range (or, where the source gives
                    only a direction, excludes zero on the published side)
    direction only  the published number is missed, but the effect has the published sign
    fail            the interval lies outside the range and the direction is wrong or absent
    inconclusive    the interval straddles an edge, or there is none (one seed): more
                    replications are needed to decide
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.stats import Estimate

PASS, FAIL, DIRECTION_ONLY, UNSURE = "pass", "fail", "direction only", "inconclusive"
VERDICTS = (PASS, DIRECTION_ONLY, UNSURE, FAIL)


def range_verdict(est: Estimate, lo: float, hi: float) -> str:
    """pass if the interval lies in [lo, hi], fail if it misses it, else inconclusive."""
    if not math.isfinite(est.value):
        return FAIL
    if est.lo >= lo and est.hi <= hi:
        return PASS
    if est.hi < lo or est.lo > hi:
        return FAIL
    return UNSURE


def sign_verdict(est: Estimate, sign: int) -> str:
    """pass if the interval excludes zero on the side of `sign`, fail if on the other side."""
    if not math.isfinite(est.value):
        return FAIL
    if (sign > 0 and est.lo > 0) or (sign < 0 and est.hi < 0):
        return PASS
    if (sign > 0 and est.hi < 0) or (sign < 0 and est.lo > 0):
        return FAIL
    return UNSURE


def number_verdict(est: Estimate, lo: float, hi: float, sign: int) -> str:
    """A published number with a sign: pass in range; direction only if the sign holds but
    the number is missed; fail if the sign is wrong; inconclusive otherwise."""
    v = range_verdict(est, lo, hi)
    if v == PASS:
        return PASS
    s = sign_verdict(est, sign)
    if v == FAIL and s == PASS:
        return DIRECTION_ONLY
    if s == FAIL:
        return FAIL
    return UNSURE


def combine(verdicts: Sequence[str]) -> str:
    """All parts must pass; the weakest part sets the verdict."""
    order = [FAIL, UNSURE, DIRECTION_ONLY, PASS]
    return min(verdicts, key=order.index) if verdicts else UNSURE
