"""Statistics of a scenario comparison: t intervals, differences paired by seed, win shares.

Every scenario runs with the same seeds as the baseline (common random numbers): seed k draws the
same customers, needs and employees in both, so the difference of one seed's KPI between the
two is mostly the scenario's effect. Pairing by seed removes the between-seed spread from the
interval (Law 2015, *Simulation Modeling and Analysis*, ch. 10-11: paired-t with CRN). The
intervals are Student t intervals from scipy.stats; with fewer than two seeds there is none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.kpis import directions, units

# Which way is better, per KPI with a better direction (sim/kpis.py): +1 higher, -1 lower.
DIRECTION: dict[str, int] = directions()
# Units of every KPI (sim/kpis.py), for tables and axis labels.
UNITS: dict[str, str] = units()


def t_interval(values: Sequence[float] | np.ndarray, conf: float = 0.95) -> tuple[float, float]:
    """Student t interval of the mean of `values` (NaN values dropped).

    Returns (nan, nan) with fewer than two values; a zero spread gives a zero-width interval.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return math.nan, math.nan
    mean = float(x.mean())
    sem = float(stats.sem(x))
    if sem == 0.0:
        return mean, mean
    lo, hi = stats.t.interval(conf, df=x.size - 1, loc=mean, scale=sem)
    return float(lo), float(hi)


def mean_ci(values: Sequence[float] | np.ndarray, conf: float = 0.95) -> dict[str, float]:
    """Mean, t interval and count of the finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    lo, hi = t_interval(x, conf)
    return {"n": int(x.size), "mean": float(x.mean()) if x.size else math.nan, "lo": lo, "hi": hi}


def paired(
    runs: pd.DataFrame,
    kpi: str,
    scenario: str,
    baseline: str,
    *,
    by: str = "seed",
    label: str = "scenario",
) -> pd.DataFrame:
    """One row per seed: the scenario's and the baseline's value of `kpi`, and their difference.

    Raises:
        ValueError: the two do not have the same seeds (the pairing would be wrong).
    """
    a = runs.loc[runs[label] == scenario, [by, kpi]].set_index(by)[kpi]
    b = runs.loc[runs[label] == baseline, [by, kpi]].set_index(by)[kpi]
    if a.index.has_duplicates or b.index.has_duplicates:
        raise ValueError(f"{scenario} or {baseline}: a {by} appears twice")
    if set(a.index) != set(b.index):
        raise ValueError(
            f"{scenario} and {baseline} ran different {by}s: {sorted(a.index)} vs {sorted(b.index)}"
        )
    b = b.reindex(a.index)
    return pd.DataFrame({"scenario": a, "baseline": b, "diff": a - b}).sort_index()


def beats_share(diff: Sequence[float] | np.ndarray, direction: int) -> float:
    """Share of seeds on which the scenario is strictly better than the baseline.

    `direction` is +1 when higher is better and -1 when lower is better; a tie is not a win.
    """
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return math.nan
    return float(np.mean(direction * d > 0))


def verdict(lo: float, hi: float, direction: int) -> str:
    """`better`, `worse` or `unclear`: does the interval of the difference exclude zero, and which
    way is better for this KPI."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 <= hi:
        return "unclear"
    up = lo > 0.0
    return "better" if (up and direction > 0) or (not up and direction < 0) else "worse"


def compare_table(
    runs: pd.DataFrame,
    kpis: Sequence[str],
    *,
    baseline: str = "baseline",
    conf: float = 0.95,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per scenario x KPI: mean and interval, paired difference to the baseline.

    Args:
        runs: one row per run with columns `scenario`, `seed` and the KPIs.
        kpis: the KPI columns to compare; each needs an entry in DIRECTION.
        baseline: the scenario every other is compared with (its own rows have difference 0).
        conf: confidence level of the t intervals.
        order: the scenarios, in the order of the table (default: baseline first, then as found).
    """
    names = list(order) if order is not None else list(dict.fromkeys(runs["scenario"]))
    if baseline not in names:
        names = [baseline, *names]
    rows = []
    for scenario in names:
        for kpi in kpis:
            direction = DIRECTION[kpi]
            pair = paired(runs, kpi, scenario, baseline)
            level = mean_ci(pair["scenario"], conf)
            base = mean_ci(pair["baseline"], conf)
            diff = mean_ci(pair["diff"], conf)
            ttest = (
                stats.ttest_rel(pair["scenario"], pair["baseline"], nan_policy="omit")
                if scenario != baseline and diff["n"] >= 2 and pair["diff"].std() > 0
                else None
            )
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "unit": UNITS.get(kpi, ""),
                    "better_if": "higher" if direction > 0 else "lower",
                    "n_seeds": level["n"],
                    "mean": level["mean"],
                    "ci_low": level["lo"],
                    "ci_high": level["hi"],
                    "baseline_mean": base["mean"],
                    "diff": diff["mean"],
                    "diff_ci_low": diff["lo"],
                    "diff_ci_high": diff["hi"],
                    "diff_pct": 100.0 * diff["mean"] / abs(base["mean"])
                    if base["mean"]
                    else math.nan,
                    "p_value": float(ttest.pvalue) if ttest is not None else math.nan,
                    "beats_baseline_share": math.nan
                    if scenario == baseline
                    else beats_share(pair["diff"], direction),
                    "verdict": "reference"
                    if scenario == baseline
                    else verdict(diff["lo"], diff["hi"], direction),
                }
            )
    return pd.DataFrame(rows)


def band(frame: pd.DataFrame, value: str, by: Sequence[str], conf: float = 0.95) -> pd.DataFrame:
    """Mean and t interval of `value` over the rows of each group (e.g. over seeds per month)."""
    out = []
    for key, grp in frame.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        m = mean_ci(grp[value].to_numpy(), conf)
        out.append(
            {**dict(zip(by, key, strict=True)), "mean": m["mean"], "lo": m["lo"], "hi": m["hi"]}
        )
    return pd.DataFrame(out)
