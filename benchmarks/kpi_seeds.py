"""Headline KPIs per scenario and seed, from whatever `sim` is on the path: a before/after harness.

Run it once on an older checkout (a `git worktree`, with `PYTHONPATH` pointing at it) and once on
this one, then compare the two files in distribution with `--against`:

    PYTHONPATH=/tmp/old python -m benchmarks.kpi_seeds --out /tmp/before.parquet
    python -m benchmarks.kpi_seeds --out /tmp/after.parquet --against /tmp/before.parquet

Each (scenario, KPI) is a Welch t-test of the seed means, family-wise error 1% (Bonferroni), the
harness of tests/test_reference.py. With `--daily` the whole daily table is kept instead, to check
that a pure refactor changes no number at all (`--against` then compares exactly).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

KPIS = (
    "profit",
    "revenue",
    "costs",
    "nps",
    "enps",
    "csat_mean",
    "work_happiness_mean",
    "employee_turnover_annual",
    "customer_churn_annual",
    "service_level",
    "abandon_rate",
    "first_contact_resolution",
    "customers",
)
QUICK = ("org.employees=20", "org.customers=17000", "days=730", "progress=false")
FAMILY_ALPHA = 0.01


def _config(overrides: list[str]):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.cli import CONFIG_DIR
    from sim.config import to_dataclass

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return to_dataclass(compose("config", overrides=overrides))


def one_run(job: tuple[str, int, tuple[str, ...], bool]) -> pd.DataFrame:
    """The daily table (or the last year's summary) of one scenario and seed."""
    from sim.model import ServiceModel
    from sim.outputs import summarise

    scenario, seed, extra, daily = job
    cfg = _config([f"scenario={scenario}", f"seed={seed}", *extra])
    model = ServiceModel(cfg)
    for _ in range(cfg.days):
        model.step()
    ts = model.timeseries()
    frame = ts if daily else pd.DataFrame([{k: summarise(ts)[k] for k in KPIS}])
    return frame.assign(scenario=scenario, seed=seed)


def compare(after: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Welch test per scenario and KPI; `shifted` where p < 1% / number of tests."""
    rows = []
    scenarios = sorted(set(after.scenario) & set(before.scenario))
    n_tests = len(scenarios) * len(KPIS)
    for sc in scenarios:
        a, b = after[after.scenario == sc], before[before.scenario == sc]
        for k in KPIS:
            p = stats.ttest_ind(a[k], b[k], equal_var=False).pvalue
            rows.append(
                {
                    "scenario": sc,
                    "kpi": k,
                    "before": b[k].mean(),
                    "after": a[k].mean(),
                    "p": p,
                    "shifted": bool(p < FAMILY_ALPHA / n_tests),
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--against", type=Path, help="an earlier --out file to compare with")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--scenarios", default="baseline,loose_scripts,feedback_sharing,cost_cutting")
    ap.add_argument("--daily", action="store_true", help="keep the daily table (exact check)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("override", nargs="*", help="Hydra overrides (default: the quick size)")
    args = ap.parse_args(argv)
    extra = tuple(args.override) or QUICK
    jobs = [
        (sc, s, extra, args.daily) for sc in args.scenarios.split(",") for s in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        frame = pd.concat(list(pool.map(one_run, jobs)), ignore_index=True)
    frame.to_parquet(args.out)
    if args.against is None:
        return 0
    before = pd.read_parquet(args.against)
    if args.daily:
        cols = [c for c in before.columns if c in frame.columns]
        a, b = frame[cols], before[cols]
        same = a.shape == b.shape and bool(
            np.all((a.to_numpy() == b.to_numpy()) | (a.isna().to_numpy() & b.isna().to_numpy()))
        )
        print("identical" if same else "DIFFERENT", f"({len(cols)} columns, {len(a)} rows)")
        return 0 if same else 1
    table = compare(frame, before)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"shifted: {int(table.shifted.sum())} of {len(table)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
