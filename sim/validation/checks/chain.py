"""Checks of the chain across units: the Sears employee-customer-profit chain, retention
leverage, the cycle of failure under cost cutting, failing against healthy units (and a push),
and quality erosion after an overload."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.stats import Estimate, mean_ci, paired_ci
from sim.validation import plots
from sim.validation.checks.base import (
    VALIDATED,
    Get,
    Judgement,
    Published,
    Section,
)
from sim.validation.checks.experiment import (
    MONTH,
    flat,
    kpis,
    monthly,
    monthly_diff,
    pct,
    scenario_config,
    unit_runs,
)
from sim.validation.runs import RunSpec, Size
from sim.validation.verdicts import (
    DIRECTION_ONLY,
    FAIL,
    PASS,
    UNSURE,
    combine,
    number_verdict,
    sign_verdict,
)

CHAIN = Section("The chain across units")


def unit_settings() -> dict[str, Any]:
    """sim-units' settings (sim.config.UnitsSettings, = configs/units.yaml): the levers and
    sizes of the units design."""
    from dataclasses import asdict

    from sim.config import UnitsSettings

    return asdict(UnitsSettings())


def sears_runs(size: Size) -> list[RunSpec]:
    """The units of the Sears design (sim/analysis/chain.py), two periods each."""
    from sim.analysis.chain import Lever, UnitSettings, draw_units

    exp = unit_settings()
    base = scenario_config("baseline")
    levers = tuple(
        Lever(
            f"policy.{k}",
            float(v["min"]),
            float(v["max"]),
            isinstance(getattr(base.policy, k), int),
        )
        for k, v in exp["levers"].items()
    )
    context = tuple(
        Lever(f"org.{k}", float(v["min"]), float(v["max"]), False)
        for k, v in exp["context"].items()
    )
    c = exp["size"]["customers"]
    settings = UnitSettings(
        units=size.units,
        levers=levers,
        employees=int(exp["size"]["employees"]),
        customers=(int(c["min"]), int(c["max"])),
        period_days=size.unit_period,
        workers=1,
        conf_level=0.95,
        context=context,
    )
    design = draw_units(settings, 0)
    specs = []
    for row in design.to_dict("records"):
        levers_set = tuple(
            (k, float(v)) for k, v in row.items() if k.startswith(("policy.", "org."))
        )
        specs.append(
            RunSpec(
                "baseline",
                int(row["employees"]),
                int(row["customers_start"]),
                2 * size.unit_period,
                int(row["seed"]),
                levers_set,
            )
        )
    return specs


def units_table(size: Size, get: Get) -> pd.DataFrame:
    """One row per Sears unit: its period metrics (sim/analysis/chain.py)."""
    from sim.analysis.chain import period_metrics

    # Attitudes as the units' pulse surveys report them (what Sears could observe).
    return pd.DataFrame(
        [
            period_metrics(get(s)["ts"], size.unit_period, get(s)["surveys"])
            for s in sears_runs(size)
        ]
    )


@CHAIN.check(
    "sears_chain",
    Published(
        "Sears employee-customer-profit chain",
        "+5 attitude -> +1.3 impression -> +0.5% revenue growth",
        "Rucci, Kirn & Quinn 1998, HBR",
        sign=+1,  # the slopes themselves are sim.analysis.chain's (its `sears_slope` column)
        role=VALIDATED,
    ),
    runs=sears_runs,
)
def sears_chain(size: Size, get: Get, pub: Published) -> Judgement:
    from sim.analysis.chain import chain_regressions

    units = units_table(size, get)
    table = chain_regressions(units)
    verdicts, lines = [], []
    for name in ("attitude p1 -> impression p1", "impression p1 -> revenue growth p2/p1"):
        row = table[table.link == name].iloc[0]
        est = Estimate(row.slope, row.ci_low, row.ci_high, int(row.n))
        if est.lo <= row.sears_slope <= est.hi:
            v = PASS
        else:
            v = {PASS: DIRECTION_ONLY, FAIL: FAIL, UNSURE: UNSURE}[sign_verdict(est, pub.sign)]
        verdicts.append(v)
        lines.append(f"{name}: {est.fmt('.3f')} (Sears {row.sears_slope:.3f}, r {row.r:+.2f})")
    details = [
        "| link | slope [95%] | r | Sears |",
        "|---|---|---|---|",
        *[
            f"| {r.link} | {r.slope:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}] | {r.r:+.2f} | "
            + (f"{r.sears_slope:.3g} |" if math.isfinite(r.sears_slope) else "- |")
            for r in table.itertuples()
        ],
    ]
    note = (
        f"{len(units)} units of {unit_settings()['size']['employees']} agents under levers drawn "
        "from configs/units.yaml (the design and regressions of "
        "sim/analysis/chain.py, on the 0-100 POMP scale), periods of "
        f"{size.unit_period} days. Pass when Sears' slope lies in the interval; direction only "
        "when the slope is positive but misses it. The growth slope depends on the period's "
        "length (growth over a quarter is a fraction of growth over a year), which the article "
        "does not give; and a unit's revenue here is all recurring, from its served customers, "
        "where a store's also comes from walk-in trade and its local market."
    )

    def plot(path: Path) -> None:
        x, y = units.work_happiness_p1 * 10, units.csat_p1 * 10
        plots.scatter(path, x, y, xlabel="employee attitude p1 (0-100)",
                      ylabel="customer impression p1 (0-100)")  # fmt: skip

    judgement = Judgement("; ".join(lines), combine(verdicts), note, details, plot)
    judgement.values = {"slopes": table.set_index("link").slope.to_dict()}
    return judgement


def leverage_runs(size: Size) -> dict[float, list[RunSpec]]:
    """Units as they are (1.0) and with the defection rate scaled by each factor of the size."""
    rate = scenario_config("baseline").behaviour.churn_rate_annual
    arms = {1.0: unit_runs(size)}
    for f in size.churn_factors:
        arms[f] = unit_runs(size, settings=(("behaviour.churn_rate_annual", rate * f),))
    return arms


@CHAIN.check(
    "retention_leverage",
    Published(
        "retention leverage",
        "5 points fewer defections -> profits +30-85%",
        "Reichheld & Sasser 1990, HBR",
        band=(0.30, 0.85),  # profit gain for 5 points of churn cut, as a share
        sign=+1,
        role=VALIDATED,
        basis="a counterfactual: behaviour.churn_rate_annual is varied, not fitted",
    ),
    runs=flat(leverage_runs),
)
def retention_leverage(size: Size, get: Get, pub: Published) -> Judgement:
    arms = leverage_runs(size)
    k = {f: kpis(get, specs) for f, specs in arms.items()}
    gains = []
    for i in range(len(arms[1.0])):
        x = [100 * (k[1.0].customer_churn_annual[i] - k[f].customer_churn_annual[i]) for f in k]
        y = [k[f].profit[i] / k[1.0].profit[i] - 1 for f in k]
        gains.append(np.polyfit(x, y, 1)[0] * 5)
    est = mean_ci(gains)
    details = [
        "| defection rate x | churn (last year) | profit (last year) |",
        "|---|---|---|",
        *[
            f"| {f:.2f} | {pct(mean_ci(k[f].customer_churn_annual))} | "
            f"{mean_ci(k[f].profit).fmt(',.0f')} |"
            for f in sorted(k, reverse=True)
        ],
    ]
    note = (
        "counterfactual, not calibration: the same units with the defection rate scaled down "
        "(behaviour.churn_rate_annual x factor); the profit gain per point of churn cut, from a "
        "line through the arms, times 5. Profit is the last year of the run, so the gain builds "
        "up over the horizon; Reichheld & Sasser valued whole customer lifetimes."
    )
    judgement = Judgement(pct(est), number_verdict(est, *pub.band, pub.sign), note, details)
    judgement.values = {
        "gain": est.value,
        "churn_cut": float(np.mean(k[1.0].customer_churn_annual - k[min(k)].customer_churn_annual)),
    }
    return judgement


def cost_runs(size: Size) -> dict[str, list[RunSpec]]:
    return {"baseline": unit_runs(size), "cost": unit_runs(size, "cost_cutting")}


def month_spans(ms: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] -> '1-3, 7, 9-10'."""
    if not ms:
        return "none"
    spans, start, prev = [], ms[0], ms[0]
    for m in [*ms[1:], None]:
        if m is not None and m == prev + 1:
            prev = m
            continue
        spans.append(f"{start}" if start == prev else f"{start}-{prev}")
        if m is not None:
            start = prev = m
    return ", ".join(spans)


@CHAIN.check(
    "cycle_of_failure",
    Published(
        "cycle of failure (cost cutting)",
        "cost cutting -> turnover -> poor service -> dissatisfied customers",
        "Schlesinger & Heskett 1991",
        role=VALIDATED,
    ),
    runs=flat(cost_runs),
)
def cycle_of_failure(size: Size, get: Get, pub: Published) -> Judgement:
    arms = cost_runs(size)
    kb, kc = kpis(get, arms["baseline"]), kpis(get, arms["cost"])
    d = {
        "turnover": paired_ci(kc.employee_turnover_annual, kb.employee_turnover_annual),
        "fcr": paired_ci(kc.first_contact_resolution, kb.first_contact_resolution),
        "csat": paired_ci(kc.csat_mean, kb.csat_mean),
        "churn": paired_ci(kc.customer_churn_annual, kb.customer_churn_annual),
    }
    verdict = combine(
        [sign_verdict(d["turnover"], +1), sign_verdict(d["fcr"], -1),
         sign_verdict(d["csat"], -1), sign_verdict(d["churn"], +1)]
    )  # fmt: skip
    prof = monthly_diff(get, arms["cost"], arms["baseline"], "profit")
    cum = np.array(
        [np.cumsum(monthly(get(c)["ts"]).profit - monthly(get(b)["ts"]).profit)
         for c, b in zip(arms["cost"], arms["baseline"], strict=False)]
    )  # fmt: skip
    cum_ci = [mean_ci(cum[:, m]) for m in range(cum.shape[1])]
    gain = [int(m) for m, lo in zip(prof.month, prof.lo, strict=False) if lo > 0]
    lose = [int(m) for m, hi in zip(prof.month, prof.hi, strict=False) if hi < 0]
    cross = next((m + 1 for m, e in enumerate(cum_ci) if e.value < 0 and m > 0), None)
    details = [
        f"Profit vs baseline month by month: gains (interval above zero) in months "
        f"{month_spans(gain)}; losses (interval below zero) in months {month_spans(lose)}.",
        f"Cumulative profit vs baseline after {len(cum_ci)} months: {cum_ci[-1].fmt(',.0f')}; "
        f"the cumulative gain turns into a loss in month {cross or 'never (within the run)'}.",
        f"Last year, cost cutting minus baseline: customer churn {pct(d['churn'])} points, "
        f"CSAT {d['csat'].fmt('+.2f')}.",
    ]
    model = (
        f"turnover {pct(d['turnover'])} points, FCR {d['fcr'].fmt('+.3f')}, "
        f"CSAT {d['csat'].fmt('+.2f')}, churn {pct(d['churn'])} points"
    )
    note = (
        "cost_cutting minus baseline in units, paired seeds, last year of "
        f"{size.unit_days} days; profit month by month."
    )

    def plot(path: Path) -> None:
        plots.band(path, prof, ylabel="profit: cost cutting - baseline / month",
                   title="cost cutting", cumulative=[e.value for e in cum_ci])  # fmt: skip

    judgement = Judgement(model, verdict, note, details, plot)
    judgement.values = {**{k: e.value for k, e in d.items()}, "cum_profit_end": cum_ci[-1].value}
    return judgement


PUSH_DAYS = 180  # a six-month push (assumption of the experiment)


def push_arms(size: Size) -> dict[str, list[RunSpec]]:
    """A healthy unit, its failing twin, and the failing twin under each temporary push."""
    arms = {"healthy": unit_runs(size), "failing": unit_runs(size, init="failing")}
    for p in size.pushes:
        pay, training = 1.0 + 0.3 * p, 1.0 + 1.0 * p
        events = (
            (0, "policy", "pay_level", pay),
            (0, "policy", "training", training),
            (PUSH_DAYS, "policy", "pay_level", 1.0),
            (PUSH_DAYS, "policy", "training", 1.0),
        )
        arms[f"push {p:g}"] = unit_runs(size, init="failing", events=events)
    return arms


@CHAIN.check(
    "failure_vs_success",
    Published(
        "cycle of failure vs cycle of success",
        "a failing unit stays failing unless pushed; a cycle of success is possible",
        "Schlesinger & Heskett 1991",
        added=True,
        role=VALIDATED,
        basis=(
            "a pass needs the failing unit still behind in the last year on customers, or on two "
            "people measures: a gap in customers alone (a scar: acquisition does not respond to "
            "past service) passes"
        ),
    ),
    runs=flat(push_arms),
)
def failure_vs_success(size: Size, get: Get, pub: Published) -> Judgement:
    arms = push_arms(size)
    gap = monthly_diff(get, arms["failing"], arms["healthy"], "work_happiness")
    kh, kf = kpis(get, arms["healthy"]), kpis(get, arms["failing"])
    last = {
        "work happiness": paired_ci(kf.work_happiness_mean, kh.work_happiness_mean),
        "turnover": paired_ci(kf.employee_turnover_annual, kh.employee_turnover_annual),
        "FCR": paired_ci(kf.first_contact_resolution, kh.first_contact_resolution),
        "customers": paired_ci(kf.customers, kh.customers),
    }
    # The gap closes in the first month whose interval does not exclude zero.
    closed = next(
        (int(m) for m, lo, hi in zip(gap.month, gap.lo, gap.hi, strict=False)
         if not (lo > 0 or hi < 0)),
        None,
    )  # fmt: skip
    apart = [k for k, e in last.items() if sign_verdict(e, -1 if k != "turnover" else +1) == PASS]
    verdict = PASS if "customers" in apart or len(apart) >= 2 else FAIL
    rows = []
    for name, specs in arms.items():
        k = kpis(get, specs)
        rows.append(
            f"| {name} | {mean_ci(k.work_happiness_mean).fmt('.2f')} | "
            f"{pct(mean_ci(k.employee_turnover_annual))} | "
            f"{mean_ci(k.first_contact_resolution).fmt('.3f')} | "
            f"{mean_ci(k.customers).fmt(',.0f')} |"
        )
    moved = []
    for p in size.pushes:
        kp = kpis(get, arms[f"push {p:g}"])
        better = paired_ci(kp.customers, kf.customers)
        still = paired_ci(kp.customers, kh.customers)
        moved.append(
            f"push {p:g} (pay x{1 + 0.3 * p:.2f}, training x{1 + p:.1f} for {PUSH_DAYS} days): "
            f"customers vs unpushed failing {better.fmt('+,.0f')}, vs healthy {still.fmt('+,.0f')}"
        )
    people_apart = [k for k in apart if k != "customers"]
    if "customers" in apart and not people_apart:
        reading = (
            "The people measures converge; the customers lost while failing stay lost "
            "(acquisition does not respond to past service): the failure leaves a scar on the "
            "customer base rather than sustaining itself."
        )
    elif apart:
        reading = "The failing unit settles apart: " + ", ".join(apart) + " stay behind."
    else:
        reading = "The failing unit converges on its healthy twin: no lasting cycle of failure."
    enough = next(
        (
            p
            for p in size.pushes
            if sign_verdict(paired_ci(kpis(get, arms[f"push {p:g}"]).customers, kf.customers), +1)
            == PASS
            and sign_verdict(paired_ci(kpis(get, arms[f"push {p:g}"]).customers, kh.customers), -1)
            != PASS
        ),
        None,
    )
    details = [
        reading,
        f"Smallest push measurably better than no push and not measurably behind the healthy "
        f"unit (customers at the end): {f'push {enough:g}' if enough else 'none of those tried'}.",
        f"Work happiness gap (failing - healthy) first closes (interval includes 0) in month "
        f"{closed or 'never'}.",
        "| arm | work happiness | turnover | FCR | customers (end) |",
        "|---|---|---|---|---|",
        *rows,
        *moved,
    ]
    model = "last year, failing - healthy: " + "; ".join(
        f"{k} {v.fmt('+.3g')}" for k, v in last.items()
    )
    note = (
        "same parameters, same seeds; one unit starts failing (60% recent hires, work happiness "
        "4.5, stress 0.8), its twin healthy. Pass when the failing unit is still measurably "
        "behind in the last year (it settles apart) on customers or on two of the people "
        "measures; the details say whether the people measures themselves stay apart (a "
        "self-sustaining cycle) or only the customer base does (a scar). A temporary push "
        "(pay and training together, sizes as listed) is judged by whether it closes the gap."
    )

    def plot(path: Path) -> None:
        series = {
            name: np.mean([monthly(get(s)["ts"]).work_happiness for s in specs], 0)
            for name, specs in arms.items()
        }
        plots.line(path, np.arange(1, len(next(iter(series.values()))) + 1), series,
                   xlabel="month", ylabel="work happiness")  # fmt: skip

    judgement = Judgement(model, verdict, note, details, plot)
    judgement.values = {
        "wh_gap_month1": float(gap["diff"].iloc[0]),
        **{k: e.value for k, e in last.items()},
    }
    return judgement


def surge(size: Size) -> tuple[int, int, float]:
    """The demand surge of the erosion experiment: first day, day it ends, demand factor."""
    start = 120 if size.unit_days < 1000 else 365
    return start, start + 90, 1.35


def erosion_arms(size: Size) -> dict[str, list[RunSpec]]:
    """Standards drifting or held, each with and without the surge."""
    start, end, factor = surge(size)
    events = ((start, "demand", "", factor), (end, "demand", "", 1.0))
    hold = (("policy.hold_standards", 1.0),)
    return {
        "drift, no surge": unit_runs(size),
        "drift, surge": unit_runs(size, events=events),
        "held, no surge": unit_runs(size, settings=hold),
        "held, surge": unit_runs(size, settings=hold, events=events),
    }


@CHAIN.check(
    "quality_erosion",
    Published(
        "quality erosion",
        "temporary overload plus adaptive standards erode quality for good",
        "Oliva & Sterman 2001, Mgmt Sci 47(7)",
        sign=-1,  # first-contact resolution after the surge
        role=VALIDATED,
        basis=(
            "the mechanism (behaviour.standard_drift_days, policy.hold_standards) follows Oliva & "
            "Sterman; the persistence after the surge is emergent"
        ),
    ),
    runs=flat(erosion_arms),
)
def quality_erosion(size: Size, get: Get, pub: Published) -> Judgement:
    arms = erosion_arms(size)
    start, end, factor = surge(size)
    after = slice(end + 90, None)  # from three months after the surge to the end

    def post(spec: RunSpec, col: str) -> float:
        ts = get(spec)["ts"].iloc[after]
        if col == "fcr":
            return ts.resolved_first.sum() / ts.first_contacts.sum()
        return float(ts[col].mean())

    res = {}
    for col in ("fcr", "encounter_quality", "handle_seconds", "effort_norm", "headcount"):
        v = {name: np.array([post(s, col) for s in specs]) for name, specs in arms.items()}
        res[col] = {
            "drift": paired_ci(v["drift, surge"], v["drift, no surge"]),
            "held": paired_ci(v["held, surge"], v["held, no surge"]),
            "extra": paired_ci(
                v["drift, surge"] - v["drift, no surge"], v["held, surge"] - v["held, no surge"]
            ),
        }
    verdict = combine(
        [sign_verdict(res["fcr"]["drift"], pub.sign), sign_verdict(res["fcr"]["extra"], pub.sign)]
    )
    # The mechanism during the surge: effort given and the planning norm, per arm.
    surge_norms = {}
    for name, specs in arms.items():
        during = [get(s)["ts"].iloc[start:end] for s in specs]
        key = name.replace(", ", "_").replace(" ", "_")
        surge_norms[f"norm_min_{key}"] = float(np.mean([d.effort_norm.min() for d in during]))
        surge_norms[f"effort_{key}"] = float(np.mean([d.effort.mean() for d in during]))
        surge_norms[f"effort_after_{key}"] = float(
            np.mean([get(s)["ts"].effort.iloc[after].mean() for s in specs])
        )
    details = [
        "| after the surge, surge - no surge | standards drift | standards held |",
        "|---|---|---|",
        *[f"| {c} | {r['drift'].fmt('+.3g')} | {r['held'].fmt('+.3g')} |" for c, r in res.items()],
        f"During the surge, effort given (share of the standard time): drifting "
        f"{surge_norms['effort_drift_surge']:.2f}, held {surge_norms['effort_held_surge']:.2f}; "
        f"lowest planning norm: drifting {surge_norms['norm_min_drift_surge']:.2f}, held "
        f"{surge_norms['norm_min_held_surge']:.2f}. After the surge the floor gives "
        f"{surge_norms['effort_after_drift_surge']:.3f} of the standard time with drifting "
        "standards"
        + (
            ": effort follows today's capacity only, so it snaps back to the full standard "
            "when the overload ends, and the eroded planning norm drifts back with it."
            if surge_norms["effort_after_drift_surge"] > 0.99
            else "."
        ),
    ]
    model = (
        f"FCR after the surge: drifting standards {res['fcr']['drift'].fmt('+.3f')}, held "
        f"{res['fcr']['held'].fmt('+.3f')}"
    )
    note = (
        f"demand x{factor} for days {start}-{end} (model.demand_factor) in units, with "
        "policy.hold_standards 0 (drift) and 1 (held), each against its own no-surge twin "
        f"(paired seeds), from day {end + 90} to the end ({size.unit_days} days). Pass when "
        "quality stays lower with drifting standards and more so than with held standards."
    )

    def plot(path: Path) -> None:
        series = {
            name: np.mean([monthly(get(s)["ts"]).fcr for s in specs], 0)
            for name, specs in arms.items()
        }
        plots.line(path, np.arange(1, len(next(iter(series.values()))) + 1), series,
                   xlabel="month", ylabel="first-contact resolution",
                   vspan=(start / MONTH + 1, end / MONTH + 1))  # fmt: skip

    judgement = Judgement(model, verdict, note, details, plot)
    judgement.values = {
        **{f"{c}_{k}": e.value for c, r in res.items() for k, e in r.items()},
        **surge_norms,
    }
    return judgement
