"""The real `sim-run` command: outputs, determinism, multirun and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_cli

from sim.outputs import SUMMARY_KEYS

TINY = ["org.employees=4", "org.teams=2", "org.customers=1500", "days=40", "progress=false"]


@pytest.fixture(scope="module")
def ritz(tmp_path_factory):
    """One finished run (ritz_recovery, seed 3) and the output of its command."""
    out = tmp_path_factory.mktemp("ritz") / "run"
    res = run_cli("sim-run", *TINY, "scenario=ritz_recovery", "seed=3", f"hydra.run.dir={out}")
    assert res.returncode == 0, res.stderr
    return out, res


def test_run_writes_every_output(ritz):
    out, res = ritz
    summary = json.loads((out / "summary.json").read_text())
    for key in SUMMARY_KEYS:
        assert key in summary
    assert summary["scenario"] == "ritz_recovery"
    assert summary["seed"] == 3 and summary["org"] == "call_centre"
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40 and {"enps", "nps", "profit"} <= set(ts.columns)
    assert len(pd.read_parquet(out / "employees.parquet")) == summary["headcount"]
    assert len(pd.read_parquet(out / "customers.parquet")) == summary["customers"]
    assert (out / "kpis.png").stat().st_size > 10_000
    assert "employee_turnover_annual" in res.stdout  # the closing table


def test_same_seed_same_numbers(ritz, tmp_path):
    """The same command again, in another process and folder: the same numbers."""
    a, b = ritz[0], tmp_path / "b"
    res = run_cli("sim-run", *TINY, "scenario=ritz_recovery", "seed=3", f"hydra.run.dir={b}")
    assert res.returncode == 0, res.stderr
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    for f in ("timeseries", "employees", "customers", "surveys"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{f}.parquet"), pd.read_parquet(b / f"{f}.parquet")
        )


# A multirun over scenarios and seeds (a summary per job, each with its scenario): the sweep that
# tests/test_collect.py runs once for its module (test_a_multirun_writes_a_summary_per_job).


@pytest.mark.parametrize(
    ("override", "must_say"),
    [
        ("org.employees=-5", ["org.employees", "-5", "[1"]),
        ("policy.script_strictness=1.5", ["policy.script_strictness", "1.5", "[0"]),
        ("behaviour.complaint_share=1.2", ["behaviour.complaint_share", "1.2", "1"]),
        ("scenario=moonshot", ["scenario", "moonshot", "baseline", "ritz_recovery"]),
        ("org=bank", ["org", "bank", "call_centre", "hotel"]),
        ("org.colour=blue", ["org.colour", "employees"]),
        ("colour=blue", ["colour", "policy"]),
        ("days=many", ["days", "many"]),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_results(tmp_path, override, must_say):
    out = tmp_path / "run"
    res = run_cli("sim-run", *TINY, override, f"hydra.run.dir={out}")
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in res.stderr
    for word in must_say:
        assert word in lines[0], lines[0]
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))  # not even Hydra's record


def test_misused_hydra_flags_are_one_line_too(tmp_path):
    res = run_cli("sim-run", "-m", "seed=0,1", f"hydra.sweep.dir={tmp_path}", "--cfg", "hydra")
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--cfg" in lines[0]
