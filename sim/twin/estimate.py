"""What the data measure directly: the organisation's own figures (with standard errors), the
quit hazard by tenure from the roster as survival data, the operations and the customer base.

Standard methods from well-kept libraries: the quit hazard is lifelines' piecewise-exponential
fit with left truncation (people hired before the period enter the risk set at their tenure on
its first day) and its Kaplan-Meier curve; the rest are ratios of sums over the period.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.twin.data import OrgData
from sim.twin.survival import CoxFit, Mix, cox, mix, panel

NEWCOMER_DAYS, VETERAN_DAYS = 182.0, 5 * 365.0  # the model's tenure bands (sim/workforce.py)
YEAR = 365.0


@dataclass(frozen=True)
class Period:
    """The days the data cover: [start, end], both inclusive."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def split(self, share: float) -> tuple[Period, Period]:
        """The first `share` of the days and the rest."""
        cut = self.start + pd.Timedelta(days=round(self.days * share) - 1)
        return Period(self.start, cut), Period(cut + pd.Timedelta(days=1), self.end)

    def label(self) -> str:
        return f"{self.start.date()} to {self.end.date()} ({self.days} days)"


@dataclass(frozen=True)
class Figure:
    """One observed figure with its standard error and the model statistic that shows it."""

    statistic: str
    value: float
    se: float
    n: str  # what it rests on, for the report ("31 quits", "24 months")


@dataclass
class Hazard:
    """The quit hazard per year in the model's three tenure bands, and the Kaplan-Meier curve."""

    per_year: dict[str, float]  # newcomer (< 182 days), middle, veteran (> 5 years)
    events: dict[str, int]
    exposure_years: dict[str, float]
    km_one_year: float  # share still employed one year after hire
    km_median_years: float  # median tenure (inf when more than half stay)

    def factor(self, band: str) -> float | None:
        """The band's hazard relative to the middle band; None when either has no quit."""
        if self.events[band] == 0 or self.events["middle"] == 0:
            return None
        return self.per_year[band] / self.per_year["middle"]


@dataclass
class Estimates:
    """Everything estimated directly from one period of the data."""

    period: Period
    figures: dict[str, Figure]
    hazard: Hazard
    org: dict[str, float]  # org.* values (before the operations fit)
    headcount: dict[str, int]  # people per role on the period's first day
    teams: list[str]
    mix: Mix  # the starting workforce's tenure and age at hire (privacy-safe quantiles)
    cox: CoxFit | None  # quitting on work happiness, where survey answers carry ids
    cox_rows: int = 0  # answers with an id that joined the roster
    notes: list[str] = field(default_factory=list)


def period_of(data: OrgData) -> Period:
    """The period the data cover: operations' days, else the customer months, else the surveys.

    Raises:
        ValueError: fewer than 90 days.
    """
    if data.has("operations"):
        dates = data["operations"]["date"]
        start, end = dates.min(), dates.max()
    elif data.has("customers"):
        months = data["customers"]["month"]
        start, end = months.min(), months.max() + pd.offsets.MonthEnd(0)
    else:
        dates = data["engagement"]["date"]
        start, end = dates.min(), dates.max()
    return Period(pd.Timestamp(start), pd.Timestamp(end))


def in_period(frame: pd.DataFrame, column: str, p: Period) -> pd.DataFrame:
    return frame[(frame[column] >= p.start) & (frame[column] <= p.end)]


# ---- the roster ------------------------------------------------------------------------------
def survival_table(emp: pd.DataFrame, p: Period) -> pd.DataFrame:
    """One row per person employed during the period: tenure (days) on entering it, on leaving
    it (quit, or still employed at its end) and whether they quit inside it."""
    left = emp["leave_date"]
    there = (emp["hire_date"] <= p.end) & (left.isna() | (left > p.start))
    e = emp[there]
    stop = e["leave_date"].where(e["leave_date"].notna() & (e["leave_date"] <= p.end), p.end)
    entry = (p.start - e["hire_date"]).dt.days.clip(lower=0).astype(float)
    exit_ = (stop - e["hire_date"]).dt.days.astype(float)
    quit_ = e["leave_date"].notna() & (e["leave_date"] <= p.end)
    return pd.DataFrame(
        {"entry": entry, "duration": np.maximum(exit_, entry + 0.5), "quit": quit_.astype(int)}
    )


def hazard(emp: pd.DataFrame, p: Period) -> Hazard:
    """Piecewise-exponential quit hazard in the model's tenure bands (lifelines), with entry
    times for left truncation, and the Kaplan-Meier survival one year after hire."""
    from lifelines import KaplanMeierFitter, PiecewiseExponentialFitter

    s = survival_table(emp, p)
    bands = {"newcomer": (0.0, NEWCOMER_DAYS), "middle": (NEWCOMER_DAYS, VETERAN_DAYS)}
    bands["veteran"] = (VETERAN_DAYS, math.inf)
    events, exposure = {}, {}
    for name, (lo, hi) in bands.items():
        exposure[name] = float((s["duration"].clip(lo, hi) - s["entry"].clip(lo, hi)).sum()) / YEAR
        in_band = (s["duration"] > lo) & (s["duration"] <= hi)
        events[name] = int((s["quit"].astype(bool) & in_band).sum())
    per_year = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pw = PiecewiseExponentialFitter(breakpoints=[NEWCOMER_DAYS, VETERAN_DAYS])
            pw.fit(s["duration"], s["quit"], entry=s["entry"])
            lambdas = pw.params_.to_numpy()  # lifelines: hazard in piece i = 1 / lambda_i
            for i, name in enumerate(bands):
                per_year[name] = float(YEAR / lambdas[i]) if events[name] else 0.0
        except Exception:  # noqa: BLE001 - a band with no exposure: fall back to counts
            per_year = {b: events[b] / exposure[b] if exposure[b] > 0 else 0.0 for b in bands}
        try:
            km = KaplanMeierFitter().fit(s["duration"], s["quit"], entry=s["entry"])
            one_year = float(km.survival_function_at_times(YEAR).iloc[0])
            median = float(km.median_survival_time_) / YEAR
        except Exception:  # noqa: BLE001 - lifelines refuses a curve that truncation empties
            one_year = median = math.nan  # (short periods, few early entries): not shown
    return Hazard(per_year, events, exposure, one_year, median)


def headcount_on(emp: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    left = emp["leave_date"]
    return emp[(emp["hire_date"] <= day) & (left.isna() | (left > day))]


def mean_headcount(emp: pd.DataFrame, p: Period) -> float:
    days = pd.date_range(p.start, p.end, freq="7D")
    return float(np.mean([len(headcount_on(emp, d)) for d in days]))


# ---- the figures ---------------------------------------------------------------------------
def nps_of(scores: pd.Series) -> tuple[float, float]:
    """NPS (-100..100) of 0-10 answers and its standard error (multinomial)."""
    x = scores.dropna().to_numpy()
    if x.size == 0:
        return math.nan, math.nan
    pro, det = (x >= 9).mean(), (x <= 6).mean()
    var = (pro + det - (pro - det) ** 2) / x.size
    return float(100 * (pro - det)), float(100 * math.sqrt(max(var, 0.0)))


def cluster_se(values: pd.Series, groups: pd.Series) -> float:
    """Standard error of a mean from the spread of its waves' means (answers of one wave share
    the same people and the same moment: not independent)."""
    means = values.groupby(groups).mean()
    if len(means) < 2:
        return float(values.std(ddof=1) / math.sqrt(max(len(values), 1)))
    return float(means.std(ddof=1) / math.sqrt(len(means)))


def figures(data: OrgData, p: Period) -> dict[str, Figure]:
    """The organisation's own figures over period `p`, each with its standard error."""
    out: dict[str, Figure] = {}
    emp = data["employees"]
    years = p.days / YEAR
    quits = int(((emp["leave_date"] >= p.start) & (emp["leave_date"] <= p.end)).sum())
    heads = mean_headcount(emp, p)
    rate = quits / heads / years
    out["turnover"] = Figure(
        "employee_turnover_annual",
        rate,
        max(math.sqrt(max(quits, 1)) / heads / years, 0.01),
        f"{quits} leavers, {heads:.0f} people on average",
    )
    eng = in_period(data["engagement"], "date", p)
    if len(eng):
        wh = eng["work_happiness"]
        out["work_happiness"] = Figure(
            "work_happiness_mean",
            float(wh.mean()),
            max(cluster_se(wh, eng["date"]), 0.05),
            f"{len(eng)} answers in {eng['date'].nunique()} waves",
        )
        value, se = nps_of(eng["enps"])
        out["enps"] = Figure("enps", value, se, f"{len(eng)} answers")
    if data.has("customer_survey"):
        cs = in_period(data["customer_survey"], "date", p)
        if len(cs):
            value, se = nps_of(cs["nps"])
            out["nps"] = Figure("nps", value, se, f"{len(cs)} answers")
    if data.has("operations"):
        ops = in_period(data["operations"], "date", p)
        offered = float(ops["contacts"].sum())
        if offered > 0:
            n = len(ops)
            daily_sl = ops["answered_within_target"] / ops["contacts"].where(ops["contacts"] > 0)
            daily_ab = ops["abandoned"] / ops["contacts"].where(ops["contacts"] > 0)
            for key, stat, share, daily in (
                ("service_level", "service_level", ops["answered_within_target"].sum(), daily_sl),
                ("abandon_rate", "abandon_rate", ops["abandoned"].sum(), daily_ab),
            ):
                se = float(daily.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.01
                out[key] = Figure(stat, float(share) / offered, max(se, 0.002), f"{n} days")
            w = ops["answered"].clip(lower=0)
            hs = float(np.average(ops["handle_seconds_mean"], weights=w)) if w.sum() else math.nan
            out["handle_seconds"] = Figure(
                "handle_seconds",
                hs,
                max(float(ops["handle_seconds_mean"].std(ddof=1)) / math.sqrt(n), 1.0),
                f"{n} days",
            )
            out["contacts_per_day"] = Figure(
                "contacts_per_day",
                offered / n,
                float(ops["contacts"].std(ddof=1) / math.sqrt(n)),
                f"{n} days",
            )
            if "first_contact_resolution" in ops and ops["first_contact_resolution"].notna().any():
                f = ops["first_contact_resolution"]
                out["first_contact_resolution"] = Figure(
                    "first_contact_resolution",
                    float(f.mean()),
                    float(f.std(ddof=1) / math.sqrt(n)),
                    f"{n} days",
                )
    if data.has("customers"):
        cu = data["customers"]
        cu = cu[(cu["month"] >= p.start.to_period("M").to_timestamp()) & (cu["month"] <= p.end)]
        if len(cu):
            months = len(cu)
            stock = float(cu["customers"].mean())
            churned = float(cu["churned"].sum())
            per_year = 12.0 / months
            out["churn"] = Figure(
                "customer_churn_annual",
                churned / stock * per_year,
                max(math.sqrt(max(churned, 1.0)) / stock * per_year, 0.002),
                f"{months} months",
            )
            acquired = float(cu["acquired"].sum())
            out["acquisition"] = Figure(
                "acquisition_annual",
                acquired / stock * per_year,
                math.sqrt(max(acquired, 1.0)) / stock * per_year,
                f"{months} months",
            )
            out["customers_mean"] = Figure("customers", stock, 0.0, f"{months} months")
            out["revenue_per_customer"] = Figure(
                "revenue_per_customer_year",
                float(cu["revenue"].sum()) / stock * per_year,
                0.0,
                f"{months} months",
            )
    return out


# ---- the organisation ----------------------------------------------------------------------------
def estimate(data: OrgData, p: Period, front_roles: list[str], warm_days: int = 0) -> Estimates:
    """Direct estimates over period `p`: figures, quit hazard, the org's size and first guesses
    of its operations (refined by running the model: sim/twin/build.py), the starting
    workforce's mix (the model starts `warm_days` before `p`) and the Cox fit of quitting on
    work happiness."""
    emp = data["employees"]
    figs = figures(data, p)
    at_start = headcount_on(emp, p.start)
    if at_start.empty:
        at_start = emp.nsmallest(1, "hire_date")
    heads = {str(k): int(v) for k, v in at_start["role"].value_counts().items()}
    front = sum(heads.get(r, 0) for r in front_roles)
    org: dict[str, float] = {
        "employees": float(max(front, 1)),
        "teams": float(max(at_start["team"].nunique(), 1)),
    }
    notes = []
    if front == 0:
        notes.append("no front-office person on the first day: employees set to 1")
    if "churn" in figs:
        cu = data["customers"].sort_values("month")
        first = cu.iloc[0]
        start_customers = first["customers"] - first["acquired"] + first["churned"]
        org["customers"] = float(max(start_customers, 1))
        org["acquisition_rate"] = (
            figs["acquisition"].value * float(cu["customers"].mean()) / org["customers"]
        )
        org["revenue_per_customer_year"] = figs["revenue_per_customer"].value
    if "contacts_per_day" in figs and "customers_mean" in figs:
        stock = figs["customers_mean"].value
        # About a quarter of contacts are repeats of unresolved problems (the model's default
        # call centre); the first guess of new needs, refined by the operations fit.
        org["contacts_per_customer_year"] = 0.75 * figs["contacts_per_day"].value * YEAR / stock
    if "handle_seconds" in figs:
        # The data's mean includes novices and complex needs; the model's handle_minutes is a
        # skilled agent's standard need: a first guess, refined by the operations fit.
        org["handle_minutes"] = figs["handle_seconds"].value / 60.0 / 1.25
    if "monthly_pay" in emp and emp["monthly_pay"].notna().any():
        org["wage_annual"] = float(12.0 * at_start["monthly_pay"].dropna().mean())
    for key in ("open_hours", "target_wait_seconds", "revenue_per_customer_year", "wage_annual"):
        if key in data.organisation:
            org[key] = float(data.organisation[key])
    eng = data["engagement"]
    rows = panel(eng, emp, p.start, p.end) if "employee_id" in eng else pd.DataFrame({"quit": []})
    return Estimates(
        period=p,
        figures=figs,
        hazard=hazard(emp, p),
        org=org,
        headcount=heads,
        teams=sorted(str(t) for t in at_start["team"].dropna().unique()),
        mix=mix(emp, p.start, warm_days),
        cox=cox(rows) if len(rows) else None,
        cox_rows=len(rows),
        notes=notes,
    )


def quality(data: OrgData, p: Period) -> list[dict[str, Any]]:
    """Data quality per file: rows, coverage of the period, gaps and outliers (|z| > 4)."""
    rows = []
    for name, frame in data.frames.items():
        col = {"employees": "hire_date", "customers": "month"}.get(name, "date")
        first, last = frame[col].min(), frame[col].max()
        gaps, outliers = "", ""
        if name == "operations":
            missing = len(pd.date_range(p.start, p.end)) - frame["date"].nunique()
            gaps = f"{missing} days missing"
            for c in ("contacts", "handle_seconds_mean"):
                x = frame[c].astype(float)
                z = (x - x.mean()) / (x.std(ddof=1) or 1.0)
                outliers += f"{c}: {int((z.abs() > 4).sum())} "
        elif name == "customers":
            months = pd.period_range(first, last, freq="M")
            gaps = f"{len(months) - frame['month'].nunique()} months missing"
        elif name == "engagement":
            gaps = f"{frame['date'].nunique()} survey waves"
        elif name == "employees":
            gaps = f"{int(frame['leave_date'].notna().sum())} leavers in all"
        rows.append(
            {
                "file": name,
                "rows": len(frame),
                "from": str(pd.Timestamp(first).date()),
                "to": str(pd.Timestamp(last).date()),
                "gaps": gaps,
                "outliers (|z| > 4)": outliers.strip() or "-",
                "ignored columns": ", ".join(data.ignored.get(f"{name}.csv", [])) or "-",
            }
        )
    return rows
