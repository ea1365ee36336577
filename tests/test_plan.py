"""sim-plan (issue 7): candidate interventions per role and stage, ranked with intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis.plan import apply, candidates, combined
from sim.config import ConfigError
from tests.conftest import make_config, run_study

TINY = ["org.employees=8", "org.customers=2500", "days=150", "replications=2", "workers=2"]


def test_candidates_come_from_the_journey():
    cfg = make_config()
    options = candidates(cfg)
    names = {i.name for i in options}
    roles = set(cfg.journey.roles)
    assert {f"training: {r}" for r in roles} <= names
    assert {f"tools: {r}" for r in roles} <= names
    assert "rosters: workforce_planning" in names  # the planners make the rosters
    assert "capacity: billing_office" in names and "capacity: service_agents" not in names
    assert "customer feedback to billing_office" in names  # its reach is below 1
    assert {"loosen scripts", "empowerment and recovery budget", "share customer feedback"} <= names
    it = next(i for i in options if i.name == "training: it_support")
    assert set(it.stages) == set(cfg.journey.stages)  # IT serves every stage through its users
    billing = next(i for i in options if i.name == "tools: billing_office")
    assert billing.stages == ("billing", "renewal")
    # Every candidate is a valid config.
    for i in options:
        apply(cfg, i.changes)


def test_apply_refuses_unknown_keys_and_values_out_of_range():
    cfg = make_config()
    with pytest.raises(ConfigError, match="journey.roles.nobody"):
        apply(cfg, {"journey.roles.nobody.training": 2.0})
    with pytest.raises(ConfigError, match="journey.roles.it_support.training"):
        apply(cfg, {"journey.roles.it_support.training": 9.0})
    both = apply(cfg, combined(candidates(cfg, ["scripts", "training"])[:2]))
    assert cfg.journey.roles["service_agents"].training == 1.0  # the original is untouched
    assert both.journey.roles["service_agents"].training == 1.5


@pytest.mark.slow
def test_sim_plan_runs_end_to_end_at_a_tiny_size(tmp_path):
    res = run_study(
        "sim-plan", [*TINY, "levers=[training,scripts,rosters]", "top=2"], tmp_path / "plan"
    )
    assert res.returncode == 0, res.stderr
    out = tmp_path / "plan"
    ranked = pd.read_csv(out / "plan.csv")
    # 5 roles' training, the planners' rosters, the scripts: 7 candidates, ranked by profit.
    assert len(ranked) == 7
    assert ranked["rank"].tolist() == list(range(1, 8))
    assert ranked["profit_diff"].is_monotonic_decreasing
    assert (ranked["profit_ci_low"] <= ranked["profit_diff"]).all()
    assert (ranked["profit_diff"] <= ranked["profit_ci_high"]).all()
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs.loc[runs.seed_set == "ranking", "seed"].unique()) == [0, 1]
    together = runs[runs.seed_set == "top together"]
    assert together.empty or sorted(together.seed.unique()) == [2, 3]  # fresh seeds
    journeys = pd.read_parquet(out / "journeys.parquet")
    assert {"baseline", "loosen scripts"} <= set(journeys.intervention)
    text = (out / "plan.md").read_text()
    assert "| rank | intervention |" in text and "loosen scripts" in text
    assert "![journey before](journey_before.png)" in text
    assert (out / "journey_before.png").stat().st_size > 10_000
    if "## The top" in text:  # only interventions that gained profit are combined
        assert (out / "journey_after.png").stat().st_size > 10_000
    assert "results in" in res.stdout


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["rank_by=happiness"], "plan.rank_by"),
        (["roles=[nobody]"], "plan.roles"),
        (["levers=[massage]"], "plan.levers"),
        (["replications=1"], "plan.replications"),
        (["journey.stages.billing.weight=0.9"], "journey.stages.*.weight"),
    ],
)
def test_sim_plan_refuses_bad_settings_in_one_line(tmp_path, args, key):
    res = run_study("sim-plan", [*TINY, *args], tmp_path / "plan")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], res.stderr
    assert not (tmp_path / "plan" / "plan.md").exists()
