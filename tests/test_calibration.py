"""The baseline lands in the published envelope, and each scenario moves the KPIs the way the
literature says, for the model's own reasons (a short version of the validation runs).

Small organisation (20 agents, 17,000 customers, a year and a half: half a year to settle, then
the measured year that summarise() reads), three paired seeds: scenarios
share seeds with the baseline (common random numbers), and each assertion is about the mean.
Turnover is judged on the quit hazard (expected turnover): at this size the realised quits
are too few to compare scenarios on three seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_config

from sim.cli import group_options
from sim.outputs import summarise
from sim.runner import run_model

# Erlang: a smaller centre needs more staff per customer for the same service, hence 17,000.
# 548 days, not two years: every assertion below held at 548 days with its tolerance unchanged
# (and with wide margins) when the horizon was cut, a quarter of this module's CPU saved.
SIZE = ["org.employees=20", "org.customers=17000", "days=548", "progress=false"]
SEEDS = (0, 1, 2)
SCENARIOS = tuple(group_options("scenario"))  # baseline and every preset against it

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def timeseries() -> dict[str, list[pd.DataFrame]]:
    """Every scenario's daily KPIs on each seed, run once for the module."""
    return {
        scenario: [
            run_model(make_config(*SIZE, f"scenario={scenario}", f"seed={s}")).timeseries()
            for s in SEEDS
        ]
        for scenario in SCENARIOS
    }


@pytest.fixture(scope="module")
def results(timeseries) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for scenario, runs in timeseries.items():
        sums = [summarise(ts) for ts in runs]
        out[scenario] = {k: float(np.mean([r[k] for r in sums])) for k in sums[0]}
    return out


def test_baseline_is_inside_the_call_centre_envelope(results):
    base = results["baseline"]
    # Turnover of a 20-person unit is a handful of quits a year: the realised rate swings by
    # +-40% from seed to seed. The quit hazard's mean is the rate those quits are drawn from.
    assert 0.25 <= base["expected_turnover_annual"] <= 0.50  # Holman et al. 2007; ICMI
    assert 0.1 <= base["employee_turnover_annual"] <= 0.7  # and the realised one is near it
    assert 6.5 <= base["work_happiness_mean"] <= 7.5  # Dutch work happiness about 7
    assert 0.6 <= base["service_level"] <= 0.98  # plausible for the staffing
    assert base["abandon_rate"] < 0.15
    assert 0.55 <= base["first_contact_resolution"] <= 0.85
    assert -100 <= base["enps"] <= 100 and -100 <= base["nps"] <= 100
    assert base["profit"] > 0


def test_loosened_scripts_lower_turnover_and_lift_csat_at_about_the_same_handle_time(results):
    base, loose = results["baseline"], results["loose_scripts"]
    assert loose["expected_turnover_annual"] < base["expected_turnover_annual"]  # Batt 2002
    assert loose["csat_mean"] > base["csat_mean"]
    assert loose["first_contact_resolution"] > base["first_contact_resolution"]
    # Batt & Moynihan 2006: discretion does not change handle time much.
    assert loose["handle_seconds"] == pytest.approx(base["handle_seconds"], rel=0.06)


def test_ritz_budget_lifts_satisfaction_and_is_barely_used(results):
    base, ritz = results["baseline"], results["ritz_recovery"]
    assert ritz["csat_mean"] > base["csat_mean"]
    assert ritz["recovery_spend"] > base["recovery_spend"]
    assert ritz["recovery_spend_per_incident"] < 0.05 * 2000  # "it doesn't get used much"


def test_people_programmes_lift_work_happiness(results):
    base = results["baseline"]["work_happiness_mean"]
    for scenario in ("feedback_sharing", "retention_programme", "consistent_leadership"):
        assert results[scenario]["work_happiness_mean"] > base, scenario


def test_cost_cutting_starts_the_cycle_of_failure(results):
    base, cut = results["baseline"], results["cost_cutting"]
    assert cut["work_happiness_mean"] < base["work_happiness_mean"]
    assert cut["expected_turnover_annual"] > base["expected_turnover_annual"]
    assert cut["csat_mean"] < base["csat_mean"]
    assert cut["customer_churn_annual"] > base["customer_churn_annual"]


def test_people_driven_organisation_lifts_both_promoter_scores(results):
    base, pd_ = results["baseline"], results["people_driven"]
    assert pd_["enps"] > base["enps"] + 20
    assert pd_["nps"] > base["nps"] + 10
    assert pd_["expected_turnover_annual"] < base["expected_turnover_annual"]


def test_loosening_scripts_has_a_transition_dip_then_pays(timeseries):
    # The workforce knows only the old script; at first, deviating goes wrong more often.
    # Read over the first 300 days of the runs: the dip in month 1, the gain in months 8-10.
    def fcr_by_month(scenario: str) -> np.ndarray:
        months = []
        for ts in timeseries[scenario]:
            ts = ts[ts.day <= 300]
            g = ts.groupby((ts.day - 1) // 30)
            months.append((g.resolved_first.sum() / g.first_contacts.sum()).to_numpy())
        return np.mean(months, axis=0)

    base, loose = fcr_by_month("baseline"), fcr_by_month("loose_scripts")
    assert len(base) == 10  # ten months
    assert loose[0] < base[0] - 0.02  # the dip in the first month
    assert loose[-3:].mean() > base[-3:].mean() + 0.01  # and the gain once learned
