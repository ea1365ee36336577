"""Hydra multiruns of sim-run: the same numbers on every launcher, and resuming a killed sweep.

The Ray and submitit tests need the optional extras (`pip install -e .[ray]` / `.[slurm]`, see
docs/EXPERIMENTS.md and `make test-launchers`); without them they are skipped.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import make_config

from sim.outputs import SUMMARY_KEYS, is_complete, summarise
from sim.runner import run_model

ROOT = Path(__file__).resolve().parent.parent
SIM_RUN = Path(sys.executable).parent / "sim-run"
TINY = ["org.employees=5", "org.customers=3000", "days=60", "progress=false"]
SEEDS = (0, 1, 2)


def multirun(sweep: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`sim-run -m` at the tiny size over SEEDS into `sweep` (a fixed hydra.sweep.dir)."""
    seeds = ",".join(str(s) for s in SEEDS)
    res = subprocess.run(
        [str(SIM_RUN), "-m", f"seed={seeds}", *TINY, *args, f"hydra.sweep.dir={sweep}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def jobs_by_seed(sweep: Path) -> dict[int, Path]:
    """Each job folder of a sweep, by the seed its overrides set."""
    out = {}
    for f in sweep.glob("*/.hydra/overrides.yaml"):
        seed = [o for o in yaml.safe_load(f.read_text()) if o.startswith("seed=")]
        out[int(seed[0].split("=")[1])] = f.parent.parent
    return out


def numbers(job: Path) -> dict[str, float]:
    data = json.loads((job / "summary.json").read_text())
    return {k: data[k] for k in SUMMARY_KEYS}


@pytest.fixture(scope="module")
def reference() -> dict[int, dict[str, float]]:
    """The summaries computed in this process, from the same composition as sim-run."""
    out = {}
    for seed in SEEDS:
        summary = summarise(run_model(make_config(*TINY, f"seed={seed}")).timeseries())
        out[seed] = {k: summary[k] for k in SUMMARY_KEYS}
    return out


def assert_same_numbers(sweep: Path, reference: dict[int, dict[str, float]]) -> None:
    jobs = jobs_by_seed(sweep)
    assert sorted(jobs) == list(SEEDS)
    for seed, job in jobs.items():
        assert numbers(job) == reference[seed], f"seed {seed} in {job.name}"


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    """One sweep on the basic launcher, for the tests that read it (never written to: a test
    that edits a sweep edits its own copy)."""
    sweep = tmp_path_factory.mktemp("launchers") / "basic"
    multirun(sweep)
    return sweep


@pytest.mark.slow
def test_basic_and_joblib_launchers_give_identical_numbers(tmp_path, basic, reference):
    multirun(tmp_path / "joblib", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert_same_numbers(basic, reference)
    assert_same_numbers(tmp_path / "joblib", reference)
    # Different seeds really differ (the comparison above is not vacuous).
    assert reference[0]["profit"] != reference[1]["profit"]


@pytest.mark.slow
def test_rerunning_a_killed_sweep_skips_finished_jobs_and_redoes_the_rest(
    tmp_path, basic, reference
):
    sweep = tmp_path / "sweep"
    shutil.copytree(basic, sweep)  # a finished sweep, moved: its jobs are found where they are
    jobs = jobs_by_seed(sweep)
    before = {s: (j / "summary.json").stat().st_mtime_ns for s, j in jobs.items()}
    ts_before = (jobs[0] / "timeseries.parquet").stat().st_mtime_ns
    # Seed 1 was killed while writing its summary, seed 2 before it: both are unfinished.
    text = (jobs[1] / "summary.json").read_text()
    (jobs[1] / "summary.json").write_text(text[: len(text) // 2])
    (jobs[2] / "summary.json").unlink()
    assert not is_complete(jobs[1]) and not is_complete(jobs[2])

    res = multirun(sweep)
    assert jobs_by_seed(sweep) == jobs  # the same folders, none added
    assert res.stdout.count("already complete, skipped") == 1
    assert f"{jobs[0]}: already complete, skipped" in res.stdout
    assert (jobs[0] / "summary.json").stat().st_mtime_ns == before[0]
    assert (jobs[0] / "timeseries.parquet").stat().st_mtime_ns == ts_before
    for seed in (1, 2):
        assert is_complete(jobs[seed])
        assert (jobs[seed] / "summary.json").stat().st_mtime_ns != before[seed]
    assert_same_numbers(sweep, reference)
    assert not list(sweep.rglob(".*.tmp-*"))  # no temporary file left behind


def optional_extra(*modules: str) -> None:
    """Skip without the extra, except where it must be there (make test-launchers, CI)."""
    for module in modules:
        if os.environ.get("SIM_REQUIRE_LAUNCHERS"):
            importlib.import_module(module)  # an ImportError fails the test
        else:
            pytest.importorskip(module, reason="optional extra: make test-launchers")


def test_ray_launcher_gives_the_same_numbers(tmp_path, reference):
    optional_extra("ray", "hydra_plugins.hydra_ray_launcher")
    multirun(
        tmp_path / "ray",
        "hydra/launcher=ray",
        "+hydra.launcher.ray.init.num_cpus=2",
        "+hydra.launcher.ray.init.include_dashboard=false",
    )
    assert_same_numbers(tmp_path / "ray", reference)


def test_submitit_local_launcher_gives_the_same_numbers(tmp_path, reference):
    optional_extra("submitit", "hydra_plugins.hydra_submitit_launcher")
    multirun(
        tmp_path / "submitit",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=5",
        "hydra.launcher.cpus_per_task=1",
    )
    assert_same_numbers(tmp_path / "submitit", reference)
