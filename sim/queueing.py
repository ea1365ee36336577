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


def _erlang_a_integer(
    servers: int, arrival_rate: float, handle_time: float, patience: float, target_wait: float
) -> QueueStats:
    if arrival_rate <= 0:
        return QueueStats(0.0, 1.0, 0.0, 0.0, 0.0)
    if servers <= 0:
        # Nobody answers: every caller waits until they give up.
        return QueueStats(1.0, 0.0, 1.0, patience, 0.0)
    mu, theta = 1.0 / handle_time, 1.0 / patience
    lam = arrival_rate
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
    pi_head, pi_tail = pi[:servers], pi[servers:]  # tail[k]: n + k in system, k waiting ahead
    k = np.arange(pi_tail.size)
    served = x / (x + k + 1)
    c = np.exp(-theta * target_wait)
    # The Beta(x + 1, k + 1) survival function at c, as the bare ufunc (stats.beta.sf costs
    # about 1.5 ms of argument checking per call, twice a day).
    served_in_time = served * special.betaincc(x + 1, k + 1, c)
    p_wait = float(pi_tail.sum())
    service_level = float(pi_head.sum() + (pi_tail * served_in_time).sum())
    abandon = float((pi_tail * (1.0 - served)).sum())
    mean_wait = float((pi_tail * (k + 1) / (theta * (x + k + 1))).sum())
    busy = float((pi_head * np.arange(servers)).sum() + servers * p_wait)
    return QueueStats(
        _share(p_wait), _share(service_level), _share(abandon), mean_wait, _share(busy / servers)
    )


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
    return float(np.clip(value, 0.0, 1.0))


def _fields(q: QueueStats) -> tuple[float, ...]:
    return (q.p_wait, q.service_level, q.abandon_rate, q.mean_wait, q.occupancy)
