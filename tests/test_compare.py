"""sim-compare: its statistics against scipy, its economics on known numbers, and the real CLI."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_config, run_study
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from scipy import stats

from sim.analysis.economics import (
    NOT_WITHIN,
    break_even_month,
    economics_table,
    month_of_day,
    monthly,
    roi,
)
from sim.analysis.stats import beats_share, compare_table, mean_ci, paired, t_interval, verdict
from sim.cli import CONFIG_DIR

TINY = ["org.employees=5", "org.customers=3000", "days=60"]


def run(args: list[str], outdir: Path) -> subprocess.CompletedProcess:
    return run_study("sim-compare", args, outdir)


# ---- statistics ------------------------------------------------------------------------------
def test_t_interval_matches_scipy_and_the_textbook_value():
    x = np.array([2.1, 3.4, 1.9, 5.6, 4.4, 3.3])
    lo, hi = t_interval(x, 0.95)
    ref = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high), rel=1e-12)
    # 1..5: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.7764: 3 -+ 2.7764 * sqrt(2.5 / 5)
    assert t_interval([1, 2, 3, 4, 5]) == pytest.approx((1.0367, 4.9633), abs=1e-4)
    ninety = t_interval([1, 2, 3, 4, 5], 0.90)
    assert ninety[1] - ninety[0] < 4.9633 - 1.0367  # a lower level gives a narrower interval
    assert all(math.isnan(v) for v in t_interval([4.0]))
    assert t_interval([7.0, 7.0, 7.0]) == (7.0, 7.0)
    m = mean_ci([1.0, np.nan, 3.0])
    assert m["n"] == 2 and m["mean"] == 2.0


def _runs(base: dict[int, float], scen: dict[int, float], kpi: str = "profit") -> pd.DataFrame:
    """Baseline rows in seed order, scenario rows in reverse order: pairing must use the seed."""
    rows = [{"scenario": "baseline", "seed": s, kpi: v} for s, v in sorted(base.items())]
    rows += [{"scenario": "lever", "seed": s, kpi: v} for s, v in sorted(scen.items())[::-1]]
    return pd.DataFrame(rows)


def test_difference_is_paired_by_seed_and_matches_scipy_paired_t():
    base = {0: 10.0, 1: 200.0, 2: 35.0, 3: 90.0}  # seeds differ a lot ...
    effect = {0: 1.0, 1: 1.2, 2: 0.8, 3: 1.1}  # ... the lever's effect little
    runs = _runs(base, {s: base[s] + effect[s] for s in base})
    pair = paired(runs, "profit", "lever", "baseline")
    assert pair["diff"].to_dict() == pytest.approx(effect)
    row = compare_table(runs, ["profit"]).set_index("scenario").loc["lever"]
    a = np.array([base[s] + effect[s] for s in range(4)])
    b = np.array([base[s] for s in range(4)])
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval(0.95)
    assert row["diff"] == pytest.approx(1.025)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((ci.low, ci.high))
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert row["diff_ci_high"] - row["diff_ci_low"] < 1.0  # unpaired, it would span ~200
    assert row["verdict"] == "better" and row["beats_baseline_share"] == 1.0
    assert row["mean"] == pytest.approx(a.mean()) and row["baseline_mean"] == pytest.approx(
        b.mean()
    )


def test_beating_the_baseline_respects_the_kpi_direction():
    base = {0: 0.30, 1: 0.40, 2: 0.20, 3: 0.50}
    scen = {0: 0.25, 1: 0.35, 2: 0.22, 3: 0.45}  # lower on 3 of 4 seeds
    d = np.array([scen[s] - base[s] for s in range(4)])
    assert beats_share(d, -1) == 0.75 and beats_share(d, +1) == 0.25
    turnover = compare_table(
        _runs(base, scen, "employee_turnover_annual"), ["employee_turnover_annual"]
    )
    row = turnover.set_index("scenario").loc["lever"]
    assert row["better_if"] == "lower" and row["beats_baseline_share"] == 0.75
    assert verdict(-0.2, -0.1, -1) == "better" and verdict(-0.2, -0.1, +1) == "worse"
    assert verdict(-0.2, 0.1, -1) == "unclear"
    ref = turnover.set_index("scenario").loc["baseline"]
    assert ref["verdict"] == "reference" and ref["diff"] == 0.0


def test_pairing_refuses_scenarios_run_on_different_seeds():
    runs = _runs({0: 1.0, 1: 2.0}, {0: 1.0, 2: 2.0})
    with pytest.raises(ValueError, match="different seeds"):
        compare_table(runs, ["profit"])


# ---- economics -------------------------------------------------------------------------------
def test_break_even_is_the_month_from_which_the_cumulative_gain_stays_non_negative():
    assert break_even_month([-300, -400, -200, 0, 200]) == 4
    assert break_even_month([5, -1, 3, 4]) == 3
    assert break_even_month([1, 2, 3]) == 1
    assert break_even_month([-3, -1, 2, -0.5]) is None
    assert roi(50.0, 100.0) == 0.5
    assert math.isnan(roi(50.0, -100.0)) and math.isnan(roi(50.0, 0.0))


def test_months_are_twelfths_of_a_year_and_sum_the_money():
    assert month_of_day(np.array([1, 30, 31, 32, 365, 366, 730])).tolist() == [
        1,
        1,
        1,
        2,
        12,
        13,
        24,
    ]
    days = np.arange(1, 731)
    ts = pd.DataFrame(
        {
            "day": days,
            "enps": 10.0,
            "nps": 5.0,
            "work_happiness_mean": 7.0,
            "csat_mean": 6.5,
            "quits": (days % 73 == 0).astype(int),  # 10 quits over 2 years
            "headcount": 10,
            "churned": 1,
            "customers": 1000,
            "profit": 100.0,
            "revenue": 1000.0,
            "programmes": 1.0,
            "training": 2.0,
            "recovery": 3.0,
            "wages": 4.0,
            "overtime": 0.5,
        }
    )
    m = monthly(ts)
    assert len(m) == 24 and m["days"].sum() == 730
    assert m["profit"].sum() == pytest.approx(73_000.0)
    assert m["spend"].sum() == pytest.approx(10.5 * 730)
    assert m["profit_rate"].to_numpy() == pytest.approx(36_500.0)
    assert m["customer_churn_annual"].to_numpy() == pytest.approx(0.365)
    total_quits = (m["employee_turnover_annual"] * m["days"] / 365.0 * 10).sum()
    assert total_quits == pytest.approx(10.0)


def test_economics_table_costs_returns_and_break_even_on_known_numbers():
    seeds = [0, 1, 2]
    # The lever spends 1,000 a month more and returns 1,500 a month more from month 3 on:
    # monthly profit difference -1000, -1000, +500, +500, ...: cumulative -1000, -2000,
    # -1500, -1000, -500, 0 -> break-even in month 6.
    months, runs = [], []
    for s in seeds:
        for name, extra in (("baseline", 0.0), ("lever", 1.0)):
            gain = [0.0] * 12
            if extra:
                gain = [-1000.0, -1000.0] + [500.0] * 10
            profit = [10_000.0 + s * 50 + g for g in gain]
            months += [
                {"scenario": name, "seed": s, "month": i + 1, "profit": p}
                for i, p in enumerate(profit)
            ]
            runs.append(
                {
                    "scenario": name,
                    "seed": s,
                    "profit": 120_000.0 + s + extra * 6_000.0,
                    "spend_year": 50_000.0 + extra * 12_000.0,
                    "spend_total": 50_000.0 + extra * 12_000.0,
                    "profit_total": sum(profit),
                }
            )
    econ = economics_table(pd.DataFrame(runs), pd.DataFrame(months)).set_index("scenario")
    row = econ.loc["lever"]
    assert row["intervention_cost_year"] == pytest.approx(12_000.0)
    assert row["profit_change_year"] == pytest.approx(6_000.0)
    assert row["roi_year"] == pytest.approx(0.5)
    assert row["profit_change_horizon"] == pytest.approx(3_000.0)
    assert row["break_even_month"] == 6 and row["break_even_month_95"] == 6
    assert row["horizon_months"] == 12
    assert "baseline" not in econ.index
    # Cut the gain to 100 a month: the cumulative difference never recovers.
    late = pd.DataFrame(months)
    late.loc[(late["scenario"] == "lever") & (late["month"] > 2), "profit"] -= 400.0
    row = economics_table(pd.DataFrame(runs), late).set_index("scenario").loc["lever"]
    assert row["break_even_month"] == NOT_WITHIN


# ---- configs ---------------------------------------------------------------------------------
def test_quick_experiment_is_a_small_compare():
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        full = compose("compare")
        quick = compose("compare", overrides=["experiment=quick"])
    GlobalHydra.instance().clear()
    assert full.compare.replications == 20 and full.compare.scenarios is None
    assert full.org.employees == 50 and full.progress is False
    assert quick.compare.replications == 5
    assert (quick.org.employees, quick.org.customers, quick.days) == (20, 17_000, 730)
    assert list(quick.compare.kpis) == list(full.compare.kpis)


# ---- the real CLI ----------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_end_to_end_writes_paired_comparison_economics_and_report(tmp_path):
    args = [*TINY, "replications=3", "workers=2", "scenarios=[ritz_recovery,cost_cutting]"]
    res = run(args, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    table = pd.read_csv(tmp_path / "comparison.csv")
    econ = pd.read_csv(tmp_path / "economics.csv")
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    months = pd.read_parquet(tmp_path / "monthly.parquet")
    kpis = 13  # configs/compare.yaml
    assert len(table) == 3 * kpis
    assert list(dict.fromkeys(table["scenario"])) == ["baseline", "ritz_recovery", "cost_cutting"]
    assert sorted(runs["seed"].unique()) == [0, 1, 2] and len(runs) == 9
    assert set(months["month"]) == {1, 2} and len(months) == 9 * 2
    # The table's paired difference is the per-seed difference of the runs, checked with scipy.
    wide = runs.pivot(index="seed", columns="scenario", values="profit")
    ref = stats.ttest_rel(wide["cost_cutting"], wide["baseline"]).confidence_interval(0.95)
    row = table[(table["scenario"] == "cost_cutting") & (table["kpi"] == "profit")].iloc[0]
    assert row["diff"] == pytest.approx((wide["cost_cutting"] - wide["baseline"]).mean())
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((ref.low, ref.high))
    # Cost cutting: 12% fewer staff, half the training: it must spend less on people.
    cut = econ.set_index("scenario").loc["cost_cutting"]
    assert cut["intervention_cost_year"] < 0 and np.isnan(cut["roi_year"])
    # Ritz-style recovery: a larger budget spent on the spot: it spends more on recovery.
    ritz = econ.set_index("scenario").loc["ritz_recovery"]
    assert ritz["intervention_cost_year"] > 0
    assert set(econ["scenario"]) == {"ritz_recovery", "cost_cutting"}
    # Each run is what sim-run's composition gives for that scenario and seed.
    from sim.outputs import summarise
    from sim.runner import run_model

    config = make_config(*TINY, "scenario=ritz_recovery", "seed=2")
    expect = summarise(run_model(config, progress=False).timeseries())
    got = runs[(runs["scenario"] == "ritz_recovery") & (runs["seed"] == 2)].iloc[0]
    for k in ("profit", "nps", "enps", "recovery_spend", "customers"):
        assert got[k] == pytest.approx(expect[k], rel=1e-12), k
    report = (tmp_path / "report.md").read_text()
    assert "## What the numbers say" in report and "**cost_cutting**" in report
    # What a board needs around the verdicts: the levers in words, the seed count, the caveat,
    # the customer base at the end of the horizon, the currency.
    assert "(`policy.staffing_level`): 1.0 -> 0.88" in report
    assert "**Few replications.** Only 3 seeds" in report and "| 3 of 3 |" in report
    assert "## What these numbers are" in report and "not a forecast" in report
    assert "It ends the horizon with" in report and "EUR" in report
    assert {"customers_end", "customers_end_diff", "baseline_customers_end"} <= set(econ.columns)
    floor = table["pairing_floor"].dropna()
    assert len(floor) == 2 * kpis and (floor <= table["pairing_width_ratio"].dropna() + 1e-12).all()
    for png in ("trajectories.png", "differences.png", "cumulative_profit.png"):
        assert f"({png})" in report
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "cost_cutting" in res.stdout and "95% CI of diff" in res.stdout
    # No empty job log (a study's log is created only when something is logged).
    assert not [p.name for p in tmp_path.iterdir() if p.suffix == ".log" and not p.stat().st_size]


@pytest.mark.parametrize(
    ("arg", "needle"),
    [
        ("scenarios=[ritz_recovery,no_such_lever]", "compare.scenarios='no_such_lever'"),
        ("replications=0", "compare.replications=0"),
        ("scenarios=[baseline]", "at least one preset besides baseline"),
        ("days=7", "days=7 is not allowed: at least 28"),
        ("seed=4294967295", "seed=4294967295 is not allowed: at most 4294967276"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, arg, needle):
    res = run([*TINY, arg], tmp_path)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert not (tmp_path / "comparison.csv").exists()
