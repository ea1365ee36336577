"""Outputs of one run: the last year's summary, the daily table, the final population, the
journey table (where EX meets CX), and figures.

Every file is written to a temporary name and renamed into place, so a crashed or refused run
never leaves a half-written result, and `summary.json` (written last) marks a finished run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis
from sim.model import ServiceModel

# The headline KPIs: the console table of a run, and what a finished run's summary must hold.
SUMMARY_KEYS = kpis.subset(
    "enps",
    "nps",
    "work_happiness_mean",
    "employee_turnover_annual",
    "customer_churn_annual",
    "csat_mean",
    "service_level",
    "abandon_rate",
    "first_contact_resolution",
    "revenue",
    "costs",
    "profit",
    "recovery_spend",
    "recovery_spend_per_incident",
    "headcount",
    "customers",
)


def summarise(ts: pd.DataFrame, *, window: int = 365) -> dict[str, float]:
    """Every KPI of the registry (sim/kpis.py) over the last `window` days (the last year);
    flows are scaled to a year, counts are ints.

    Raises:
        ValueError: `ts` has no days.
    """
    last = ts.tail(window)
    return {name: kpis.value(name, last) for name in kpis.NAMES}


def journey_frame(model: ServiceModel, *, window: int = 365) -> pd.DataFrame:
    """Where EX meets CX over the last `window` days: one row per stage and role.

    Drivers (want, know, can: per role and stage; feel: the organisation's) are blank where the
    role does not work at the stage. Stage columns (CX, touchpoints, failures) repeat on every
    row of their stage, role columns on every row of their role: a tidy table to pivot."""
    jn = model.journey
    days = model.journey_log[-window:]
    total = {k: np.sum([d[k] for d in days], axis=0) for k in days[0]} if days else {}
    n_s, n_r = jn.n_stages, jn.n_roles
    zeros_s, zeros_r = np.zeros(n_s), np.zeros(n_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        drivers = total.get("driver_sum", np.zeros((4, n_r, n_s))) / total.get(
            "driver_n", np.zeros((n_r, n_s))
        )
        touch = total.get("cx_n", zeros_s)
        cx = total.get("cx_sum", zeros_s) / touch
        failure_rate = total.get("failures", zeros_s) / touch
        heads = total.get("role_headcount", zeros_r)
        happiness = total.get("role_happiness", zeros_r) / heads
    per_day = max(len(days), 1)
    rows = []
    for si, stage in enumerate(jn.stages):
        for ri, role in enumerate(jn.roles):
            works = bool(jn.covers[ri, si])
            reaches = bool(jn.reaches[ri, si])
            rows.append(
                {
                    "stage": stage,
                    "role": role,
                    "office": "front" if jn.front[ri] else "back",
                    "works_here": works,
                    "serves_here": reaches and not works,  # through internal service
                    **{
                        d: float(drivers[k, ri, si]) if reaches else np.nan
                        for k, d in enumerate(("want", "know", "can", "feel"))
                    },
                    "stage_weight": float(jn.weight[si]),
                    "touchpoints": jn.touchpoints[si],
                    "contact_reasons": jn.contact_reasons[si],
                    "stage_cx": float(cx[si]),
                    "stage_ratings": float(touch[si]),  # touchpoint events rated: contacts, outputs
                    "stage_contacts": float(total.get("contacts", zeros_s)[si]),
                    "stage_failures": float(total.get("failures", zeros_s)[si]),
                    "stage_failure_rate": float(failure_rate[si]),
                    "stage_deliveries": float(total.get("delivered", zeros_s)[si]),
                    "stage_delivery_errors": float(total.get("delivered_wrong", zeros_s)[si]),
                    "role_headcount": float(heads[ri] / per_day),
                    "role_work_happiness": float(happiness[ri]),
                    "role_output_quality": float(total.get("role_quality", zeros_r)[ri] / per_day),
                    "role_internal_service": float(
                        total.get("role_internal_service", zeros_r)[ri] / per_day
                    ),
                    "role_load": float(total.get("role_load", zeros_r)[ri] / per_day),
                    "days": len(days),
                }
            )
    return pd.DataFrame(rows)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def population_frames(model: ServiceModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The final employees (occupied seats) and customers, one row each."""
    s, c = model.staff, model.customers
    emp = np.flatnonzero(s.active)
    employees = pd.DataFrame(
        {
            "agent_id": s.agent_id[emp],
            "seat": emp,
            "team": s.team[emp],
            "age": s.age[emp],
            "tenure_days": s.tenure[emp],
            "in_training": s.training_left[emp] > 0,
            "skill": s.skill[emp],
            "deviation": s.deviation[emp],
            "work_happiness": s.engagement[emp],
            "stress": s.stress[emp],
            "enps_answer": model.survey_answers_employees()[emp],
        }
    )
    cus = np.flatnonzero(c.active)
    customers = pd.DataFrame(
        {
            "agent_id": c.agent_id[cus],
            "satisfaction": c.satisfaction[cus],
            "tenure_days": c.tenure[cus],
            "value": c.value[cus],
            "need_rate": c.need_rate[cus],
            "patience_seconds": c.patience[cus],
            "failures_remembered": c.failures[cus],
            "failures_ever": c.failures_ever[cus],
            "nps_answer": model.survey_answers_customers()[cus],
        }
    )
    return employees, customers


def write_outputs(
    model: ServiceModel, outdir: Path, labels: dict[str, Any], *, figure: bool = True
) -> dict[str, Any]:
    """Write every result file of a finished run; return the summary.

    `figure=False` skips kpis.png (importing matplotlib and drawing it is most of the cost of
    writing a run: sweeps and units studies that never look at one run's figure should skip it).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    ts = model.timeseries()
    employees, customers = population_frames(model)
    surveys = pd.DataFrame(model.survey_rows)
    _atomic(outdir / "timeseries.parquet", lambda p: ts.to_parquet(p, index=False))
    _atomic(outdir / "employees.parquet", lambda p: employees.to_parquet(p, index=False))
    _atomic(outdir / "customers.parquet", lambda p: customers.to_parquet(p, index=False))
    _atomic(outdir / "surveys.parquet", lambda p: surveys.to_parquet(p, index=False))
    journey = journey_frame(model)
    _atomic(outdir / "journey.parquet", lambda p: journey.to_parquet(p, index=False))
    if figure:
        from sim.plots import journey_figure, kpi_figure

        _atomic(outdir / "kpis.png", lambda p: kpi_figure(ts, p, title=_title(labels)))
        _atomic(
            outdir / "journey.png",
            lambda p: journey_figure(journey, p, title=f"Where EX meets CX: {_title(labels)}"),
        )
    summary = {**summarise(ts), **labels, "days": int(len(ts))}
    text = json.dumps(summary, indent=2, sort_keys=True, allow_nan=True) + "\n"
    _atomic(outdir / "summary.json", lambda p: p.write_text(text))
    return summary


def _title(labels: dict[str, Any]) -> str:
    return f"{labels.get('org', '')} / {labels.get('scenario', '')} / seed {labels.get('seed', '')}"


def is_complete(outdir: Path) -> bool:
    """A run is finished when its summary.json parses and holds every summary key."""
    try:
        data = json.loads((outdir / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return all(k in data for k in SUMMARY_KEYS)


def format_summary(summary: dict[str, Any]) -> str:
    """A compact two-column table of the headline KPIs for the console."""
    lines = [f"{'KPI (last year)':<28}{'value':>16}", "-" * 44]
    for key in SUMMARY_KEYS:
        v = summary[key]
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"
        lines.append(f"{key:<28}{text:>16}")
    return "\n".join(lines)
