"""Runs on local cores: one process pool and one progress bar for every study command.

Processes are spawned, not forked: a fresh interpreter per worker holds one model at a time, so
no Mesa state is shared between runs (STACK-NOTES: shared numpy-backed agent storage).

Stopping. Workers never outlive the process that started them, whatever stops it:
- Ctrl+C (SIGINT) or SIGTERM while runs are going: queued runs are cancelled, running workers
  are killed at once (a run holds no result worth waiting for), and `Interrupted` is raised with
  how many runs finished. It is a SystemExit (exit code 130, or 143 for SIGTERM), so it passes
  through `except Exception` and Hydra's job runner; `sim.cli.guarded` words it in one line.
- Workers ignore SIGINT: a terminal's Ctrl+C reaches the whole process group, and a worker that
  raised KeyboardInterrupt would print its own traceback and carry on with the queue.
- SIGKILL of the parent (or any death without cleanup): on Linux each worker asks the kernel to
  SIGKILL it when its parent dies (PR_SET_PDEATHSIG). The Hydra joblib launcher's loky workers
  start the same way, through the `JoblibWorkers` callback (configs/config.yaml).
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from hydra.experimental.callback import Callback
from tqdm.auto import tqdm

from sim.config import ConfigError

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class Interrupted(SystemExit):
    """A study stopped by SIGINT or SIGTERM after `done` of `total` runs (exit code 128 + signal,
    the shell's convention)."""

    def __init__(self, done: int, total: int, signum: int = signal.SIGINT) -> None:
        super().__init__(128 + signum)
        self.done, self.total, self.signum = done, total, signum
        self.hydra_config = _hydra_job_config()

    def __str__(self) -> str:
        how = "interrupted" if self.signum == signal.SIGINT else "terminated"
        return f"{how} after {self.done} of {self.total} runs"


def _hydra_job_config() -> Any:
    """The config of the Hydra job this process is in, if any, kept for the message about
    what is left: Hydra forgets it (and its run directory) while the interrupt unwinds."""
    if "hydra" not in sys.modules:
        return None
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.instance().cfg


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (`raise_terminated`) so that it unwinds like Ctrl+C:
    `finally` blocks run, workers are stopped, and the command says so in one line."""

    signum = signal.SIGTERM


def raise_terminated(_signum: int, _frame: object) -> None:
    """A SIGTERM handler: raise Terminated."""
    raise Terminated


class _Stop:
    """While runs are going, SIGINT and SIGTERM kill the workers at once and raise Interrupted,
    wherever the main thread is: waiting for a run, or in the caller's code between two results
    (storing one). Killing from the handler, not from an `except` further up, means no worker
    is left running even when the exception lands outside this module. Signal handlers can only
    be set from the main thread; elsewhere the signals keep their defaults."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.pool: ProcessPoolExecutor | None = None

    def handle(self, signum: int, _frame: object) -> None:
        if self.pool is not None:
            _kill_workers(self.pool)  # no pool lock here: the handler may run inside `submit`
        raise Interrupted(self.done, self.total, signum)

    @contextmanager
    def installed(self) -> Iterator[_Stop]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self.handle) for s in STOP_SIGNALS}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op).
    `parent` is the pid that started this process: if it is already gone (it died before the
    request took effect), exit now."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here (e.g. a sandbox): the parent's own cleanup still applies
    if os.getppid() != parent:
        os._exit(1)


class JoblibWorkers(Callback):
    """Hydra callback (configs/config.yaml, hydra.callbacks): the joblib launcher's loky workers
    start as this module's pool workers do (`_worker_init`): they die with the process that
    launched them, leave Ctrl+C to it, and lock their bars with a thread lock. Loky's workers
    do not watch their parent: after a SIGKILL of `sim-run -m hydra/launcher=joblib` they
    finished their jobs and then idled for loky's 300 s timeout, and so did workers that never
    got a job. The launcher asks joblib for its backend by name ("loky") and takes no
    initializer, so the name is registered (joblib's public `register_parallel_backend`) to
    the same backend with one, before the sweep launches; only this process is affected."""

    def on_multirun_start(self, config: Any = None, **kwargs: Any) -> None:
        from joblib import register_parallel_backend
        from joblib.parallel import LokyBackend

        register_parallel_backend(
            "loky",
            functools.partial(LokyBackend, initializer=_worker_init, initargs=(os.getpid(),)),
        )


def _worker_init(parent: int) -> None:
    """Runs first in every pool worker (and loky worker of a joblib sweep). The pool spawns its
    workers with SIGINT and SIGTERM blocked (so a Ctrl+C during their start-up cannot print a
    traceback); from here Ctrl+C is the parent's to act on, SIGTERM kills the worker, and the
    worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    # tqdm's default lock includes a multiprocessing lock, a named semaphore that a spawned
    # worker shares with no one and that the resource tracker reports as leaked (two lines on
    # stderr) when the worker is killed; a thread lock is all a worker's bars need.
    tqdm.set_lock(threading.RLock())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread: processes spawned meanwhile inherit the mask.
    A signal that arrives meanwhile is delivered when the block ends, not lost."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """SIGKILL the pool's workers now (a run holds no result worth waiting for). The process
    table is read directly: concurrent.futures has no public way to stop a running worker
    before Python 3.14, and its `kill_workers` takes the pool's lock, which a signal handler
    running inside `submit` would wait on forever."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        if p.is_alive():
            p.kill()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued, kill the running workers and wait until they are gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    _kill_workers(pool)
    for p in processes:
        p.join(timeout=5)
    pool.shutdown(wait=True, cancel_futures=True)


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
    """Yield `(index, fn(item))` as each run finishes, over `workers` processes, with a bar.

    Raises:
        Interrupted: Ctrl+C or SIGTERM arrived while runs were going; the workers are gone.
    """
    items = list(items)
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress, smoothing=0.1)
    stop = _Stop(len(items))
    try:
        with stop.installed():
            if workers <= 1 or len(items) <= 1:
                for i, x in enumerate(items):
                    result = fn(x)
                    stop.done += 1
                    bar.update()
                    yield i, result
                return
            stop.pool = pool = ProcessPoolExecutor(
                max_workers=min(workers, len(items)),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
            try:
                # Workers are spawned by submit, from this thread: PR_SET_PDEATHSIG follows
                # the spawning thread, and the block below is what the workers inherit.
                with _signals_blocked():
                    futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
                for fut in as_completed(futures):
                    result = fut.result()
                    stop.done += 1
                    bar.update()
                    yield futures[fut], result
            except BaseException:  # an interrupt, a failed run, or the caller stopped early
                _stop_pool(pool)
                raise
            pool.shutdown(wait=True)
    except KeyboardInterrupt as ex:  # while the handlers were not ours (not the main thread)
        raise Interrupted(stop.done, stop.total, getattr(ex, "signum", signal.SIGINT)) from None
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
