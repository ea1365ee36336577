"""Statistics over replications, shared by validation (sim/validation) and the comparison of
scenarios (sim/analysis/stats.py): one definition of an interval for the whole project.

Replications are independent seeds, so a figure's interval is the Student t interval of its
mean over seeds; two arms that share seeds (common random numbers) are compared by the t
interval of their per-seed differences (Law 2015, *Simulation Modeling and Analysis*, ch. 10-11:
paired-t with CRN), and arms that do not share seeds by Welch's interval. A correlation gets
Fisher's z interval, a ratio of pooled counts a bootstrap over seeds, a pooled share Wilson's
interval. Quantiles and degrees of freedom come from scipy.stats.

One value has no interval. The t interval's half-width is t(n-1) * s / sqrt(n), and with n = 1
there are no degrees of freedom and the sample spread s (n - 1 in the denominator) is 0/0: the
data say nothing about how far the mean could be off. The interval is therefore undefined, NaN:
not zero width (that would claim certainty from one seed) and not a number such as
(-inf, inf) that tables and plots would have to special-case. Every verdict on a NaN interval
is "not sure" (validation: inconclusive; comparison: unclear), which is what one seed allows.
A spread of exactly zero over two or more values does give a zero-width interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
NAN = float("nan")

Values = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Estimate:
    """A figure with its interval over `n` replications (lo, hi NaN: no interval)."""

    value: float
    lo: float
    hi: float
    n: int

    @property
    def mean(self) -> float:
        return self.value

    @property
    def width(self) -> float:
        return self.hi - self.lo

    def __getitem__(self, key: str) -> float | int:
        """Read as a mapping (`est["mean"]`, `["lo"]`, `["hi"]`, `["n"]`): the comparison
        tables (sim/analysis) were written against a dict with these keys."""
        if key not in ("mean", "lo", "hi", "n"):
            raise KeyError(key)
        return getattr(self, key)

    def fmt(self, spec: str = ".3g", unit: str = "") -> str:
        """`value unit [lo, hi]`; `n/a` without a value, and said so without an interval."""
        if not math.isfinite(self.value):
            return "n/a"
        v = format(self.value, spec)
        if math.isnan(self.lo) or math.isnan(self.hi):
            return f"{v}{unit} [no interval, n={self.n}]"
        lo, hi = format(self.lo, spec), format(self.hi, spec)
        return f"{v}{unit} [{lo}, {hi}]"

    def scaled(self, k: float) -> Estimate:
        lo, hi = sorted((self.lo * k, self.hi * k))
        return Estimate(self.value * k, lo, hi, self.n)


def _finite(values: Values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def _t_quantile(level: float, df: float) -> float:
    return float(stats.t.ppf(0.5 + level / 2, df))


def mean_ci(values: Values, level: float = LEVEL) -> Estimate:
    """Mean and Student t interval over replications (NaN values dropped).

    No values: everything NaN. One value: the mean with a NaN interval (see the module's
    docstring). A zero spread gives a zero-width interval.
    """
    x = _finite(values)
    n = x.size
    if n == 0:
        return Estimate(NAN, NAN, NAN, 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, NAN, NAN, 1)
    half = float(_t_quantile(level, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(m, m - half, m + half, n)


def t_interval(values: Values, conf: float = LEVEL) -> tuple[float, float]:
    """The Student t interval of the mean of `values` (NaN values dropped): (lo, hi), NaN with
    fewer than two values."""
    est = mean_ci(values, conf)
    return est.lo, est.hi


def paired_ci(a: Values, b: Values, level: float = LEVEL) -> Estimate:
    """Mean of a - b over replications that ran both arms (same seed at the same position),
    with the paired t interval."""
    return mean_ci(np.asarray(a, float) - np.asarray(b, float), level)


def welch_ci(a: Values, b: Values, level: float = LEVEL) -> Estimate:
    """mean(a) - mean(b) with Welch's unpaired t interval (NaN values dropped; unequal
    variances; Welch-Satterthwaite degrees of freedom). `n` is the smaller arm's count.

    The interval is NaN when an arm has fewer than two values, zero width when both arms have
    no spread.
    """
    x, y = _finite(a), _finite(b)
    n = min(x.size, y.size)
    if n == 0:
        return Estimate(NAN, NAN, NAN, 0)
    d = float(x.mean() - y.mean())
    if n < 2:
        return Estimate(d, NAN, NAN, n)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(va + vb)
    if se == 0.0:
        return Estimate(d, d, d, n)
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = _t_quantile(level, df) * se
    return Estimate(d, d - half, d + half, n)


def pairing_width_ratio(a: Values, b: Values, level: float = LEVEL) -> float:
    """Width of the paired t interval of mean(a - b) / width of Welch's unpaired interval of the
    same difference, over the seeds where both arms have a value.

    It says what pairing by seed bought: near 0 when the arms move together from seed to seed
    (common random numbers cancel the seeds' luck), about 1 or a little more when they are
    independent (with no correlation the two standard errors agree and the paired t has the
    fewer degrees of freedom), above that when they move against each other. NaN with fewer
    than two pairs or when the unpaired interval has no width.
    """
    arms = _paired_arms(a, b, level)
    if arms is None:
        return NAN
    x, y, unpaired = arms
    return paired_ci(x, y, level).width / unpaired


def _paired_arms(a: Values, b: Values, level: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The seeds where both arms have a value, and Welch's interval width over them; None with
    fewer than two such seeds or an unpaired interval without width."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape:
        raise ValueError(f"paired arms differ in length: {x.size} vs {y.size}")
    both = np.isfinite(x) & np.isfinite(y)
    x, y = x[both], y[both]
    if x.size < 2:
        return None
    unpaired = welch_ci(x, y, level).width
    return (x, y, unpaired) if unpaired > 0.0 else None


def pairing_floor(a: Values, b: Values, level: float = LEVEL) -> float:
    """The smallest `pairing_width_ratio` any pairing could reach with these two arms: the ratio
    if the arms moved together perfectly (correlation 1), when the sd of the difference is
    |sd(a) - sd(b)|. An arm far more spread than the other (a scenario that amplifies the seeds'
    luck) keeps the ratio up whatever random numbers the arms share. NaN as the ratio is."""
    arms = _paired_arms(a, b, level)
    if arms is None:
        return NAN
    x, y, unpaired = arms
    sd = abs(float(x.std(ddof=1)) - float(y.std(ddof=1)))
    return 2.0 * _t_quantile(level, x.size - 1) * sd / math.sqrt(x.size) / unpaired


def variance_split(values: Values, groups: Values) -> tuple[float, float]:
    """How much of the spread of `values` is between groups and how much within them:
    (within share, between share), summing to 1; NaN with fewer than two groups or no group of
    two.

    The one-way random-effects ANOVA estimator (Searle, Casella & McCulloch 1992, *Variance
    Components*, ch. 3): within = the pooled within-group mean square, between =
    max(0, (MS_between - MS_within) / n0) with n0 the effective group size of an unbalanced
    design. With groups = the parameter set a replication drew, within is seed noise and
    between is parameter uncertainty (the law of total variance over the set).
    """
    x = np.asarray(values, float)
    g = np.asarray(groups)
    if x.shape != g.shape:
        raise ValueError(f"values and groups differ in length: {x.size} vs {g.size}")
    ok = np.isfinite(x)
    frame = pd.DataFrame({"x": x[ok], "g": g[ok]})
    sizes = frame.groupby("g")["x"].size()
    k, n = sizes.size, int(sizes.sum())
    if k < 2 or n <= k:
        return NAN, NAN
    means = frame.groupby("g")["x"].transform("mean")
    ms_within = float(((frame["x"] - means) ** 2).sum()) / (n - k)
    ms_between = float((sizes * (frame.groupby("g")["x"].mean() - frame["x"].mean()) ** 2).sum())
    ms_between /= k - 1
    n0 = (n - float((sizes**2).sum()) / n) / (k - 1)
    between = max(0.0, (ms_between - ms_within) / n0)
    total = between + ms_within
    if not total > 0.0:
        return NAN, NAN
    return ms_within / total, between / total


def corr_ci(x: Values, y: Values, level: float = LEVEL) -> Estimate:
    """Pearson r with Fisher's z interval (pairs with a NaN dropped; NaN below 4 pairs)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n < 4 or x.std() == 0 or y.std() == 0:
        return Estimate(NAN, NAN, NAN, n)
    r = float(np.corrcoef(x, y)[0, 1])
    z, se = math.atanh(np.clip(r, -0.999999, 0.999999)), 1 / math.sqrt(n - 3)
    q = stats.norm.ppf(0.5 + level / 2)
    return Estimate(r, math.tanh(z - q * se), math.tanh(z + q * se), n)


def ratio_ci(num: Values, den: Values, level: float = LEVEL, *, boots: int = 4000) -> Estimate:
    """sum(num) / sum(den) over seeds, with a percentile bootstrap over seeds (a fixed
    bootstrap seed, so a report is reproducible); no interval with fewer than two seeds."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    n = num.size
    value = float(num.sum() / den.sum()) if den.sum() else NAN
    if n < 2:
        return Estimate(value, NAN, NAN, n)
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
        return Estimate(NAN, NAN, NAN, 0)
    p = k / n
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(p, float(centre - half), float(centre + half), n)


__all__ = [
    "LEVEL",
    "Estimate",
    "corr_ci",
    "mean_ci",
    "paired_ci",
    "pairing_floor",
    "pairing_width_ratio",
    "proportion_ci",
    "ratio_ci",
    "t_interval",
    "variance_split",
    "welch_ci",
]


# ---- regression (the chain across units) --------------------------------------------------
@dataclass(frozen=True)
class Fit:
    """An OLS coefficient with its standard error and confidence interval."""

    term: str
    coef: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    r2: float
    n: int


def ols(y: Sequence[float], X: dict[str, Sequence[float]], *, conf: float = 0.95) -> list[Fit]:
    """Ordinary least squares of y on an intercept and the columns of X.

    Classical (homoscedastic) standard errors, t intervals with n - k - 1 degrees of freedom:
    for one regressor the same slope, standard error and p-value as scipy.stats.linregress.

    Returns:
        One Fit per term: "intercept" first, then the columns of X in order.
    """
    y = np.asarray(y, dtype=float)
    names = list(X)
    A = np.column_stack([np.ones_like(y)] + [np.asarray(X[k], dtype=float) for k in names])
    n, k = A.shape
    if n <= k:
        raise ValueError(f"OLS needs more observations ({n}) than terms ({k})")
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ beta
    dof = n - k
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(A.T @ A)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else float("nan")
    tcrit = float(stats.t.ppf(0.5 + conf / 2.0, dof))
    out = []
    for i, term in enumerate(["intercept", *names]):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = beta[i] / se[i] if se[i] > 0 else math.copysign(math.inf, beta[i] or 1.0)
        p = float(2.0 * stats.t.sf(abs(t), dof)) if math.isfinite(t) else 0.0
        out.append(
            Fit(
                term,
                float(beta[i]),
                float(se[i]),
                float(beta[i] - tcrit * se[i]),
                float(beta[i] + tcrit * se[i]),
                p,
                r2,
                n,
            )
        )
    return out
