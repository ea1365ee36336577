"""sim-calibrate: targets as data, bad input refused through the real CLI, and parameter
recovery: targets made by the model itself at a known parameter vector are fitted back.

Recovery at a tiny size (10 employees, 3,000 customers, 180 days, statistics over the last 90):
two parameters, two targets, 18 trials over 2 seeds, in two calls of the CLI (12 trials, then a
rerun that resumes the same study up to 18). The synthetic targets are the model's statistics at
the true vector on the seeds the fit uses (0 and 1: common random numbers), so the true vector is
an exact minimum of the loss: this tests the machinery and the optimiser, not identification
under seed noise (at 10 employees the mean work happiness of two seeds differs by up to 0.8
points between seed pairs; docs/CALIBRATION.md's longer recipe fits on other seeds).
Tolerance: the best trial within 15% of the prior's width of the true value, for each
parameter (the prior is uniform over [2, 6] and [0.1, 1.0]).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, make_config, run_cli

from sim.calibration import statistics, targets
from sim.cli import CONFIG_DIR
from sim.config import BehaviourConfig, ConfigError
from sim.runner import run_model

TINY = {"org": "call_centre", "scenario": "baseline", "employees": 10, "customers": 3000}
TINY_DESIGN = {**TINY, "days": 180, "window": 90}
TRUE = {"behaviour.engagement_base": 1.7, "behaviour.quit_rate_annual": 0.5}
PRIORS = {"behaviour.engagement_base": [0.0, 3.0], "behaviour.quit_rate_annual": [0.1, 1.0]}
TOLERANCE = 0.15  # of the prior's width


def write_targets(path: Path, entries: list[dict], design: dict | None = None) -> Path:
    path.write_text(yaml.safe_dump({"design": design or TINY_DESIGN, "targets": entries}))
    return path


def calibrate(outdir: Path, *args: str) -> object:
    return run_cli("sim-calibrate", *args, f"hydra.run.dir={outdir}", cwd=ROOT, timeout=300)


# ---- targets as data -----------------------------------------------------------------------------
def test_default_targets_load_with_bands_read_as_95_percent_intervals():
    found = targets.load(CONFIG_DIR / "targets" / "default.yaml")
    by_id = {t.id: t for t in found}
    assert {t.role for t in found} == {"calibrate", "validate"}
    turnover = by_id["turnover"]
    assert turnover.mean == pytest.approx(0.375)
    assert turnover.sd == pytest.approx(0.125 / 1.96)
    assert turnover.interval == (0.25, 0.50)


def test_complaint_share_is_one_definition_for_targets_and_validation():
    ts = pd.DataFrame({"complaints": [3, 1, 0], "failures": [6, 2, 0]})
    assert statistics.value("complaint_share_heard", ts) == pytest.approx(0.5)
    spec = statistics.aggregation(
        "s", {"kind": "ratio", "column": "complaints", "over": "failures"}
    )
    assert statistics.of(spec, ts) == pytest.approx(0.5)
    assert math.isnan(statistics.value("complaint_share_heard", ts.tail(1)))  # no failure
    with pytest.raises(ConfigError, match="targets.statistic"):
        statistics.aggregation("targets.statistic", "complaint_iceberg")


def test_behaviour_default_preset_is_the_schema():
    preset = yaml.safe_load((CONFIG_DIR / "behaviour" / "default.yaml").read_text())
    assert preset == dataclasses.asdict(BehaviourConfig())


# ---- bad input through the real CLI --------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "args", "key"),
    [
        ("unknown_id", ["target_ids=[turnover,nope]"], "calibrate.target_ids"),
        ("unknown_parameter", ["parameters=[behaviour.nope]"], "calibrate.parameters"),
        (
            "prior_outside_range",
            ["parameters=[behaviour.complaint_share]", "priors={behaviour.complaint_share:[0,2]}"],
            "calibrate.priors.behaviour.complaint_share",
        ),
        ("zero_budget", ["trials=0"], "calibrate.trials"),
        ("unknown_statistic", ["target_set=@statistic"], "targets[0].statistic"),
        ("does_not_parse", ["target_set=@broken"], "calibrate.target_set"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, case, args, key):
    write_targets(
        tmp_path / "statistic.yaml",
        [{"id": "x", "statistic": "nope", "value": 1, "sd": 1, "source": "", "role": "calibrate"}],
    )
    (tmp_path / "broken.yaml").write_text("targets: [\n  - id: x\n   bad")
    args = [a.replace("@", f"{tmp_path}/").replace("=/", "=/", 1) for a in args]
    args = [a + ".yaml" if a.startswith("target_set=") else a for a in args]
    outdir = tmp_path / "run"
    result = calibrate(outdir, *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith(f"error: {key}"), result.stderr
    assert not outdir.exists()


# ---- parameter recovery --------------------------------------------------------------------------
def synthetic_targets(path: Path) -> dict[str, float]:
    """The model's own statistics at the true parameters, on the fit's seeds."""
    overrides = [
        f"org.employees={TINY['employees']}",
        f"org.customers={TINY['customers']}",
        f"days={TINY_DESIGN['days']}",
        "progress=false",
        *(f"{k}={v}" for k, v in TRUE.items()),
    ]
    stats = {"wh": "work_happiness_mean", "qh": "expected_turnover_annual"}
    values: dict[str, list[float]] = {k: [] for k in stats}
    for seed in (0, 1):
        ts = run_model(make_config(*overrides, f"seed={seed}")).timeseries()
        for tid, name in stats.items():
            values[tid].append(statistics.value(name, ts.tail(TINY_DESIGN["window"])))
    sds = {"wh": 0.1, "qh": 0.03}
    entries = [
        {
            "id": tid,
            "statistic": stats[tid],
            "value": float(np.mean(values[tid])),
            "sd": sds[tid],
            "source": "synthetic: the model at TRUE",
            "role": "calibrate",
        }
        for tid in stats
    ]
    write_targets(path, entries)
    return {e["id"]: e["value"] for e in entries}


@pytest.mark.slow
def test_calibration_recovers_two_known_parameters_and_resumes(tmp_path):
    target_file = tmp_path / "synthetic.yaml"
    synthetic_targets(target_file)
    priors = ",".join(f"{k}:[{lo},{hi}]" for k, (lo, hi) in PRIORS.items())
    common = [
        f"target_set={target_file}",
        f"parameters=[{','.join(TRUE)}]",
        f"priors={{{priors}}}",
        "replications=2",
        "batch=6",
        "startup_trials=6",
        "name=recovery",
    ]
    outdir = tmp_path / "run"
    first = calibrate(outdir, *common, "trials=12", "workers=2")
    assert first.returncode == 0, first.stderr
    before = pd.read_csv(outdir / "trials.csv")
    assert len(before) == 12
    # The same study, resumed, in one process: the first call ran the pool (a new pool per
    # batch, two workers spawned each time, which at this size cost more than the runs).
    second = calibrate(outdir, *common, "trials=18", "workers=1")
    assert second.returncode == 0, second.stderr
    after = pd.read_csv(outdir / "trials.csv")
    assert len(after) == 18
    pd.testing.assert_frame_equal(after.head(12), before)  # finished trials are kept as they were

    ens = pd.read_parquet(outdir / "ensemble.parquet")
    assert list(ens.columns) == ["weight", *TRUE, "loss", "sim.wh", "sim.qh"]
    assert ens["weight"].sum() == pytest.approx(1.0)
    best = ens.iloc[0]
    for key, true in TRUE.items():
        lo, hi = PRIORS[key]
        assert abs(best[key] - true) <= TOLERANCE * (hi - lo), (key, best[key], true)
    preset = yaml.safe_load((outdir / "calibrated.yaml").read_text())
    assert preset["engagement_base"] == pytest.approx(best["behaviour.engagement_base"])
    # The targets and the convergence always; the most correlated pair when the ensemble has
    # the three sets a correlation needs (report.most_correlated).
    assert (outdir / "fit.md").read_text().count("![") == 2 + (len(ens) >= 3)


def test_trials_left_running_by_a_killed_run_are_failed_and_the_study_continues(tmp_path):
    import optuna

    target_file = write_targets(
        tmp_path / "t.yaml",
        [
            {
                "id": "wh",
                "statistic": "work_happiness_mean",
                "value": 7.0,
                "sd": 0.1,
                "source": "",
                "role": "calibrate",
            }
        ],
        {**TINY, "days": 30, "window": 30},
    )
    outdir = tmp_path / "run"
    outdir.mkdir()
    storage = f"sqlite:///{outdir / 'study.db'}"
    killed = optuna.create_study(study_name="k", storage=storage, direction="minimize")
    space = {"behaviour.engagement_base": optuna.distributions.FloatDistribution(0.0, 3.0)}
    killed.tell(killed.ask(space), 5.0)  # finished before the kill
    killed.ask(space)  # in flight when the process died
    args = [f"target_set={target_file}", "name=k", "parameters=[behaviour.engagement_base]"]
    result = calibrate(outdir, *args, "trials=2", "workers=1", "replications=1")
    assert result.returncode == 0, result.stderr
    states = [t.state.name for t in optuna.load_study(study_name="k", storage=storage).trials]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]
    assert len(pd.read_csv(outdir / "trials.csv")) == 2
