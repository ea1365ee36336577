"""sim-collect: a real multirun of sim-run into one table, and its refusal of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.collect import parse_overrides
from sim.outputs import SUMMARY_KEYS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TINY = ["org.employees=5", "org.customers=3000", "days=60", "progress=false"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A finished multirun: 2 scenarios x 2 seeds at the tiny size."""
    root = tmp_path_factory.mktemp("sweep")
    res = cli(
        "sim-run", "-m", "seed=0,1", "scenario=baseline,ritz_recovery", *TINY,
        f"hydra.sweep.dir={root}",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return root


def test_overrides_become_typed_columns():
    got = parse_overrides(
        ["seed=1", "org.customers=3000", "policy.pay_level=1.1", "scenario=ritz_recovery", "+x=a"]
    )
    assert got == {
        "seed": 1,
        "org.customers": 3000,
        "policy.pay_level": 1.1,
        "scenario": "ritz_recovery",
        "x": "a",
    }
    assert isinstance(got["seed"], int) and isinstance(got["policy.pay_level"], float)


def test_collect_writes_one_row_per_run_with_overrides_and_every_summary_key(sweep):
    res = cli("sim-collect", str(sweep))
    assert res.returncode == 0, res.stderr
    out = sweep / "results.parquet"
    assert res.stdout.strip() == f"4 planned, 4 complete, 0 incomplete, 0 not started -> {out}"
    df = pd.read_parquet(out)
    assert len(df) == 4 and df["complete"].all()
    assert sorted(zip(df["scenario"], df["seed"], strict=True)) == [
        ("baseline", 0),
        ("baseline", 1),
        ("ritz_recovery", 0),
        ("ritz_recovery", 1),
    ]
    assert (df["org.customers"] == 3000).all() and df["org.customers"].dtype.kind == "i"
    assert (df["days"] == 60).all()
    for job in sweep.glob("*/summary.json"):
        summary = json.loads(job.read_text())
        row = df[df["job"] == job.parent.name].iloc[0]
        assert set(summary) <= set(df.columns)
        for key, value in summary.items():
            assert row[key] == value, key
    # The recovery budget raises what is spent per incident: the columns are not mixed up.
    spend = df.groupby("scenario")["recovery_spend_per_incident"].mean()
    assert spend["ritz_recovery"] > spend["baseline"]


def test_collect_marks_an_unfinished_job_and_writes_where_asked(sweep, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(sweep), str(copy)], check=True)
    killed = sorted(copy.glob("*scenario=baseline,seed=1"))[0]
    (killed / "summary.json").unlink()
    res = cli("sim-collect", str(copy), "--out", str(tmp_path / "r.parquet"))
    assert res.returncode == 0, res.stderr
    assert "4 planned, 3 complete, 1 incomplete, 0 not started" in res.stdout
    df = pd.read_parquet(tmp_path / "r.parquet").set_index("job")
    assert not df.loc[killed.name, "complete"] and df["complete"].sum() == 3
    assert df.loc[killed.name, "seed"] == 1  # from its overrides
    assert df.loc[killed.name, list(SUMMARY_KEYS)].isna().all()


@pytest.mark.parametrize("case", ["missing", "nonexistent", "no_jobs"])
def test_bad_directory_is_one_line_and_exit_2(tmp_path, case):
    args = {"missing": [], "nonexistent": [str(tmp_path / "nope")], "no_jobs": [str(tmp_path)]}
    res = cli("sim-collect", *args[case])
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "DIR" in lines[0]
    assert not (tmp_path / "results.parquet").exists()
