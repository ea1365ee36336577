"""Statistics of a scenario comparison: t intervals, differences paired by seed, win shares.

Every scenario runs with the same seeds as the baseline (common random numbers): seed k draws the
same customers, needs and employees in both, so the difference of one seed's KPI between the
two is mostly the scenario's effect. Pairing by seed removes the between-seed spread from the
interval (Law 2015, *Simulation Modeling and Analysis*, ch. 10-11: paired-t with CRN). The
intervals are the Student t intervals of sim/stats.py (shared with validation); with fewer than
two seeds there is none. Each row also says what the pairing bought: the width of the paired
interval of the difference over the width of Welch's unpaired interval of the same difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.kpis import REGISTRY, directions, units

# The intervals themselves live in sim/stats.py; mean_ci and t_interval are re-exported for the
# studies that read them from here (sim/analysis/economics.py, plan.py).
from sim.stats import mean_ci as mean_ci
from sim.stats import pairing_floor, pairing_width_ratio, variance_split
from sim.stats import t_interval as t_interval

# Which way is better, per KPI with a better direction (sim/kpis.py): +1 higher, -1 lower.
DIRECTION: dict[str, int] = directions()
# Units of every KPI (sim/kpis.py), for tables and axis labels.
UNITS: dict[str, str] = units()


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
    A KPI with no better direction (0) has no winner.
    """
    if direction == 0:
        return math.nan
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return math.nan
    return float(np.mean(direction * d > 0))


def verdict(lo: float, hi: float, direction: int) -> str:
    """`better`, `worse` or `unclear`: does the interval of the difference exclude zero, and which
    way is better for this KPI; `higher` or `lower` for a KPI with no better direction (0)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 <= hi:
        return "unclear"
    up = lo > 0.0
    if direction == 0:
        return "higher" if up else "lower"
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
        kpis: the KPI columns to compare: names of sim/kpis.py's registry.
        baseline: the scenario every other is compared with (its own rows have difference 0).
        conf: confidence level of the t intervals.
        order: the scenarios, in the order of the table (default: baseline first, then as found).

    `pairing_width_ratio` is the width of the paired-t interval of the difference over the width
    of Welch's unpaired interval of the same difference (sim.stats.pairing_width_ratio): near 0
    when the common random numbers cancel the seeds' luck, about 1 when pairing bought nothing;
    NaN for the baseline itself and with fewer than two seeds. `pairing_floor` is the ratio
    perfect pairing would reach with these arms' spreads (sim.stats.pairing_floor): a ratio
    near its floor is as good as common random numbers can make it.
    """
    names = list(order) if order is not None else list(dict.fromkeys(runs["scenario"]))
    if baseline not in names:
        names = [baseline, *names]
    rows = []
    for scenario in names:
        for kpi in kpis:
            direction = REGISTRY[kpi].better
            pair = paired(runs, kpi, scenario, baseline)
            level = mean_ci(pair["scenario"], conf)
            base = mean_ci(pair["baseline"], conf)
            diff = mean_ci(pair["diff"], conf)
            ttest = (
                stats.ttest_rel(pair["scenario"], pair["baseline"], nan_policy="omit")
                if scenario != baseline and diff.n >= 2 and pair["diff"].std() > 0
                else None
            )
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "unit": REGISTRY[kpi].unit,
                    "better_if": REGISTRY[kpi].better_if,
                    "n_seeds": level.n,
                    "mean": level.mean,
                    "ci_low": level.lo,
                    "ci_high": level.hi,
                    "baseline_mean": base.mean,
                    "diff": diff.mean,
                    "diff_ci_low": diff.lo,
                    "diff_ci_high": diff.hi,
                    "pairing_width_ratio": math.nan
                    if scenario == baseline
                    else pairing_width_ratio(pair["scenario"], pair["baseline"], conf),
                    "pairing_floor": math.nan
                    if scenario == baseline
                    else pairing_floor(pair["scenario"], pair["baseline"], conf),
                    "diff_pct": 100.0 * diff.mean / abs(base.mean) if base.mean else math.nan,
                    "p_value": float(ttest.pvalue) if ttest is not None else math.nan,
                    "beats_baseline_share": math.nan
                    if scenario == baseline
                    else beats_share(pair["diff"], direction),
                    "verdict": "reference"
                    if scenario == baseline
                    else verdict(diff.lo, diff.hi, direction),
                }
            )
    return pd.DataFrame(rows)


def by_replication(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Seeds that shared a drawn parameter set (uncertainty=parameters) averaged into their
    `replication_group`, which then stands in the `seed` column: the groups, not the seeds, are
    the independent replications, so every interval and pairing downstream is over them.

    Args:
        frame: one row per run (or run and `keys`), with `seed` and `replication_group`.
        keys: the columns that identify a row besides the seed (e.g. `scenario`, `month`).
    """
    numeric = [
        c
        for c in frame.select_dtypes("number").columns
        if c not in (*keys, "seed", "replication_group", "parameter_set")
    ]
    grouped = frame.groupby([*keys, "replication_group"], sort=True)[numeric].mean()
    return grouped.reset_index().rename(columns={"replication_group": "seed"})


def variance_shares(
    runs: pd.DataFrame,
    kpis: Sequence[str],
    *,
    baseline: str,
    order: Sequence[str],
    label: str = "scenario",
) -> pd.DataFrame:
    """How much of the spread between replications is seed noise and how much parameter
    uncertainty, per scenario and KPI (sim.stats.variance_split over the drawn sets): of the
    difference to the baseline for a scenario, of the level for the baseline itself.

    Args:
        runs: one row per run with `label` (the arm), `seed`, `parameter_set` and the KPIs.
    """
    sets = runs[runs[label] == baseline].set_index("seed")["parameter_set"]
    rows = []
    for scenario in order:
        for kpi in kpis:
            pair = paired(runs, kpi, scenario, baseline, label=label)
            spread = pair["baseline"] if scenario == baseline else pair["diff"]
            within, between = variance_split(spread, sets.reindex(pair.index))
            rows.append(
                {
                    label: scenario,
                    "kpi": kpi,
                    "var_seed_share": within,
                    "var_parameter_share": between,
                }
            )
    return pd.DataFrame(rows)


def band(frame: pd.DataFrame, value: str, by: Sequence[str], conf: float = 0.95) -> pd.DataFrame:
    """Mean and t interval of `value` over the rows of each group (e.g. over seeds per month)."""
    out = []
    for key, grp in frame.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        m = mean_ci(grp[value].to_numpy(), conf)
        out.append({**dict(zip(by, key, strict=True)), "mean": m.mean, "lo": m.lo, "hi": m.hi})
    return pd.DataFrame(out)
