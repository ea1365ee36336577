"""95% intervals and verdicts.

Replications are independent seeds, so a figure's interval is the t interval of its mean over
seeds (paired by seed when two arms share a seed), a correlation's is Fisher's z interval, and a
ratio of two pooled counts gets a bootstrap over seeds. A verdict is taken on the interval, not
on the point estimate, so that "enough replications to be sure" is visible in the report:

    pass            the whole interval lies in the published range (or, where the source gives
                    only a direction, excludes zero on the published side)
    direction only  the published number is missed, but the effect has the published sign
    fail            the interval lies outside the range and the direction is wrong or absent
    inconclusive    the interval straddles an edge: more replications are needed to decide
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
PASS, FAIL, DIRECTION, UNSURE = "pass", "fail", "direction only", "inconclusive"


@dataclass(frozen=True)
class Estimate:
    value: float
    lo: float
    hi: float
    n: int

    def fmt(self, spec: str = ".3g", unit: str = "") -> str:
        if not math.isfinite(self.value):
            return "n/a"
        v, lo, hi = (format(x, spec) for x in (self.value, self.lo, self.hi))
        return f"{v}{unit} [{lo}, {hi}]"

    def scaled(self, k: float) -> Estimate:
        lo, hi = sorted((self.lo * k, self.hi * k))
        return Estimate(self.value * k, lo, hi, self.n)


def mean_ci(values: Sequence[float], level: float = LEVEL) -> Estimate:
    """Mean and t interval over replications (NaNs dropped)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, float("-inf"), float("inf"), 1)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(m, m - half, m + half, n)


def paired_ci(a: Sequence[float], b: Sequence[float], level: float = LEVEL) -> Estimate:
    """Mean of a - b over seeds that ran both arms."""
    return mean_ci(np.asarray(a, float) - np.asarray(b, float), level)


def corr_ci(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Estimate:
    """Pearson r with Fisher's z interval."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n < 4 or x.std() == 0 or y.std() == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), n)
    r = float(np.corrcoef(x, y)[0, 1])
    z, se = math.atanh(np.clip(r, -0.999999, 0.999999)), 1 / math.sqrt(n - 3)
    q = stats.norm.ppf(0.5 + level / 2)
    return Estimate(r, math.tanh(z - q * se), math.tanh(z + q * se), n)


def ratio_ci(
    num: Sequence[float], den: Sequence[float], level: float = LEVEL, *, boots: int = 4000
) -> Estimate:
    """sum(num) / sum(den) over seeds, with a percentile bootstrap over seeds."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    n = num.size
    value = float(num.sum() / den.sum()) if den.sum() else float("nan")
    if n < 2:
        return Estimate(value, float("-inf"), float("inf"), n)
    rng = np.random.default_rng(12345)
    idx = rng.integers(0, n, (boots, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num[idx].sum(1) / den[idx].sum(1)
    r = r[np.isfinite(r)]
    lo, hi = np.quantile(r, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(lo), float(hi), n)


def proportion_ci(k: int, n: int, level: float = LEVEL) -> Estimate:
    """A share with its Wilson interval (for pooled counts of independent customers)."""
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    p = k / n
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(p, centre - half, centre + half, n)


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
        return DIRECTION
    if s == FAIL:
        return FAIL
    return UNSURE


def combine(verdicts: Sequence[str]) -> str:
    """All parts must pass; the weakest part sets the verdict."""
    order = [FAIL, UNSURE, DIRECTION, PASS]
    return min(verdicts, key=order.index) if verdicts else UNSURE
