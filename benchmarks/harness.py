"""One measurement in a fresh process: `python -m benchmarks.harness '<json job>'`.

The parent (`python -m benchmarks`) starts one child per size and repetition, so the peak
resident memory a child reports (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) belongs to that
run alone. The child prints one JSON line with its timings on stdout.
"""

from __future__ import annotations

import inspect
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES: dict[str, dict[str, int]] = {
    # U: one unit as calibration, sim-units and validation run them by the thousand.
    "U": {"employees": 20, "customers": 5_000, "days": 1095},
    "S": {"employees": 50, "customers": 5_000, "days": 365},
    "M": {"employees": 200, "customers": 50_000, "days": 365},
    "L": {"employees": 1_000, "customers": 500_000, "days": 365},
}


def rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_config(
    employees: int, customers: int, days: int, seed: int = 0, journey: str | None = None
):
    """A baseline config of this size; `journey=None` is the single-stage day, which the
    per-agent reference restates (benchmarks/reference.py); the sizes run `call_centre`."""
    from sim.config import SimConfig, load_journey

    cfg = SimConfig(seed=seed, days=days, progress=False)
    cfg.org.employees, cfg.org.customers = employees, customers
    if journey is not None:
        cfg.journey = load_journey(journey)
    return cfg


def _timed_collection() -> list[float]:
    """Count the time the simulator spends on its own data collection: the daily KPI row and
    journey-log entry (`sim.daily.daily_row`, `journey_log`, as the model calls them) and the
    pulse surveys (`survey.run_survey`)."""
    from sim import model as model_module
    from sim import survey

    spent = [0.0]

    def timed(fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            spent[0] += time.perf_counter() - t0
            return out

        return wrapper

    model_module.daily_row = timed(model_module.daily_row)
    model_module.journey_log = timed(model_module.journey_log)
    survey.run_survey = timed(survey.run_survey)
    return spent


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Build a model (the simulator or the reference), step it, optionally write its outputs."""
    t_import = time.perf_counter()
    from sim.model import ServiceModel

    collection = _timed_collection() if job.get("collection") else None
    if job["model"] == "reference":
        from benchmarks.reference import ReferenceModel as cls
    else:
        cls = ServiceModel
    base_rss = rss_mib()
    import_s = time.perf_counter() - t_import
    cfg = make_config(
        job["employees"], job["customers"], job["days"], job.get("seed", 0), job.get("journey")
    )
    c0, t0 = time.process_time(), time.perf_counter()
    model = cls(cfg)
    t1 = time.perf_counter()
    for _ in range(cfg.days):
        model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {
        "cpu_s": c2 - c0,  # CPU time of build + steps: less sensitive to a busy machine
        "import_s": import_s,
        "init_s": t1 - t0,
        "step_s": t2 - t1,
        "wall_s": t2 - t0,
        "base_rss_mib": base_rss,
        "peak_rss_mib": rss_mib(),
        "final_customers": int(model.history[-1]["customers"]),
    }
    if collection is not None:
        out["collection_s"] = collection[0]
    if job.get("outputs"):
        from sim.outputs import write_outputs

        with tempfile.TemporaryDirectory() as tmp:
            t3 = time.perf_counter()
            write_outputs(model, Path(tmp), {"org": "bench", "scenario": "baseline", "seed": 0})
            out["outputs_s"] = time.perf_counter() - t3
        if "figure" in inspect.signature(write_outputs).parameters:  # sweeps skip the figure
            with tempfile.TemporaryDirectory() as tmp:
                t3 = time.perf_counter()
                write_outputs(model, Path(tmp), {"org": "bench", "seed": 0}, figure=False)
                out["outputs_no_figure_s"] = time.perf_counter() - t3
        out["peak_rss_mib_with_outputs"] = rss_mib()
    return out


def sweep_task(args: tuple[int, int, int, int]) -> float:
    """One run of a sweep (for the worker-scaling measurement); returns its wall time."""
    employees, customers, days, seed = args
    from sim.model import ServiceModel

    t0 = time.perf_counter()
    model = ServiceModel(make_config(employees, customers, days, seed))
    for _ in range(days):
        model.step()
    return time.perf_counter() - t0


def warm(_: int) -> int:
    """Import the simulator in a pool worker before the clock starts."""
    import sim.model  # noqa: F401

    return os.getpid()


if __name__ == "__main__":
    print(json.dumps(run_job(json.loads(sys.argv[1]))))
