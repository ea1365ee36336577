"""The reading of a scenario comparison in plain words: what a board reads first.

Fixed rules, generated from the numbers: an effect counts as "clear" when the 95% interval of the
paired difference excludes zero; one headline verdict per scenario reconciles the last year's
profit with the whole horizon's; the links of the service-profit chain (Heskett et al. 1994) are
read in order, employees -> service -> customers -> money; the customer base at the end of the
horizon and its trend are named, because a profit can hide a shrinking base. Around it: what
each scenario changes, a warning when seeds are few or the baseline itself runs outside
plausible operation, and what kind of numbers these are.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.economics import NOT_WITHIN
from sim.analysis.text import fmt, interval, label
from sim.kpis import REGISTRY, subset

# The links of the chain, in order, with the KPIs that show each.
CHAIN = (
    ("employees", subset("work_happiness_mean", "enps", "expected_turnover_annual")),
    ("service", subset("first_contact_resolution", "service_level", "abandon_rate")),
    ("customers", subset("csat_mean", "nps", "customer_churn_annual")),
    # Costs follow revenue (cost of sales): economics.csv has the spend.
    ("money", subset("revenue")),
)
# Below this many seeds a verdict can flip with a few more, and a win share is a small count.
FEW_SEEDS = 10
# Where a baseline stops looking like a working service operation (assumptions, from the
# conventions of the trade: an 80/20 service-level goal, abandonment of a few percent, a
# customer base that renews itself; docs/EXPERIMENTS.md). A comparison against such a baseline
# measures a collapse, not a lever.
PLAUSIBLE = {
    "abandon_rate": (None, 0.15),  # more than 15% of callers hang up in the queue
    "service_level": (0.5, None),  # fewer than half answered within the target wait
    "customer_churn_annual": (None, 0.5),  # half the customers lost in a year
}
VALIDATION = Path(__file__).resolve().parents[2] / "docs" / "VALIDATION.md"


# ---- the verdict ----------------------------------------------------------------------------
def _direction(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 <= hi:
        return "unclear"
    return "better" if lo > 0.0 else "worse"


def profit_verdict(last_year: str, horizon: str, months: int, recent: str = "") -> str:
    """One headline from two verdicts on profit (better / worse / unclear): the last year's
    (or `recent` window's) and the whole horizon's (cumulative), so the two can never be read
    apart."""
    whole = f"over the whole {months} month{'s' if months != 1 else ''}"
    text = {
        ("better", "better"): f"pays: more profit in the last year and {whole}",
        ("better", "unclear"): f"pays by the last year; {whole} the gain is not yet clear",
        ("better", "worse"): f"pays by the last year, but has not made up its early losses {whole}",
        ("unclear", "better"): f"is ahead {whole}, but its effect on the last year is unclear",
        ("unclear", "unclear"): "has no clear effect on profit",
        ("unclear", "worse"): f"costs money {whole}; its effect on the last year is unclear",
        ("worse", "better"): f"is ahead {whole} but loses money by the last year",
        ("worse", "unclear"): f"loses money by the last year; {whole} the effect is unclear",
        ("worse", "worse"): f"does not pay: less profit in the last year and {whole}",
    }[(last_year, horizon)]
    return text.replace("the last year", recent) if recent else text


# ---- the chain ------------------------------------------------------------------------------
def _effect(kpi: str, row: pd.Series) -> str:
    unit = REGISTRY[kpi].short_unit()
    text = fmt(row["diff"], kpi, signed=True)
    return f"{label(kpi)} {text}{' ' + unit if unit and not text.endswith('pp') else ''}"


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


def _customer_sentence(e: pd.Series, customers: str, window: str) -> str:
    """The customer base at the end of the horizon against the baseline's, and both trends."""
    if "customers_end" not in e or not math.isfinite(e["customers_end"]):
        return ""
    ci = interval(e["customers_end_diff_ci_low"], e["customers_end_diff_ci_high"], "customers")
    way = _direction(e["customers_end_diff_ci_low"], e["customers_end_diff_ci_high"])
    clear = {"better": "more", "worse": "fewer", "unclear": "no clear difference"}[way]
    diff = fmt(e["customers_end_diff"], "customers", signed=True)
    growth, base_growth = e["customers_growth_window"], e["baseline_customers_growth_window"]
    return (
        f"It ends the horizon with {e['customers_end']:,.0f} {customers} against the baseline's "
        f"{e['baseline_customers_end']:,.0f} ({clear}: {diff}, 95% CI {ci}); over the {window} "
        f"its number of {customers} moved {growth:+.1%} (baseline {base_growth:+.1%})."
    )


def reading(
    table: pd.DataFrame,
    econ: pd.DataFrame,
    *,
    baseline: str,
    currency: str = "",
    customers: str = "customers",
    window: str = "last year of each run",
) -> list[str]:
    """Plain-language paragraphs, one per scenario, largest profit change first."""
    if "profit" not in set(table["kpi"]):
        return ["(profit is not among the KPIs: no reading of what pays)"]
    profit = table[(table["kpi"] == "profit") & (table["scenario"] != baseline)]
    profit = profit.sort_values("diff", ascending=False)
    econ = econ.set_index("scenario")
    money = f"{currency} " if currency else ""
    out = []
    for _, p in profit.iterrows():
        name, e = p["scenario"], econ.loc[p["scenario"]]
        horizon = _direction(e["profit_change_horizon_ci_low"], e["profit_change_horizon_ci_high"])
        recent = "the last year" if window.startswith("last 365 ") else f"the {window}"
        headline = profit_verdict(p["verdict"], horizon, int(e["horizon_months"]), recent)
        ci = interval(p["diff_ci_low"], p["diff_ci_high"], "profit")
        ci_h = interval(
            e["profit_change_horizon_ci_low"], e["profit_change_horizon_ci_high"], "profit"
        )
        whole = fmt(e["profit_change_horizon"], "profit", signed=True)
        text = (
            f"**{name}** {headline}. Profit {money}{fmt(p['diff'], 'profit', signed=True)} a year "
            f"over {recent} (95% CI {ci}), {money}{whole} over the whole run (95% CI {ci_h})"
        )
        cost = float(e["intervention_cost_year"])
        if math.isfinite(cost) and cost > 0:
            text += f"; it spends {money}{fmt(cost, 'costs')} a year more on people and recovery"
            if math.isfinite(e["roi_year"]):
                text += f" (ROI {e['roi_year']:+.2f} per unit spent)"
        elif math.isfinite(cost) and cost < 0:
            text += f"; it spends {money}{fmt(-cost, 'costs')} a year less on people and recovery"
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
        customer = _customer_sentence(e, customers, window)
        if customer:
            text += " " + customer
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


# ---- around the reading ---------------------------------------------------------------------
def _leaves(node: Any, prefix: str = "") -> dict[str, tuple[Any, dict]]:
    out: dict[str, tuple[Any, dict]] = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if is_dataclass(value):
            out.update(_leaves(value, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = (value, dict(f.metadata))
    return out


def scenario_changes(base: Any, arm: Any) -> list[str]:
    """What a scenario sets differently from the baseline, in plain words with the values:
    `how closely agents must follow the script (policy.script_strictness): 0.8 -> 0.4`."""
    a, b = _leaves(base), _leaves(arm)
    out = []
    for key, (value, meta) in b.items():
        if key == "seed" or a[key][0] == value:
            continue
        unit = meta.get("unit", "")
        unit = f" ({unit})" if unit and unit != "-" else ""
        words = meta.get("doc", key)
        out.append(f"{words} (`{key}`): {a[key][0]} -> {value}{unit}")
    return out


def few_seeds_warning(n: int) -> str:
    """A warning when replications are few, or nothing."""
    if n >= FEW_SEEDS:
        return ""
    return (
        f"Only {n} seeds per scenario: a win share such as 100% means {n} of {n}, the intervals "
        "are wide and a verdict can change with a few more seeds. Use 20 or more before "
        "deciding anything (`replications=20`)."
    )


def implausible_baseline(table: pd.DataFrame, baseline: str) -> list[str]:
    """The baseline's KPIs outside plausible operation (PLAUSIBLE), as warnings."""
    rows = table[table["scenario"] == baseline].set_index("kpi")["mean"]
    out = []
    for kpi, (lo, hi) in PLAUSIBLE.items():
        if kpi not in rows or not math.isfinite(rows[kpi]):
            continue
        v = rows[kpi]
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            bound = (
                f"below {fmt(lo, kpi)}" if lo is not None and v < lo else f"above {fmt(hi, kpi)}"
            )
            out.append(f"{label(kpi)} {fmt(v, kpi)} ({bound})")
    return out


def validation_status(path: Path = VALIDATION) -> str:
    """The summary line of docs/VALIDATION.md (`16 pass, ... of 27 checks`), or ''."""
    try:
        found = re.search(r"^Summary: (.+?)\.?$", path.read_text(), re.MULTILINE)
    except OSError:
        return ""
    return found.group(1) if found else ""


def what_these_numbers_are() -> list[str]:
    """The section that says what kind of numbers a report holds."""
    status = validation_status()
    checked = f" ({status})" if status else ""
    return [
        "## What these numbers are",
        "",
        "Results of a simulation model, not a forecast of your organisation: every scenario ran",
        "in the same invented organisation, and the strength of each link of the chain is the",
        "model's (docs/MODEL.md says for every number whether it is fitted, sourced or an",
        "assumption). The model is checked against published figures in",
        f"docs/VALIDATION.md{checked}.",
        "Read the differences between scenarios, with their intervals, rather than the levels.",
        "",
    ]
