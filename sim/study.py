"""The protocol every study command shares (sim-compare, sim-plan, sim-sensitivity, sim-units,
sim-calibrate).

A study command is a thin program (experiments/*.py): it names its study (`STUDIES["units"]`),
says how to check its settings beyond their types and ranges, how to run them into a folder and
what to print. This module does the rest, the same way for every command:

1. Read the command line. `<setting>=` is short for `<command>.<setting>=`; a setting, settings
   node or recipe of another command (`sim-compare method=sobol`, `sim-compare +compare.units=5`,
   `sim-units experiment=quick`) is refused in one line that names it, the command it belongs
   to and what this command takes, before Hydra writes anything.
2. Compose configs/<command>.yaml with Hydra (typed by `schema: <command>`, sim/config/studies.py),
   validate the run's config and the command's settings, and refuse bad input in one line with
   exit code 2, leaving no run directory behind.
3. Run the study into a staging folder inside Hydra's run directory and move its outputs into
   place only when it has finished: an interrupted or failed study leaves no half-written
   results that look complete.
4. Print what the command shows.

The replications of a paired study (every arm on the same seeds) run on the process pool of
sim/analysis/parallel.py with one progress bar: `paired_runs`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.cli import (
    CONFIG_DIR,
    EXIT_BAD_INPUT,
    guarded,
    quiet_libraries,
    refuse,
    with_own_overrides,
)
from sim.config import STUDIES, ConfigError, SimConfig, Study, check_settings, to_dataclass

if TYPE_CHECKING:
    from sim.ensemble import StudyDraws

RECIPES_DIR = CONFIG_DIR / "experiment"
# Top-level names a study's settings may not shadow: a run's keys and the config groups.
RUN_KEYS = frozenset(
    {f.name for f in fields(SimConfig)}
    | {p.name for p in CONFIG_DIR.iterdir() if p.is_dir()}
    | {"hydra", "schema"}
)


@dataclass(frozen=True)
class StudyProgram[Checked, Result]:
    """What one study command adds to the protocol.

    Attributes:
        study: the command (its config, settings node and types).
        check: (typed settings, the run's config, the composed config) -> the checked settings
            the run takes; raises ConfigError for what a type or range cannot refuse.
        run: (checked settings, the run's config, a folder) -> what to show; writes its
            outputs into the folder.
        show: (result, checked settings, the run directory) -> None; prints the summary.
    """

    study: Study
    check: Callable[[Any, SimConfig, DictConfig], Checked]
    run: Callable[[Checked, SimConfig, Path], Result]
    show: Callable[[Result, Checked, Path], None]


def main(program: StudyProgram[Any, Any], argv: list[str] | None = None) -> None:
    """Run a study command from the command line (sys.argv unless `argv` is given)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        args = read_command_line(program.study, args)
    except ConfigError as ex:
        print(f"error: {ex}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    sys.argv[1:] = with_own_overrides(args)  # no empty job log
    guarded(hydra_app(program), schema=program.study.config)


def hydra_app(program: StudyProgram[Any, Any]) -> Callable[[], None]:
    """The command's Hydra entry point over configs/<command>.yaml."""

    @hydra.main(config_path=str(CONFIG_DIR), config_name=program.study.name, version_base="1.3")
    def task(cfg: DictConfig) -> None:
        quiet_libraries()
        outdir = Path(HydraConfig.get().runtime.output_dir)
        try:  # bad input: one line and exit 2, before any run starts
            base, checked = checked_settings(program, cfg)
            result = write_atomically(outdir, lambda folder: program.run(checked, base, folder))
        except ConfigError as ex:
            refuse(ex)
        program.show(result, checked, outdir)

    return task


# ---- 1. the command line ------------------------------------------------------------------------
def read_command_line(study: Study, argv: Sequence[str]) -> list[str]:
    """Expand `<setting>=` to `<command>.<setting>=`; refuse another command's settings/recipes.

    Raises:
        ConfigError: a setting, settings node or recipe of another command, a setting this
            command does not have, the old `experiment.<setting>=` spelling, or `schema=`.
    """
    out = []
    for arg in argv:
        if arg.startswith("-") or "=" not in arg:
            out.append(arg)  # flags (-m, --cfg job) and their values
            continue
        key, value = arg.split("=", 1)
        bare = key.lstrip("+~")
        sign = key[: len(key) - len(bare)]
        head, _, rest = bare.partition(".")
        if bare == "experiment":
            for name in _sweep_values(value):
                check_recipe(study, name)
        elif bare == "schema":
            raise ConfigError(
                key, value, f"{study.program} composes its own schema ({study.name}); no choice"
            )
        elif head == "experiment":
            raise ConfigError(
                bare,
                value,
                f"experiment= picks a saved recipe (configs/experiment/), it holds no settings; "
                f"{takes(study)}",
            )
        elif head == study.name and rest:
            setting = rest.partition(".")[0]
            if setting not in study.setting_names:
                raise ConfigError(bare, value, _not_a_setting(study, setting))
        elif head in STUDIES and head != study.name:
            other = STUDIES[head]
            raise ConfigError(
                bare,
                value,
                f"{head}.* are the settings of {other.program}, not of {study.program}; "
                f"{takes(study)}",
            )
        elif head not in RUN_KEYS and head in study.setting_names:
            arg = f"{sign}{study.name}.{bare}={value}"
        elif head not in RUN_KEYS and owners(head):
            raise ConfigError(bare, value, _not_a_setting(study, head))
        out.append(arg)
    check_recipe_size(argv)
    return out


SIZE_KEYS = ("org.employees", "org.customers")


def default_org() -> str:
    """The organisation preset config.yaml picks (the one the commands' sizes are for)."""
    defaults = OmegaConf.load(CONFIG_DIR / "config.yaml").defaults
    return next(str(d["org"]) for d in defaults if isinstance(d, DictConfig) and "org" in d)


def check_recipe_size(argv: Sequence[str]) -> None:
    """Refuse a recipe that sizes the organisation (as `experiment=quick` does for the call
    centre) beside another organisation preset, unless the command line sizes it too: the
    recipe's staff and customers would put, e.g., 20 staff in front of 17,000 hotel guests.

    Raises:
        ConfigError: naming the recipe, the organisation and what to give instead.
    """
    pairs = [a.split("=", 1) for a in argv if "=" in a and not a.startswith("-")]
    given = {k.lstrip("+~"): v for k, v in pairs}
    org = given.get("org")
    if org is None or all(k in given for k in SIZE_KEYS):
        return
    sized_for = default_org()
    if org == sized_for:
        return
    for name in _sweep_values(given.get("experiment", "")):
        path = RECIPES_DIR / f"{name}.yaml"
        recipe = OmegaConf.load(path) if path.exists() else OmegaConf.create()
        sets = [k for k in SIZE_KEYS if OmegaConf.select(recipe, k) is not None]
        if sets:
            raise ConfigError(
                "experiment",
                name,
                f"a recipe for org={org}: {name} sizes the organisation for org={sized_for} "
                f"({', '.join(sets)}); with org={org} give both {' and '.join(SIZE_KEYS)} "
                "yourself, or leave out the recipe to keep the preset's own size",
            )


def takes(study: Study) -> str:
    """What a command takes: its settings, by their short and long spelling."""
    names = ", ".join(study.setting_names)
    return f"{study.program} takes {names} as <setting>= or {study.name}.<setting>="


def owners(setting: str) -> list[str]:
    """The study commands that have a setting of this name."""
    return [s.program for s in STUDIES.values() if setting in s.setting_names]


def _not_a_setting(study: Study, setting: str) -> str:
    programs = owners(setting)
    whose = f"a setting of {' and '.join(programs)}" if programs else "no command's setting"
    return f"{setting} is {whose}, not of {study.program}; {takes(study)}"


def _sweep_values(value: str) -> list[str]:
    """The names in `experiment=a` or a sweep `experiment=a,b` (other sweep syntax: as is)."""
    return [v.strip() for v in value.split(",") if re.fullmatch(r"[\w-]+", v.strip())]


def recipes() -> dict[str, set[str]]:
    """The saved recipes (configs/experiment/*.yaml) and the commands whose settings each
    sets; a recipe that sets no command's node (only org, days, ...) suits every command."""
    out = {}
    for path in sorted(RECIPES_DIR.glob("*.yaml")):
        keys = set(OmegaConf.load(path).keys())
        out[path.stem] = {str(k) for k in keys if k in STUDIES} or set(STUDIES)
    return out


def check_recipe(study: Study, name: str) -> None:
    """Refuse a recipe that does not exist or belongs to another command.

    Raises:
        ConfigError: naming the recipe, the command it belongs to and the recipes this takes.
    """
    saved = recipes()
    own = [r for r, commands in saved.items() if study.name in commands]
    offer = (
        f"{study.program} takes experiment={' | '.join(own)}"
        if own
        else f"{study.program} has no saved recipes; {takes(study)}"
    )
    if name in saved and study.name in saved[name]:
        return
    if name in saved:
        programs = ", ".join(STUDIES[c].program for c in sorted(saved[name]))
        where = ", ".join(f"{c}.*" for c in sorted(saved[name]))
        raise ConfigError(
            "experiment", name, f"{name} is a recipe of {programs} ({where}); {offer}"
        )
    if name in STUDIES:
        other = STUDIES[name]
        raise ConfigError(
            "experiment",
            name,
            f"{name} is not a recipe but the command {other.program} (its settings {name}.* "
            f"live in configs/{name}.yaml); {offer}",
        )
    raise ConfigError("experiment", name, f"a saved recipe of configs/experiment/; {offer}")


# The shortest run a comparison measures: new hires' initial training alone takes about four
# weeks (docs/VALIDATION.md, initial_training), and a KPI of a few days, annualised, reads as a
# year's (`sim-compare days=1` once said "loose_scripts pays, ROI +18.56").
MIN_STUDY_DAYS = 28


def check_window(command: str, window_days: int, days: int) -> str:
    """Refuse a run too short to compare; say so when the window is longer than the run (the
    KPIs are then over the whole run, annualised): the sentence for the report, or ''.

    Raises:
        ConfigError: naming `days`, its value and the minimum.
    """
    if days < MIN_STUDY_DAYS:
        raise ConfigError(
            "days",
            days,
            f"at least {MIN_STUDY_DAYS} for {command} (four weeks: a new hire's initial "
            "training alone takes about that)",
        )
    if window_days <= days:
        return ""
    return (
        f"The run ({days} days) is shorter than the measurement window ({command}.window_days="
        f"{window_days}): the KPIs are over the whole run, annualised, warm-up included, and "
        "slow effects (turnover, churn, word of mouth) have had little time to show."
    )


SEED_MAX = 2**32 - 1


def check_seeds(command: str, first: int, count: int) -> None:
    """Refuse seeds `first .. first + count - 1` that leave the seed's range.

    Raises:
        ConfigError: naming `seed`, its value and the largest first seed allowed.
    """
    if first + count - 1 > SEED_MAX:
        raise ConfigError(
            "seed",
            first,
            f"at most {SEED_MAX - count + 1} for {command} (it runs seed .. seed + {count - 1})",
        )


# ---- 2. the composed settings -------------------------------------------------------------------
def composed_settings(study: Study, cfg: DictConfig) -> tuple[SimConfig, Any]:
    """The run's typed config and the command's typed settings, checked by type and range.

    Raises:
        ConfigError: a bad value of the run or the settings, or a key the settings do not have
            (a `+<command>.<key>=` or a recipe that adds one).
    """
    node = cfg.get(study.name)
    if OmegaConf.get_type(cfg) is not study.config or node is None:
        raise ConfigError("schema", OmegaConf.get_type(cfg).__name__, study.config.__name__)
    for key in node:
        if key not in study.setting_names:
            raise ConfigError(f"{study.name}.{key}", node[key], _not_a_setting(study, str(key)))
    base = to_dataclass(cfg)
    settings = OmegaConf.to_object(node)
    check_settings(settings, study.name)
    return base, settings


def checked_settings[Checked](
    program: StudyProgram[Checked, Any], cfg: DictConfig
) -> tuple[SimConfig, Checked]:
    """The run's typed config and the command's settings, checked by type, range and by the
    command itself: what the command runs.

    Raises:
        ConfigError: the first bad value or key, named in full (`units.levers.pay_level`).
    """
    base, settings = composed_settings(program.study, cfg)
    return base, program.check(settings, base, cfg)


def read_with[Checked](
    reader: Callable[[DictConfig, SimConfig], Checked], study: Study, settings: Any, base: SimConfig
) -> Checked:
    """Call a `settings_from(cfg, base)` of sim/analysis that reads its settings from
    `cfg.experiment` (the layout before each command had its own node) on this command's
    settings, and name the keys of its errors by this command's node."""
    view = OmegaConf.create({"experiment": dataclasses.asdict(settings)})
    try:
        return reader(view, base)
    except ConfigError as ex:

        def rename(text: str) -> str:
            return re.sub(r"\bexperiment\b", study.name, text)

        raise ConfigError(rename(ex.key), ex.value, rename(ex.allowed)) from None


# ---- 3. running and writing ---------------------------------------------------------------------
def paired_runs[Result](
    run_one: Callable[[tuple[str, SimConfig, int]], Result],
    arms: dict[str, SimConfig],
    seeds: Sequence[int],
    *,
    window_days: int,
    workers: int,
    desc: str,
    progress: bool = True,
    draws: StudyDraws | None = None,
) -> list[Result]:
    """Every arm on every seed (common random numbers), seed by seed, over the process pool:
    `run_one((arm, config with that seed, window_days))` for each, in that order. With `draws`
    (uncertainty=parameters) each seed's config also carries its drawn parameter set, the same
    set in every arm."""
    from sim.analysis.parallel import parallel_map

    def on_seeds(config: SimConfig) -> list[SimConfig]:
        if draws is None:
            return [dataclasses.replace(config, seed=s) for s in seeds]
        return draws.configs(config, seeds)

    per_arm = {name: on_seeds(config) for name, config in arms.items()}
    tasks = [(name, per_arm[name][i], window_days) for i in range(len(seeds)) for name in arms]
    return parallel_map(run_one, tasks, workers=workers, desc=desc, progress=progress)


def write_atomically[Result](outdir: Path, produce: Callable[[Path], Result]) -> Result:
    """Let `produce` write into a fresh staging folder inside `outdir`, then move what it wrote
    into `outdir`; if it fails, remove the staging folder and leave `outdir` as it was."""
    from sim.outputs import remove_stale_staging

    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(outdir)  # what a study killed mid-write left (SIGKILL cannot clean up)
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{os.getpid()}-", dir=outdir))
    try:
        result = produce(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for item in sorted(staging.iterdir()):
        target = outdir / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(item, target)
    staging.rmdir()
    return result
