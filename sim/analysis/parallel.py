"""Runs on local cores: one process pool and one progress bar for every study command.

Processes are spawned, not forked: a fresh interpreter per worker holds one model at a time, so
no Mesa state is shared between runs (STACK-NOTES: shared numpy-backed agent storage).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from tqdm.auto import tqdm

from sim.config import ConfigError


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_setting(value: Any, key: str = "experiment.workers") -> int:
    """`null` = every core this process may use; otherwise a positive integer."""
    if value is None:
        return default_workers()
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(key, value, "null (all cores) or an integer >= 1")
    return value


def parallel_imap(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int,
    desc: str,
    unit: str = "run",
    progress: bool = True,
) -> Iterator[tuple[int, Any]]:
    """Yield `(index, fn(item))` as each run finishes, over `workers` processes, with a bar."""
    items = list(items)
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress, smoothing=0.1)
    try:
        if workers <= 1 or len(items) <= 1:
            for i, x in enumerate(items):
                result = fn(x)
                bar.update()
                yield i, result
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
            for fut in as_completed(futures):
                bar.update()
                yield futures[fut], fut.result()
    finally:
        bar.close()


def parallel_map(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int,
    desc: str,
    unit: str = "run",
    progress: bool = True,
) -> list[Any]:
    """`[fn(x) for x in items]` over `workers` processes, in order, with a tqdm bar."""
    items = list(items)
    out: list[Any] = [None] * len(items)
    for i, result in parallel_imap(
        fn, items, workers=workers, desc=desc, unit=unit, progress=progress
    ):
        out[i] = result
    return out
