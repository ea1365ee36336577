"""Validation, short version: every check of `sim-validate` at the quick size, asserting the
direction each published figure gives (sizes too small for the full verdicts; the full command
writes docs/VALIDATION.md). The quick suite runs once for the module (two processes), without
the staffing sweep and the unit experiments: tests/test_validation_experiments.py runs those
(no run shared), so that the two halves take the two test workers at once."""

from __future__ import annotations

import math
import os
import re

import pytest
from conftest import run_cli
from test_validation_experiments import EXPERIMENTS

from sim.stats import Estimate, corr_ci, mean_ci
from sim.validation import CHECKS, QUICK, run_checks
from sim.validation.checks.base import CALIBRATED, CONSTRUCTION, ROLES, VALIDATED, Published
from sim.validation.driver import CheckResult
from sim.validation.report import render, summary
from sim.validation.verdicts import (
    DIRECTION_ONLY,
    FAIL,
    PASS,
    UNSURE,
    number_verdict,
    range_verdict,
    sign_verdict,
)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    images = tmp_path_factory.mktemp("img")
    names = [n for n in CHECKS if n not in EXPERIMENTS]
    results, timings = run_checks(names, QUICK, workers=2, progress=False, image_dir=images)
    return {r.name: r for r in results}, timings, images


def values(quick, name):
    return quick[0][name].values


# ---- the statistics the verdicts rest on ----------------------------------------------------
def test_verdicts_are_taken_on_the_interval_not_the_point():
    assert range_verdict(Estimate(0.3, 0.26, 0.34, 6), 0.25, 0.50) == PASS
    assert range_verdict(Estimate(0.3, 0.20, 0.40, 6), 0.25, 0.50) == UNSURE
    assert range_verdict(Estimate(0.6, 0.55, 0.65, 6), 0.25, 0.50) == FAIL
    assert sign_verdict(Estimate(-0.1, -0.2, -0.01, 6), -1) == PASS
    assert sign_verdict(Estimate(0.1, 0.01, 0.2, 6), -1) == FAIL
    # Right sign, published number missed: direction only.
    assert number_verdict(Estimate(0.05, 0.04, 0.06, 6), 0.10, 0.20, +1) == DIRECTION_ONLY


def test_intervals_cover_the_truth_at_about_95_percent():
    import numpy as np

    rng = np.random.default_rng(0)
    hits = sum((e := mean_ci(rng.normal(1.0, 2.0, 6))).lo <= 1.0 <= e.hi for _ in range(2000))
    assert 0.93 < hits / 2000 < 0.97
    r = corr_ci(*rng.multivariate_normal([0, 0], [[1, -0.5], [-0.5, 1]], 400).T)
    assert r.lo < -0.5 < r.hi


def test_one_seed_gives_no_interval_and_so_no_pass_or_fail():
    one = mean_ci([0.3])
    assert one.value == 0.3 and math.isnan(one.lo) and math.isnan(one.hi)
    assert one.scaled(100).fmt(".1f", "%") == "30.0% [no interval, n=1]"
    assert range_verdict(one, 0.25, 0.50) == UNSURE
    assert sign_verdict(one, +1) == UNSURE
    assert number_verdict(one, 0.1, 0.2, +1) == UNSURE


# ---- each check carries its published figure ----------------------------------------------------
def test_every_check_is_declared_in_its_section_module_with_its_figure_and_ranges():
    modules = {
        "Call-centre operating envelope (baseline)": "envelope",
        "Employee side": "employee",
        "Customer side": "customer",
        "The chain across units": "chain",
        "Direction and lags": "lags",
    }
    for name, c in CHECKS.items():
        assert c.judge.__module__ == f"sim.validation.checks.{modules[c.section]}", name
        pub = c.published
        assert pub.figure and pub.claim and pub.source, name
        for lo, hi in [*([pub.band] if pub.band else []), *pub.bands.values()]:
            assert lo < hi, name
    assert CHECKS["turnover"].published.band == (0.25, 0.50)
    assert [c.name for c in CHECKS.values() if c.published.added] == [
        "script_transition",
        "satisfaction_performance",
        "failure_vs_success",
    ]


def test_every_check_says_what_its_verdict_can_prove():
    """Each figure names its role, and a calibrated or constructed one names its parameter;
    a role outside the three is refused where the check is declared."""
    for name, c in CHECKS.items():
        assert c.published.role in ROLES, name
        if c.published.role != VALIDATED:
            # a parameter of the schema, or the code when no parameter is involved
            pattern = r"(behaviour|org|policy)\.\w+|no parameter|sim/"
            assert re.search(pattern, c.published.basis), name
    assert CHECKS["work_happiness"].published.role == CALIBRATED
    assert CHECKS["wom_asymmetry"].published.role == CONSTRUCTION
    assert CHECKS["sears_chain"].published.role == VALIDATED
    with pytest.raises(ValueError, match="role='fitted' is not one of validated"):
        Published("f", "c", "s", role="fitted")
    with pytest.raises(ValueError, match="must name its parameter"):
        Published("f", "c", "s", role=CALIBRATED)


def test_the_summary_counts_only_the_checks_that_could_have_failed():
    def row(name, role, verdict):
        return CheckResult(name, "S", "fig", "pub", "src", "m", verdict, "note", [], 2,
                           role=role, basis="" if role == VALIDATED else "behaviour.x")  # fmt: skip

    rows = [
        row("a", VALIDATED, PASS),
        row("b", VALIDATED, DIRECTION_ONLY),
        row("c", VALIDATED, UNSURE),
        row("d", CALIBRATED, PASS),
        row("e", CONSTRUCTION, PASS),
        row("f", CONSTRUCTION, PASS),
    ]
    assert summary(rows) == (
        "Summary: 1 of 3 checks that could have failed pass; 1 direction only, 1 inconclusive, "
        "0 fail; 1 calibrated on and 2 by construction, not counted."
    )
    rows.append(row("g", CALIBRATED, FAIL))  # a miss where a pass was built in is a fault
    assert summary(rows).endswith("2 calibrated on and 2 by construction, not counted "
                                  "(1 of them do not pass).")  # fmt: skip
    timings = {"runs": 1.0, "run_seconds": 60.0, "wall_runs": 60.0}
    text = render(rows, QUICK, timings, command="sim-validate --quick")
    assert summary(rows) in text.splitlines()
    assert "| [a](#a) | validated | fig | pub | m | pass |" in text
    assert "| [d](#d) | calibrated on | fig | pub | m | pass (calibrated on) |" in text
    assert "| [e](#e) | by construction | fig | pub | m | pass (by construction) |" in text
    assert "- Role: calibrated on: behaviour.x." in text


def test_the_verdict_follows_the_published_range_beside_the_judge():
    """complaint_iceberg on hand-made runs: half the failures reported in every seed. The same
    numbers pass against the published 40-60% and fail against a range that excludes them."""
    import dataclasses

    import pandas as pd

    seeds = {0: (48, 100), 1: (52, 100)}  # complaints, failures in the last year, per seed

    def get(spec):
        complaints, failures = seeds[spec.seed]
        return {"ts": pd.DataFrame({"complaints": [complaints], "failures": [failures]})}

    check = CHECKS["complaint_iceberg"]
    judged = check.judgement(QUICK, get)
    assert judged.values["share"] == pytest.approx(0.50)
    assert judged.verdict == UNSURE  # t(1) interval of 0.48, 0.52: 0.50 +- 0.254
    seeds.update({0: (499, 1000), 1: (501, 1000)})
    assert check.judgement(QUICK, get).verdict == PASS  # 0.50 +- 0.0127
    elsewhere = dataclasses.replace(check.published, band=(0.6, 0.7))
    assert check.judge(QUICK, get, elsewhere).verdict == FAIL


def test_run_cache_keys_do_not_depend_on_the_process_hash_seed():
    """The key in this process (its own hash seed) and in two processes with other seeds."""
    import subprocess
    import sys
    from pathlib import Path

    from sim.validation.driver import _cache_path
    from sim.validation.runs import RunSpec

    probes = ["queue", "wom", "nps", "agents", "hires"]
    here = _cache_path(Path("."), RunSpec("baseline", 5, 500, 10, 0, probes=frozenset(probes)), "x")
    code = (
        "from pathlib import Path; from sim.validation.driver import _cache_path; "
        "from sim.validation.runs import RunSpec; "
        f"s = RunSpec('baseline', 5, 500, 10, 0, probes=frozenset({probes!r})); "
        "print(_cache_path(Path('.'), s, 'x').name)"
    )
    this = os.environ.get("PYTHONHASHSEED")  # unset: a random seed
    others = [seed for seed in ("1", "2", "3") if seed != this][:2]
    names = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in others
    }
    assert names == {here.name}


# ---- the quick suite: one run of every check --------------------------------------------------
@pytest.mark.slow
def test_every_check_gives_a_figure_and_a_verdict(quick):
    results, timings, images = quick
    assert set(results) == set(CHECKS) - set(EXPERIMENTS)
    for r in results.values():
        assert r.verdict in (PASS, FAIL, DIRECTION_ONLY, UNSURE)
        assert r.model and r.published and r.source
    assert (images / "learning_curve.png").stat().st_size < 150_000
    # Runs shared between checks are done once.
    assert timings["runs"] < sum(r.runs for r in results.values())


@pytest.mark.slow
def test_envelope_turnover_training_learning_and_replacement_cost(quick):
    assert 0.1 < values(quick, "turnover")["turnover"] < 1.5
    assert 28 <= values(quick, "initial_training")["lag_days"] <= 35
    assert 0.45 < values(quick, "learning_curve")["ratio"] < 0.65
    assert 2.5 < values(quick, "replacement_cost")["months"] < 5.5
    assert 5.5 < values(quick, "work_happiness")["work_happiness"] < 8.5


@pytest.mark.slow
def test_more_service_needs_more_servers(quick):
    assert values(quick, "service_level")["extra_a"] > 0


@pytest.mark.slow
def test_market_orientation_lifts_work_happiness_and_top_scores(quick):
    v = values(quick, "market_orientation")
    assert v["wh_hi"] > v["wh_lo"] + 0.8
    assert v["share_hi"] > v["share_lo"]


@pytest.mark.slow
def test_stress_goes_with_worse_service_and_positivity_with_better(quick):
    assert values(quick, "burnout")["r"] < 0
    v = values(quick, "contagion")
    assert v["positivity_coef"] > 0
    assert v["r_engagement"] > 0


@pytest.mark.slow
def test_top_box_customers_stay_more_often(quick):
    assert values(quick, "convex_loyalty")["ratio"] > 1.0


@pytest.mark.slow
def test_iceberg_word_of_mouth_and_nps_reporting(quick):
    assert 0.35 < values(quick, "complaint_iceberg")["share"] < 0.65
    assert 1.7 < values(quick, "wom_asymmetry")["ratio"] < 2.3
    assert values(quick, "nps_definition")["gap"] < 1e-9
    v = values(quick, "nps_not_growth")
    assert v["nps_shift"] > 10
    assert v["revenue_gap"] == 0


@pytest.mark.slow
def test_quick_recovery_keeps_more_customers_and_the_paradox_is_for_a_first_failure(quick):
    v = values(quick, "complaint_resolution")
    assert v["quick"] > v["slow"]
    p = values(quick, "recovery_paradox")
    assert p["first"] > p["second"]
    assert p["first"] > p["slow"]
    assert values(quick, "ritz_budget")["share"] < 0.10


@pytest.mark.slow
def test_units_chain_runs_positive_from_impression_to_growth(quick):
    slopes = values(quick, "sears_chain")["slopes"]
    assert slopes["impression p1 -> revenue growth p2/p1"] > 0
    assert all(math.isfinite(s) for s in slopes.values())


@pytest.mark.slow
def test_cross_lags_and_customer_value_are_read_from_the_runs(quick):
    lead = values(quick, "attitudes_lead")
    assert all(math.isfinite(lead[k]) for k in ("forward", "reverse", "difference"))
    # The same panel read the other way round: profit p1 -> EX p2 is Koys' reverse profit path.
    feed = values(quick, "performance_feeds_attitudes")
    assert feed["reverse"] == pytest.approx(lead["profit_forward"])
    tail = values(quick, "customer_value_tail")
    assert 1.0 < tail["ratio"] <= tail["max_ratio"]
    assert 0.0 < tail["referral_top1_share"] <= 1.0


@pytest.mark.slow
def test_report_names_date_commit_and_every_check(quick):
    results, timings, _ = quick
    text = render(list(results.values()), QUICK, timings, command="sim-validate --quick")
    assert "from commit" in text and "Summary:" in text
    for name in results:
        assert f"### {name}" in text


# ---- the command -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        (["--checks", "turnover,nope"], "'nope' is not a check"),
        (["--replications", "0"], "--replications=0"),
        (["--workers", "0"], "--workers=0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    res = run_cli("sim-validate", *args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_cli_writes_the_report(tmp_path):
    out = tmp_path / "V.md"
    res = run_cli(
        "sim-validate", "--quick", "--checks", "nps_definition", "--replications", "1",
        "--workers", "1", "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert "| [nps_definition]" in text and "pass" in text
