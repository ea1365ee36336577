"""sim-units end to end at a tiny size, and the regression code against scipy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_study
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from scipy import stats

from experiments import units
from sim.analysis.chain import (
    MEASURES,
    Lever,
    UnitSettings,
    draw_units,
    period_metrics,
)
from sim.cli import CONFIG_DIR
from sim.config import RANGES, ConfigError
from sim.stats import ols
from sim.study import checked_settings


def run(args: list[str], outdir: Path) -> subprocess.CompletedProcess:
    return run_study("sim-units", args, outdir)


@pytest.mark.slow
def test_units_end_to_end_writes_one_finite_row_per_unit_and_the_chain(tmp_path):
    args = [
        "units=6",
        "days=120",
        "period_days=60",
        "survey_interval_days=30",  # two pulse surveys per period
        "size.employees=5",
        "size.customers={min:1500,max:2500}",
        "workers=2",
    ]
    res = run(args, tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    units = pd.read_parquet(tmp_path / "units.parquet")
    assert len(units) == 6 and units["seed"].nunique() == 6
    for p in ("p1", "p2"):
        for m in MEASURES:
            assert np.isfinite(units[f"{m}_{p}"]).all(), f"{m}_{p}"
        assert units[f"work_happiness_{p}"].between(0, 10).all()
        assert units[f"csat_{p}"].between(0, 10).all()
        assert units[f"nps_{p}"].between(-100, 100).all()
        assert units[f"first_contact_resolution_{p}"].between(0, 1).all()
        assert (units[f"employee_turnover_{p}"] >= 0).all()
    growth = 100 * (units["revenue_p2"] / units["revenue_p1"] - 1)
    np.testing.assert_allclose(units["revenue_growth_pct"], growth)
    assert units["revenue_growth_pct"].abs().max() < 50  # 60 days cannot halve or double a firm
    assert units["policy.feedback_sharing"].between(1, 7).all()
    assert units["policy.hiring_lag_days"].between(14, 60).all()
    assert units["customers_start"].between(1500, 2500).all()
    # Latin hypercube: each lever's draws fall one in each sixth of its range.
    bins = np.floor((units["policy.script_strictness"] - 0.2) / 0.8 * 6).clip(0, 5)
    assert sorted(bins.astype(int)) == list(range(6))
    table = pd.read_csv(tmp_path / "chain_regressions.csv")
    assert np.isfinite(table[["slope", "ci_low", "ci_high", "r"]]).all().all()
    assert (table["ci_low"] <= table["slope"]).all() and (table["slope"] <= table["ci_high"]).all()
    chain = (tmp_path / "chain.md").read_text()
    assert "Sears: +5 -> +1.3 -> +0.5%" in chain
    assert f"{table['slope'][0]:.3g}" in chain
    corr = pd.read_csv(tmp_path / "correlations.csv", index_col=0)
    assert corr.shape == (10, 10)
    # 1 on the diagonal, NaN only for a measure that did not vary (no quits in 60 days).
    constant = units[corr.columns].std() == 0
    np.testing.assert_allclose(np.diag(corr)[~constant.to_numpy()], 1.0)
    for png in ("correlations.png", "chain.png"):
        assert (tmp_path / png).stat().st_size > 5_000
    assert "revenue growth" in res.stdout


def compose_units(*overrides: str):
    """Compose configs/units.yaml as the command does and read its settings."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("units", overrides=list(overrides))
    return checked_settings(units.PROGRAM, cfg)[1]


def test_default_settings_are_200_units_with_levers_inside_the_schema():
    s = compose_units()
    assert s.units == 200 and s.period_days == 365 and len(s.levers) >= 10
    for lever in s.levers:
        lo, hi = RANGES[lever.key]
        assert lo <= lever.lo < lever.hi <= hi


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("units.units=-3", "units.units"),
        ("+units.levers.pay_lvl={min:1,max:2}", "units.levers.pay_lvl"),
        ("units.levers.pay_level={min:1.2,max:0.9}", "units.levers.pay_level"),
        ("units.levers.pay_level={min:0.1,max:0.9}", "units.levers.pay_level"),
        ("days=300", "days"),
    ],
)
def test_bad_settings_name_the_key(override, named):
    with pytest.raises(ConfigError) as err:
        compose_units(override)
    assert err.value.key == named


@pytest.mark.parametrize("units", ["0", "2"])  # 2: once an OLS traceback after all the runs
def test_bad_input_is_one_line_and_exit_2(tmp_path, units):
    res = run([f"units={units}"], tmp_path)
    assert res.returncode == 2, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "units.units" in lines[0]
    assert not (tmp_path / "units.parquet").exists()


def test_ols_matches_scipy_linregress():
    rng = np.random.default_rng(3)
    x = rng.normal(50, 10, 80)
    y = 4.0 + 0.26 * x + rng.normal(0, 2, 80)
    ref = stats.linregress(x, y)
    intercept, slope = ols(y, {"x": x}, conf=0.9)
    assert slope.coef == pytest.approx(ref.slope, rel=1e-10)
    assert intercept.coef == pytest.approx(ref.intercept, rel=1e-10)
    assert slope.se == pytest.approx(ref.stderr, rel=1e-10)
    assert intercept.se == pytest.approx(ref.intercept_stderr, rel=1e-10)
    assert slope.p == pytest.approx(ref.pvalue, rel=1e-8)
    assert slope.r2 == pytest.approx(ref.rvalue**2, rel=1e-10)
    half = stats.t.ppf(0.95, 78) * ref.stderr
    assert (slope.ci_low, slope.ci_high) == pytest.approx((ref.slope - half, ref.slope + half))


def test_ols_recovers_an_exact_line_and_a_partial_slope():
    x = np.arange(10.0)
    fit = ols(2.0 + 3.0 * x, {"x": x})
    assert fit[0].coef == pytest.approx(2.0) and fit[1].coef == pytest.approx(3.0)
    assert fit[1].se == pytest.approx(0.0, abs=1e-9) and fit[1].r2 == pytest.approx(1.0)
    # Two regressors: by Frisch-Waugh-Lovell, b's coefficient is the simple slope of y on b
    # after both are residualised on a (checked with scipy).
    rng = np.random.default_rng(5)
    a = rng.normal(size=200)
    b = 0.5 * a + rng.normal(size=200)
    y = 1.0 + 2.0 * a - 3.0 * b + rng.normal(0, 0.5, 200)
    coefs = {f.term: f.coef for f in ols(y, {"a": a, "b": b})}
    ra = stats.linregress(a, b)
    ya = stats.linregress(a, y)
    b_res = b - (ra.intercept + ra.slope * a)
    y_res = y - (ya.intercept + ya.slope * a)
    assert coefs["b"] == pytest.approx(stats.linregress(b_res, y_res).slope, rel=1e-9)
    assert coefs["a"] == pytest.approx(2.0, abs=0.2) and coefs["b"] == pytest.approx(-3.0, abs=0.2)


def test_period_metrics_reads_the_last_two_periods():
    n = 30
    day = np.arange(1, 3 * n + 1)
    ts = pd.DataFrame(
        {
            "day": day,
            "work_happiness_mean": np.where(day > 2 * n, 8.0, 7.0),
            "enps": 0.0,
            "quits": np.where(day == 2 * n + 1, 3, 0),
            "headcount": 10,
            "encounter_quality": 7.0,
            "first_contacts": 10,
            "resolved_first": 7,
            "csat_mean": 7.5,
            "nps": 10.0,
            "churned": 1,
            "customers": 1000,
            "revenue": np.where(day > 2 * n, 110.0, np.where(day > n, 100.0, 1.0)),
            "profit": 5.0,
        }
    )
    m = period_metrics(ts, n)
    assert m["revenue_growth_pct"] == pytest.approx(10.0)
    assert m["work_happiness_p1"] == 7.0 and m["work_happiness_p2"] == 8.0
    assert m["employee_turnover_p1"] == 0 and m["employee_turnover_p2"] == pytest.approx(
        3 * 365 / n / 10
    )
    assert m["first_contact_resolution_p1"] == pytest.approx(0.7)
    assert m["customer_churn_p2"] == pytest.approx(365 / 1000)
    assert m["revenue_p1"] == pytest.approx(100.0 * 365)


def test_lever_draws_are_seeded_and_inside_their_ranges():
    levers = (
        Lever("policy.pay_level", 0.9, 1.1, False),
        Lever("policy.hiring_lag_days", 14, 60, True),
    )
    s = UnitSettings(20, levers, 10, (8000, 12000), 365, workers=1, conf_level=0.95)
    a, b, c = draw_units(s, 1), draw_units(s, 1), draw_units(s, 2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["policy.pay_level"], c["policy.pay_level"])
    assert a["policy.pay_level"].between(0.9, 1.1).all()
    assert a["policy.hiring_lag_days"].between(14, 60).all()
    assert a["policy.hiring_lag_days"].dtype.kind == "i"
    assert a["customers_start"].between(8000, 12000).all()
