"""Random streams that pair: one stream per purpose, restarted every day.

Comparing two scenarios with the same seed is only a paired comparison if both draw the same luck
wherever the scenario has not changed things (common random numbers; Law 2015, ch. 11). With one
stream shared by every stage, a lever that changes how many numbers one stage draws shifts every
draw after it, and the two runs part on day 2. So a run's `numpy.random.SeedSequence` is spawned
into one independent stream per *purpose* (needs, abandonment, resolution, churn, ...), and each
purpose's stream restarts every day at its own block, so what a stage drew yesterday never
shifts what it draws today. The generator is PCG64DXSM and day d's block starts (d + 1) x JUMP
draws into the stream, JUMP being (golden ratio - 1) x 2**128 as in numpy's `jumped`: blocks a
power of two apart would share the low half of PCG64's state, and the draws at one position
(one customer row, one seat) across days were then measurably not uniform.

Within a day, draws over a whole table (a number per customer row, per seat) give row k the
same number in both runs whatever the other rows do; `keyed` gives a number per *entity* (a
customer row) for draws over today's callers, so a caller gets the same luck in both runs even
when another caller abandoned in one of them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# Every purpose a run draws for, in a fixed order: the order decides each one's child seed, so
# a new purpose goes at the end (or every stream changes).
PURPOSES = (
    "customers_start",  # the starting customers' traits
    "staff_start",  # the starting workforce
    "needs",  # who has a new need today (one number per customer row)
    "need_kind",  # the stage and complexity of a new need (per caller)
    "absence",  # who is absent (one number per seat)
    "abandon",  # who gives up in the queue (per caller)
    "retries",  # whether and when an open need comes back (per customer)
    "answer",  # which agent takes a contact, and how long the caller waited (per caller)
    "encounter",  # resolution, failure and the noise of the rating (per caller)
    "recovery",  # complaint, compensation need and authority (per failure)
    "deliveries",  # back-office outputs and their errors
    "word_of_mouth",  # tellings, listeners, referrals
    "churn",  # who defects (one number per customer row)
    "acquisition",  # paid acquisitions and the new customers' traits
    "quits",  # who resigns (one number per seat)
    "hires",  # the new hires' traits
    "survey",  # answer noise of the pulse surveys
    "managers",  # each team's manager (keyed by team)
)

_MIX = np.uint64(0x9E3779B97F4A7C15)
JUMP = 0x9E3779B97F4A7C15F39CC0605CEDC835  # (golden ratio - 1) x 2**128, odd
_UNIT = 1.0 / float(1 << 53)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _splitmix_int(x: int) -> int:
    """`_splitmix` on one Python integer (mod 2**64)."""
    m = (1 << 64) - 1
    x &= m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def _splitmix(x: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea & Flood 2014) on uint64 `x`, in place: a bijective
    mix of 64-bit keys whose outputs pass BigCrush as a counter-based generator. `scratch`, an
    array like `x`, saves allocating the shifted copies."""
    tmp = np.empty_like(x) if scratch is None else scratch
    x ^= np.right_shift(x, _S30, out=tmp)
    x *= _M1
    x ^= np.right_shift(x, _S27, out=tmp)
    x *= _M2
    x ^= np.right_shift(x, _S31, out=tmp)
    return x


class Streams:
    """The random streams of one run (seed): `streams.today(purpose)` is the purpose's generator
    for the current day; `streams.start(purpose)` the one for the starting populations."""

    def __init__(self, seed: int) -> None:
        children = np.random.SeedSequence(seed).spawn(len(PURPOSES))
        self._bits = {p: np.random.PCG64DXSM(c) for p, c in zip(PURPOSES, children, strict=True)}
        self._origin = {p: bg.state for p, bg in self._bits.items()}
        self._generators = {p: np.random.Generator(bg) for p, bg in self._bits.items()}
        # 64-bit keys of the purposes for `keyed` (from the same children: no extra entropy).
        self._keys = {
            p: int(c.generate_state(1, np.uint64)[0])
            for p, c in zip(PURPOSES, children, strict=True)
        }
        self._day = -1
        self._fresh: set[str] = set()

    def _at(self, purpose: str, block: int) -> np.random.Generator:
        bg = self._bits[purpose]
        bg.state = self._origin[purpose]
        if block:
            bg.advance(block * JUMP)
        return self._generators[purpose]

    @property
    def day(self) -> int:
        """The day `today` serves (0-based; -1 before the first day)."""
        return self._day

    def start(self, purpose: str) -> np.random.Generator:
        """The purpose's stream at its first block (for the starting populations)."""
        return self._at(purpose, 0)

    def new_day(self, day: int) -> None:
        """From now on `today` serves day `day` (0-based): every purpose restarts at its block."""
        self._day = day
        self._fresh = set(PURPOSES)

    def today(self, purpose: str) -> np.random.Generator:
        """The purpose's generator today; draws within the day continue one another."""
        if purpose in self._fresh:
            self._fresh.discard(purpose)
            return self._at(purpose, self._day + 1)
        return self._generators[purpose]

    def keyed(
        self,
        purpose: str,
        keys: np.ndarray,
        draw: int = 0,
        *,
        draws: int = 1,
        daily: bool = True,
    ) -> np.ndarray:
        """Uniform [0, 1) numbers, one per key (e.g. customer rows), from (seed, purpose, day,
        draw, key) alone: the same customer gets the same number in any run with this seed,
        whoever else called. `draw` tells apart several numbers per key on one day. Before the
        first day, the numbers belong to the starting populations. With `daily=False` the day
        plays no part: for keys that name an event once and for all (the n-th person to hold a
        seat), so that it draws the same in two runs even on different days. With `draws` > 1,
        the numbers of draws `draw`, ..., `draw + draws - 1` at once, as a (draws, n) array."""
        day = self._day + 1 if daily else 0
        key = self._keys[purpose]
        bases = [
            _splitmix_int(key ^ _splitmix_int(day << 8 | d)) for d in range(draw, draw + draws)
        ]
        # The cast to uint64 wraps as `astype` does; the top 53 bits make the float exactly.
        bits = np.multiply(keys, _MIX, dtype=np.uint64, casting="unsafe")
        if draws == 1:
            bits += np.uint64(bases[0])
        else:
            bits = bits[None, :] + np.array(bases, np.uint64)[:, None]
        _splitmix(bits, np.empty_like(bits))
        bits >>= np.uint64(11)
        return np.multiply(bits, _UNIT)


def normal_from_uniform(u: np.ndarray) -> np.ndarray:
    """Standard normal numbers from uniform [0, 1) ones (inverse CDF; 0 is nudged off -inf)."""
    return special.ndtri(np.maximum(u, _UNIT))


def poisson_from_uniform(u: np.ndarray | float, mean: float) -> np.ndarray:
    """Poisson(mean) counts from uniform numbers by the inverse CDF: the same u gives the same
    or a neighbouring count when the mean changes a little (the monotone coupling that makes
    two scenarios' counts pair)."""
    if mean <= 0:
        return np.zeros(np.shape(u), np.int64)
    top = int(np.ceil(mean + 12.0 * np.sqrt(mean) + 12.0))
    cdf = special.pdtr(np.arange(top), mean)
    return np.searchsorted(cdf, u, side="right").astype(np.int64)
