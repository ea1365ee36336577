"""The improvement plan: candidate interventions per role and stage, ranked by what they are worth.

Candidates are generated from the journey itself, so a journey described in YAML gets its own
plan: for every role, better training and better tools; for back-office roles, more capacity
and a share of the customer feedback; for roles that make the rosters, more planning capacity;
for the front office, loosened scripts and empowerment with a recovery budget; for everyone,
customer feedback shared more openly. Each candidate runs on the same seeds as the baseline,
so its effect is a paired difference with a t interval over replications (stats.py).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import (
    DIRECTION,  # noqa: F401  (experiments/plan.py reads plan.DIRECTION)
    paired,
    t_interval,
    verdict,
)
from sim.config import ConfigError, SimConfig, single_stage, validate
from sim.kpis import REGISTRY, subset

LEVERS = ("training", "tools", "feedback", "capacity", "rosters", "scripts", "empowerment")
# The KPIs of the plan's tables (plan.md shows the first five), and those it may rank by: the
# customer and money side, where an intervention has to show.
PLAN_KPIS = subset(
    "profit",
    "nps",
    "csat_mean",
    "customer_churn_annual",
    "work_happiness_mean",
    "expected_turnover_annual",
)
RANK_KPIS = subset("profit", "nps", "csat_mean", "customer_churn_annual")


@dataclass(frozen=True)
class Intervention:
    """One candidate: a named change of config values, aimed at one role (or the front office)."""

    name: str
    lever: str
    role: str  # a journey role, "front office" or "everyone"
    stages: tuple[str, ...]  # the stages it acts on (the role's, or all)
    changes: dict[str, Any] = field(default_factory=dict)  # dotted config key -> new value
    description: str = ""


def _journey(config: SimConfig):
    j = config.journey
    return single_stage() if not j.stages and not j.roles else j


def candidates(config: SimConfig, levers: Sequence[str] = LEVERS) -> list[Intervention]:
    """Every intervention the journey admits, for the chosen kinds of lever (see module doc)."""
    j, pol = _journey(config), config.policy
    all_stages = tuple(j.stages)
    front_stages = tuple(
        s
        for s in all_stages
        if any(s in r.stages and r.office == "front" for r in j.roles.values())
    )
    out: list[Intervention] = []
    for name, role in j.roles.items():
        key = f"journey.roles.{name}"
        # The stages a role acts on: its own, or (for internal service) those of its dependants.
        own = tuple(role.stages) or tuple(
            dict.fromkeys(s for r in j.roles.values() if name in r.depends_on for s in r.stages)
        )
        back = role.office == "back"
        if "training" in levers:
            new = min(role.training + 0.5, 3.0)
            if new > role.training:
                out.append(
                    Intervention(
                        f"training: {name}",
                        "training",
                        name,
                        own,
                        {f"{key}.training": new},
                        f"training intensity {role.training:g} -> {new:g}",
                    )
                )
        if "tools" in levers:
            new = min(role.tools + 0.3, 2.0)
            if new > role.tools:
                out.append(
                    Intervention(
                        f"tools: {name}",
                        "tools",
                        name,
                        own,
                        {f"{key}.tools": new},
                        f"tools {role.tools:g} -> {new:g} x the org's",
                    )
                )
        if "feedback" in levers and back and role.feedback_reach < 1.0:
            out.append(
                Intervention(
                    f"customer feedback to {name}",
                    "feedback",
                    name,
                    own,
                    {f"{key}.feedback_reach": 1.0},
                    f"feedback reach {role.feedback_reach:g} -> 1",
                )
            )
        makes_rosters = role.provides == "rosters"
        if back and role.headcount > 0:
            kind = "rosters" if makes_rosters else "capacity"
            if kind in levers:
                # A quarter more staff, and at least one more person: in a small unit a quarter
                # of one or two people rounds to nobody.
                need = config.org.employees * role.headcount * pol.staffing_level
                seats = max(round(need * role.staffing), 1)
                new = round(min(max(role.staffing * 1.25, (seats + 1) / need), 10.0), 6)
                what = "planning capacity and schedule flexibility" if makes_rosters else "capacity"
                out.append(
                    Intervention(
                        f"{kind}: {name}",
                        kind,
                        name,
                        own,
                        {f"{key}.staffing": new},
                        f"{what}: staff x{new / role.staffing:.2f} against the work "
                        f"({seats} -> {max(round(need * new), 1)} people at the start)",
                    )
                )
    if "scripts" in levers and pol.script_strictness > 0.0:
        new = round(max(pol.script_strictness - 0.3, 0.0), 6)
        out.append(
            Intervention(
                "loosen scripts",
                "scripts",
                "front office",
                front_stages,
                {"policy.script_strictness": new},
                f"script strictness {pol.script_strictness:g} -> {new:g}",
            )
        )
    if "empowerment" in levers and (pol.recovery_authority < 1.0 or pol.recovery_budget < 200.0):
        budget = max(pol.recovery_budget, 100.0)
        authority = max(pol.recovery_authority, 0.8)
        out.append(
            Intervention(
                "empowerment and recovery budget",
                "empowerment",
                "front office",
                front_stages,
                {"policy.recovery_authority": authority, "policy.recovery_budget": budget},
                f"authority {pol.recovery_authority:g} -> {authority:g}, "
                f"budget {pol.recovery_budget:g} -> {budget:g} per incident",
            )
        )
    if "feedback" in levers and pol.feedback_sharing < 7.0:
        new = min(pol.feedback_sharing + 2.0, 7.0)
        out.append(
            Intervention(
                "share customer feedback",
                "feedback",
                "everyone",
                all_stages,
                {"policy.feedback_sharing": new},
                f"feedback sharing {pol.feedback_sharing:g} -> {new:g} (1..7)",
            )
        )
    return out


def apply(config: SimConfig, changes: dict[str, Any]) -> SimConfig:
    """A copy of `config` with dotted keys set (roles are dict entries), validated.

    Raises:
        ConfigError: a key that does not exist or a value out of its range.
    """
    new = copy.deepcopy(config)
    if not new.journey.stages and not new.journey.roles:
        new.journey = single_stage()
    for key, value in changes.items():
        *path, last = key.split(".")
        node: Any = new
        for part in path:
            node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
            if node is None:
                raise ConfigError(key, value, "an existing config key")
        if isinstance(node, dict) or not hasattr(node, last):
            raise ConfigError(key, value, "an existing config key")
        setattr(node, last, value)
    validate(new)
    return new


def combined(interventions: Sequence[Intervention]) -> dict[str, Any]:
    """The changes of several interventions at once (a later one wins on a shared key)."""
    out: dict[str, Any] = {}
    for i in interventions:
        out.update(i.changes)
    return out


def effects_table(
    runs: pd.DataFrame,
    interventions: Sequence[Intervention],
    baseline: str,
    *,
    kpis: Sequence[str] = PLAN_KPIS,
    conf: float = 0.95,
) -> pd.DataFrame:
    """One row per intervention and KPI: mean paired difference to the baseline, its interval,
    and the verdict (better / worse / unclear, by the KPI's own direction)."""
    rows = []
    for i in interventions:
        for kpi in kpis:
            d = paired(runs, kpi, i.name, baseline, label="intervention")["diff"]
            lo, hi = t_interval(d, conf)
            rows.append(
                {
                    "intervention": i.name,
                    "lever": i.lever,
                    "role": i.role,
                    "stages": ", ".join(i.stages),
                    "kpi": kpi,
                    "diff": float(d.mean()),
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": int(d.notna().sum()),
                    "verdict": verdict(lo, hi, REGISTRY[kpi].better),
                }
            )
    return pd.DataFrame(rows)


def stage_cx_effects(journeys: pd.DataFrame, baseline: str, conf: float = 0.95) -> pd.DataFrame:
    """Per intervention and stage: the paired difference of the stage's CX to the baseline."""
    stage = journeys.drop_duplicates(["intervention", "seed", "stage"])[
        ["intervention", "seed", "stage", "stage_cx"]
    ]
    rows = []
    for (name, st), frame in stage.groupby(["intervention", "stage"], sort=False):
        if name == baseline:
            continue
        base = stage[(stage.intervention == baseline) & (stage.stage == st)]
        merged = frame.merge(base, on=["seed", "stage"], suffixes=("", "_base"))
        d = merged["stage_cx"] - merged["stage_cx_base"]
        lo, hi = t_interval(d, conf)
        rows.append(
            {
                "intervention": name,
                "stage": st,
                "diff": float(d.mean()),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows)


def ranking(effects: pd.DataFrame, rank_by: str) -> pd.DataFrame:
    """Interventions ordered by the mean effect on `rank_by` (best first, by its direction),
    one row each, with every KPI's difference and interval as columns."""
    wide = effects.pivot_table(
        index=["intervention", "lever", "role", "stages"],
        columns="kpi",
        values=["diff", "ci_low", "ci_high"],
        sort=False,
    )
    wide.columns = [f"{kpi}_{what}" for what, kpi in wide.columns]
    wide = wide.reset_index()
    key = REGISTRY[rank_by].better * wide[f"{rank_by}_diff"]
    wide = wide.assign(_key=key).sort_values("_key", ascending=False).drop(columns="_key")
    wide.insert(0, "rank", np.arange(1, len(wide) + 1))
    return wide.reset_index(drop=True)


def mean_journey(journeys: pd.DataFrame, name: str) -> pd.DataFrame:
    """The journey table of one intervention, averaged over seeds (for the heatmaps)."""
    frame = journeys[journeys.intervention == name].drop(columns="seed_set", errors="ignore")
    keys = [
        "stage",
        "role",
        "office",
        "works_here",
        "serves_here",
        "touchpoints",
        "contact_reasons",
    ]
    values = [c for c in frame.columns if c not in (*keys, "intervention", "seed", "days")]
    return frame.groupby(keys, sort=False)[values].mean().reset_index()


def money(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value / 1000:+,.0f}k" if abs(value) >= 1000 else f"{value:+,.0f}"


def _fmt(kpi: str, value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    quantity = REGISTRY[kpi].quantity
    if quantity == "money":
        return money(value)
    if quantity == "rate":  # a share per year: its change in percentage points
        return f"{100 * value:+.1f} pt"
    return f"{value:+.2f}"


def cell(row: pd.Series, kpi: str) -> str:
    """`+12k [+3k, +21k]`: a difference and its interval, in the KPI's units."""
    d, lo, hi = row[f"{kpi}_diff"], row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"]
    return f"{_fmt(kpi, d)} [{_fmt(kpi, lo)}, {_fmt(kpi, hi)}]"


def write_plan(
    outdir: Path,
    *,
    ranked: pd.DataFrame,
    interventions: Sequence[Intervention],
    stage_cx: pd.DataFrame,
    after: pd.DataFrame | None,
    before_journey: pd.DataFrame,
    after_journey: pd.DataFrame | None,
    top: Sequence[str],
    rank_by: str,
    context: dict[str, str],
    conf: float,
) -> Path:
    """plan.md with the ranked table, the combined top interventions, and the heatmaps."""
    from sim.plots import journey_figure

    journey_figure(before_journey, outdir / "journey_before.png", title="Before: baseline")
    if after_journey is not None:
        journey_figure(
            after_journey, outdir / "journey_after.png", title=f"After: top {len(top)} combined"
        )
    by_name = {i.name: i for i in interventions}
    level = f"{100 * conf:.0f}%"
    lines = ["# Improvement plan", ""]
    lines += [f"- **{k}**: {v}" for k, v in context.items()]
    lines += [
        "",
        f"Each intervention ran on the same seeds as the baseline; a cell is the mean paired "
        f"difference to the baseline over the window, with its {level} t interval. Ranked by "
        f"{rank_by}. CX at its stages is the change of the customers' rating of the touchpoints "
        f"at the stages the role works at (0-10).",
        "",
        "| rank | intervention | role | stages | change | profit / year | NPS | CSAT | churn "
        "| work happiness | CX at its stages |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, row in ranked.iterrows():
        i = by_name[row["intervention"]]
        cx = stage_cx[stage_cx.intervention == i.name]
        cx = cx[cx.stage.isin(i.stages)]
        cx_text = ", ".join(f"{r.stage} {r.diff:+.2f}" for r in cx.itertuples()) or "-"
        lines.append(
            f"| {row['rank']} | {i.name} | {i.role} | {', '.join(i.stages)} | {i.description} "
            f"| {cell(row, 'profit')} | {cell(row, 'nps')} | {cell(row, 'csat_mean')} "
            f"| {cell(row, 'customer_churn_annual')} | {cell(row, 'work_happiness_mean')} "
            f"| {cx_text} |"
        )
    lines += [""]
    if after is not None and top:
        lines += [
            f"## The top {len(top)} together",
            "",
            f"{', '.join(top)}: run together, against the baseline, on fresh seeds (the ranking's "
            "seeds would flatter the ones chosen on them).",
            "",
            "| KPI | difference to baseline |",
            "|---|---|",
        ]
        for kpi in PLAN_KPIS:
            lines.append(f"| {kpi} | {cell(after.iloc[0], kpi)} |")
        lines += [""]
    lines += [
        "## Where EX meets CX",
        "",
        "Drivers per role and stage (want, know, can; feel is the organisation's) and the "
        "customers' rating of each stage, averaged over seeds.",
        "",
        "Before (baseline):",
        "",
        "![journey before](journey_before.png)",
        "",
    ]
    if after_journey is not None:
        lines += [f"After (top {len(top)} combined):", "", "![journey after](journey_after.png)"]
    lines += [
        "",
        "Read with care: effects are the model's (docs/MODEL.md, section 3.7: every journey "
        "number is an assumption unless sourced); an interval that straddles zero means the "
        "replications cannot tell the effect from noise. Every candidate is compared with the "
        "same baseline runs, so their effects share the baseline's luck: with few seeds they "
        "can all shift up or down together. Read the order with that in mind, and use more "
        "replications (or the top ones together, on fresh seeds) for the size.",
        "",
    ]
    path = outdir / "plan.md"
    path.write_text("\n".join(lines))
    return path
