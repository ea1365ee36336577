"""The per-agent reference (benchmarks/reference.py) and the array simulator are the same model.

They use different random draws, so they are compared in distribution over seeds: each model
runs several seeds of a small world, and for each headline KPI a Welch t-test asks whether the
two sets of seed means could come from one distribution. The family-wise error is held at 1%
with a Bonferroni correction over the KPIs. A second assertion shows that the comparison has
teeth: a reference with a 50% higher failure rate per encounter is told apart.
"""

from __future__ import annotations

import copy
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.reference import run_summary  # noqa: E402
from sim.config import SimConfig  # noqa: E402

SEEDS = 6
KPIS = (
    "nps",
    "enps",
    "csat_mean",
    "work_happiness_mean",
    "first_contact_resolution",
    "encounter_quality",
    "customer_churn_annual",
    "employee_turnover_annual",
    "recovery_spend",
    "profit",
    "customers",
)
FAMILY_ALPHA = 0.01


def small_world(seed: int) -> SimConfig:
    cfg = SimConfig(seed=seed, days=180, progress=False)
    cfg.org.employees, cfg.org.customers = 20, 3_000
    return cfg


def disagreements(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """KPIs whose seed means differ at the Bonferroni-corrected level (name: p-value)."""
    out = {}
    for i, key in enumerate(KPIS):
        p = stats.ttest_ind(a[:, i], b[:, i], equal_var=False).pvalue
        if p < FAMILY_ALPHA / len(KPIS):
            out[key] = float(p)
    return out


@pytest.fixture(scope="module")
def results() -> dict[str, np.ndarray]:
    broken = []
    for s in range(SEEDS):
        cfg = small_world(2_000 + s)
        cfg.behaviour = copy.deepcopy(cfg.behaviour)
        cfg.behaviour.failure_rate *= 1.5
        broken.append(("ref", cfg))
    jobs = {
        "sim": [("sim", small_world(s)) for s in range(SEEDS)],
        "ref": [("ref", small_world(1_000 + s)) for s in range(SEEDS)],
        "broken": broken,
    }
    flat = [j for group in jobs.values() for j in group]
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded pytest process
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        summaries = list(pool.map(run_summary, *zip(*flat, strict=True)))
    rows = [[float(s[k]) for k in KPIS] for s in summaries]
    out, i = {}, 0
    for name, group in jobs.items():
        out[name] = np.array(rows[i : i + len(group)])
        i += len(group)
    return out


@pytest.mark.slow
def test_reference_and_simulator_agree_on_headline_kpis(results):
    assert disagreements(results["sim"], results["ref"]) == {}


@pytest.mark.slow
def test_comparison_detects_a_reference_with_more_service_failures(results):
    found = disagreements(results["sim"], results["broken"])
    assert "recovery_spend" in found, found
