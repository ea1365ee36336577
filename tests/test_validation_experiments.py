"""Validation, short version, second half: the staffing sweep and the experiments on a unit
(450 days with settings, events or a failing start): scripts, retention, cost cutting, a failing
start, drifting standards, a step in leadership (the months between EX and CX). No run here is
shared with a check of tests/test_validation.py (the split is asserted below), so the two halves
of the quick suite run on the two test workers side by side instead of one after the other."""

from __future__ import annotations

import pytest

from sim.validation import CHECKS, QUICK, run_checks
from sim.validation.report import render
from sim.validation.verdicts import DIRECTION_ONLY, FAIL, PASS, UNSURE

pytestmark = pytest.mark.slow

# The checks run here; tests/test_validation.py runs every other check.
EXPERIMENTS = (
    "erlang",
    "autonomy",
    "discretion",
    "scripting",
    "script_transition",
    "retention_leverage",
    "cycle_of_failure",
    "failure_vs_success",
    "quality_erosion",
    "ex_cx_lag",
)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One process: the other test worker has the other half (and tests/test_validation.py
    runs the driver's pool)."""
    images = tmp_path_factory.mktemp("img")
    results, timings = run_checks(list(EXPERIMENTS), QUICK, workers=1, progress=False,
                                  image_dir=images)  # fmt: skip
    return {r.name: r for r in results}, timings, images


def values(quick, name):
    return quick[0][name].values


def test_the_halves_share_no_run_so_neither_waits_for_the_other():
    def runs(names):
        return {s.key() for n in names for s in CHECKS[n].runs(QUICK)}

    assert set(EXPERIMENTS) <= set(CHECKS)
    assert not runs(EXPERIMENTS) & runs(set(CHECKS) - set(EXPERIMENTS))


def test_every_check_gives_a_figure_and_a_verdict(quick):
    results, timings, _ = quick
    assert set(results) == set(EXPERIMENTS)
    for r in results.values():
        assert r.verdict in (PASS, FAIL, DIRECTION_ONLY, UNSURE)
        assert r.model and r.published and r.source
    # Runs shared between checks are done once.
    assert timings["runs"] < sum(r.runs for r in results.values())


def test_abandonment_follows_erlang_a(quick):
    assert abs(values(quick, "erlang")["abandon_gap"]) < 0.01


def test_loosened_scripts_grow_revenue_and_lift_csat_at_about_the_same_handle_time(quick):
    assert values(quick, "autonomy")["growth_diff"] > 0
    v = values(quick, "discretion")
    assert v["csat_diff"] > 0
    assert abs(v["handle_change"]) < 0.1


def test_strict_scripts_hurt_customised_needs_more_than_standard_ones(quick):
    v = values(quick, "scripting")
    assert v["exp_cx"] < 0
    assert abs(v["exp_std"]) < abs(v["exp_cx"])


def test_loosening_scripts_gains_after_the_transition(quick):
    v = values(quick, "script_transition")
    assert v["after"] > 0
    assert v["dip"] < v["after"]


def test_fewer_defections_cut_churn_and_cost_cutting_loses_customers(quick):
    assert values(quick, "retention_leverage")["churn_cut"] > 0
    v = values(quick, "cycle_of_failure")
    assert v["csat"] < 0
    assert v["churn"] > 0


def test_failing_start_and_drifting_standards_act_as_built(quick):
    assert values(quick, "failure_vs_success")["wh_gap_month1"] < 0
    v = values(quick, "quality_erosion")
    # During the surge the floor gives less time; only drifting standards lower the norm.
    assert v["effort_drift_surge"] < v["effort_drift_no_surge"]
    assert v["norm_min_drift_surge"] < v["norm_min_held_surge"] == 1.0


def test_leadership_that_lives_its_values_lifts_work_happiness_before_csat(quick):
    v = values(quick, "ex_cx_lag")
    assert v["ex_final"] > 0 and v["cx_final"] > 0
    assert v["ex_half_months"] <= v["cx_half_months"]


def test_report_names_every_check(quick):
    results, timings, _ = quick
    text = render(list(results.values()), QUICK, timings, command="sim-validate --quick")
    for name in EXPERIMENTS:
        assert f"### {name}" in text
