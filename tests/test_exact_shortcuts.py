"""The day's fixed-cost cuts change no number: each shortcut against the plain computation it
replaces, bit for bit (the whole-run check across versions is benchmarks/identity.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from sim import queueing
from sim.daily import _avg, _bincount4
from sim.streams import _MIX, _UNIT, Streams, _splitmix_int

BETAINCC = special.betaincc  # the ufunc itself, for the tests that count its calls


def _tail(servers: int, lam: float, handle: float, patience: float, target: float):
    """The queue tail Erlang A sums over, as `_erlang_a_integer` builds it."""
    mu, theta = 1.0 / handle, 1.0 / patience
    pi, x = queueing.stationary(servers, lam, mu, theta)
    pi_tail = pi[servers:]
    k = np.arange(pi_tail.size)
    return pi_tail, x / (x + k + 1), x + 1, k, np.exp(-theta * target)


def _plain(pi_tail, served, a, k, c) -> float:
    return (pi_tail * (served * special.betaincc(a, k + 1, c))).sum()


# Quiet days, busy days and overload (arrivals far beyond the servers: the tail rises first).
QUEUES = [
    (10, 0.004, 410.0, 190.0, 20.0),
    (1, 0.05, 600.0, 60.0, 20.0),
    (3, 0.04, 900.0, 600.0, 120.0),
    (40, 0.03, 300.0, 30.0, 0.0),
    (12, 0.2, 500.0, 400.0, 20.0),
]


def _random_queues(n: int) -> list[tuple]:
    rng = np.random.default_rng(7)
    return [
        (
            int(rng.integers(1, 60)),
            float(rng.uniform(1e-4, 0.1)),
            float(rng.uniform(60, 900)),
            float(rng.uniform(10, 900)),
            float(rng.uniform(0, 120)),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("queue", QUEUES + _random_queues(200))
def test_in_time_sum_is_the_plain_sum_bit_for_bit(queue):
    args = _tail(*queue)
    assert queueing._in_time(*args).tobytes() == _plain(*args).tobytes()


def test_in_time_falls_back_to_the_whole_tail_when_the_bounds_disagree(monkeypatch):
    """With a cut so coarse that the skipped states do move the sum, the bounds differ and the
    tail is evaluated after all: still the plain sum, at the full cost."""
    evaluated = []

    def counting(a, b, c):
        evaluated.append(np.size(b))
        return BETAINCC(a, b, c)

    monkeypatch.setattr(queueing, "TAIL_CUT", 0.5)
    monkeypatch.setattr(queueing.special, "betaincc", counting)
    args = _tail(*QUEUES[0])
    got = queueing._in_time(*args)
    monkeypatch.undo()
    assert got.tobytes() == _plain(*args).tobytes()
    assert sum(evaluated) == args[0].size and len(evaluated) == 2  # the cut part, then the rest


def test_in_time_skips_most_of_the_tail_on_an_ordinary_day(monkeypatch):
    evaluated = []

    def counting(a, b, c):
        evaluated.append(np.size(b))
        return BETAINCC(a, b, c)

    monkeypatch.setattr(queueing.special, "betaincc", counting)
    pi_tail = _tail(*QUEUES[0])[0]
    queueing._in_time(*_tail(*QUEUES[0]))
    assert len(evaluated) == 1 and evaluated[0] < pi_tail.size / 2


def test_shares_are_clipped_as_numpy_clips():
    for v in (-0.0, 0.0, -1e-300, 0.3, 1.0, 1.0000000000000002, 7.0, float("nan")):
        want = float(np.clip(v, 0.0, 1.0))
        assert np.float64(queueing._share(v)).tobytes() == np.float64(want).tobytes()


def _keyed_plain(streams: Streams, purpose: str, keys, draw: int, draws: int) -> np.ndarray:
    """`Streams.keyed` as first written: astype, then the mix with a temporary per shift."""
    day = streams.day + 1
    key = streams._keys[purpose]
    bases = [_splitmix_int(key ^ _splitmix_int(day << 8 | d)) for d in range(draw, draw + draws)]
    bits = np.asarray(keys).astype(np.uint64)
    bits *= _MIX
    bits = bits[None, :] + np.array(bases, np.uint64)[:, None]
    for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB), (31, None)):
        bits ^= bits >> np.uint64(shift)
        if mult is not None:
            bits *= np.uint64(mult)
    out = (bits >> np.uint64(11)).astype(np.float64) * _UNIT
    return out[0] if draws == 1 else out


@pytest.mark.parametrize("draws", [1, 2, 3])
def test_keyed_numbers_are_the_plain_formulas(draws):
    streams = Streams(11)
    streams.new_day(4)
    keys = [
        np.arange(500, dtype=np.int64),
        np.array([-5, 0, 2**62, -(2**63)], np.int64),
        np.arange(7, dtype=np.uint64) * np.uint64(2**61),
        np.zeros(0, np.int64),
    ]
    for k in keys:
        got = streams.keyed("abandon", k, 2, draws=draws)
        want = _keyed_plain(streams, "abandon", k, 2, draws)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


def test_average_and_four_bincounts_are_numpys():
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 1000):
        v = rng.normal(size=n)
        want = float(v.mean()) if n else np.nan
        assert np.float64(_avg(v)).tobytes() == np.float64(want).tobytes()
        if n:  # other dtypes take numpy's own mean
            assert _avg(v.astype(np.float32)) == float(v.astype(np.float32).mean())
        bins = rng.integers(0, 6, n)
        w = rng.normal(size=(4, n))
        want4 = np.stack([np.bincount(bins, weights=row, minlength=6) for row in w])
        assert _bincount4(bins, w, 6).tobytes() == want4.tobytes()
