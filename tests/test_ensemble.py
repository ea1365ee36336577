"""The parameter ensemble: loading, validation refusals and reproducible weighted draws."""

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from sim.config import ConfigError
from sim.ensemble import load_ensemble

QUIT = "behaviour.quit_rate_annual"
TINY = ["org.employees=4", "org.customers=1500", "days=40", "progress=false"]


def write(tmp_path: Path, table: dict) -> Path:
    path = tmp_path / "ensemble.parquet"
    pd.DataFrame(table).to_parquet(path)
    return path


def test_loads_normalises_and_ignores_loss_and_sim_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"weight": [1.0, 3.0], QUIT: [0.1, 0.6], "loss": [0.2, 0.3], "sim.nps": [1.0, 2.0]},
    )
    ensemble = load_ensemble(path)
    assert list(ensemble.parameters.columns) == [QUIT]
    assert ensemble.weights.tolist() == [0.25, 0.75]
    assert ensemble.overrides(1) == {QUIT: 0.6}


def test_draws_are_weighted_and_reproducible(tmp_path: Path) -> None:
    ensemble = load_ensemble(write(tmp_path, {"weight": [0.0, 1.0], QUIT: [0.1, 0.6]}))
    assert ensemble.draw(seed=7, replications=20) == [1] * 20
    both = load_ensemble(write(tmp_path, {"weight": [1.0, 1.0], QUIT: [0.1, 0.6]}))
    assert both.draw(3, 50) == both.draw(3, 50)
    assert set(both.draw(3, 50)) == {0, 1}


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"weight": [1.0], "behaviour.no_such_key": [0.1]}, "behaviour.no_such_key"),
        ({"weight": [1.0], QUIT: [99.0]}, QUIT),
        ({"weight": [-1.0, 2.0], QUIT: [0.1, 0.2]}, "weight"),
        ({"weight": [0.0, 0.0], QUIT: [0.1, 0.2]}, "weight"),
    ],
)
def test_refuses_bad_ensembles(tmp_path: Path, table: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_ensemble(write(tmp_path, table))


def test_refuses_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.parquet"):
        load_ensemble(tmp_path / "missing.parquet")


def test_sim_run_records_the_drawn_set(tmp_path: Path) -> None:
    path = write(tmp_path, {"weight": [0.0, 1.0], QUIT: [0.1, 0.6]})
    out = tmp_path / "run"
    res = run_cli(
        "sim-run", *TINY, "+uncertainty=parameters", f"+ensemble={path}", f"hydra.run.dir={out}"
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameter_set"] == "1"
    assert summary["ensemble"] == str(path)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["+uncertainty=parameters"], "uncertainty"),
        (["+ensemble=x.parquet"], "ensemble"),
        (["+uncertainty=parameters", "+ensemble=missing.parquet"], "missing.parquet"),
    ],
)
def test_sim_run_refuses_bad_ensemble_settings(tmp_path: Path, extra: list, named: str) -> None:
    out = tmp_path / "run"
    res = run_cli("sim-run", *TINY, *extra, f"hydra.run.dir={out}")
    assert res.returncode == 2
    assert named in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())
