"""The queue: how many callers wait, abandon and are answered in time, from queueing theory.

Arrivals are Poisson and callers abandon (Brown et al. 2005; Gans, Koole & Mandelbaum 2003), so
the day's queue is an Erlang A (M/M/n+M) system; with infinite patience it is Erlang C (M/M/n).

Erlang A is solved exactly from its birth-death chain. For a caller who finds all n servers busy
and k callers ahead, the time until a server takes them (if they never gave up), V, is a sum of
exponentials with rates theta*(x + m), m = 0..k, where x = n*mu/theta. By Renyi's representation
exp(-theta*V) ~ Beta(x, k + 1), and patience is Exp(theta), so
  P(served)            = x / (x + k + 1)
  P(served within t)   = x / (x + k + 1) * (1 - I_c(x + 1, k + 1)),   c = exp(-theta*t)
  E[time in queue]     = (k + 1) / (theta * (x + k + 1))
with I the regularised incomplete beta function. These are the Palm/Erlang-A results of
Mandelbaum & Zeltyn; a test checks them against Erlang C as patience grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sim import standards
from sim.config import BehaviourConfig, OrgConfig, PolicyConfig


@dataclass(frozen=True)
class QueueStats:
    """Steady-state figures for one staffing level and load."""

    p_wait: float  # share of callers who find every server busy
    service_level: float  # share of callers answered within the target wait
    abandon_rate: float  # share of callers who give up
    mean_wait: float  # mean time in queue of all callers (seconds)
    occupancy: float  # share of server time spent serving


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/n/n, by the stable recursion B(k) = A B(k-1) / (k + A B(k-1))."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(
    servers: int, arrival_rate: float, handle_time: float, target_wait: float
) -> QueueStats:
    """Erlang C (M/M/n, infinitely patient callers). Rates per second, times in seconds."""
    load = arrival_rate * handle_time
    if servers <= 0 or load >= servers:
        return QueueStats(1.0, 0.0, 0.0, float("inf"), 1.0)
    b = erlang_b(servers, load)
    p_wait = servers * b / (servers - load * (1.0 - b))
    drain = servers / handle_time - arrival_rate
    service_level = 1.0 - p_wait * np.exp(-drain * target_wait)
    mean_wait = p_wait / drain
    return QueueStats(p_wait, float(service_level), 0.0, float(mean_wait), load / servers)


def stationary(servers: int, lam: float, mu: float, theta: float) -> tuple[np.ndarray, float]:
    """The M/M/n+M chain's stationary distribution over 0..n+K in the system (K: where the tail
    is negligible), and x = n mu / theta."""
    # log pi_j for j = 0..n (M/M/n part): Poisson weights; then the queue tail.
    j = np.arange(servers + 1)
    log_head = j * np.log(lam / mu) - special.gammaln(j + 1)
    # Tail k = 0..K: pi_{n+k} = pi_n * prod_{m=1..k} lam / (n mu + m theta); stop when negligible.
    x = servers * mu / theta
    tail_len = int(max(64, 4 * (lam / theta - x) + 40 * np.sqrt(lam / theta + 1) + 64))
    m = np.arange(1, tail_len + 1)
    log_tail = log_head[-1] + np.concatenate(([0.0], np.cumsum(np.log(lam / (theta * (x + m))))))
    log_pi = np.concatenate((log_head[:-1], log_tail))
    pi = np.exp(log_pi - log_pi.max())  # normalised below: logsumexp without its overhead
    pi /= pi.sum()
    return pi, x


def _erlang_a_integer(
    servers: int, arrival_rate: float, handle_time: float, patience: float, target_wait: float
) -> QueueStats:
    if arrival_rate <= 0:
        return QueueStats(0.0, 1.0, 0.0, 0.0, 0.0)
    if servers <= 0:
        # Nobody answers: every caller waits until they give up.
        return QueueStats(1.0, 0.0, 1.0, patience, 0.0)
    mu, theta = 1.0 / handle_time, 1.0 / patience
    pi, x = stationary(servers, arrival_rate, mu, theta)
    pi_head, pi_tail = pi[:servers], pi[servers:]  # tail[k]: n + k in system, k waiting ahead
    k = np.arange(pi_tail.size)
    served = x / (x + k + 1)
    c = np.exp(-theta * target_wait)
    p_wait = float(pi_tail.sum())
    service_level = float(pi_head.sum() + _in_time(pi_tail, served, x + 1, k, c))
    abandon = float((pi_tail * (1.0 - served)).sum())
    mean_wait = float((pi_tail * (k + 1) / (theta * (x + k + 1))).sum())
    busy = float((pi_head * np.arange(servers)).sum() + servers * p_wait)
    return QueueStats(
        _share(p_wait), _share(service_level), _share(abandon), mean_wait, _share(busy / servers)
    )


TAIL_CUT = 1e-20  # tail states this far below the likeliest are tried without their betaincc


def _in_time(pi_tail: np.ndarray, served: np.ndarray, a: float, k: np.ndarray, c: float) -> float:
    """sum_k pi_tail[k] * served[k] * I^c(a, k + 1): the callers who wait and are answered in
    time, I^c being the Beta(a, k + 1) survival function at c (the bare ufunc: stats.beta.sf
    costs about 1.5 ms of argument checking per call, twice a day).

    Bit for bit the plain sum, at a fraction of its cost: `betaincc` costs a few microseconds
    per state, and most of the tail is too unlikely to move the sum's last bit. Its terms are
    first taken at their bounds, 0 and pi_tail[k] (served x I^c lies in [0, 1]); numpy's sum adds
    in a fixed order and rounding is monotone, so when both bounds give the same float the
    true terms give it too. Otherwise (never seen in the unit, S, M or L runs) the tail is
    evaluated after all."""
    terms = np.empty_like(pi_tail)
    likely = np.flatnonzero(pi_tail >= TAIL_CUT * pi_tail.max())
    cut = int(likely[-1]) + 1 if likely.size else pi_tail.size  # NaN: evaluate everything
    terms[:cut] = pi_tail[:cut] * (served[:cut] * special.betaincc(a, k[:cut] + 1, c))
    if cut < pi_tail.size:
        terms[cut:] = 0.0
        low = terms.sum()
        terms[cut:] = pi_tail[cut:]
        if low == terms.sum():
            return low
        terms[cut:] = pi_tail[cut:] * (served[cut:] * special.betaincc(a, k[cut:] + 1, c))
    return terms.sum()


def erlang_a(
    servers: float, arrival_rate: float, handle_time: float, patience: float, target_wait: float
) -> QueueStats:
    """Erlang A (M/M/n+M). Rates per second, times in seconds.

    A fractional number of servers (agent-hours spread over the opening hours) is handled by
    linear interpolation between the neighbouring whole numbers, so staffing acts smoothly.
    """
    lo = int(np.floor(servers))
    frac = servers - lo
    a = _erlang_a_integer(lo, arrival_rate, handle_time, patience, target_wait)
    if frac < 1e-9:
        return a
    b = _erlang_a_integer(lo + 1, arrival_rate, handle_time, patience, target_wait)
    mix = [(1 - frac) * u + frac * v for u, v in zip(_fields(a), _fields(b), strict=True)]
    return QueueStats(*mix)


def _share(value: float) -> float:
    """Sums of probabilities can overshoot 1 by rounding; shares stay on their scale."""
    # np.clip's rule, without its call overhead: NaN and -0.0 stay as they are.
    if value != value:
        return float(value)
    return 1.0 if value > 1.0 else (float(value) if value >= 0.0 else 0.0)


def _fields(q: QueueStats) -> tuple[float, ...]:
    return (q.p_wait, q.service_level, q.abandon_rate, q.mean_wait, q.occupancy)


OCCUPANCY_CEILING = 0.9  # assumption: above this the firm buys overtime (up to its cap)


@dataclass(frozen=True)
class DayQueue:
    """The day's queue in numbers: servers, overtime, the time given per contact, Erlang A."""

    servers: float  # agents on the phones, as full-day servers
    overtime_servers: float  # extra servers bought as overtime
    effort: float  # share of the standard handle time given today (standards.py)
    effort_norm: float  # the norm after today
    handle_seconds: float  # handle time per contact
    arrival_rate: float  # contacts per second
    stats: QueueStats

    @property
    def overtime_share(self) -> float:
        return self.overtime_servers / self.servers if self.servers > 0 else 0.0


def day_queue(
    *,
    contacts: int,
    complex_share: float,
    mean_speed: float,
    rostered: float,
    patience: float,
    effort_norm: float,
    org: OrgConfig,
    policy: PolicyConfig,
    b: BehaviourConfig,
) -> DayQueue:
    """The day's queue from the day's load and people (the array model and the per-agent
    reference both call this).

    `rostered` is the agents on duty weighted by how well the roster fits demand; `mean_speed`
    their mean skill (a new hire at 0.5 takes twice as long). Above OCCUPANCY_CEILING the firm
    buys overtime up to its cap; what overtime cannot absorb, the floor absorbs by giving each
    contact less time (standards.py), which can erode the norm."""
    mix = 1.0 + complex_share * (org.complex_handle_factor - 1.0)
    base = org.handle_minutes * 60.0 * (1.0 - b.pressure_speedup * policy.productivity_pressure)
    full = base * mix / max(mean_speed, 1e-3)
    servers = rostered * org.productive_hours / org.open_hours
    arrival = contacts / (org.open_hours * 3600.0)
    load = arrival * full
    extra = 0.0
    if servers > 0 and load > OCCUPANCY_CEILING * servers:
        extra = min(org.overtime_max_share * servers, load / OCCUPANCY_CEILING - servers)
    effort = standards.effort_today(load, OCCUPANCY_CEILING * (servers + extra), effort_norm, b)
    norm = standards.update_norm(effort_norm, effort, policy.hold_standards, b)
    handle = full * effort
    stats = erlang_a(servers + extra, arrival, handle, patience, org.target_wait_seconds)
    return DayQueue(servers, extra, effort, norm, handle, arrival, stats)
