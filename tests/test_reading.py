"""The reading of a comparison: verdicts that reconcile the last year with the horizon, the
levers in words, and the warnings a board must see before any verdict."""

import pandas as pd
import pytest
from conftest import make_config

from sim.analysis.reading import (
    few_seeds_warning,
    implausible_baseline,
    profit_verdict,
    scenario_changes,
)
from sim.analysis.text import fmt, interval


def test_a_last_year_gain_that_has_not_paid_back_says_so() -> None:
    # people_driven in the issue: "pays" while its cumulative profit stays negative.
    text = profit_verdict("better", "worse", 36)
    assert text.startswith("pays by the last year") and "not made up its early losses" in text


def test_a_lead_over_the_horizon_is_named_when_the_last_year_is_unclear() -> None:
    # cost_cutting in the issue: "no clear effect" while it leads from month 1.
    text = profit_verdict("unclear", "better", 24)
    assert text == "is ahead over the whole 24 months, but its effect on the last year is unclear"


@pytest.mark.parametrize("last", ["better", "worse", "unclear"])
@pytest.mark.parametrize("horizon", ["better", "worse", "unclear"])
def test_every_pair_of_verdicts_has_one_headline(last: str, horizon: str) -> None:
    assert profit_verdict(last, horizon, 12)


def test_scenario_changes_name_each_lever_with_its_values() -> None:
    base = make_config("org.employees=5", "org.customers=1000")
    arm = make_config("org.employees=5", "org.customers=1000", "scenario=ritz_recovery")
    changes = scenario_changes(base, arm)
    assert len(changes) == 2
    assert any("(`policy.recovery_budget`): 25.0 -> 2000.0" in c for c in changes)
    assert scenario_changes(base, base) == []


def test_few_seeds_are_counted_out_and_enough_seeds_are_not_warned() -> None:
    assert "100% means 5 of 5" in few_seeds_warning(5)
    assert few_seeds_warning(20) == ""


def test_a_collapsing_baseline_is_flagged() -> None:
    table = pd.DataFrame(
        {
            "scenario": "baseline",
            "kpi": ["abandon_rate", "service_level", "customer_churn_annual", "nps"],
            "mean": [0.31, 0.2, 0.95, -84.0],
        }
    )
    flags = implausible_baseline(table, "baseline")
    assert flags == [
        "abandon rate 31.0% (above 15.0%)",
        "service level 20.0% (below 50.0%)",
        "customer churn 95.0% (above 50.0%)",
    ]
    ok = table.assign(mean=[0.05, 0.8, 0.2, 10.0])
    assert implausible_baseline(ok, "baseline") == []


def test_rates_read_as_percent_differences_as_points_and_counts_as_whole_numbers() -> None:
    assert fmt(0.123, "employee_turnover_annual") == "12.3%"
    assert fmt(-0.02, "service_level", signed=True) == "-2.0 pp"
    assert fmt(-11.0, "customers", signed=True) == "-11"
    assert fmt(72816.4, "profit", signed=True) == "+72,816"
    assert interval(0.1, 0.2, "abandon_rate", signed=False) == "[10.0%, 20.0%]"


def test_a_plan_warns_when_its_baseline_is_collapsing() -> None:
    from experiments.plan import _implausible_baseline

    runs = pd.DataFrame(
        {
            "intervention": ["baseline", "baseline", "training: agents"],
            "abandon_rate": [0.6, 0.7, 0.01],
            "service_level": [0.02, 0.01, 0.9],
            "customer_churn_annual": [0.2, 0.2, 0.2],
        }
    )
    assert _implausible_baseline(runs) == [
        "abandon rate 65.0% (above 15.0%)",
        "service level 1.5% (below 50.0%)",
    ]
    assert _implausible_baseline(runs.iloc[2:].assign(intervention="baseline")) == []
