"""Shared helpers: compose configs like the CLI does, build small models, run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.cli import CONFIG_DIR
from sim.config import SimConfig, to_dataclass

BIN = Path(sys.executable).parent
SMALL = ["org.employees=10", "org.customers=4000", "progress=false"]


def make_config(*overrides: str) -> SimConfig:
    """Compose configs/config.yaml with overrides, exactly as sim-run does, and validate."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    return to_dataclass(cfg)


ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run a console script of this package in a subprocess (the real CLI)."""
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def run_study(command: str, args: list[str], outdir: Path) -> subprocess.CompletedProcess:
    """A study command (sim-compare, sim-units, ...) from the repo root, into `outdir`."""
    return run_cli(command, *args, f"hydra.run.dir={outdir}", cwd=ROOT, timeout=300)


def pytest_configure(config: pytest.Config) -> None:
    """`make test` hands whole files to two workers (`-n 2 --dist loadfile`), and xdist's own
    order puts files with more tests first, which left a slow file of few tests (a module
    fixture of many runs) for the end while the other worker sat idle. The order given by
    `pytest_collection_modifyitems` is kept instead."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a test marked slow first (longest jobs first keeps both workers busy to the
    end); otherwise the collection order, and a file's tests stay together and in order."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture
def small_config():
    return lambda *o: make_config(*SMALL, *o)


@contextmanager
def serving(cmd: list[str], url: str, log_path: Path, name: str) -> Iterator[Path]:
    """Start a web server (sim-viz, sim-workshop), wait until `url` answers (60 s at most),
    yield its log's path, and stop it afterwards, whatever happened."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited with {proc.returncode}: see {log_path}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not answer on {url} within 60 s")
                time.sleep(0.3)
            yield log_path
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
