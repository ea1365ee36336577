"""The queue agrees with Erlang C and with a direct simulation of Erlang A."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from sim.queueing import erlang_a, erlang_c


def textbook_erlang_c(n: int, lam: float, aht: float, t: float) -> tuple[float, float, float]:
    """Erlang C from the closed form with factorials (independent of the recursion in sim)."""
    a = lam * aht
    top = a**n / math.factorial(n) * n / (n - a)
    bottom = sum(a**k / math.factorial(k) for k in range(n)) + top
    pw = top / bottom
    sl = 1 - pw * math.exp(-(n - a) * t / aht)
    asa = pw * aht / (n - a)
    return pw, sl, asa


@pytest.mark.parametrize(
    ("n", "calls_per_hour", "aht", "t"),
    [(10, 100, 180, 20), (22, 164, 300, 20), (5, 30, 400, 60), (50, 1000, 170, 15)],
)
def test_erlang_c_matches_textbook_formula(n, calls_per_hour, aht, t):
    lam = calls_per_hour / 3600
    pw, sl, asa = textbook_erlang_c(n, lam, aht, t)
    q = erlang_c(n, lam, aht, t)
    assert q.p_wait == pytest.approx(pw, rel=1e-9)
    assert q.service_level == pytest.approx(sl, rel=1e-9)
    assert q.mean_wait == pytest.approx(asa, rel=1e-9)


def test_textbook_example_80_in_20():
    # 100 calls/h, 180 s handle, 20 s target: 8 agents is the classic answer for 80/20.
    lam = 100 / 3600
    assert erlang_c(7, lam, 180, 20).service_level < 0.8 < erlang_c(8, lam, 180, 20).service_level


@pytest.mark.parametrize("n", [5, 20, 60])
def test_erlang_a_converges_to_erlang_c_as_patience_grows(n):
    lam, aht = 0.85 * n / 300, 300
    c = erlang_c(n, lam, aht, 20)
    patiences = (1e4, 1e5, 1e6, 1e7)
    runs = [erlang_a(n, lam, aht, p, 20) for p in patiences]
    sl_err = [abs(a.service_level - c.service_level) for a in runs]
    wait_err = [abs(a.mean_wait - c.mean_wait) / c.mean_wait for a in runs]
    # Each tenfold rise in patience shrinks the gap (abandonment ~ E[wait] / patience).
    assert sl_err[0] > sl_err[1] > sl_err[2] > sl_err[3]
    assert wait_err[0] > wait_err[1] > wait_err[2] > wait_err[3]
    assert sl_err[3] < 1e-4 and wait_err[3] < 1e-3
    for a, p in zip(runs, patiences, strict=True):
        assert a.abandon_rate == pytest.approx(a.mean_wait / p, rel=1e-6)


def test_erlang_a_abandonment_obeys_littles_law():
    # With exponential patience, P(abandon) = theta * E[wait] exactly.
    q = erlang_a(12, 15 / 300, 300, 120, 20)  # overloaded: 15 erlangs on 12 servers
    assert q.abandon_rate == pytest.approx(q.mean_wait / 120, rel=1e-9)
    assert 0.05 < q.abandon_rate < 0.5


def simulate_mmn_m(n, lam, aht, patience, t, customers=60_000, seed=1):
    """Event simulation of M/M/n+M (FCFS): share answered within t and share abandoned."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers))
    services = rng.exponential(aht, customers)
    patiences = rng.exponential(patience, customers)
    free_at = [0.0] * n  # heap of times each server becomes free
    heapq.heapify(free_at)
    answered_in_time = abandoned = 0
    # FCFS with abandonment: a caller is served at the earliest server-free time if they are
    # still there; callers who abandon never occupy a server.
    for arr, svc, pat in zip(arrivals, services, patiences, strict=True):
        start = max(arr, free_at[0])
        if start - arr > pat:
            abandoned += 1
            continue
        heapq.heapreplace(free_at, start + svc)
        answered_in_time += start - arr <= t
    return answered_in_time / customers, abandoned / customers


@pytest.mark.parametrize(("n", "load"), [(8, 7.5), (15, 16.0)])
def test_erlang_a_matches_event_simulation(n, load):
    aht, patience, t = 300.0, 150.0, 20.0
    lam = load / aht
    sl_sim, ab_sim = simulate_mmn_m(n, lam, aht, patience, t)
    q = erlang_a(n, lam, aht, patience, t)
    # 60k callers: binomial standard errors about 0.002; allow 0.015 for autocorrelation.
    assert q.service_level == pytest.approx(sl_sim, abs=0.015)
    assert q.abandon_rate == pytest.approx(ab_sim, abs=0.015)


def test_fractional_servers_interpolate_monotonically():
    lam, aht = 20 / 300, 300
    levels = [erlang_a(s, lam, aht, 180, 20).service_level for s in np.arange(18, 24.01, 0.5)]
    assert all(b >= a for a, b in zip(levels, levels[1:], strict=False))
