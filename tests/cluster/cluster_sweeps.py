"""What the cluster tests share: the sweep, its local twin, and the running clusters' settings.

The tests of this folder need the clusters that `make test-cluster` (.ci/cluster/run.sh) starts;
it tells them where through SIM_CLUSTER_DIR, SLURM_CONF and SIM_RAY_ADDRESS. Without
SIM_CLUSTER_DIR (`make test`) they are skipped; with it, a missing cluster fails them.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.outputs import SUMMARY_KEYS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEEDS = (0, 1)
TINY = ["org.employees=5", "org.customers=3000", "days=60", "progress=false"]


def require_cluster() -> None:
    """Skip the calling test module unless `make test-cluster` started the clusters."""
    if not os.environ.get("SIM_CLUSTER_DIR"):
        pytest.skip("needs the clusters of `make test-cluster`", allow_module_level=True)


def cluster_dir() -> Path:
    return Path(os.environ["SIM_CLUSTER_DIR"])


def sim_run(sweep: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """`sim-run -m` over SEEDS at the tiny size into `sweep` (absolute, as on a cluster)."""
    seeds = ",".join(str(s) for s in SEEDS)
    res = subprocess.run(
        [str(BIN / "sim-run"), "-m", f"seed={seeds}", *TINY, *args, f"hydra.sweep.dir={sweep}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def collected(sweep: Path) -> pd.DataFrame:
    """`sim-collect` of a sweep: one row per seed (in order), the summary's KPIs."""
    res = subprocess.run(
        [str(BIN / "sim-collect"), str(sweep)], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith(f"-> {sweep / 'results.parquet'}"), res.stdout
    frame = pd.read_parquet(sweep / "results.parquet")
    assert len(frame) == len(SEEDS) and frame["complete"].all(), frame
    frame = frame.sort_values("seed").reset_index(drop=True)
    assert list(frame["seed"]) == list(SEEDS)
    return frame[["seed", *SUMMARY_KEYS]]


@functools.cache
def local_table() -> pd.DataFrame:
    """The same sweep on Hydra's basic launcher (one job after another, in this machine's
    process), collected; computed once for both cluster tests."""
    sweep = cluster_dir() / "local-sweep"
    sim_run(sweep)
    table = collected(sweep)
    # Different seeds really differ, so equal tables are not a vacuous comparison.
    assert table.loc[0, "profit"] != table.loc[1, "profit"]
    return table


def assert_same_as_local(sweep: Path) -> None:
    """The sweep's collected KPIs equal the local run's, exactly."""
    pd.testing.assert_frame_equal(collected(sweep), local_table(), check_exact=True)
