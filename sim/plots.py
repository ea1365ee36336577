"""Figures: the run's main KPIs over time, one panel per link of the chain."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure  # the object API: no pyplot state, no GUI backend

ROLL = 30  # days: a month's rolling window smooths daily noise in the panels
RATE_ROLL = 91  # days: quits are rare events; a quarter's window shows the rate, not the noise


def _rolling_annual_rate(events: pd.Series, stock: pd.Series) -> pd.Series:
    window = events.rolling(RATE_ROLL, min_periods=1)
    return window.sum() * 365.0 / window.count() / stock


def kpi_figure(ts: pd.DataFrame, path: Path, *, title: str = "") -> None:
    """Six panels: EX, eNPS/NPS, service, quality, turnover/churn, money."""
    days = ts["day"]
    fig = Figure(figsize=(12, 10))
    axes = fig.subplots(3, 2, sharex=True)
    # Fixed margins: tight_layout measured every text box and cost 40% of the figure's time.
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.06, top=0.93, hspace=0.25, wspace=0.18)
    ax = axes[0, 0]
    ax.plot(days, ts["work_happiness_mean"], label="work happiness (0-10)")
    ax.plot(days, ts["csat_mean"], label="customer satisfaction (0-10)")
    ax.set_ylabel("0-10")
    ax.set_title("Employee and customer experience")
    ax.legend(loc="lower left")
    ax = axes[0, 1]
    ax.plot(days, ts["enps"], label="eNPS")
    ax.plot(days, ts["nps"], label="NPS")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("-100 .. +100")
    ax.set_title("Net promoter scores")
    ax.legend(loc="lower left")
    ax = axes[1, 0]
    ax.plot(days, ts["service_level"].rolling(ROLL, min_periods=1).mean(), label="service level")
    ax.plot(days, ts["abandon_rate"].rolling(ROLL, min_periods=1).mean(), label="abandon rate")
    ax.plot(days, ts["occupancy"].rolling(ROLL, min_periods=1).mean(), label="occupancy")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Queue ({ROLL}-day mean)")
    ax.legend(loc="lower left")
    ax = axes[1, 1]
    ax.plot(
        days,
        ts["first_contact_resolution"].rolling(ROLL, min_periods=1).mean(),
        label="first-contact resolution",
    )
    ax.plot(days, ts["stress_mean"], label="stress (0-1)")
    ax.plot(days, ts["skill_mean"], label="skill (0-1)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Service quality and the workforce")
    ax.legend(loc="lower left")
    ax = axes[2, 0]
    ax.plot(days, _rolling_annual_rate(ts["quits"], ts["headcount"]), label="employee turnover")
    ax.plot(days, _rolling_annual_rate(ts["churned"], ts["customers"]), label="customer churn")
    ax.set_ylabel("per year")
    ax.set_title(f"Turnover and churn (annualised, {RATE_ROLL}-day)")
    ax.set_xlabel("day")
    ax.legend(loc="upper left")
    ax = axes[2, 1]
    month = (days - 1) // 30
    # Mean per day x 30, so a last, partial month is not read as a fall in profit.
    monthly = ts.groupby(month)[["revenue", "costs", "profit"]].mean() * 30
    ax.plot(monthly.index * 30 + 15, monthly["profit"], label="profit per 30 days")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title("Profit")
    ax.set_xlabel("day")
    ax.legend(loc="lower left")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=90, format="png")
