"""Attribution by channel (issue 13 item 8): held channels read the baseline's levers, the table
of what each stage reads is what the model reads, holding everything gives the baseline back,
and sim-compare decomposes each scenario's effect into attribution.csv and its report."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from conftest import make_config, run_cli, run_study

from sim.analysis.attribution import attribution_table, held_config, live_channels
from sim.config import PolicyConfig, SimConfig
from sim.config.hold import CHANNELS, LEVERS, STAGE_READS, channel_of
from sim.model import ServiceModel

TINY = ["org.employees=8", "org.customers=2500", "days=90", "progress=false"]


def _kpis(config: SimConfig) -> pd.DataFrame:
    """The daily KPIs of a run, without the lever columns (those record the run's own policy)."""
    model = ServiceModel(config)
    for _ in range(config.days):
        model.step()
    ts = model.timeseries()
    return ts[[c for c in ts.columns if not c.startswith("lever_")]]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True))


def _hold(config: SimConfig, channels: list[str], baseline: PolicyConfig) -> SimConfig:
    out = held_config(config, channels[0], baseline)
    out.hold.channels = list(channels)
    return out


def test_every_lever_a_stage_reads_is_in_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each stage gets a policy that writes down which levers are read from it; every one read
    # must be in STAGE_READS (else sim-compare could skip a channel that matters).
    reads: dict[str, set[str]] = defaultdict(set)

    class Recording(PolicyConfig):
        def __getattribute__(self, name: str):  # noqa: ANN204
            if name in LEVERS:
                reads[object.__getattribute__(self, "stage")].add(name)
            return object.__getattribute__(self, name)

    def recording(self: ServiceModel, stage: str) -> PolicyConfig:
        policy = Recording(**{f.name: getattr(self.policy, f.name) for f in fields(PolicyConfig)})
        object.__setattr__(policy, "stage", stage)
        return policy

    monkeypatch.setattr(ServiceModel, "policy_for", recording)
    # Short hiring lag and a lean, pressed staff: quits, hires and failures all happen; then
    # management raises the staffing level (as the dashboard may), so the planners open seats.
    config = make_config(*TINY, "scenario=cost_cutting", "policy.hiring_lag_days=3")
    config.survey_interval_days = 30
    model = ServiceModel(config)
    for day in range(120):
        if day == 50:
            model.policy.staffing_level = 1.5
        model.step()
    for stage, levers in reads.items():
        assert levers <= set(STAGE_READS[stage]), f"{stage}: {levers - set(STAGE_READS[stage])}"
    # And the table claims no read the model never makes (the hires' onboarding, the back
    # office's recovery and the planners' budget included).
    assert {s: set(v) for s, v in STAGE_READS.items() if v} == dict(reads)


def test_every_read_belongs_to_exactly_one_channel() -> None:
    cells = [(s, lv) for s, levers in STAGE_READS.items() for lv in levers]
    assert all(channel_of(s, lv) in CHANNELS for s, lv in cells)
    assert channel_of("workforce", "hiring_lag_days") == "staffing"  # the lever claim wins
    assert channel_of("workforce", "training") == "morale"
    assert channel_of("money", "training") == "costs"


def test_holding_every_channel_gives_the_baseline_run_back_management_and_all() -> None:
    # cost_focused management moves levers during the run: the held policy moves with it.
    rule = ["management.rule=cost_focused", "management.review_days=30", "management.lag_days=5"]
    base = make_config(*TINY, *rule, "scenario=baseline")
    scenario = make_config(*TINY, *rule, "scenario=people_driven")
    baseline_run = _kpis(base)
    assert not _same(_kpis(scenario), baseline_run)  # the scenario does change the run
    assert _same(_kpis(_hold(scenario, list(CHANNELS), base.policy)), baseline_run)


def test_a_recovery_budget_acts_only_through_the_channels_that_read_it() -> None:
    base = make_config(*TINY, "scenario=baseline")
    scenario = make_config(*TINY, "scenario=baseline", "policy.recovery_budget=2000")
    live = live_channels(scenario.policy, base.policy)
    assert live == {"morale": ("recovery_budget",), "recovery": ("recovery_budget",)}
    full = _kpis(scenario)
    others = [c for c in CHANNELS if c not in live]
    # Holding the channels that do not read the budget changes nothing; holding the two that
    # do gives the baseline back: all of the effect goes through them.
    assert _same(_kpis(_hold(scenario, others, base.policy)), full)
    assert _same(_kpis(_hold(scenario, list(live), base.policy)), _kpis(base))
    # Each of the two alone is a different run from both (the effect is shared between them).
    for name in live:
        held = _kpis(_hold(scenario, [name], base.policy))
        assert not _same(held, full) and not _same(held, _kpis(base))


def _runs(rows: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"scenario": arm, "seed": seed, "csat_mean": v}
            for arm, values in rows.items()
            for seed, v in enumerate(values)
        ]
    )


def test_the_table_adds_the_channels_and_says_the_remainder() -> None:
    base = SimConfig()
    ritz = copy.deepcopy(base)
    ritz.policy.recovery_budget, ritz.policy.recovery_authority = 2000.0, 1.0
    same = copy.deepcopy(base)  # a scenario that changes nothing
    runs = _runs(
        {
            "baseline": [7.0, 7.2, 7.1],
            "ritz": [7.4, 7.5, 7.5],  # full effect +0.4, +0.3, +0.4
            "ritz~morale": [7.1, 7.2, 7.2],  # through morale +0.3, +0.3, +0.3
            "ritz~recovery": [7.35, 7.45, 7.4],  # through recovery +0.05, +0.05, +0.1
            "same": [7.0, 7.2, 7.1],
        }
    )
    configs = {"baseline": base, "ritz": ritz, "same": same}
    t = attribution_table(
        runs,
        configs=configs,
        scenarios=["ritz", "same"],
        baseline="baseline",
        seeds=[0, 1, 2],
        kpis=["csat_mean"],
    ).set_index(["scenario", "channel"])
    assert t.loc[("ritz", "total"), "effect"] == pytest.approx(1.1 / 3)
    assert t.loc[("ritz", "morale"), "effect"] == pytest.approx(0.3)
    assert t.loc[("ritz", "morale"), "share"] == pytest.approx(0.9 / 1.1)
    assert t.loc[("ritz", "morale"), "ci_low"] == pytest.approx(0.3)  # the same on every seed
    assert t.loc[("ritz", "recovery"), "effect"] == pytest.approx(0.2 / 3)
    assert t.loc[("ritz", "interaction"), "effect"] == pytest.approx(0.0, abs=1e-12)
    assert not t.loc[("ritz", "costs"), "held_run"] and t.loc[("ritz", "costs"), "effect"] == 0
    # Nothing changed: no held run, zero everywhere, no share to speak of.
    nothing = t.loc["same"]
    assert not nothing["held_run"].any()
    assert (nothing["effect"] == 0).all() and nothing.loc[CHANNELS.keys(), "share"].isna().all()


def test_an_unknown_channel_is_refused_with_one_line(tmp_path) -> None:
    out = tmp_path / "run"
    res = run_cli(
        "sim-run", *TINY, "days=3", "hold.channels=[moral]", f"hydra.run.dir={out}", timeout=120
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "error: hold.channels='moral' is not allowed: one of staffing, morale, encounters, "
        "recovery, costs, acquisition"
    ]
    assert not out.exists()


@pytest.mark.slow
def test_compare_writes_the_attribution_and_reports_it(tmp_path) -> None:
    args = [
        *TINY,
        "days=60",
        "window_days=30",
        "replications=2",
        "workers=1",
        "scenarios=[ritz_recovery]",
    ]
    res = run_study("sim-compare", args, tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "attribution.csv")
    ritz = table[table["scenario"] == "ritz_recovery"]
    assert set(ritz["kpi"]) == {"csat_mean", "profit", "employee_turnover_annual"}
    assert set(ritz.loc[ritz["held_run"], "channel"]) == {"morale", "recovery"}
    # The full effect is the comparison's paired difference over the same two seeds.
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index(["scenario", "kpi"])
    total = ritz[(ritz["channel"] == "total") & (ritz["kpi"] == "csat_mean")]["effect"].item()
    assert total == pytest.approx(comparison.loc[("ritz_recovery", "csat_mean"), "diff"])
    # Whether an effect is clear is the comparison's verdict (here over the same two seeds).
    verdict = ritz[(ritz["channel"] == "total") & (ritz["kpi"] == "csat_mean")]["verdict"].item()
    assert verdict == comparison.loc[("ritz_recovery", "csat_mean"), "verdict"]
    # The channels and the remainder add up to the full effect.
    for _, k in ritz.groupby("kpi"):
        parts = k[~k["channel"].isin(["total"])]["effect"].sum()
        assert parts == pytest.approx(k[k["channel"] == "total"]["effect"].item(), abs=1e-9)
    report = (tmp_path / "report.md").read_text()
    assert "## Where each effect comes from" in report and "(attribution.png)" in report
    assert "its customer satisfaction effect" in report
    assert (tmp_path / "attribution.png").stat().st_size > 0


def test_too_few_attribution_seeds_are_refused_before_any_run(tmp_path) -> None:
    res = run_study("sim-compare", [*TINY, "attribution_seeds=1"], tmp_path / "out")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "error: compare.attribution_seeds=1 is not allowed: null (a quarter of replications) "
        "or an integer >= 2"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_with_an_ensemble_held_runs_draw_their_seeds_set_and_intervals_are_over_sets(
    tmp_path,
) -> None:
    ensemble = tmp_path / "ensemble.parquet"
    pd.DataFrame({"weight": [1.0, 1.0], "behaviour.churn_rate_annual": [0.05, 0.9]}).to_parquet(
        ensemble
    )
    args = [
        *TINY,
        "days=40",
        "window_days=20",
        "replications=4",
        "attribution_seeds=3",  # rounded up to whole sets of 2 seeds: all four
        "workers=1",
        "scenarios=[ritz_recovery]",
        "uncertainty=parameters",
        f"ensemble={ensemble}",
    ]
    out = tmp_path / "out"
    res = run_study("sim-compare", args, out)
    assert res.returncode == 0, res.stderr
    runs = pd.read_parquet(out / "attribution_runs.parquet")
    assert set(runs["scenario"]) == {
        "baseline",
        "ritz_recovery",
        "ritz_recovery~morale",
        "ritz_recovery~recovery",
    }
    for _, at_seed in runs.groupby("seed"):
        assert len(at_seed) == 4 and at_seed["parameter_set"].nunique() == 1
    table = pd.read_csv(out / "attribution.csv")
    assert (table["n_seeds"] == 2).all()  # two sets of two seeds each
