"""The money side of a comparison: what a scenario costs, what it returns, and when it pays.

Definitions (all differences paired by seed with the baseline, then averaged over seeds):

* intervention spend: the costs a management lever sets directly: people programmes, training,
  service recovery, wages and overtime (sim/finance.py). The intervention cost of a scenario is
  the change of this spend against the baseline; it is negative when the scenario saves.
  Recruiting, marketing and cost of sales are left out on purpose: they move as consequences
  (turnover, churn, sales), and so belong to the return, not to the cost.
* profit change: the change of profit (revenue less every cost, the intervention included).
* ROI: profit change / intervention cost, the net return per unit of extra spend (0.5 = every
  unit spent comes back with 50% on top). Undefined (NaN) when the scenario spends no more than
  the baseline: a saving has no return on investment.
* break-even month: the first month from which the cumulative profit difference stays at or above
  zero to the end of the horizon; "not within the horizon" when it ends below zero. The "95% sure"
  variant asks the same of the lower bound of the t interval over seeds.

Months are twelfths of a 365-day year (day d lies in month floor((d - 1) * 12 / 365) + 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_ci, paired, t_interval
from sim.kpis import by_group, subset

# KPIs of a run's months (monthly.parquet, the report's trajectories), in the table's order.
MONTHLY_KPIS = subset(
    "enps",
    "nps",
    "work_happiness_mean",
    "csat_mean",
    "employee_turnover_annual",
    "customer_churn_annual",
)
SPEND_COLUMNS = ("programmes", "training", "recovery", "wages", "overtime")
NOT_WITHIN = "not within the horizon"
DAYS_PER_MONTH = 365.0 / 12.0


def month_of_day(day: np.ndarray | pd.Series) -> np.ndarray:
    """The month (1, 2, ...) of simulated days 1, 2, ... (twelfths of a 365-day year)."""
    return (np.floor((np.asarray(day, dtype=float) - 1.0) * 12.0 / 365.0) + 1).astype(int)


def monthly(ts: pd.DataFrame) -> pd.DataFrame:
    """A run's daily timeseries (ServiceModel.timeseries) as one row per month.

    The KPIs of MONTHLY_KPIS are measured over each month as summary.json measures them over a
    year (sim/kpis.py: survey-like KPIs are means, turnover and churn annualised rates);
    `profit_rate` is the month's profit as a rate per year; `profit`, `revenue` and the spend
    columns are the month's sums (for cumulative sums).
    """
    month = month_of_day(ts["day"])
    d = ts.assign(month=month, spend=ts[list(SPEND_COLUMNS)].sum(axis=1))
    g = d.groupby("month", sort=True)
    out = pd.DataFrame(
        {
            "days": g.size(),
            **{k: by_group(k, ts, month) for k in MONTHLY_KPIS},
            "profit_rate": by_group("profit", ts, month),
            "profit": g["profit"].sum(),
            "revenue": g["revenue"].sum(),
            "spend": g["spend"].sum(),
            **{c: g[c].sum() for c in SPEND_COLUMNS},
        }
    )
    return out.rename_axis("month").reset_index()


def spend_totals(ts: pd.DataFrame, *, window: int = 365) -> dict[str, float]:
    """Intervention spend and profit: over the last `window` days (per year) and over the run."""
    spend = ts[list(SPEND_COLUMNS)].sum(axis=1)
    last = spend.tail(window)
    return {
        "spend_year": float(last.sum() * 365.0 / len(last)),
        "spend_total": float(spend.sum()),
        "profit_total": float(ts["profit"].sum()),
    }


def customer_base(ts: pd.DataFrame, *, window: int = 365) -> dict[str, float]:
    """The customer base at the end of a run and at the start of its last `window` days: the
    end of the horizon and its trend, which a last-year profit alone does not show."""
    customers = ts["customers"].to_numpy(float)
    start = customers[max(0, len(customers) - window - 1)]
    return {
        "customers_end": float(customers[-1]),
        "customers_growth_window": float(customers[-1] / start - 1.0) if start else math.nan,
    }


def break_even_month(cumulative: Sequence[float] | np.ndarray) -> int | None:
    """First month (1-based) from which `cumulative` stays >= 0 to the end; None if it ends < 0."""
    c = np.asarray(cumulative, dtype=float)
    if c.size == 0 or not np.isfinite(c[-1]) or c[-1] < 0:
        return None
    below = np.flatnonzero(~(c >= 0))  # NaN counts as below
    return int(below[-1] + 2) if below.size else 1


def roi(profit_change: float, cost: float) -> float:
    """Net return per unit of extra spend; NaN when the scenario spends no more than baseline."""
    if not (math.isfinite(profit_change) and math.isfinite(cost)) or cost <= 0:
        return math.nan
    return profit_change / cost


def cumulative_difference(
    months: pd.DataFrame, scenario: str, baseline: str, *, conf: float = 0.95
) -> pd.DataFrame:
    """Per month: mean cumulative profit difference to the baseline over seeds, with its interval.

    Args:
        months: one row per run and month with `scenario`, `seed`, `month` and `profit` (sums).
    """
    wide = months.pivot_table(index="month", columns=["scenario", "seed"], values="profit")
    a, b = wide[scenario], wide[baseline]
    seeds = sorted(set(a.columns) & set(b.columns))
    if set(a.columns) != set(b.columns):
        raise ValueError(f"{scenario} and {baseline} ran different seeds")
    cum = (a[seeds] - b[seeds]).cumsum()
    rows = []
    for month, values in cum.iterrows():
        lo, hi = t_interval(values.to_numpy(), conf)
        rows.append({"month": int(month), "mean": float(values.mean()), "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def economics_table(
    runs: pd.DataFrame,
    months: pd.DataFrame,
    *,
    baseline: str = "baseline",
    conf: float = 0.95,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per scenario: intervention cost, profit change, ROI and break-even month.

    Args:
        runs: one row per run: `scenario`, `seed`, `profit` (last year, per year) and the
            columns of `spend_totals`.
        months: one row per run and month (see `monthly`), with `scenario` and `seed`.
    """
    names = list(order) if order is not None else list(dict.fromkeys(runs["scenario"]))
    rows = []
    for scenario in (s for s in names if s != baseline):

        def diff(col: str, s: str = scenario) -> dict[str, float]:
            return mean_ci(paired(runs, col, s, baseline)["diff"], conf)

        cost_y, gain_y = diff("spend_year"), diff("profit")
        cost_t, gain_t = diff("spend_total"), diff("profit_total")
        has_base = {"customers_end", "customers_growth_window"} <= set(runs.columns)
        end = diff("customers_end") if has_base else None
        cum = cumulative_difference(months, scenario, baseline, conf=conf)
        mean_month = break_even_month(cum["mean"])
        sure_month = break_even_month(cum["lo"])
        rows.append(
            {
                "scenario": scenario,
                "n_seeds": cost_y["n"],
                "intervention_cost_year": cost_y["mean"],
                "intervention_cost_year_ci_low": cost_y["lo"],
                "intervention_cost_year_ci_high": cost_y["hi"],
                "profit_change_year": gain_y["mean"],
                "profit_change_year_ci_low": gain_y["lo"],
                "profit_change_year_ci_high": gain_y["hi"],
                "roi_year": roi(gain_y["mean"], cost_y["mean"]),
                "intervention_cost_horizon": cost_t["mean"],
                "profit_change_horizon": gain_t["mean"],
                "profit_change_horizon_ci_low": gain_t["lo"],
                "profit_change_horizon_ci_high": gain_t["hi"],
                "roi_horizon": roi(gain_t["mean"], cost_t["mean"]),
                "horizon_months": int(cum["month"].max()),
                "break_even_month": mean_month if mean_month is not None else NOT_WITHIN,
                "break_even_month_95": sure_month if sure_month is not None else NOT_WITHIN,
                **(_customers(runs, scenario, baseline, end) if end is not None else {}),
            }
        )
    return pd.DataFrame(rows)


def _customers(runs: pd.DataFrame, scenario: str, baseline: str, end: Any) -> dict[str, float]:
    """The scenario's customer base at the end of the horizon against the baseline's, and the
    trend of both over the window (mean over seeds)."""
    growth = runs.groupby("scenario")["customers_growth_window"].mean()
    return {
        "customers_end": float(runs.loc[runs["scenario"] == scenario, "customers_end"].mean()),
        "customers_end_diff": end["mean"],
        "customers_end_diff_ci_low": end["lo"],
        "customers_end_diff_ci_high": end["hi"],
        "customers_growth_window": float(growth[scenario]),
        "baseline_customers_end": float(
            runs.loc[runs["scenario"] == baseline, "customers_end"].mean()
        ),
        "baseline_customers_growth_window": float(growth[baseline]),
    }
