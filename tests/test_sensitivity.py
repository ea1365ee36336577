"""sim-sensitivity end to end at a tiny size, and its refusal of bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_study
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from experiments import sensitivity
from sim.cli import CONFIG_DIR
from sim.config import RANGES, BehaviourConfig, ConfigError
from sim.study import checked_settings

TINY = [
    "org.employees=5",
    "org.customers=2000",
    "days=60",
    "window_days=60",
    "workers=2",
    "parameters=[policy.pay_level,policy.script_strictness,behaviour.driver_weight]",
]
KPIS = {"profit", "nps", "employee_turnover_annual"}


def run(args: list[str], outdir: Path) -> subprocess.CompletedProcess:
    return run_study("sim-sensitivity", args, outdir)


@pytest.mark.slow
def test_morris_ranks_pay_first_for_profit_and_writes_every_output(tmp_path):
    res = run([*TINY, "trajectories=2", "noise_seeds=2"], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    idx = pd.read_csv(tmp_path / "indices.csv")
    assert set(idx["kpi"]) == KPIS
    assert set(idx["index"]) == {"mu_star", "mu", "sigma"}
    assert len(idx) == 3 * 3 * 3  # kpis x parameters x indices
    mu_star = idx[idx["index"] == "mu_star"]
    assert np.isfinite(mu_star[["value", "conf", "ci_low", "ci_high"]]).all().all()
    assert (mu_star["value"] >= 0).all()
    assert (idx[idx["index"] == "sigma"]["value"] >= 0).all()
    # Pay is the largest cost a 60-day run can move: it must rank first for profit, and
    # raising it must lower profit (mu < 0), by about 5 agents x 36,000 x 0.5 a year at most.
    profit = idx[idx["kpi"] == "profit"].set_index(["parameter", "index"])["value"]
    assert (
        mu_star[mu_star["kpi"] == "profit"].set_index("parameter")["rank"]["policy.pay_level"] == 1
    )
    assert -200_000 < profit["policy.pay_level", "mu"] < 0
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == (3 + 1) * 2  # (parameters + 1) x trajectories
    assert runs["policy.pay_level"].between(0.8, 1.3).all()
    weight = BehaviourConfig().driver_weight  # the default +-50%, the design's range
    assert runs["behaviour.driver_weight"].between(weight * 0.5, weight * 1.5).all()
    assert runs["nps"].between(-100, 100).all()
    for kpi in KPIS:
        png = tmp_path / f"sensitivity_{kpi}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    assert "policy.pay_level" in res.stdout and "mu_star" in res.stdout


@pytest.mark.slow
def test_sobol_gives_first_order_and_total_indices(tmp_path):
    args = [
        *TINY,
        "method=sobol",
        "samples=8",
        "noise_seeds=0",
        "workers=1",
    ]
    args[-1] = "parameters=[policy.pay_level,policy.script_strictness]"
    res = run(args, tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    idx = pd.read_csv(tmp_path / "indices.csv")
    assert set(idx["index"]) == {"S1", "ST"}
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 8 * (2 + 2)
    # A KPI the levers do not move at all (turnover of 5 people in 60 days: with common random
    # numbers every run has the same quits) has no variance to apportion: no indices. Every
    # KPI that varies has finite ones.
    varies = {k for k in idx["kpi"].unique() if runs[k].std() > 0}
    assert "profit" in varies
    moved = idx["kpi"].isin(varies)
    assert np.isfinite(idx[moved]["value"]).all()
    assert idx[~moved]["value"].isna().all()
    st = idx[(idx["index"] == "ST") & (idx["kpi"] == "profit")].set_index("parameter")["value"]
    assert st["policy.pay_level"] > st["policy.script_strictness"]
    assert (tmp_path / "sensitivity_profit.png").stat().st_size > 5_000


def compose_study(*overrides: str):
    """Compose configs/sensitivity.yaml as the command does and read its settings."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("sensitivity", overrides=list(overrides))
    return checked_settings(sensitivity.PROGRAM, cfg)[1]


def test_default_settings_vary_every_lever_within_the_schema():
    s = compose_study()
    keys = [p.key for p in s.parameters]
    assert {k for k in RANGES if k.startswith("policy.")} <= set(keys)
    for p in s.parameters:
        lo, hi = RANGES[p.key]
        assert lo <= p.lo < p.hi <= hi, p
        if p.key.startswith("behaviour."):  # +-50% of the default, clipped to the schema
            assert p.lo == pytest.approx(max(lo, 0.5 * p.base))
            assert p.hi == pytest.approx(min(hi, 1.5 * p.base))


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("sensitivity.parameters=[policy.pay_levle]", "sensitivity.parameters"),
        ("sensitivity.method=fast", "sensitivity.method"),
        ("sensitivity.kpis=[profits]", "sensitivity.kpis"),
        ("sensitivity.bounds.policy.pay_level=[0.1,1.0]", "sensitivity.bounds.policy.pay_level"),
        ("sensitivity.samples=48", "sensitivity.samples"),
    ],
)
def test_bad_settings_name_the_key(override, named):
    extra = ["sensitivity.method=sobol"] if "samples" in override else []
    with pytest.raises(ConfigError) as err:
        compose_study(override, *extra)
    assert err.value.key == named


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    res = run(["parameters=[policy.pay_levle]"], tmp_path)
    assert res.returncode == 2, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "did you mean policy.pay_level" in lines[0]
    assert not (tmp_path / "indices.csv").exists()
