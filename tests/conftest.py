"""Shared helpers: compose configs like the CLI does, build small models, run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
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


@pytest.fixture
def small_config():
    return lambda *o: make_config(*SMALL, *o)
