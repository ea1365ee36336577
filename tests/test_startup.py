"""Start-up of the commands: what a command does before it runs anything, without timing it.

A refused config or `--help` imports none of the model's heavy libraries, and Hydra's copies of
its config repository share the one ConfigStore (sim/config/run.py `share_store_on_copy`)
without one compose seeing another's changes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

from conftest import ROOT, make_config
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from sim.cli import CONFIG_DIR
from sim.config import register_configs, to_dataclass

HEAVY = ("pandas", "matplotlib", "mesa", "pyarrow", "scipy")
ENTRY_POINTS = (
    "sim.cli",
    "experiments.calibrate",
    "experiments.collect",
    "experiments.compare",
    "experiments.discover",
    "experiments.plan",
    "experiments.sensitivity",
    "experiments.twin",
    "experiments.units",
    "experiments.validate",
)


def heavy_after(code: str) -> tuple[int, list[str]]:
    """Run `code` in a fresh interpreter; its exit code and which HEAVY modules it imported."""
    script = (
        "import json, sys\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except SystemExit as ex:\n"
        "    code = ex.code\n"
        "else:\n"
        "    code = 0\n"
        f"print(json.dumps([code, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    code, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    return code, heavy


def test_command_modules_import_no_heavy_library():
    imports = "\n".join(f"import {name}" for name in ENTRY_POINTS)
    assert heavy_after(imports) == (0, [])


def test_a_refused_value_exits_2_before_the_model_is_imported(tmp_path):
    out = tmp_path / "run"
    code, heavy = heavy_after(
        "from sim.cli import run_main\n"
        f"sys.argv = ['sim-run', 'days=-1', 'hydra.run.dir={out}']\n"
        "run_main()"
    )
    assert (code, heavy) == (2, [])
    assert not out.exists()


def test_study_help_imports_no_heavy_library():
    code, heavy = heavy_after(
        "from experiments.compare import main\nsys.argv = ['sim-compare', '--help']\nmain()"
    )
    assert (code, heavy) == (0, [])


def test_copies_of_the_repository_share_the_store_and_composes_stay_apart():
    register_configs()
    store = ConfigStore.instance()
    assert copy.deepcopy(store) is store
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        first = compose("config", overrides=["days=30"])
        first.org.employees = 3  # a change to one composed config ...
        with open_dict(first):
            first.schema_probe = 1
        second = compose("config", overrides=["days=30"])
    GlobalHydra.instance().clear()
    # ... reaches neither the store's schema nor the next compose
    assert second.org.employees != 3 and "schema_probe" not in second
    assert store.load("schema/run.yaml").node.org.employees == second.org.employees
    assert to_dataclass(second) == make_config("days=30")
