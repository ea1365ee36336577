"""The parameter ensemble: loading, validation refusals and reproducible weighted draws."""

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_config, run_cli, run_study

from sim.config import ConfigError
from sim.ensemble import StudyDraws, check_arms, load_ensemble, study_draws

QUIT = "behaviour.quit_rate_annual"
CHURN = "behaviour.churn_rate_annual"
TINY = ["org.employees=4", "org.teams=2", "org.customers=1500", "days=40", "progress=false"]
# Two sets far apart in the customers' base churn: the spread of the baseline's churn between
# replications is then almost all parameter uncertainty.
APART = {"weight": [1.0, 1.0], CHURN: [0.05, 0.9]}


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
        "sim-run", *TINY, "uncertainty=parameters", f"ensemble={path}", f"hydra.run.dir={out}"
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameter_set"] == "1"
    assert summary["ensemble"] == str(path)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["uncertainty=parameters"], "uncertainty"),
        (["ensemble=x.parquet"], "ensemble"),
        (["uncertainty=parameters", "ensemble=missing.parquet"], "missing.parquet"),
    ],
)
def test_sim_run_refuses_bad_ensemble_settings(tmp_path: Path, extra: list, named: str) -> None:
    out = tmp_path / "run"
    res = run_cli("sim-run", *TINY, *extra, f"hydra.run.dir={out}")
    assert res.returncode == 2
    assert named in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_study_draws_share_a_set_per_group_and_across_arms(tmp_path: Path) -> None:
    ensemble = load_ensemble(write(tmp_path, {"weight": [1.0, 1.0, 1.0], QUIT: [0.1, 0.3, 0.6]}))
    draws = StudyDraws(ensemble, "e.parquet", seeds_per_set=2)
    seeds = [4, 5, 6, 7]
    assert draws.group_of(seeds) == {4: 4, 5: 4, 6: 6, 7: 6}
    sets = draws.set_of(seeds)
    assert sets[4] == sets[5] == ensemble.set_for(4) and sets[6] == sets[7] == ensemble.set_for(6)
    base = make_config(*TINY)
    configs = draws.configs(base, seeds)
    assert [c.seed for c in configs] == seeds
    assert [c.behaviour.quit_rate_annual for c in configs] == [
        ensemble.overrides(sets[s])[QUIT] for s in seeds
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("parameters", None, 2, 4), "compare.uncertainty"),
        (("seeds", "e.parquet", 2, 4), "compare.ensemble"),
        (("bayes", None, 2, 4), "compare.uncertainty"),
        (("parameters", "e.parquet", 2, 5), "compare.replications"),
        (("parameters", "e.parquet", 3, 3), "compare.replications"),
    ],
)
def test_study_draws_refuse_inconsistent_settings(args: tuple, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        study_draws("compare", *args)


def test_an_ensemble_may_not_set_what_the_arms_differ_in(tmp_path: Path) -> None:
    path = write(tmp_path, {"weight": [1.0], "policy.staffing_level": [1.0]})
    draws = StudyDraws(load_ensemble(path), str(path), seeds_per_set=2)
    arms = {
        "baseline": make_config(*TINY),
        "cost_cutting": make_config(*TINY, "scenario=cost_cutting"),
    }
    with pytest.raises(ConfigError, match="policy.staffing_level"):
        check_arms(draws, arms, "compare")


def test_sim_run_refuses_a_parameter_given_twice(tmp_path: Path) -> None:
    path = write(tmp_path, {"weight": [1.0], QUIT: [0.2]})
    out = tmp_path / "run"
    res = run_cli(
        "sim-run", *TINY, f"{QUIT}=0.3", "uncertainty=parameters", f"ensemble={path}",
        f"hydra.run.dir={out}",
    )  # fmt: skip
    assert res.returncode == 2 and QUIT in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_sim_compare_with_an_ensemble_pairs_sets_and_splits_the_variance(tmp_path: Path) -> None:
    path = write(tmp_path, APART)
    out = tmp_path / "compare"
    args = [
        *TINY,
        "replications=8",
        # One process: at this size two spawned workers cost more than the runs; the pool
        # path of sim-compare is run by tests/test_compare.py.
        "workers=1",
        "scenarios=[loose_scripts]",
        "uncertainty=parameters",
        f"ensemble={path}",
    ]
    res = run_study("sim-compare", args, out)
    assert res.returncode == 0, res.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    ensemble = load_ensemble(path)
    for seed, at_seed in runs.groupby("seed"):
        assert at_seed["parameter_set"].nunique() == 1  # every arm ran the same set
        group = seed - seed % 2
        assert at_seed["replication_group"].iloc[0] == group
        assert at_seed["parameter_set"].iloc[0] == ensemble.set_for(group)
    table = pd.read_csv(out / "comparison.csv")
    shares = table["var_seed_share"] + table["var_parameter_share"]
    assert shares.dropna().to_numpy() == pytest.approx(1.0)
    churn = table[(table["scenario"] == "baseline") & (table["kpi"] == "customer_churn_annual")]
    assert churn["var_parameter_share"].iloc[0] > 0.9
    econ = pd.read_csv(out / "economics.csv")
    assert econ["n_seeds"].tolist() == [4]  # the intervals are over the 4 sets, not 8 seeds
    report = (out / "report.md").read_text()
    assert "## Seed noise and parameter uncertainty" in report
    # A comparison's run is the run sim-run makes with the group's first seed.
    run = tmp_path / "run"
    res = run_cli(
        "sim-run", *TINY, "seed=2", "uncertainty=parameters", f"ensemble={path}",
        f"hydra.run.dir={run}",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    summary = json.loads((run / "summary.json").read_text())
    alone = runs[(runs["scenario"] == "baseline") & (runs["seed"] == 2)]
    assert alone["profit"].iloc[0] == pytest.approx(summary["profit"], rel=1e-12)


def test_sim_plan_with_an_ensemble_reports_the_parameter_share(tmp_path: Path) -> None:
    path = write(tmp_path, APART)
    out = tmp_path / "plan"
    args = [
        *TINY,
        "replications=4",
        "workers=1",  # the pool path of sim-plan: tests/test_plan.py
        "levers=[scripts]",
        "top=0",
        "uncertainty=parameters",
        f"ensemble={path}",
    ]
    res = run_study("sim-plan", args, out)
    assert res.returncode == 0, res.stderr
    effects = pd.read_csv(out / "effects.csv")
    assert {"var_seed_share", "var_parameter_share"} <= set(effects.columns)
    assert effects["n"].max() == 2  # over the 2 sets
    assert "2 sets drawn from ensemble.parquet" in (out / "plan.md").read_text()
