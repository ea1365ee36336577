"""Each study command's settings are typed, its own, and refused by name by any other command."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ROOT, run_cli
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim.cli import CONFIG_DIR
from sim.config import STUDIES, ConfigError
from sim.study import RUN_KEYS, read_command_line, recipes, write_atomically


@pytest.mark.parametrize("name", list(STUDIES))
def test_each_command_composes_its_own_typed_settings_equal_to_the_schema(name):
    study = STUDIES[name]
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(name)
    GlobalHydra.instance().clear()
    assert OmegaConf.get_type(cfg) is study.config  # registered in Hydra's ConfigStore
    assert OmegaConf.to_object(cfg[name]) == study.settings()  # the YAML is the schema's default
    others = set(STUDIES) - {name}
    assert not others & set(cfg.keys()), "a command's config holds another command's settings"


def test_settings_never_shadow_a_run_key_so_short_spellings_are_unambiguous():
    for study in STUDIES.values():
        assert not set(study.setting_names) & RUN_KEYS, study.name


def test_short_spellings_become_the_commands_own_node():
    units = STUDIES["units"]
    argv = ["-m", "units=5", "size.employees=3", "+levers.hold_standards={min:0,max:1}", "days=9"]
    assert read_command_line(units, argv) == [
        "-m",
        "units.units=5",
        "units.size.employees=3",
        "+units.levers.hold_standards={min:0,max:1}",
        "days=9",
    ]
    compare = STUDIES["compare"]
    assert read_command_line(compare, ["replications=10", "workers=2", "experiment=quick"]) == [
        "compare.replications=10",
        "compare.workers=2",
        "experiment=quick",
    ]
    with pytest.raises(ConfigError, match="sim-sensitivity"):
        read_command_line(compare, ["sensitivity.method=sobol"])


def test_recipes_belong_to_the_command_whose_settings_they_set():
    saved = recipes()
    assert saved["quick"] == {"compare"}
    assert not (CONFIG_DIR / "experiment" / "units.yaml").exists()  # settings are not recipes


@pytest.mark.parametrize(
    ("command", "arg", "must_say"),
    [
        # A command's own settings given as a recipe to another command.
        (
            "sim-compare",
            "experiment=units",
            ["experiment='units'", "sim-units", "experiment=quick"],
        ),
        # A recipe of one command given to another.
        ("sim-units", "experiment=quick", ["'quick'", "recipe of sim-compare", "sim-units takes"]),
        # Another command's setting smuggled under this command's node.
        ("sim-compare", "+compare.units=5", ["compare.units", "sim-units", "replications"]),
        # Another command's setting in its short spelling, and under its own node.
        ("sim-compare", "method=sobol", ["method", "sim-sensitivity", "sim-compare takes"]),
        ("sim-plan", "units.size.employees=3", ["units.size.employees", "sim-units", "top"]),
        # The spelling before each command had its own node.
        ("sim-compare", "experiment.replications=3", ["experiment.replications", "recipe"]),
        # sim-validate takes flags; a study's setting is named with the command it belongs to.
        (
            "sim-validate",
            "replications=5",
            ["replications=5", "sim-compare and sim-plan", "--quick"],
        ),
        # A bad value of the command's own setting, found after Hydra made the run directory.
        ("sim-compare", "replications=0", ["compare.replications=0", "[1"]),
    ],
)
def test_another_commands_settings_are_refused_in_one_line_and_nothing_is_written(
    tmp_path, command, arg, must_say
):
    out = tmp_path / "run"
    res = run_cli(command, arg, f"hydra.run.dir={out}", cwd=ROOT, timeout=120)
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for word in must_say:
        assert word in lines[0], lines[0]
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))


def test_outputs_appear_only_when_the_study_has_finished(tmp_path):
    (tmp_path / "earlier.txt").write_text("kept")

    def fails(folder):
        (folder / "comparison.csv").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path, fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier.txt"]

    def writes(folder):
        (folder / "comparison.csv").write_text("whole")
        (folder / "figures").mkdir()
        return "done"

    assert write_atomically(tmp_path, writes) == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "comparison.csv",
        "earlier.txt",
        "figures",
    ]
    assert (tmp_path / "comparison.csv").read_text() == "whole"


def test_unit_settings_can_be_built_without_hydra():
    settings = STUDIES["units"].settings()
    assert settings.units == 200 and settings.size.employees == 10
    assert settings.levers["pay_level"] == {"min": 0.85, "max": 1.2}
    assert dataclasses.asdict(settings)["size"]["customers"] == {"min": 8000.0, "max": 12000.0}


def test_a_recipe_sized_for_the_call_centre_is_refused_beside_another_organisation() -> None:
    compare = STUDIES["compare"]
    with pytest.raises(ConfigError, match="quick sizes the organisation for org=call_centre"):
        read_command_line(compare, ["org=hotel", "experiment=quick"])
    # Sized on the command line, or the organisation the recipe was made for: accepted.
    sized = ["org=hotel", "experiment=quick", "org.employees=30", "org.customers=4000"]
    assert read_command_line(compare, sized) == sized
    assert read_command_line(compare, ["org=call_centre", "experiment=quick"])


def test_a_staging_folder_left_by_a_killed_study_is_removed_by_the_next(tmp_path) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    stale = tmp_path / f".partial-{dead.stdout.strip()}-abc"
    stale.mkdir()
    (stale / "runs.parquet").write_bytes(b"half")
    write_atomically(tmp_path, lambda folder: (folder / "report.md").write_text("whole"))
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
