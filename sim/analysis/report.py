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

from sim.analysis.economics import NOT_WITHIN, cumulative_difference  # noqa: E402
from sim.analysis.stats import band  # noqa: E402
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


def label(kpi: str) -> str:
    """The KPI's label (sim/kpis.py); a column that is not a KPI reads as its name."""
    k = REGISTRY.get(kpi)
    return k.label() if k else kpi


# ---- numbers as text ------------------------------------------------------------------------
def fmt(value: Any, kpi: str = "", *, signed: bool = False) -> str:
    """A number for a table or a sentence, with precision by size (money without decimals)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    sign = "+" if signed else ""
    quantity = REGISTRY[kpi].quantity if kpi in REGISTRY else ""
    if abs(v) >= 1000 or quantity == "money":
        return f"{v:{sign},.0f}"
    if quantity == "share" or abs(v) < 1:
        return f"{v:{sign}.3f}"
    return f"{v:{sign}.2f}"


def markdown_table(frame: pd.DataFrame, formats: dict[str, Any] | None = None) -> str:
    """A GitHub Markdown table; `formats` maps a column to a function of (value, row)."""
    formats = formats or {}
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = [
            formats[c](row[c], row)
            if c in formats
            else fmt(row[c])
            if not isinstance(row[c], str)
            else row[c]
            for c in cols
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def _interval(lo: float, hi: float, kpi: str = "") -> str:
    return f"[{fmt(lo, kpi, signed=True)}, {fmt(hi, kpi, signed=True)}]"


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


# ---- the reading ----------------------------------------------------------------------------
def _effect(kpi: str, row: pd.Series) -> str:
    unit = REGISTRY[kpi].short_unit()
    return f"{label(kpi)} {fmt(row['diff'], kpi, signed=True)}{' ' + unit if unit else ''}"


def chain_links(rows: pd.DataFrame) -> dict[str, list[tuple[str, pd.Series]]]:
    """The clear effects of one scenario, (kpi, row) grouped by link of the chain, in order."""
    by_kpi = rows.set_index("kpi")
    out: dict[str, list[tuple[str, pd.Series]]] = {}
    for link, kpis in CHAIN:
        clear = [(k, by_kpi.loc[k]) for k in kpis if k in by_kpi.index]
        clear = [(k, r) for k, r in clear if r["verdict"] != "unclear"]
        if clear:
            out[link] = clear
    return out


def _path_sentence(
    links: dict[str, list[tuple[str, pd.Series]]], profit: str, spend_change: float
) -> str:
    """Which links moved and how the profit came about."""

    def moved(link: str, way: str, kpi: str | None = None) -> bool:
        return any(r["verdict"] == way and kpi in (None, k) for k, r in links.get(link, []))

    if not links:
        return "No link of the chain moved clearly at this number of seeds."
    parts = []
    up = [link for link, _ in CHAIN if moved(link, "better")]
    if "employees" in up and "customers" in up:
        path = " -> ".join("revenue" if link == "money" else link for link in up)
        parts.append(f"The effect runs along the chain: {path}.")
    elif up:
        parts.append(f"Better: {', '.join(up)}.")
    down = [link for link, _ in CHAIN if moved(link, "worse")]
    if down:
        parts.append(f"Worse: {', '.join(down)}.")
    saving = math.isfinite(spend_change) and spend_change < 0
    if profit == "better" and saving and not moved("money", "better", "revenue"):
        parts.append("The profit comes from spending less, not from more revenue.")
    worse = [link for link in ("employees", "service", "customers") if moved(link, "worse")]
    if profit == "better" and worse:
        parts.append(
            f"It pays while the {' and '.join(worse)} "
            f"{'links worsen' if len(worse) > 1 else 'link worsens'}: the cycle of failure "
            "(Schlesinger & Heskett 1991) may take the gain back over a longer horizon."
        )
    if profit == "worse" and moved("employees", "better") and not moved("customers", "better"):
        parts.append("Employees gain, but the gain has not reached customers within the horizon.")
    return " ".join(parts)


HEAD = {"better": "pays", "worse": "does not pay", "unclear": "has no clear effect on profit"}


def reading(table: pd.DataFrame, econ: pd.DataFrame, *, baseline: str) -> list[str]:
    """Plain-language paragraphs, one per scenario, largest profit change first."""
    if "profit" not in set(table["kpi"]):
        return ["(profit is not among the KPIs: no reading of what pays)"]
    profit = table[(table["kpi"] == "profit") & (table["scenario"] != baseline)]
    profit = profit.sort_values("diff", ascending=False)
    econ = econ.set_index("scenario")
    out = []
    for _, p in profit.iterrows():
        name, e = p["scenario"], econ.loc[p["scenario"]]
        ci = _interval(p["diff_ci_low"], p["diff_ci_high"], "profit")
        text = (
            f"**{name}** {HEAD[p['verdict']]}: profit {fmt(p['diff'], 'profit', signed=True)} "
            f"a year (95% CI {ci})"
        )
        cost = float(e["intervention_cost_year"])
        if math.isfinite(cost) and cost > 0:
            text += f", for {fmt(cost, 'costs')} a year more spent on people and recovery"
            if math.isfinite(e["roi_year"]):
                text += f" (ROI {e['roi_year']:+.2f} per unit spent)"
        elif math.isfinite(cost) and cost < 0:
            text += f", spending {fmt(-cost, 'costs')} a year less on people and recovery"
        text += "."
        be, sure = e["break_even_month"], e["break_even_month_95"]
        if be == NOT_WITHIN:
            text += (
                " The cumulative profit difference does not turn positive within the "
                f"{e['horizon_months']} months simulated."
            )
        elif int(be) <= 1:
            text += " It is ahead from the first month."
        else:
            text += (
                f" The cumulative profit difference turns positive in month {be}"
                f" of {e['horizon_months']}"
            )
            text += f" (95% sure from month {sure})." if sure != NOT_WITHIN else "."
        links = chain_links(table[table["scenario"] == name])
        if links:
            effects = "; ".join(
                f"{link}: {', '.join(_effect(k, r) for k, r in rows)}"
                for link, rows in links.items()
            )
            text += f" Clear effects ({effects})."
        text += " " + _path_sentence(links, p["verdict"], cost)
        out.append(text.strip())
    return out


# ---- the document ---------------------------------------------------------------------------
def comparison_markdown(table: pd.DataFrame, kpis: Sequence[str]) -> str:
    """The comparison table for the report: one row per scenario x KPI."""
    d = table[table["kpi"].isin(list(kpis))].copy()
    d["mean [95% CI]"] = [
        f"{fmt(r.mean, r.kpi)} {_interval(r.ci_low, r.ci_high, r.kpi)}" for r in d.itertuples()
    ]
    d["difference [95% CI]"] = [
        f"{fmt(r.diff, r.kpi, signed=True)} {_interval(r.diff_ci_low, r.diff_ci_high, r.kpi)}"
        for r in d.itertuples()
    ]
    d["beats baseline"] = [
        f"{v:.0%}" if math.isfinite(v) else "n/a" for v in d["beats_baseline_share"]
    ]
    cols = ["scenario", "kpi", "better_if", "mean [95% CI]", "difference [95% CI]"]
    if PAIRING in d:
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
        "scenarios; below 1x the common random numbers sharpened the comparison).",
        "",
    ]
    return [*head, *lines, ""]


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
                f"{_interval(r.profit_change_year_ci_low, r.profit_change_year_ci_high, 'profit')}"
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
) -> Path:
    """Write the figures and report.md into `outdir`; return the report's path."""
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
        f'({conf:.0%}). KPIs are those of the {window}, flows per year. "Beats baseline" is',
        "the share of seeds on which the scenario is better, in the KPI's own direction (lower",
        "turnover, churn, abandon rate and costs are better).",
        "",
        "## What the numbers say",
        "",
        *[f"- {p}" for p in reading(table, econ, baseline=baseline)],
        "",
        "## Economics",
        "",
        "Intervention cost: the change of spend on people programmes, training, service recovery,",
        "wages and overtime against the baseline (negative = a saving). ROI: profit change per",
        "unit of extra spend. Break-even: the first month from which the cumulative profit",
        "difference stays at or above zero.",
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
        "(one row per run and month).",
        "",
    ]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    return path
