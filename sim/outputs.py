"""Outputs of one run: the last year's summary, the daily table, the final population, the
journey table (where EX meets CX), and figures.

Every file is written to a temporary name and renamed into place, so a crashed or refused run
never leaves a half-written result, and `summary.json` (written last) marks a finished run. It
holds the hash of the run's resolved config (`config_sha256`): a rerun into the folder may skip
the run only when its own config hashes the same. A temporary left by a killed writer is removed
by the next run in its folder (`remove_stale_temporaries`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Mapping
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


# The key of summary.json holding the hash of the run's config (`config_hash`).
HASH_KEY = "config_sha256"
# Config keys that change how a run is shown, not what it computes: left out of the hash.
NOT_IN_HASH = frozenset({"progress"})
# `.NAME.tmp-PID`: the temporary a writer with process id PID renames to NAME when done.
_TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)$")


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Let `write` write a temporary file beside `path`, then rename it to `path`: readers see
    the old file or the whole new one, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:  # an error or Ctrl+C: no temporary left (SIGKILL: see below)
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # called before this process writes anything: an earlier holder of the pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries (`.NAME.tmp-PID`) in `folder` whose writer is no longer running: a
    write killed by SIGKILL (or the machine going down) cannot clean up after itself. Returns
    what was removed."""
    removed = []
    for path in folder.glob(".*.tmp-*") if folder.is_dir() else ():
        m = _TEMPORARY.match(path.name)
        if m and path.is_file() and not _writer_alive(int(m.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# `.partial-<pid>-<random>/`: the staging folder a study with process id PID fills before moving its
# results into place (sim/study.py write_atomically).
_STAGING = re.compile(r"^\.partial-(\d+)-")


def remove_stale_staging(folder: Path) -> list[Path]:
    """Delete the staging folders (`.partial-PID-*`) in `folder` whose study is no longer
    running (killed by SIGKILL mid-write). Returns what was removed."""
    removed = []
    for path in folder.glob(".partial-*") if folder.is_dir() else ():
        m = _STAGING.match(path.name)
        if m and path.is_dir() and not _writer_alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def config_hash(config: Mapping[str, Any], labels: Mapping[str, Any]) -> str:
    """The SHA-256 of a run's resolved config (a plain mapping) and its labels (the scenario's
    name, a drawn parameter set): what a finished run stores to be recognised. Keys that only
    change the display (`NOT_IN_HASH`) are left out, so `progress=false` reruns the same run."""
    kept = {k: v for k, v in config.items() if k not in NOT_IN_HASH}
    text = json.dumps(
        {"config": kept, "labels": dict(labels)}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    write_atomic(outdir / "timeseries.parquet", lambda p: ts.to_parquet(p, index=False))
    write_atomic(outdir / "employees.parquet", lambda p: employees.to_parquet(p, index=False))
    write_atomic(outdir / "customers.parquet", lambda p: customers.to_parquet(p, index=False))
    write_atomic(outdir / "surveys.parquet", lambda p: surveys.to_parquet(p, index=False))
    journey = journey_frame(model)
    write_atomic(outdir / "journey.parquet", lambda p: journey.to_parquet(p, index=False))
    if figure:
        from sim.plots import journey_figure, kpi_figure

        write_atomic(outdir / "kpis.png", lambda p: kpi_figure(ts, p, title=_title(labels)))
        write_atomic(
            outdir / "journey.png",
            lambda p: journey_figure(journey, p, title=f"Where EX meets CX: {_title(labels)}"),
        )
    summary = {**summarise(ts), **labels, "days": int(len(ts))}
    # An undefined KPI (no contacts: no first-contact resolution) is null: NaN is not JSON.
    plain = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()
    }
    text = json.dumps(plain, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_atomic(outdir / "summary.json", lambda p: p.write_text(text))
    return summary


def _title(labels: dict[str, Any]) -> str:
    return f"{labels.get('org', '')} / {labels.get('scenario', '')} / seed {labels.get('seed', '')}"


def _finished_summary(outdir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((outdir / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and all(k in data for k in SUMMARY_KEYS) else None


def is_complete(outdir: Path) -> bool:
    """A run is finished when its summary.json parses and holds every summary key."""
    return _finished_summary(outdir) is not None


def stored_hash(outdir: Path) -> str | None:
    """The config hash of the finished run in `outdir`: None when no run finished there, "" for
    one finished before runs stored their hash (its config cannot be confirmed)."""
    data = _finished_summary(outdir)
    return None if data is None else str(data.get(HASH_KEY, ""))


def format_summary(summary: dict[str, Any]) -> str:
    """A compact two-column table of the headline KPIs for the console."""
    lines = [f"{'KPI (last year)':<28}{'value':>16}", "-" * 44]
    for key in SUMMARY_KEYS:
        v = summary[key]
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"
        lines.append(f"{key:<28}{text:>16}")
    return "\n".join(lines)
