"""Runs keep their record straight (issue 17): a finished run is skipped only when its stored
config hash matches, refused in one line otherwise, and its record is never overwritten; a
sweep checks every job before any starts; a refused run writes nothing (no record, no empty
log); temporaries of a killed write are removed by the next run in their folder.

Each case goes through the real `sim-run` in a subprocess: exit code, one line, what is on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from sim.outputs import HASH_KEY, config_hash, remove_stale_temporaries, write_atomic

TINY = ["org.employees=4", "org.teams=2", "org.customers=1500", "days=40", "progress=false"]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time: what 'nothing written'
    compares."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_error_line(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 2, (res.stdout[-2000:], res.stderr[-2000:])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run at the tiny size (seed 0, baseline, 40 days)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    res = run_cli("sim-run", *TINY, f"hydra.run.dir={out}")
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_a_finished_run_stores_its_config_hash_and_its_record_and_no_empty_log(finished):
    summary = json.loads((finished / "summary.json").read_text())
    assert len(summary[HASH_KEY]) == 64
    record = finished / ".hydra"
    assert sorted(p.name for p in record.iterdir()) == [
        "config.yaml",
        "hydra.yaml",
        "overrides.yaml",
    ]
    assert "seed: 0" in (record / "config.yaml").read_text()
    assert "days=40" in (record / "overrides.yaml").read_text()
    assert not list(finished.glob("*.log"))  # nothing was logged: no log file at all


def test_rerun_with_another_config_is_refused_and_the_run_and_its_record_are_kept(finished):
    before = snapshot(finished)
    res = run_cli("sim-run", *TINY, "seed=7", "days=50", f"hydra.run.dir={finished}")
    line = one_error_line(res)
    assert str(finished) in line and "different config" in line
    assert "seed 0 -> 7" in line and "days 40 -> 50" in line  # what differs
    assert "new hydra.run.dir" in line and "delete" in line  # what to do
    assert snapshot(finished) == before  # record and results untouched, nothing added
    assert json.loads((finished / "summary.json").read_text())["seed"] == 0


def test_rerun_with_the_same_config_is_skipped_and_writes_nothing(finished):
    before = snapshot(finished)
    # progress only changes the display: the same run.
    res = run_cli("sim-run", *TINY[:-1], "progress=true", f"hydra.run.dir={finished}")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"{finished}: already complete, skipped"
    assert snapshot(finished) == before


def test_a_scenario_with_the_same_values_under_another_name_is_another_run(finished, tmp_path):
    """The hash covers the labels a summary carries: a folder never holds a summary naming one
    scenario beside a record of another."""
    presets, copy = tmp_path / "presets", tmp_path / "run"
    (presets / "scenario").mkdir(parents=True)
    (presets / "scenario" / "copycat.yaml").write_text(
        "# @package _global_\ndefaults:\n  - baseline\n  - _self_\n"
    )
    subprocess.run(["cp", "-a", str(finished), str(copy)], check=True)
    before = snapshot(copy)
    res = run_cli(
        "sim-run", *TINY, "scenario=copycat", f"hydra.searchpath=[file://{presets}]",
        f"hydra.run.dir={copy}",
    )  # fmt: skip
    line = one_error_line(res)
    assert "different config" in line
    assert snapshot(copy) == before


def test_a_finished_run_without_a_stored_hash_is_refused_not_trusted(finished, tmp_path):
    old = tmp_path / "old"
    subprocess.run(["cp", "-a", str(finished), str(old)], check=True)
    summary = json.loads((old / "summary.json").read_text())
    del summary[HASH_KEY]  # as summaries were written before the hash was stored
    (old / "summary.json").write_text(json.dumps(summary))
    before = snapshot(old)
    line = one_error_line(run_cli("sim-run", *TINY, f"hydra.run.dir={old}"))
    assert "without a config hash" in line and str(old) in line
    assert snapshot(old) == before


def test_an_unfinished_run_is_rerun_and_a_dead_writers_temporaries_are_removed(finished, tmp_path):
    killed = tmp_path / "killed"
    subprocess.run(["cp", "-a", str(finished), str(killed)], check=True)
    (killed / "summary.json").unlink()  # killed before its summary was written
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    stale = killed / f".timeseries.parquet.tmp-{dead.stdout.strip()}"
    stale.write_bytes(b"x" * 1000)
    live = killed / f".customers.parquet.tmp-{os.getpid()}"  # a writer still running: kept
    live.write_bytes(b"y")
    res = run_cli("sim-run", *TINY, f"hydra.run.dir={killed}")
    assert res.returncode == 0, res.stderr[-2000:]
    assert not stale.exists() and live.exists()
    assert (killed / "summary.json").read_text() == (finished / "summary.json").read_text()


def test_bad_input_into_a_new_folder_writes_nothing_not_even_a_log(tmp_path):
    out = tmp_path / "run"
    line = one_error_line(run_cli("sim-run", *TINY, "seed=-1", f"hydra.run.dir={out}"))
    assert "seed" in line
    assert not out.exists()


def test_bad_input_into_a_finished_run_leaves_it_as_it_was(finished):
    before = snapshot(finished)
    one_error_line(run_cli("sim-run", *TINY, "policy.pay_level=-3", f"hydra.run.dir={finished}"))
    assert snapshot(finished) == before


# ---- sweeps -------------------------------------------------------------------------------------
def write_scenario(folder: Path, strictness: float) -> None:
    """A scenario preset of our own (found through hydra.searchpath), to edit between sweeps."""
    (folder / "scenario").mkdir(parents=True, exist_ok=True)
    (folder / "scenario" / "mine.yaml").write_text(
        "# @package _global_\ndefaults:\n  - baseline\n  - _self_\n"
        f"policy:\n  script_strictness: {strictness}\n"
    )


def sweep(folder: Path, presets: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli(
        "sim-run", "-m", *TINY, "seed=0,1", "scenario=baseline,mine",
        f"hydra.searchpath=[file://{presets}]", *extra, f"hydra.sweep.dir={folder}",
        timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_a_sweep_rerun_after_a_preset_is_edited_is_refused_before_any_job_starts(tmp_path):
    presets, folder = tmp_path / "presets", tmp_path / "sweep"
    write_scenario(presets, 0.3)
    res = sweep(folder, presets)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(list(folder.glob("*/summary.json"))) == 4
    # Unfinish one job of the preset that is not edited: a partial rerun would redo it first.
    first = sorted(folder.glob("*scenario=baseline,seed=0"))[0]
    (first / "summary.json").unlink()
    before = snapshot(folder)

    write_scenario(presets, 0.5)
    line = one_error_line(sweep(folder, presets))
    assert "2 of the sweep's 4 jobs" in line and "different config" in line
    assert "policy.script_strictness 0.3 -> 0.5" in line and "scenario=mine" in line
    assert "new hydra.sweep.dir" in line and "nothing was started" in line
    assert snapshot(folder) == before  # multirun.yaml, records and results: all as they were

    # Put back as it was, the sweep resumes: the finished jobs are skipped, the other rerun.
    write_scenario(presets, 0.3)
    res = sweep(folder, presets)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.count("already complete, skipped") == 3
    assert len(list(folder.glob("*/summary.json"))) == 4


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_one_invalid_point_refuses_the_sweep_before_anything_is_written(tmp_path, launcher):
    folder = tmp_path / "sweep"
    res = run_cli(
        "sim-run", "-m", *TINY, "policy.script_strictness=0.5,1.5", f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={folder}", timeout=300,
    )  # fmt: skip
    line = one_error_line(res)
    assert "policy.script_strictness=1.5" in line and "[0.0, 1.0]" in line
    assert "no job was started" in line
    assert not folder.exists()


def test_an_unknown_preset_in_a_sweep_is_one_line_and_writes_nothing(tmp_path):
    folder = tmp_path / "sweep"
    res = run_cli(
        "sim-run", "-m", *TINY, "scenario=baseline,moonshot", f"hydra.sweep.dir={folder}",
        timeout=300,
    )  # fmt: skip
    line = one_error_line(res)
    assert "moonshot" in line and "loose_scripts" in line
    assert not folder.exists()


# ---- the pieces ---------------------------------------------------------------------------------
def test_an_atomic_write_that_fails_leaves_no_temporary(tmp_path):
    def fails(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.parquet", fails)
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_are_only_those_of_writers_gone(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          text=True, capture_output=True, check=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".summary.json.tmp-{gone}"
    running = tmp_path / f".summary.json.tmp-{os.getppid()}"
    other = tmp_path / ".notes.tmp"  # not ours: no pid
    for p in (stale, running, other):
        p.write_text("x")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, other.name])


def test_the_hash_ignores_the_display_and_sees_everything_else():
    base = {"seed": 0, "days": 40, "progress": True, "policy": {"pay_level": 1.0}}
    labels = {"scenario": "baseline", "org": "call_centre"}
    h = config_hash(base, labels)
    assert config_hash({**base, "progress": False}, labels) == h
    assert config_hash({**base, "seed": 1}, labels) != h
    assert config_hash({**base, "policy": {"pay_level": 1.1}}, labels) != h
    assert config_hash(base, {**labels, "scenario": "other"}) != h
