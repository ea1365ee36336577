"""sim/stats.py, the one statistics module of validation and comparisons: intervals against
scipy and hand-computed values, one replication, and what pairing by seed buys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.analysis.stats as compare_stats
import sim.stats
from sim.analysis.stats import compare_table, verdict
from sim.stats import (
    Estimate,
    mean_ci,
    pairing_width_ratio,
    proportion_ci,
    ratio_ci,
    t_interval,
    welch_ci,
)
from sim.validation.checks import envelope

# Student t quantiles from the tables: t(0.975; 3) and t(0.975; 6).
T3, T6 = 3.182446305, 2.446911851


def test_validation_and_comparisons_share_one_mean_ci():
    assert compare_stats.mean_ci is sim.stats.mean_ci
    assert compare_stats.t_interval is sim.stats.t_interval
    assert envelope.mean_ci is sim.stats.mean_ci


def test_one_replication_has_a_mean_but_no_interval():
    one = mean_ci([4.0])
    assert one.value == 4.0 and one.n == 1
    assert math.isnan(one.lo) and math.isnan(one.hi)
    assert all(math.isnan(v) for v in t_interval([4.0, math.nan]))
    # Both sides read the same: the comparison calls it unclear, the report says so.
    assert verdict(one.lo, one.hi, +1) == "unclear"
    assert one.fmt(".2f") == "4.00 [no interval, n=1]"
    empty = mean_ci([math.nan])
    assert empty.n == 0 and math.isnan(empty.value) and empty.fmt() == "n/a"


def test_mean_ci_is_the_textbook_t_interval():
    # 1..5: mean 3, s = sqrt(2.5), t(0.975; 4) = 2.7764: 3 -+ 2.7764 * sqrt(2.5 / 5)
    est = mean_ci([1, 2, 3, 4, 5])
    assert (est.lo, est.hi) == pytest.approx((1.0367, 4.9633), abs=1e-4)
    assert est["mean"] == 3.0 and est["n"] == 5 and est["lo"] == est.lo
    x = np.array([2.1, 3.4, 1.9, 5.6, 4.4, 3.3])
    ref = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    assert t_interval(x) == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert t_interval([7.0, 7.0, 7.0]) == (7.0, 7.0)  # no spread: zero width


def test_welch_interval_uses_the_welch_satterthwaite_degrees_of_freedom():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    # s_a^2 = 5/3, s_b^2 = 20/3; per-mean variances 5/12 and 20/12; se^2 = 25/12;
    # df = (25/12)^2 / ((5/12)^2 / 3 + (20/12)^2 / 3) = 75/17.
    est = welch_ci(a, b)
    half = stats.t.ppf(0.975, 75 / 17) * math.sqrt(25 / 12)
    assert est.value == -2.5
    assert (est.lo, est.hi) == pytest.approx((-2.5 - half, -2.5 + half), rel=1e-12)
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (est.lo, est.hi) == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert math.isnan(welch_ci([1.0], b).lo)


def test_pairing_width_ratio_on_hand_made_arms():
    a = [1.0, 2.0, 3.0, 4.0]
    # The same luck in both arms plus a constant effect: the paired interval has no width.
    assert pairing_width_ratio([x + 10 for x in a], a) == 0.0
    # Uncorrelated arms of equal spread: centred a = (-1.5, -0.5, 0.5, 1.5) and centred
    # b = (-0.5, 1.5, -1.5, 0.5) are orthogonal, so var(a - b) = s_a^2 + s_b^2 and both
    # standard errors are the same; only the degrees of freedom differ (3 paired, Welch 6).
    b = [9.5, 11.5, 8.5, 10.5]
    assert pairing_width_ratio(b, a) == pytest.approx(T3 / T6, rel=1e-9)  # 1.3006
    # Fewer than two pairs: nothing to compare.
    assert math.isnan(pairing_width_ratio([1.0, math.nan], [2.0, 3.0]))
    with pytest.raises(ValueError, match="differ in length"):
        pairing_width_ratio([1.0, 2.0], [1.0, 2.0, 3.0])


def test_pairing_width_ratio_is_small_for_common_luck_and_about_one_without():
    rng = np.random.default_rng(3)
    luck = rng.normal(0, 10, (400, 20))
    shared = [pairing_width_ratio(s + 1 + rng.normal(0, 1, 20), s) for s in luck]
    apart = [pairing_width_ratio(rng.normal(1, 10, 20), rng.normal(0, 10, 20)) for _ in luck]
    assert np.median(shared) < 0.15
    assert 0.95 < np.median(apart) < 1.1


def test_compare_table_reports_what_pairing_bought_per_scenario_and_kpi():
    base = [1.0, 2.0, 3.0, 4.0]
    rows = [{"scenario": "baseline", "seed": s, "profit": v, "nps": v} for s, v in enumerate(base)]
    rows += [
        {"scenario": "lever", "seed": s, "profit": v + 10, "nps": w}
        for s, (v, w) in enumerate(zip(base, [9.5, 11.5, 8.5, 10.5], strict=True))
    ]
    table = compare_table(pd.DataFrame(rows), ["profit", "nps"]).set_index(["scenario", "kpi"])
    ratio = table["pairing_width_ratio"]
    assert ratio["lever", "profit"] == 0.0
    assert ratio["lever", "nps"] == pytest.approx(T3 / T6, rel=1e-9)
    assert ratio[["baseline"]].isna().all()  # the baseline against itself: nothing to say
    one_seed = compare_table(pd.DataFrame([r for r in rows if r["seed"] == 0]), ["profit"])
    assert one_seed["pairing_width_ratio"].isna().all()
    assert one_seed["diff_ci_low"].isna().all()


def test_ratio_and_proportion_intervals():
    est = ratio_ci([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert est.value == 0.5 and est.lo == pytest.approx(0.5) and est.hi == pytest.approx(0.5)
    assert math.isnan(ratio_ci([1.0], [2.0]).lo)
    # Wilson, 5 of 10 at 95%: 0.2366 to 0.7634.
    p = proportion_ci(5, 10)
    assert (p.lo, p.hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert Estimate(0.5, 0.2, 0.8, 10).scaled(-2) == Estimate(-1.0, -1.6, -0.4, 10)


def test_variance_split_matches_the_anova_estimator_by_hand() -> None:
    # Three groups of two: group means 1, 4, 7 (grand mean 4), every within deviation +-1.
    values = [0.0, 2.0, 3.0, 5.0, 6.0, 8.0]
    groups = [0, 0, 1, 1, 2, 2]
    ms_within = 6 * 1.0 / (6 - 3)  # = 2
    ms_between = 2 * (9 + 0 + 9) / (3 - 1)  # = 18
    between = (ms_between - ms_within) / 2  # n0 = 2 in a balanced design: 8
    within_share, between_share = sim.stats.variance_split(values, groups)
    assert within_share == pytest.approx(ms_within / (ms_within + between))  # 0.2
    assert between_share == pytest.approx(0.8)


def test_variance_split_recovers_known_components_and_needs_two_groups() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(400), 4)
    values = rng.normal(0, 1.0, 400)[groups] + rng.normal(0, 2.0, groups.size)  # 1 vs 4
    within, between = sim.stats.variance_split(values, groups)
    assert within + between == pytest.approx(1.0)
    assert between == pytest.approx(0.2, abs=0.05)
    assert all(math.isnan(v) for v in sim.stats.variance_split([1.0, 2.0], [0, 0]))
    assert all(math.isnan(v) for v in sim.stats.variance_split([1.0, 2.0], [0, 1]))


def test_pairing_floor_is_the_ratio_of_arms_moving_together_and_bounds_any_ratio() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 30)
    doubled = 2 * base + 1  # moves with the baseline exactly, twice as spread
    assert sim.stats.pairing_floor(doubled, base) == pytest.approx(
        sim.stats.pairing_width_ratio(doubled, base)
    )
    # Correlation 1 with sd ratio 2: paired sd 1 against sqrt(1 + 4): about 1 / sqrt(5).
    assert sim.stats.pairing_floor(doubled, base) == pytest.approx(0.45, abs=0.02)
    for _ in range(20):
        a, b = rng.normal(0, 1, 12), rng.normal(0, 1.7, 12)
        assert sim.stats.pairing_floor(a, b) <= sim.stats.pairing_width_ratio(a, b) + 1e-12
