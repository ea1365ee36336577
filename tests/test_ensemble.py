"""The parameter ensemble: loading, validation refusals and reproducible weighted draws."""

from pathlib import Path

import pandas as pd
import pytest

from sim.config import ConfigError
from sim.ensemble import load_ensemble

QUIT = "behaviour.quit_rate_annual"


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
