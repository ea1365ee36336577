"""Small figures for docs/VALIDATION.md (one per check where a picture helps; kept small)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SIZE = (5.0, 3.0)
DPI = 80


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def line(
    path: Path,
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    hlines: Mapping[str, float] | None = None,
    vspan: tuple[float, float] | None = None,
) -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    for label, y in series.items():
        ax.plot(x, np.asarray(y, float), label=label, lw=1.4)
    for label, y in (hlines or {}).items():
        ax.axhline(y, color="grey", ls="--", lw=1, label=label)
    if vspan:
        ax.axvspan(*vspan, color="orange", alpha=0.2, label="surge")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    _save(fig, path)


def band(
    path: Path,
    diff: Any,
    *,
    ylabel: str,
    title: str,
    cumulative: Sequence[float] | None = None,
) -> None:
    """A month-by-month difference with its 95% band (and optionally its running sum)."""
    fig, ax = plt.subplots(figsize=SIZE)
    ax.fill_between(diff.month, diff.lo, diff.hi, alpha=0.3, label="95% interval")
    ax.plot(diff.month, diff["diff"], lw=1.4, label="mean")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    if cumulative is not None:
        ax2 = ax.twinx()
        ax2.plot(diff.month, cumulative, color="black", ls=":", lw=1.2, label="cumulative")
        ax2.set_ylabel("cumulative", fontsize=8)
        ax2.legend(fontsize=7, loc="lower right")
    ax.legend(fontsize=7, loc="upper right")
    _save(fig, path)


def sweep(
    path: Path,
    levels: Sequence[float],
    per: Mapping[float, tuple[np.ndarray, np.ndarray]],
    *,
    published: Sequence[tuple[float, float, float]],
) -> None:
    """Work happiness and share 9-10 by market orientation, model vs published end points."""
    fig, ax = plt.subplots(figsize=SIZE)
    wh = [np.mean(per[v][0]) for v in levels]
    share = [np.mean(per[v][1]) for v in levels]
    ax.plot(levels, wh, "o-", label="work happiness (model)")
    ax.plot([p[0] for p in published], [p[1] for p in published], "k^", label="published")
    ax.set_xlabel("market orientation (feedback sharing 1..7)")
    ax.set_ylabel("work happiness")
    ax2 = ax.twinx()
    ax2.plot(levels, share, "s--", color="tab:orange", label="share 9-10 (model)")
    ax2.plot([p[0] for p in published], [p[2] for p in published], "kv", label="published share")
    ax2.set_ylabel("share scoring 9-10")
    ax.legend(fontsize=7, loc="upper left")
    ax2.legend(fontsize=7, loc="lower right")
    _save(fig, path)


def bars(path: Path, x: Sequence[float], y: Sequence[float], *, xlabel: str, ylabel: str) -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    ax.bar(x, y, color="tab:blue")
    lo = np.nanmin(y)
    ax.set_ylim(max(0.0, lo - 0.1), 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _save(fig, path)


def intervals(path: Path, labels: Sequence[str], estimates: Sequence[Any], *, ylabel: str) -> None:
    """Point estimates with their intervals (sim.stats.Estimate), around a zero line."""
    fig, ax = plt.subplots(figsize=SIZE)
    x = np.arange(len(labels))
    v = np.array([e.value for e in estimates])
    err = np.array([[e.value - e.lo for e in estimates], [e.hi - e.value for e in estimates]])
    ax.bar(x, v, color="tab:blue", alpha=0.7)
    ax.errorbar(x, v, yerr=err, fmt="none", ecolor="black", capsize=4)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xticks(x, list(labels), fontsize=8)
    ax.set_ylabel(ylabel)
    _save(fig, path)


def scatter(
    path: Path, x: Sequence[float], y: Sequence[float], *, xlabel: str, ylabel: str
) -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    x, y = np.asarray(x, float), np.asarray(y, float)
    ax.plot(x, y, ".", alpha=0.6)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() > 2:
        b = np.polyfit(x[ok], y[ok], 1)
        xs = np.linspace(x[ok].min(), x[ok].max(), 2)
        ax.plot(xs, np.polyval(b, xs), "r-", lw=1.2, label=f"model slope {b[0]:.2f}")
        mid = (x[ok].mean(), y[ok].mean())
        ax.plot(xs, mid[1] + 0.26 * (xs - mid[0]), "k--", lw=1, label="Sears slope 0.26")
        ax.legend(fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _save(fig, path)
