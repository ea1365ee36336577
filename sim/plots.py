"""Figures: the run's main KPIs over time, one panel per link of the chain; and the journey
heatmap, where the employee journey meets the customer journey."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


DRIVER_TITLES = {
    "want": "want (role x stage)",
    "know": "know (role x stage)",
    "can": "can (role x stage)",
    "feel": "feel (organisation)",
}


def _ordered(frame: pd.DataFrame, column: str) -> list[str]:
    return list(dict.fromkeys(frame[column]))  # the journey's own order, not alphabetical


def journey_figure(journey: pd.DataFrame, path: Path, *, title: str = "") -> None:
    """Stages x roles, one panel per driver (0..1; blank where the role has no part, italic where
    it serves the stage through internal service to the roles that work there), and the
    customers' rating of each stage (0..10) with its failure rate. Takes a journey.parquet
    frame (or a mean of several)."""
    stages, roles = _ordered(journey, "stage"), _ordered(journey, "role")
    fig = Figure(figsize=(3.8 + 4 * (len(roles) * 0.55 + 0.6), 0.55 * len(stages) + 2.6))
    widths = [len(roles) + 0.8] * 4 + [1.4]
    axes = fig.subplots(1, 5, gridspec_kw={"width_ratios": widths})
    fig.subplots_adjust(left=0.09, right=0.95, bottom=0.36, top=0.86, wspace=0.12)
    serves = journey.pivot(index="stage", columns="role", values="serves_here").loc[stages, roles]
    for ax, driver in zip(axes[:4], DRIVER_TITLES, strict=True):
        grid = journey.pivot(index="stage", columns="role", values=driver).loc[stages, roles]
        image = ax.imshow(grid.to_numpy(float), cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy(float)):
            if np.isfinite(v):
                style = "italic" if bool(serves.iat[i, j]) else "normal"
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, style=style)
        ax.set_xticks(range(len(roles)), roles, rotation=50, ha="right", fontsize=8)
        ax.set_yticks(range(len(stages)), stages if ax is axes[0] else [""] * len(stages))
        ax.set_title(DRIVER_TITLES[driver], fontsize=10)
    bar = fig.colorbar(image, ax=axes[:4], orientation="horizontal", fraction=0.05, pad=0.5)
    bar.set_label("driver (0..1); italic: through internal service", fontsize=8)
    stage = journey.drop_duplicates("stage").set_index("stage").loc[stages]
    ax = axes[4]
    cx = stage["stage_cx"].to_numpy(float)[:, None]
    ax.imshow(cx, cmap="RdYlGn", vmin=3.0, vmax=9.0, aspect="auto")
    for i, (v, f) in enumerate(zip(cx[:, 0], stage["stage_failure_rate"], strict=True)):
        ax.text(0, i, f"{v:.1f}\n{100 * f:.1f}% fail", ha="center", va="center", fontsize=7)
    ax.set_xticks([0], ["CX (0-10)"], fontsize=8)
    ax.set_yticks(range(len(stages)), [f"weight {w:.2f}" for w in stage["stage_weight"]])
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.tick_right()
    ax.set_title("customers", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.savefig(path, format="png", dpi=100, bbox_inches="tight")  # crop the margins
