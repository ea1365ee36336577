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


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_error_line(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A finished multirun: 2 scenarios x 3 seeds at the tiny size."""
    root = tmp_path_factory.mktemp("sweep")
    res = cli(
        "sim-run", "-m", "seed=0,1,2", "scenario=baseline,ritz_recovery", *TINY,
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


@pytest.mark.slow
def test_a_multirun_writes_a_summary_per_job(sweep):
    """sim-run -m over scenarios and seeds: one finished job per combination, each summary naming
    its scenario and seed (tests/test_cli.py leaves its multirun check to this sweep)."""
    summaries = sorted(sweep.glob("*/summary.json"))
    assert len(summaries) == 6
    got = sorted(
        (s["scenario"], s["seed"]) for s in map(json.loads, map(Path.read_text, summaries))
    )
    assert got == [
        (scenario, seed) for scenario in ("baseline", "ritz_recovery") for seed in (0, 1, 2)
    ]


def test_collect_writes_one_row_per_run_with_overrides_and_every_summary_key(sweep):
    res = cli("sim-collect", str(sweep))
    assert res.returncode == 0, res.stderr
    out = sweep / "results.parquet"
    assert res.stdout.strip() == f"6 planned, 6 complete, 0 incomplete, 0 not started -> {out}"
    df = pd.read_parquet(out)
    assert len(df) == 6 and df["complete"].all() and (df["status"] == "complete").all()
    assert sorted(zip(df["scenario"], df["seed"], strict=True)) == [
        (scenario, seed) for scenario in ("baseline", "ritz_recovery") for seed in (0, 1, 2)
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
    assert "6 planned, 5 complete, 1 incomplete, 0 not started" in res.stdout
    df = pd.read_parquet(tmp_path / "r.parquet").set_index("job")
    assert not df.loc[killed.name, "complete"] and df["complete"].sum() == 5
    assert df.loc[killed.name, "status"] == "incomplete"
    assert df.loc[killed.name, "seed"] == 1  # from its overrides
    assert df.loc[killed.name, list(SUMMARY_KEYS)].isna().all()


def test_planned_jobs_come_from_multirun_yaml_and_a_corrupt_job_is_skipped(sweep, tmp_path):
    """2 jobs killed before their summary, 2 never started (no folder), 1 with a corrupt
    record: the plan still counts 6, and the table has a row for each job it can read."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(sweep), str(copy)], check=True)
    jobs = sorted(p for p in copy.iterdir() if p.is_dir())
    for job in jobs[:2]:
        (job / "summary.json").unlink()
    for job in jobs[2:4]:
        subprocess.run(["rm", "-r", str(job)], check=True)
    out = tmp_path / "r.parquet"
    res = cli("sim-collect", str(copy), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == (
        f"6 planned, 2 complete, 2 incomplete, 2 not started -> {out} "
        "(rerun the same sweep to finish the rest)"
    )
    df = pd.read_parquet(out)
    assert sorted(df["status"]) == ["complete"] * 2 + ["incomplete"] * 2 + ["not started"] * 2
    started = df[df["status"] == "not started"]
    assert started["job"].isna().all() and started[list(SUMMARY_KEYS)].isna().all().all()
    assert sorted(zip(started["scenario"], started["seed"], strict=True)) == sorted(
        (p.name.split("scenario=")[1].split(",")[0], int(p.name.split("seed=")[1]))
        for p in jobs[2:4]
    )

    (jobs[4] / ".hydra" / "overrides.yaml").write_text("- seed=[0\n  - : x\n")
    res = cli("sim-collect", str(copy), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.strip() == (
        f"warning: skipped {jobs[4].name}: .hydra/overrides.yaml is unreadable "
        f"({res.stderr.split('unreadable (')[1].strip()[:-1]})"
    )
    assert res.stdout.startswith(
        "6 planned, 1 complete, 2 incomplete, 2 not started, 1 unreadable (skipped) ->"
    )
    assert jobs[4].name not in set(pd.read_parquet(out)["job"].dropna())


def test_out_names_the_format_and_a_missing_folder_is_created(sweep, tmp_path):
    csv, parquet = tmp_path / "new" / "deeper" / "results.csv", tmp_path / "results.parquet"
    for out in (csv, parquet):
        res = cli("sim-collect", str(sweep), "--out", str(out))
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip().endswith(f"-> {out}")
    assert csv.read_bytes()[:4] != b"PAR1" and parquet.read_bytes()[:4] == b"PAR1"
    from_csv = pd.read_csv(csv).set_index("job")
    from_parquet = pd.read_parquet(parquet).set_index("job")
    assert len(from_csv) == 6 and list(from_csv.columns) == list(from_parquet.columns)
    for key in ("profit", "nps", "seed"):
        got = from_csv.loc[from_parquet.index, key].to_numpy()
        assert got == pytest.approx(from_parquet[key].to_numpy(), rel=1e-12)


@pytest.mark.parametrize("name", ["results.txt", "results", "results.parquet.bak"])
def test_an_out_name_of_no_known_format_is_refused_and_nothing_is_written(sweep, tmp_path, name):
    before = snapshot(sweep)
    line = one_error_line(cli("sim-collect", str(sweep), "--out", str(tmp_path / "x" / name)))
    assert "--out" in line and ".parquet" in line and ".csv" in line
    assert not (tmp_path / "x").exists() and snapshot(sweep) == before


@pytest.mark.slow
def test_a_folder_that_is_not_a_sim_run_multirun_is_refused_and_nothing_is_written(tmp_path):
    """A study's output folder (here a real sim-compare one) has Hydra's record but is no sweep."""
    study = tmp_path / "compare"
    res = cli(
        "sim-compare", *TINY, "replications=2", "workers=1", "scenarios=[loose_scripts]",
        f"hydra.run.dir={study}",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    before = snapshot(study)
    line = one_error_line(cli("sim-collect", str(study)))
    assert "not a multirun folder" in line and str(study) in line
    assert snapshot(study) == before


def test_another_commands_sweep_is_refused(sweep, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["cp", "-r", str(sweep), str(other)], check=True)
    text = (other / "multirun.yaml").read_text()
    assert "config_name: config" in text
    (other / "multirun.yaml").write_text(text.replace("config_name: config", "config_name: units"))
    before = snapshot(other)
    line = one_error_line(cli("sim-collect", str(other)))
    assert "configs/units.yaml" in line and "sim-run" in line
    assert snapshot(other) == before


@pytest.mark.parametrize("case", ["missing", "nonexistent", "no_jobs"])
def test_bad_directory_is_one_line_and_exit_2(tmp_path, case):
    args = {"missing": [], "nonexistent": [str(tmp_path / "nope")], "no_jobs": [str(tmp_path)]}
    res = cli("sim-collect", *args[case])
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "DIR" in lines[0]
    assert not (tmp_path / "results.parquet").exists()
