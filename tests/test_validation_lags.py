"""The statistics of the direction-and-lag checks (sim/validation/checks/lags.py) on panels and
curves whose answer is known; the checks themselves run in tests/test_validation*.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.validation.checks.lags import cross_lag, half_response_month, lead_verdict, lifetime_values
from sim.validation.verdicts import DIRECTION_ONLY, FAIL, PASS, UNSURE


def panel(n: int, lead: float, back: float, seed: int = 1) -> pd.DataFrame:
    """Two measures over two periods across n units: a(p1) moves b(p2) by `lead` and b(p1)
    moves a(p2) by `back`, each beyond its own persistence."""
    rng = np.random.default_rng(seed)
    a1, b1 = rng.normal(size=n), rng.normal(size=n)
    a2 = 0.6 * a1 + back * b1 + 0.5 * rng.normal(size=n)
    b2 = 0.6 * b1 + lead * a1 + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"a_p1": a1, "a_p2": a2, "b_p1": b1, "b_p2": b2})


def test_a_measure_that_leads_is_told_from_one_that_follows():
    lag = cross_lag(panel(400, lead=0.5, back=0.0), "a", "b")
    assert lag.forward.lo > 0.25
    assert abs(lag.reverse.value) < 0.15  # truly zero; a few standard errors at most
    assert lag.difference.lo > 0
    assert lead_verdict(lag) == PASS


def test_the_reverse_path_when_larger_gives_direction_only():
    lag = cross_lag(panel(200, lead=0.2, back=0.8), "a", "b")
    assert lag.forward.lo > 0 and lag.difference.hi < 0
    assert lead_verdict(lag) == DIRECTION_ONLY


def test_a_lead_that_runs_the_other_way_fails():
    lag = cross_lag(panel(400, lead=0.0, back=0.5), "a", "b")
    assert lag.forward.lo < 0 < lag.forward.hi and lag.difference.hi < 0
    assert lead_verdict(lag) == FAIL


def test_no_lead_either_way_is_inconclusive_not_a_pass():
    assert lead_verdict(cross_lag(panel(200, lead=0.0, back=0.0), "a", "b")) == UNSURE


def test_half_response_counts_months_to_half_the_final_gap():
    months = np.arange(1, 37)
    gap = 1.0 - np.exp(-months / 6.0)  # a 6-month time constant: half after 6 ln 2 = 4.2 months
    assert half_response_month(gap) == 5.0
    assert math.isnan(half_response_month(-gap))  # no positive response: no lag


def test_a_referral_is_worth_a_typical_customer():
    seen = pd.DataFrame({"revenue": [100.0, 200.0, 300.0], "referrals": [0, 0, 2]})
    ltv, typical = lifetime_values(seen)
    assert typical == 200.0
    assert ltv.tolist() == pytest.approx([100.0, 200.0, 700.0])
