"""The roster as people, summarised so that no person shows: the starting workforce's tenure and
age mix as privacy-safe quantiles, and how quitting depends on work happiness (a Cox model on the
survey answers that carry employee ids).

Privacy of the quantiles: a 0% or 100% quantile of a small roster is one person's own value. The
quantiles here are Harrell-Davis estimates (scipy's `hdquantiles`: each a weighted mean of every
order statistic, not any one person's value), the two ends taken at 2.5% and 97.5% instead of
0% and 100%, rounded to 0.1 year, and only from at least MIN_PEOPLE people (else empty: the
model's built-in assumption stands, and twin.md says so).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_PEOPLE = 20  # fewer people: no quantiles written (one person would weigh too much)
# Levels written as the model's 0%, 10%, ..., 100%: the ends at 2.5% / 97.5% (never a min/max).
LEVELS = np.r_[0.025, np.linspace(0.1, 0.9, 9), 0.975]
YEAR = 365.25
# Bands of the mix table in twin.md (years): the roster beside the twin's workforce.
TENURE_BANDS = ((0, 0.5, "under 6 months"), (0.5, 2, "6 months - 2 years"), (2, 5, "2-5 years"))
TENURE_BANDS += ((5, 10, "5-10 years"), (10, math.inf, "over 10 years"))
AGE_BANDS = ((0, 30, "under 30"), (30, 40, "30-39"), (40, 50, "40-49"), (50, math.inf, "50+"))


def private_quantiles(values: np.ndarray, lo: float, hi: float) -> list[float]:
    """11 quantiles (as 0%..100%) that show no one's own value; [] under MIN_PEOPLE people."""
    from scipy.stats.mstats import hdquantiles

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < MIN_PEOPLE:
        return []
    q = np.asarray(hdquantiles(x, prob=LEVELS), dtype=float)
    q = np.clip(np.maximum.accumulate(np.round(q, 1)), lo, hi)
    return [float(v) for v in q]


def tenure_at(emp: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Tenure (years) on `day` of the people employed then."""
    there = (emp["hire_date"] <= day) & (emp["leave_date"].isna() | (emp["leave_date"] > day))
    return ((day - emp.loc[there, "hire_date"]).dt.days / YEAR).to_numpy(dtype=float)


def age_at(emp: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Age (years) on `day` of the people employed then (born mid-year: only the year is kept)."""
    there = (emp["hire_date"] <= day) & (emp["leave_date"].isna() | (emp["leave_date"] > day))
    born = emp.loc[there, "birth_year"].astype(float) + 0.5
    return (day.year + (day.dayofyear - 1) / YEAR - born).to_numpy(dtype=float)


def hire_ages(emp: pd.DataFrame) -> np.ndarray:
    """Age at hire (years) of everyone in the roster, from birth_year and hire_date."""
    h = emp["hire_date"]
    return (
        h.dt.year + (h.dt.dayofyear - 1) / YEAR - emp["birth_year"].astype(float) - 0.5
    ).to_numpy(dtype=float)


@dataclass(frozen=True)
class Mix:
    """The starting workforce as the model takes it (org.start_tenure_years / hire_age_years)
    and the roster's shares by band on the period's first day (for the report)."""

    start_tenure_years: list[float]  # [] = too few people: the model's assumption
    hire_age_years: list[float]
    people_at_start: int
    people_hired: int
    tenure_shares: dict[str, float]
    age_shares: dict[str, float]


def shares(values: np.ndarray, bands: tuple[tuple[float, float, str], ...]) -> dict[str, float]:
    """The share of `values` in each band [lo, hi)."""
    n = max(values.size, 1)
    return {label: float(((values >= lo) & (values < hi)).sum() / n) for lo, hi, label in bands}


def mix(emp: pd.DataFrame, start: pd.Timestamp, warm_days: int) -> Mix:
    """The roster's mix on `start` (the fit period's first day), as the model's start takes it.

    The model starts `warm_days` before the period, so the tenures are taken back by the
    warm-up (floored at 0: who was hired during it enters as a new hire); the twin's workforce
    on the period's first day is compared with the roster's in twin.md."""
    tenure = tenure_at(emp, start)
    return Mix(
        start_tenure_years=private_quantiles(np.maximum(tenure - warm_days / YEAR, 0.0), 0.0, 60.0),
        hire_age_years=private_quantiles(hire_ages(emp), 14.0, 80.0),
        people_at_start=int(tenure.size),
        people_hired=len(emp),
        tenure_shares=shares(tenure, TENURE_BANDS),
        age_shares=shares(age_at(emp, start), AGE_BANDS),
    )


def model_shares(tenure_days: np.ndarray, age_years: np.ndarray) -> dict[str, float]:
    """The same bands over a run's active workforce (keys prefixed tenure: / age:)."""
    out = {f"tenure:{k}": v for k, v in shares(tenure_days / 365.0, TENURE_BANDS).items()}
    return out | {f"age:{k}": v for k, v in shares(age_years, AGE_BANDS).items()}


# ---- quitting and work happiness ---------------------------------------------------------------
@dataclass(frozen=True)
class CoxFit:
    """Cox model of the quit hazard on the latest work-happiness answer (time-varying), on the
    tenure time scale (its baseline hazard absorbs the tenure bands)."""

    coef: float  # log hazard per point of work happiness (negative: happier people stay)
    se: float
    people: int
    quits: int
    answers: int

    @property
    def slope(self) -> float:
        """The model's quit_engagement_slope this coefficient implies (log h rises by slope per
        point below 7: d log h / d happiness = -slope)."""
        return -self.coef

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        return (-self.coef - z * self.se, -self.coef + z * self.se)


MIN_QUITS = 10  # fewer quits among the people with answers: no Cox fit


def panel(
    answers: pd.DataFrame, emp: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Long format for lifelines' CoxTimeVaryingFitter: one row per person and interval between
    their answers (tenure days), the latest answer, and whether they left at its end.

    `answers`: employee_id, date, work_happiness (the rows with an id); `emp`: the roster."""
    a = answers[(answers["date"] >= start) & (answers["date"] <= end)]
    a = a[a["employee_id"] >= 0].merge(
        emp[["employee_id", "hire_date", "leave_date"]], on="employee_id", how="inner"
    )
    a = a[(a["date"] >= a["hire_date"]) & (a["leave_date"].isna() | (a["date"] < a["leave_date"]))]
    if a.empty:
        return pd.DataFrame(columns=["id", "start", "stop", "happiness", "quit"])
    a = a.sort_values(["employee_id", "date"])
    nxt = a.groupby("employee_id")["date"].shift(-1)
    stop_date = a["leave_date"].where(a["leave_date"].notna() & (a["leave_date"] <= end), end)
    last = nxt.isna()
    until = nxt.where(~last, stop_date)
    rows = pd.DataFrame(
        {
            "id": a["employee_id"].to_numpy(),
            "start": (a["date"] - a["hire_date"]).dt.days.to_numpy(dtype=float),
            "stop": (until - a["hire_date"]).dt.days.to_numpy(dtype=float),
            "happiness": a["work_happiness"].to_numpy(dtype=float),
            "quit": (last & a["leave_date"].notna() & (a["leave_date"] <= end)).to_numpy(dtype=int),
        }
    )
    rows = rows[rows["stop"] > rows["start"]]
    return rows


def cox(rows: pd.DataFrame) -> CoxFit | None:
    """The fit, or None with fewer than MIN_QUITS quits or no spread in the answers."""
    from lifelines import CoxTimeVaryingFitter

    quits = int(rows["quit"].sum()) if len(rows) else 0
    if quits < MIN_QUITS or rows["happiness"].nunique() < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = CoxTimeVaryingFitter(penalizer=0.0).fit(
                rows, id_col="id", event_col="quit", start_col="start", stop_col="stop"
            )
        except Exception:  # noqa: BLE001 - lifelines' convergence errors: no estimate, said so
            return None
    return CoxFit(
        coef=float(fit.params_["happiness"]),
        se=float(fit.standard_errors_["happiness"]),
        people=int(rows["id"].nunique()),
        quits=quits,
        answers=len(rows),
    )
