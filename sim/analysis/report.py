"""The report of a scenario comparison: figures, Markdown tables and a reading in plain words.

The reading is generated from the numbers, with fixed rules: an effect counts as "clear" when the
95% interval of the paired difference excludes zero; the links of the service-profit chain
(Heskett et al. 1994) are read in order, employees -> service -> customers -> money, and the
text names the links that moved clearly and which way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.analysis.attribution import Report, attribution_section  # noqa: E402
from sim.analysis.economics import cumulative_difference  # noqa: E402
from sim.analysis.reading import (  # noqa: E402
    few_seeds_warning,
    implausible_baseline,
    reading,
    what_these_numbers_are,
)
from sim.analysis.stats import band  # noqa: E402
from sim.analysis.text import fmt, interval, label, markdown_table  # noqa: E402
from sim.kpis import REGISTRY, subset  # noqa: E402

# The headline KPIs: the difference chart, the console table of sim-compare, and one panel each
# in the trajectory figure, drawn from their columns of monthly.parquet (the KPI over each month,
# sim.analysis.economics.monthly, where profit is the month's sum and profit_rate its yearly rate).
HEADLINE = subset(
    "enps", "nps", "work_happiness_mean", "employee_turnover_annual", "csat_mean", "profit"
)
TRAJECTORIES = HEADLINE
MONTHLY_COLUMN = {"profit": "profit_rate"}
SMOOTH_MONTHS = {"employee_turnover_annual": 3, "profit": 3}
# The links of the chain, in order, with the KPIs that show each.
CHAIN = (
    ("employees", subset("work_happiness_mean", "enps", "expected_turnover_annual")),
    ("service", subset("first_contact_resolution", "service_level", "abandon_rate")),
    ("customers", subset("csat_mean", "nps", "customer_churn_annual")),
    # Costs follow revenue (cost of sales): economics.csv has the spend.
    ("money", subset("revenue")),
)
# The width of the paired interval of the difference over the unpaired (Welch) one, per row of
# the comparison table, where sim.analysis.stats.compare_table provides it.
PAIRING = "pairing_width_ratio"
# The ratio perfect pairing would reach with the two arms' spreads (sim.stats.pairing_floor).
FLOOR = "pairing_floor"


# ---- figures --------------------------------------------------------------------------------
def _colours(names: Sequence[str], baseline: str) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    others = [n for n in names if n != baseline]
    out: dict[str, Any] = {baseline: "black"}
    out.update({n: cmap(i % 10) for i, n in enumerate(others)})
    return out


def smoothed(months: pd.DataFrame, col: str, window: int) -> pd.DataFrame:
    """`months` with `col` as a trailing `window`-month mean within each run (scenario, seed)."""
    if window <= 1:
        return months
    out = months.sort_values(["scenario", "seed", "month"]).copy()
    out[col] = out.groupby(["scenario", "seed"], sort=False)[col].transform(
        lambda x: x.rolling(window, min_periods=1).mean()
    )
    return out


def trajectories_figure(
    months: pd.DataFrame, path: Path, *, baseline: str, order: Sequence[str], conf: float = 0.95
) -> None:
    """Six panels of monthly KPIs: one line per scenario, the band its t interval over seeds.

    Quits and monthly profit are noisy in a small organisation: those two panels show a trailing
    3-month mean of each run (SMOOTH_MONTHS) before the mean and interval over seeds.
    """
    colours = _colours(order, baseline)
    fig, axes = plt.subplots(2, 3, figsize=(15, 9), sharex=True)
    for ax, kpi in zip(axes.flat, TRAJECTORIES, strict=True):
        col, window = MONTHLY_COLUMN.get(kpi, kpi), SMOOTH_MONTHS.get(kpi, 1)
        title = f"{REGISTRY[kpi].title()}, {REGISTRY[kpi].unit}"
        b = band(smoothed(months, col, window), col, ["scenario", "month"], conf)
        for name in order:
            d = b[b["scenario"] == name]
            lw = 2.2 if name == baseline else 1.3
            ax.plot(d["month"], d["mean"], color=colours[name], lw=lw, label=name)
            ax.fill_between(d["month"], d["lo"], d["hi"], color=colours[name], alpha=0.15, lw=0)
        ax.set_title(title + (f", {window}-month mean" if window > 1 else ""), fontsize=10)
        if REGISTRY[kpi].quantity == "score":  # a net score's sign matters
            ax.axhline(0, color="grey", lw=0.5)
        if REGISTRY[kpi].quantity == "rate":
            ax.set_ylim(bottom=0)
    for ax in axes[-1]:
        ax.set_xlabel("month")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(order), 8), fontsize=9)
    fig.suptitle(f"KPI trajectories: mean over seeds, band = {conf:.0%} t interval")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def differences_figure(
    table: pd.DataFrame, path: Path, *, baseline: str, kpis: Sequence[str] = HEADLINE
) -> None:
    """One panel per KPI: each scenario's paired difference to the baseline with its interval.

    Green = clearly better, red = clearly worse, grey = interval spans zero.
    """
    kpis = [k for k in kpis if k in set(table["kpi"])]
    d = table[table["scenario"] != baseline]
    names = list(dict.fromkeys(d["scenario"]))
    ncol = 3
    nrow = max(1, math.ceil(len(kpis) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(15, 0.45 * len(names) * nrow + 2.2 * nrow))
    colour = {"better": "tab:green", "worse": "tab:red", "unclear": "grey"}
    y = np.arange(len(names))
    for ax, kpi in zip(np.atleast_1d(axes).flat, kpis, strict=False):
        k = d[d["kpi"] == kpi].set_index("scenario").reindex(names)
        lo = (k["diff"] - k["diff_ci_low"]).fillna(0).clip(lower=0)
        hi = (k["diff_ci_high"] - k["diff"]).fillna(0).clip(lower=0)
        for i in range(len(names)):
            ax.errorbar(
                k["diff"].iloc[i],
                y[i],
                xerr=[[lo.iloc[i]], [hi.iloc[i]]],
                fmt="o",
                color=colour.get(k["verdict"].iloc[i], "grey"),
                capsize=3,
            )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(len(names) - 0.5, -0.5)  # first scenario on top
        info = REGISTRY[kpi]
        better = f"; {info.better_if} is better" if info.better else ""
        ax.set_title(f"{info.title()} ({info.unit}{better})", fontsize=9)
    for ax in list(np.atleast_1d(axes).flat)[len(kpis) :]:
        ax.axis("off")
    fig.suptitle(f"Difference to {baseline}, paired by seed (95% t interval)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def cumulative_figure(
    months: pd.DataFrame, path: Path, *, baseline: str, order: Sequence[str], conf: float = 0.95
) -> None:
    """Cumulative profit difference to the baseline by month, with its interval over seeds."""
    colours = _colours(order, baseline)
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for name in (n for n in order if n != baseline):
        c = cumulative_difference(months, name, baseline, conf=conf)
        ax.plot(c["month"], c["mean"], color=colours[name], label=name)
        ax.fill_between(c["month"], c["lo"], c["hi"], color=colours[name], alpha=0.15, lw=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel("currency")
    ax.set_title(f"Cumulative profit difference to {baseline} (break-even where it crosses 0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---- the document ---------------------------------------------------------------------------
def comparison_markdown(table: pd.DataFrame, kpis: Sequence[str]) -> str:
    """The comparison table for the report: one row per scenario x KPI."""
    d = table[table["kpi"].isin(list(kpis))].copy()
    d["mean [95% CI]"] = [
        f"{fmt(r.mean, r.kpi)} {interval(r.ci_low, r.ci_high, r.kpi, signed=False)}"
        for r in d.itertuples()
    ]
    d["difference [95% CI]"] = [
        f"{fmt(r.diff, r.kpi, signed=True)} {interval(r.diff_ci_low, r.diff_ci_high, r.kpi)}"
        for r in d.itertuples()
    ]
    d["beats baseline"] = [
        f"{round(v * n)} of {n}" if math.isfinite(v) else "n/a"
        for v, n in zip(d["beats_baseline_share"], d["n_seeds"], strict=True)
    ]
    cols = ["scenario", "kpi", "better_if", "mean [95% CI]", "difference [95% CI]"]
    if PAIRING in d and FLOOR in d:
        d["paired / unpaired width (floor)"] = [
            f"{_times(v)} ({_times(f)})" for v, f in zip(d[PAIRING], d[FLOOR], strict=True)
        ]
        cols.append("paired / unpaired width (floor)")
    elif PAIRING in d:
        d["paired / unpaired width"] = [_times(v) for v in d[PAIRING]]
        cols.append("paired / unpaired width")
    return markdown_table(d[[*cols, "beats baseline", "verdict"]])


def _times(ratio: float) -> str:
    return f"{ratio:.2f}x" if math.isfinite(ratio) else "n/a"


def pairing_lines(table: pd.DataFrame, kpis: Sequence[str]) -> list[str]:
    """What pairing by seed bought, one line per KPI: the width of the paired interval of the
    difference over that of an unpaired (Welch) one, the median over scenarios. Nothing when the
    table has no such column (a comparison from before it existed)."""
    if PAIRING not in table:
        return []
    out = []
    for kpi in kpis:
        r = table.loc[table["kpi"] == kpi, PAIRING].astype(float)
        r = r[np.isfinite(r)]
        if r.empty:
            continue
        mid = float(r.median())
        low, high = _times(r.min()), _times(r.max())
        spread = f" ({low} to {high} over scenarios)" if low != high else ""
        if mid < 1.0:
            what = f"narrowed the interval to {_times(mid)}"
        else:
            what = f"did not narrow the interval: {_times(mid)}"
        out.append(f"- {label(kpi)}: pairing {what}{spread}")
    return out


def uncertainty_lines(table: pd.DataFrame, kpis: Sequence[str]) -> list[str]:
    """uncertainty=parameters: how much of the spread of each KPI's difference to the baseline
    between replications is parameter uncertainty and how much seed noise, one line per KPI
    (median over scenarios). Nothing when the comparison ran on seeds only."""
    if "var_parameter_share" not in table:
        return []
    out = []
    for kpi in kpis:
        r = table.loc[table["kpi"] == kpi, "var_parameter_share"].astype(float)
        r = r[np.isfinite(r)]
        if r.empty:
            continue
        mid = float(r.median())
        spread = f" ({r.min():.0%} to {r.max():.0%} over scenarios)" if r.size > 1 else ""
        out.append(
            f"- {label(kpi)}: {mid:.0%} parameter uncertainty, {1 - mid:.0%} seed noise{spread}"
        )
    return out


def _uncertainty_section(table: pd.DataFrame, kpis: Sequence[str]) -> list[str]:
    lines = uncertainty_lines(table, kpis)
    if not lines:
        return []
    head = [
        "## Seed noise and parameter uncertainty",
        "",
        "Each group of seeds ran one parameter set drawn (weighted) from the calibrated",
        "ensemble, the same set in every scenario; the intervals above are over the groups.",
        "Of the spread of each difference to the baseline between replications, the share",
        "due to the parameters (between sets) and to the seeds' luck (within a set), from a",
        "one-way random-effects ANOVA over the sets (var_parameter_share, var_seed_share in",
        "comparison.csv). More seeds per set narrow only the seed part; more sets narrow both.",
        "",
    ]
    return [*head, *lines, ""]


def _pairing_section(table: pd.DataFrame, kpis: Sequence[str]) -> list[str]:
    lines = pairing_lines(table, kpis)
    if not lines:
        return []
    head = [
        "What pairing by seed bought: the width of the interval of each difference to the",
        "baseline, paired by seed, as a multiple of an unpaired (Welch) interval's (median over",
        "scenarios; below 1x the common random numbers sharpened the comparison). The table's",
        "floor is what perfect pairing would reach: a scenario that makes the results spread",
        "far more than the baseline's keeps its ratio up whatever random numbers they share.",
        "",
    ]
    return [*head, *lines, ""]


def _warnings(table: pd.DataFrame, baseline: str, notes: Sequence[str] = ()) -> list[str]:
    """Few seeds, a baseline outside plausible operation and the study's own notes: said
    before any verdict, as one quoted block."""
    blocks = [f"> **Short run.** {note}" for note in notes]
    few = few_seeds_warning(int(table.loc[table["scenario"] == baseline, "n_seeds"].min()))
    if few:
        blocks.append(f"> **Few replications.** {few}")
    odd = implausible_baseline(table, baseline)
    if odd:
        blocks.append(
            f"> **The baseline itself is outside plausible operation**: {'; '.join(odd)}. The "
            "differences below are measured against a failing operation; check the "
            "organisation's size and load (org.employees, org.customers) before reading them."
        )
    if not blocks:
        return []
    return [*"\n>\n".join(blocks).split("\n"), ""]


def _changes_section(changes: dict[str, list[str]]) -> list[str]:
    if not changes:
        return []
    lines = ["## What each scenario changes", ""]
    for name, items in changes.items():
        lines.append(f"- **{name}**: " + ("; ".join(items) if items else "nothing (a relabel)"))
    return [*lines, ""]


def economics_markdown(econ: pd.DataFrame) -> str:
    """The economics table for the report."""
    d = pd.DataFrame(
        {
            "scenario": econ["scenario"],
            "intervention cost / year": [
                fmt(v, "costs", signed=True) for v in econ["intervention_cost_year"]
            ],
            "profit change / year [95% CI]": [
                f"{fmt(r.profit_change_year, 'profit', signed=True)} "
                f"{interval(r.profit_change_year_ci_low, r.profit_change_year_ci_high, 'profit')}"
                for r in econ.itertuples()
            ],
            "ROI (last year)": [
                f"{v:+.2f}" if math.isfinite(v) else "n/a" for v in econ["roi_year"]
            ],
            "profit change, whole run": [
                fmt(v, "profit", signed=True) for v in econ["profit_change_horizon"]
            ],
            "ROI (whole run)": [
                f"{v:+.2f}" if math.isfinite(v) else "n/a" for v in econ["roi_horizon"]
            ],
            "break-even month": [str(v) for v in econ["break_even_month"]],
            "95% sure from month": [str(v) for v in econ["break_even_month_95"]],
        }
    )
    return markdown_table(d)


def write_report(
    outdir: Path,
    *,
    table: pd.DataFrame,
    econ: pd.DataFrame,
    months: pd.DataFrame,
    baseline: str,
    order: Sequence[str],
    conf: float,
    context: dict[str, Any],
    changes: dict[str, list[str]] | None = None,
    currency: str = "",
    customers: str = "customers",
    notes: Sequence[str] = (),
    attribution: Report | None = None,
) -> Path:
    """Write the figures and report.md into `outdir`; return the report's path.

    `changes` says in plain words what each scenario sets differently from the baseline
    (sim.analysis.reading.scenario_changes); `currency` and `customers` are the organisation's
    words (org.currency, org.customers_called); `notes` are warnings of the study itself (a
    run shorter than the window), shown with the others before any verdict; `attribution`, the
    decomposition of each effect by channel (sim/analysis/attribution.py), gets its section."""
    trajectories_figure(
        months, outdir / "trajectories.png", baseline=baseline, order=order, conf=conf
    )
    differences_figure(table, outdir / "differences.png", baseline=baseline)
    cumulative_figure(
        months, outdir / "cumulative_profit.png", baseline=baseline, order=order, conf=conf
    )
    context = dict(context)
    window = context.pop("window", "last year of each run")
    setting = ", ".join(f"{k} {v}" for k, v in context.items())
    headline = [k for k in HEADLINE if k in set(table["kpi"])]
    others = [k for k in dict.fromkeys(table["kpi"]) if k not in headline]
    lines = [
        "# Scenario comparison",
        "",
        f"Setting: {setting}.",
        "",
        f"Every scenario ran with the same seeds as `{baseline}` (common random numbers); the",
        "differences are paired by seed, the intervals are Student t intervals over seeds",
        f'({conf:.0%}). KPIs are those of the {window}, flows per year. "Beats baseline" counts',
        "the seeds on which the scenario is better, in the KPI's own direction (lower turnover,",
        "churn, abandon rate and costs are better).",
        "",
        *what_these_numbers_are(),
        *_warnings(table, baseline, notes),
        "## What the numbers say",
        "",
        *[
            f"- {p}"
            for p in reading(
                table,
                econ,
                baseline=baseline,
                currency=currency,
                customers=customers,
                window=window,
            )
        ],
        "",
        *_changes_section(changes or {}),
        *(attribution_section(attribution) if attribution is not None else []),
        "## Economics",
        "",
        f"Money in {currency or 'the organisation’s currency'}. Intervention cost: the change of",
        "spend on people programmes, training, service recovery, wages and overtime against the",
        "baseline (negative = a saving); it is not the total cost, which is the `costs` row of",
        "the comparison below (every cost, recruiting and cost of sales included). ROI: profit",
        "change per unit of extra spend. Break-even: the first month from which the cumulative",
        "profit difference stays at or above zero.",
        "",
        economics_markdown(econ),
        "",
        "![Cumulative profit difference](cumulative_profit.png)",
        "",
        "## Differences to the baseline",
        "",
        "![Differences to the baseline](differences.png)",
        "",
        comparison_markdown(table[table["scenario"] != baseline], headline),
        "",
        *_pairing_section(table[table["scenario"] != baseline], headline + others),
        *_uncertainty_section(table[table["scenario"] != baseline], headline + others),
        "## Trajectories",
        "",
        "![KPI trajectories](trajectories.png)",
        "",
        "## All KPIs",
        "",
        comparison_markdown(table, headline + others),
        "",
        "Files: comparison.csv, economics.csv, runs.parquet (one row per run), monthly.parquet",
        "(one row per run and month)"
        + (
            ", attribution.csv (one row per scenario, KPI and channel), attribution_runs.parquet"
            " (the runs it rests on, held arms `<scenario>~<channel>`)."
            if attribution
            else "."
        ),
        "",
    ]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    return path
