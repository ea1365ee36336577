"""Running the checks: each distinct run once, over processes, optionally from a cache of run
outputs; then every check judges what came out and draws its figure."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.parallel import parallel_imap
from sim.config import SimConfig
from sim.validation.checks import CHECKS
from sim.validation.checks.base import VALIDATED
from sim.validation.checks.experiment import scenario_config
from sim.validation.runs import RunSpec, Size, execute


@dataclass
class CheckResult:
    name: str
    section: str
    figure: str
    published: str
    source: str
    model: str
    verdict: str
    note: str
    details: list[str]
    runs: int
    image: str | None = None
    added: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    role: str = VALIDATED  # what a verdict on the figure proves (checks.base.ROLES)
    basis: str = ""  # the parameter it was calibrated on or restates, or a caveat


def _work(task: tuple[RunSpec, SimConfig]) -> tuple[RunSpec, dict[str, Any], float]:
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    out = execute(*task)
    out.pop("config", None)
    return task[0], out, time.perf_counter() - t0


def model_fingerprint() -> str:
    """A hash of the model's code and presets: cached runs are reused only while it holds."""
    import hashlib

    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    files = sorted((root / "sim").glob("*.py")) + sorted((root / "configs").rglob("*.yaml"))
    for f in files:
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_path(cache: Path, spec: RunSpec, fingerprint: str) -> Path:
    """The run's file in the cache. The probes are sorted: a frozenset's repr follows string
    hashing, which differs from process to process, and the key must not."""
    import hashlib

    key = repr({**spec.__dict__, "probes": sorted(spec.probes)}) + fingerprint
    return cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.pkl"


def _store(cache: Path | None, spec: RunSpec, out: dict[str, Any], fingerprint: str) -> None:
    if cache is not None:
        import pickle

        path = _cache_path(cache, spec, fingerprint)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(out))
        tmp.replace(path)


def run_checks(
    names: Sequence[str],
    size: Size,
    *,
    workers: int = 1,
    progress: bool = True,
    image_dir: Path | None = None,
    cache: Path | None = None,
) -> tuple[list[CheckResult], dict[str, float]]:
    """Run the named checks' experiments (each distinct run once, over `workers` processes, with a
    progress bar), judge them, and draw their figures into `image_dir`. Returns the results and
    timings (wall seconds of the runs and of the judging; summed run seconds).

    With `cache`, each run's output is kept there (pickled, keyed by the run and a hash of the
    model's code and presets), so that re-judging after a change to a check costs no runs."""
    import pickle

    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise KeyError(unknown[0])
    checks = [CHECKS[n] for n in names]
    wanted: dict[RunSpec, set[str]] = {}
    per_check: dict[str, int] = {}
    for c in checks:
        specs = c.runs(size)
        per_check[c.name] = len({s.key() for s in specs})
        for s in specs:
            wanted.setdefault(s.key(), set()).update(s.probes)
    tasks = [
        (RunSpec(**{**k.__dict__, "probes": frozenset(p)}), scenario_config(k.scenario))
        for k, p in wanted.items()
    ]
    results: dict[RunSpec, dict[str, Any]] = {}
    fingerprint = model_fingerprint() if cache is not None else ""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        todo = []
        for task in tasks:
            path = _cache_path(cache, task[0], fingerprint)
            if path.exists():
                results[task[0].key()] = pickle.loads(path.read_bytes())
            else:
                todo.append(task)
        tasks = todo
    # Longest runs first keeps both workers busy to the end.
    tasks.sort(key=lambda t: -(t[0].days * t[0].customers))
    t0 = time.perf_counter()
    busy = 0.0
    finished = parallel_imap(
        _work, tasks, workers=workers, desc="validation runs", progress=progress
    )
    for _, (spec, out, sec) in finished:  # stored as each run finishes: an interrupt keeps them
        results[spec.key()], busy = out, busy + sec
        _store(cache, spec, out, fingerprint)
    t_runs = time.perf_counter() - t0

    def get(spec: RunSpec) -> dict[str, Any]:
        return results[spec.key()]

    out: list[CheckResult] = []
    t1 = time.perf_counter()
    for c in checks:
        j = c.judgement(size, get)
        image = None
        if j.plot is not None and image_dir is not None:
            image_dir.mkdir(parents=True, exist_ok=True)
            path = image_dir / f"{c.name}.png"
            j.plot(path)
            image = path.name
        pub = c.published
        out.append(
            CheckResult(
                c.name, c.section, pub.figure, pub.claim, pub.source, j.model, j.verdict, j.note,
                j.details, per_check[c.name], image, pub.added, j.values, pub.role, pub.basis,
            )
        )  # fmt: skip
    timings = {
        "runs": float(len(wanted)),
        "cached": float(len(wanted) - len(tasks)),
        "wall_runs": t_runs,
        "run_seconds": busy,
        "wall_judge": time.perf_counter() - t1,
    }
    return out, timings


__all__ = ["CheckResult", "model_fingerprint", "run_checks"]
