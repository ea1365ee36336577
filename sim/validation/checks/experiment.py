"""The building blocks of the checks' experiments: which runs a check asks for (`org_runs`,
`unit_runs`) and what it reads from them (`kpis`, `monthly`, `monthly_diff`, `per_seed`).

No check sets a parameter to reach its figure: the runs use the scenario presets as they are;
where an experiment needs a change (a demand surge, a temporary pay push, a failing start, a
counterfactual defection rate), it is the experiment's treatment, stated in the check, and never
a calibration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig
from sim.outputs import summarise
from sim.stats import Estimate, mean_ci
from sim.validation.checks.base import Get
from sim.validation.runs import RunSpec, Size

# The probes of the default-size org runs: every envelope and scenario check shares these runs.
ORG_PROBES = frozenset(
    {"queue", "encounters", "agents", "hires", "wom", "loyalty", "nps", "recovery"}
)
ENCOUNTERS = frozenset({"encounters"})
MONTH = 30  # days in a "month" of the month-by-month paths


@cache
def scenario_config(scenario: str) -> SimConfig:
    """The scenario preset composed exactly as `sim-run scenario=<name>` does (main process)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.cli import CONFIG_DIR
    from sim.config import to_dataclass

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"scenario={scenario}", "progress=false"])
    GlobalHydra.instance().clear()
    return to_dataclass(cfg)


# ---- run lists ------------------------------------------------------------------------------
def org_runs(
    size: Size, scenario: str = "baseline", probes: frozenset[str] = ORG_PROBES, **kw: Any
) -> list[RunSpec]:
    """The calibrated org size, one run per seed."""
    return [
        RunSpec(
            scenario,
            size.employees,
            size.customers,
            kw.get("days", size.days),
            seed,
            tuple(kw.get("settings", ())),
            probes=frozenset(probes),
        )
        for seed in range(size.seeds)
    ]


def unit_runs(
    size: Size,
    scenario: str = "baseline",
    *,
    settings: Sequence[tuple[str, float]] = (),
    events: Sequence[tuple[int, str, str, float]] = (),
    init: str = "",
    days: int | None = None,
    seeds: int | None = None,
    probes: frozenset[str] = frozenset(),
) -> list[RunSpec]:
    """Units of the sweeps and dynamic experiments, one run per seed (paired across arms)."""
    return [
        RunSpec(
            scenario,
            size.unit_employees,
            size.unit_customers,
            days or size.unit_days,
            seed,
            tuple(settings),
            tuple(events),
            init,
            frozenset(probes),
        )
        for seed in range(seeds or size.unit_seeds)
    ]


def flat(arms: Callable[[Size], dict[Any, list[RunSpec]]]) -> Callable[[Size], list[RunSpec]]:
    """The runs of every arm of an experiment, as one list."""
    return lambda size: [s for specs in arms(size).values() for s in specs]


# ---- what is read from the runs ---------------------------------------------------------------
def kpis(get: Get, specs: list[RunSpec], window: int = 365) -> pd.DataFrame:
    """The last-year summary KPIs of each run, one row per seed."""
    return pd.DataFrame([summarise(get(s)["ts"], window=window) for s in specs])


def monthly(ts: pd.DataFrame) -> pd.DataFrame:
    """Month (30-day block) by month: flows summed, levels averaged, rates recomputed."""
    g = ts.groupby(np.arange(len(ts)) // MONTH)
    out = pd.DataFrame(
        {
            "profit": g["profit"].sum(),
            "revenue": g["revenue"].sum(),
            "quits": g["quits"].sum(),
            "headcount": g["headcount"].mean(),
            "work_happiness": g["work_happiness_mean"].mean(),
            "csat": g["csat_mean"].mean(),
            "encounter_quality": g["encounter_quality"].mean(),
            "handle_seconds": g["handle_seconds"].mean(),
            "effort_norm": g["effort_norm"].mean(),
            "customers": g["customers"].mean(),
        }
    )
    out["fcr"] = g["resolved_first"].sum() / g["first_contacts"].sum()
    out["turnover"] = out.quits * 365.0 / MONTH / out.headcount
    return out


def monthly_diff(get: Get, a: list[RunSpec], b: list[RunSpec], col: str) -> pd.DataFrame:
    """Month-by-month mean of (a - b) over paired seeds, with its interval."""
    d = np.array(
        [
            monthly(get(x)["ts"])[col] - monthly(get(y)["ts"])[col]
            for x, y in zip(a, b, strict=False)
        ]
    )
    rows = [mean_ci(d[:, m]) for m in range(d.shape[1])]
    return pd.DataFrame(
        {"month": np.arange(1, d.shape[1] + 1), "diff": [e.value for e in rows],
         "lo": [e.lo for e in rows], "hi": [e.hi for e in rows]}
    )  # fmt: skip


def per_seed(get: Get, specs: list[RunSpec], fn: Callable[[dict[str, Any]], float]) -> np.ndarray:
    """One number per run (seed), read from its outputs by `fn`."""
    return np.array([fn(get(s)) for s in specs], float)


def pct(e: Estimate) -> str:
    """A share as a percentage with its interval, one decimal."""
    return e.scaled(100).fmt(".1f", "%")
