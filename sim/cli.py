"""Command-line entry points (Hydra apps). Bad input becomes one line on stderr and exit code 2."""

from __future__ import annotations

import copy
import logging
import os
import re
import shutil
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any, NoReturn

import hydra
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, SimConfig, register_configs, to_dataclass

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
EXIT_BAD_INPUT = 2
HYDRA_RECORD = {"config.yaml", "hydra.yaml", "overrides.yaml"}  # what Hydra writes in .hydra/
# sim-run writes a job's record (Hydra's three files, in RECORD_DIR) itself, once the job is
# checked and will run: Hydra would write it before the task starts, so a refused job would
# leave it and a rerun into a finished run's folder would overwrite that run's record. The
# settings turn Hydra's writing off, check a sweep's jobs before any starts (SweepCheck), and
# open the job log only when something is logged (no empty log files).
RECORD_DIR = ".hydra"
RUN_SETTINGS = (
    "hydra.output_subdir=null",
    "++hydra.callbacks.sim_run_records._target_=sim.cli.SweepCheck",
)
LOG_ON_DEMAND = "++hydra.job_logging.handlers.file.delay=true"
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"

register_configs()


def group_options(group: str) -> list[str]:
    """The presets of a config group (the YAML files in configs/<group>/)."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _keys_under(path: str, schema: type = SimConfig) -> list[str]:
    node: type = schema
    for part in [p for p in path.split(".") if p]:
        match = [f for f in fields(node) if f.name == part]
        if not match:
            return []
        default = match[0].default_factory() if callable(match[0].default_factory) else None
        if not is_dataclass(default):
            return []
        node = type(default)
    return [f.name for f in fields(node)]


def one_line_error(ex: BaseException, schema: type = SimConfig) -> str:
    """Turn a config error from us, Hydra or OmegaConf into one line naming key, value, allowed.
    `schema` is the composed config's dataclass (a study command's adds its settings node)."""
    if isinstance(ex, ConfigError):
        return str(ex)
    text = str(ex)
    if isinstance(ex, MissingConfigException) or "Could not find '" in text:
        m = re.search(r"Could not (?:find|load) '([^/']+)/([^']+)'", text)
        if m:
            group, name = m.groups()
            allowed = ", ".join(group_options(group))
            return f"{group}={name!r} is not a known {group}: allowed {allowed}"
    m = re.search(r"Could not override '([^']+)'", text) or re.search(
        r"Key '([^']+)' (?:is )?not in", text
    )
    if m:
        key = m.group(1)
        full = re.search(r"full_key: (\S+)", text + str(ex.__cause__ or ""))
        key = full.group(1) if full else key
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        allowed = _keys_under(parent, schema)
        cause = str(ex.__cause__ or "")
        if key.split(".")[0] == "experiment" and "experiment" not in _keys_under("", schema):
            return (
                f"{key} is not a key of this command: experiment=<recipe> picks a saved recipe "
                "of a study command (configs/experiment/, e.g. sim-compare experiment=quick)"
            )
        if allowed and ("not in" in text + cause or "To append" in text):
            from sim.twin import presets  # a twin's preset from an older sim-twin: say so

            stale = presets.stale_twin(
                key, presets.chosen_org(sys.argv[1:]), presets.config_dirs(sys.argv[1:])
            )
            if stale:
                return stale
            where = f"under {parent}" if parent else "at the top level"
            return f"{key} is not a config key: allowed keys {where}: {', '.join(allowed)}"
    if re.search(r"is not a subclass of (StageConfig|RoleConfig)", text + str(ex.__cause__ or "")):
        return (
            "journey stages and roles are added in a journey file (configs/journey/<name>.yaml, "
            "then journey=<name>), not on the command line: only their values can be overridden"
        )
    cause = ex.__cause__ if ex.__cause__ is not None else ex
    msg = str(cause)
    full = re.search(r"full_key: (\S+)", msg)
    value = re.search(r"Value '([^']*)' of type '(\w+)' could not be converted to (\w+)", msg)
    if full and value:  # a string where a number goes: the key, the value, what is allowed
        allowed = _allowed(full.group(1)) or f"a {value.group(3).lower()}"
        return f"{full.group(1)}={value.group(1)!r} is not allowed: {allowed}"
    head = next((ln.strip() for ln in msg.splitlines() if ln.strip()), type(cause).__name__)
    return f"{full.group(1)}: {head}" if full else head


def _allowed(key: str) -> str:
    """`a number in [lo, hi]` for a key of the run's schema, a journey role's or stage's value
    included (journey.roles.<name>.headcount); '' for a key without a range."""
    from sim.config import RANGES, RoleConfig, StageConfig

    if key in RANGES:
        lo, hi = RANGES[key]
        return f"a number in [{lo}, {hi}]"
    parts = key.split(".")
    if len(parts) == 4 and parts[0] == "journey" and parts[1] in ("roles", "stages"):
        node = RoleConfig if parts[1] == "roles" else StageConfig
        for f in fields(node):
            if f.name == parts[3] and "range" in f.metadata:
                lo, hi = f.metadata["range"]
                return f"a number in [{lo}, {hi}]"
    return ""


def refuse(ex: ConfigError) -> NoReturn:
    """Stop with the one-line error, leaving no run directory behind. SystemExit passes through
    Hydra's job runner untouched (it catches Exception and would add its own lines), so the user
    sees exactly one line."""
    stop(one_line_error(ex))


def stop(message: str, *, in_job: bool = True) -> NoReturn:
    """Print `error: message` and exit 2; inside a Hydra job (`in_job`), first remove the run
    directory Hydra made for it if nothing else is in it."""
    print(f"error: {message}", file=sys.stderr)
    if in_job:
        discard_unused_run_dir()
    raise SystemExit(EXIT_BAD_INPUT)


def discard_unused_run_dir() -> None:
    """Remove what Hydra wrote for a job that was refused (its `.hydra/` record and job log),
    and the run directory if that leaves it empty: bad input writes nothing. A directory that
    holds anything else (earlier results) is left as it is."""
    if not HydraConfig.initialized():
        return
    hc = HydraConfig.get()
    outdir = Path(hc.runtime.output_dir)
    record = outdir / str(hc.output_subdir) if hc.output_subdir else None
    log = outdir / f"{hc.job.name}.log"
    ours = {p for p in (record, log) if p is not None}
    if not outdir.is_dir() or any(p not in ours for p in outdir.iterdir()):
        return
    if record is not None and record.is_dir():
        if any(p.name not in HYDRA_RECORD for p in record.iterdir()):
            return
        shutil.rmtree(record)
    log.unlink(missing_ok=True)
    outdir.rmdir()


def checked_config(cfg: DictConfig) -> SimConfig:
    """The typed, validated config of a Hydra job, or a one-line refusal."""
    try:
        return to_dataclass(cfg)
    except ConfigError as ex:
        refuse(ex)


def guarded(entry: Callable[[], object], schema: type = SimConfig) -> None:
    """Run a Hydra entry point; config errors exit 2 with one line, never a traceback.
    `schema` is the dataclass of the config the entry point composes (for naming keys)."""
    from sim.analysis.parallel import Interrupted, raise_terminated

    os.environ["HYDRA_FULL_ERROR"] = "1"  # let Hydra re-raise so we can word the message
    # SIGTERM unwinds like Ctrl+C (a joblib sweep stops its workers, a run its writes) instead
    # of ending the process on the spot; the study pool sets its own handlers while it runs.
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        entry()
    except Interrupted as ex:  # Ctrl+C or SIGTERM during a study's runs: the workers are gone
        print(f"{ex}; {kept_after_interrupt(ex.hydra_config)}", file=sys.stderr)
        sys.exit(ex.code)
    except KeyboardInterrupt as ex:  # outside a study's runs (sim-run, a sweep): no count
        signum = getattr(ex, "signum", signal.SIGINT)
        word = "interrupted" if signum == signal.SIGINT else "terminated"
        print(f"\n{word}", file=sys.stderr)  # on a line of its own: a run's bar stops mid-line
        sys.exit(128 + signum)
    except (ConfigError, HydraException, OmegaConfBaseException) as ex:
        print(f"error: {one_line_error(ex, schema)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except FileNotFoundError as ex:
        print(f"error: file not found: {ex.filename}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except yaml.YAMLError as ex:  # a config file of the user's (a journey, a preset) that
        # does not parse: name the file and the place, not a 150-line traceback
        print(f"error: {yaml_error(ex)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except ValueError as ex:
        # Hydra reports misused command-line flags (e.g. -m with --cfg) as a ValueError from
        # its own code; anything raised elsewhere is a bug and keeps its traceback.
        frames = traceback.extract_tb(ex.__traceback__)
        if not frames or f"{os.sep}hydra{os.sep}" not in frames[-1].filename:
            raise
        print(f"error: {ex}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    finally:
        signal.signal(signal.SIGTERM, previous)


def yaml_error(ex: yaml.YAMLError) -> str:
    """One line for a YAML file that does not parse: the file, the line and column, the problem."""
    mark = getattr(ex, "problem_mark", None)
    problem = getattr(ex, "problem", None) or str(ex).splitlines()[0]
    if mark is None:
        return f"a config file does not parse as YAML: {problem}"
    return (
        f"{mark.name} does not parse as YAML: {problem} (line {mark.line + 1}, column "
        f"{mark.column + 1}); allowed: a YAML mapping of config keys"
    )


def kept_after_interrupt(job_config: DictConfig | None) -> str:
    """What a study stopped during its runs leaves behind, read from its run directory rather
    than assumed. `job_config` is the Hydra job's config as it was when the runs stopped (Hydra
    resets it while the interrupt unwinds). A study writes its results only when it finishes
    (sim/study.py), so an interrupted one leaves just Hydra's record, which is removed like a
    refused run's; sim-calibrate keeps its finished trials; a sweep keeps its finished jobs."""
    if job_config is None:
        return "nothing written"
    hc = job_config.hydra
    if hc.mode == RunMode.MULTIRUN:
        return f"finished jobs are kept in {hc.sweep.dir}"
    instance = HydraConfig.instance()
    current, instance.cfg = instance.cfg, job_config
    try:
        discard_unused_run_dir()
    finally:
        instance.cfg = current
    outdir = Path(hc.runtime.output_dir)
    if not outdir.is_dir():
        return "nothing written"
    ours = {str(hc.output_subdir), f"{hc.job.name}.log"}
    kept = sorted(p.name for p in outdir.iterdir() if p.name not in ours)
    return f"kept in {outdir}: {', '.join(kept)}" if kept else "nothing written"


def quiet_libraries() -> None:
    """Hydra sets the root logger to INFO; Mesa logs every step there. Keep the console useful."""
    for name in ("MESA", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)


def labels_from_hydra(cfg: DictConfig) -> dict[str, str]:
    """Labels for the outputs: which presets were chosen (only for naming, never for logic)."""
    choices = HydraConfig.get().runtime.choices
    return {"scenario": str(choices.get("scenario", "custom")), "org": str(cfg.org.name)}


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix.rstrip("."): node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out.update(_flat(value, f"{prefix}{key}."))
    return out


def config_changes(outdir: Path, composed: DictConfig, limit: int = 3) -> str:
    """` (seed 0 -> 7, days 180 -> 365)`: how `composed` differs from the config recorded in
    `outdir`'s record; "" when the record cannot be read or shows no difference (the hash also
    covers what the record does not: a drawn parameter set, a preset's name)."""
    from sim.outputs import NOT_IN_HASH

    try:
        old = yaml.safe_load((outdir / RECORD_DIR / "config.yaml").read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    if not isinstance(old, dict):
        return ""
    before = _flat(old)
    after = _flat(OmegaConf.to_container(composed, enum_to_str=True))
    unset = object()
    keys = sorted(
        k
        for k in before.keys() | after.keys()
        if k.split(".")[0] not in NOT_IN_HASH and before.get(k, unset) != after.get(k, unset)
    )

    def text(value: Any) -> str:
        return "unset" if value is unset else str(value)[:40]

    shown = [f"{k} {text(before.get(k, unset))} -> {text(after.get(k, unset))}" for k in keys]
    more = f", {len(keys) - limit} more" if len(keys) > limit else ""
    return f" ({', '.join(shown[:limit])}{more})" if shown else ""


def finished_with(outdir: Path, digest: str) -> str | None:
    """None when `outdir` holds no finished run or one of the config hashing to `digest`; else
    why its run cannot stand for this config."""
    from sim.outputs import stored_hash

    stored = stored_hash(outdir)
    if stored is None or stored == digest:
        return None
    if not stored:
        return "holds a finished run recorded without a config hash (an older version's)"
    return "holds a finished run of a different config"


def check_folder(outdir: Path, digest: str, composed: DictConfig) -> bool:
    """True when `outdir` holds this very run, finished (skip it); False when it holds no
    finished run (run it). A finished run of another config is refused in one line: its
    results and record stay as they are."""
    from sim.outputs import is_complete

    why = finished_with(outdir, digest)
    if why is not None:
        stop(
            f"{outdir} {why}{config_changes(outdir, composed)}; it is kept as it is: give this "
            "run a new hydra.run.dir (hydra.sweep.dir for a sweep), or delete that folder to run "
            "this config there"
        )
    return is_complete(outdir)


def start_record(outdir: Path, composed: DictConfig) -> None:
    """Before a job runs: remove what a killed writer left in its folder, and write the job's
    record (RECORD_DIR: config.yaml as composed, hydra.yaml, overrides.yaml, as Hydra writes
    them). An unfinished run's record is replaced with the run's outputs."""
    from sim.outputs import remove_stale_temporaries, write_text_atomically

    remove_stale_temporaries(outdir)
    hc = HydraConfig.get()
    if hc.output_subdir is not None:
        return  # hydra.output_subdir was set on the command line: Hydra has written the record
    record = outdir / RECORD_DIR
    remove_stale_temporaries(record)
    write_text_atomically(record / "config.yaml", OmegaConf.to_yaml(composed))
    write_text_atomically(record / "hydra.yaml", OmegaConf.to_yaml(HydraConfig.instance().cfg))
    write_text_atomically(record / "overrides.yaml", OmegaConf.to_yaml(hc.overrides.task))


def run_identity(
    config: SimConfig, cfg: DictConfig, drawn: dict[str, str]
) -> tuple[dict[str, str], str]:
    """A checked job's labels and config hash (what its summary.json stores)."""
    from sim.outputs import config_hash

    labels = {**labels_from_hydra(cfg), **drawn}
    return labels, config_hash(asdict(config), labels)


class SweepCheck(Callback):
    """`sim-run -m`: before Hydra writes the sweep's multirun.yaml or starts a job, every planned
    job is checked: its config is valid, and a finished job already in the sweep folder was run
    with the same config. Otherwise the sweep is refused in one line and nothing is written (a
    sweep stopped half-way would leave valid jobs killed, or a folder mixing two configs)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Hydra turns a callback's exception into a warning and carries on: refuse here.
        try:
            check_sweep(config)
        except (HydraException, OmegaConfBaseException) as ex:
            stop(f"{one_line_error(ex)} (no job was started)", in_job=False)


def check_sweep(config: DictConfig) -> None:
    """SweepCheck's work: compose every job of the sweep as Hydra's basic sweeper and launcher
    will (another sweeper's jobs are only known as it runs: they are checked one by one)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.ensemble import apply_to_run

    if OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER:
        return
    loader = GlobalHydra.instance().config_loader()
    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    lines = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(lines)
    jobs = BasicSweeper.split_arguments(parsed, None)[0]
    clashes: list[tuple[Path, str, DictConfig]] = []
    instance = HydraConfig.instance()
    saved = instance.cfg
    try:
        for index, job in enumerate(jobs):
            job_cfg = loader.load_sweep_config(master_config=config, sweep_overrides=list(job))
            with open_dict(job_cfg):
                job_cfg.hydra.job.id = index
                job_cfg.hydra.job.num = index
            instance.set_config(job_cfg)
            task = copy.deepcopy(job_cfg)
            with open_dict(task):
                del task["hydra"]
            composed = copy.deepcopy(task)
            try:
                drawn = apply_to_run(task)
                _, digest = run_identity(to_dataclass(task), task, drawn)
            except ConfigError as ex:
                where = f"job #{index} of the sweep: {' '.join(job)}"
                stop(f"{one_line_error(ex)} ({where}; no job was started)", in_job=False)
            outdir = Path(str(job_cfg.hydra.sweep.dir)) / str(job_cfg.hydra.sweep.subdir)
            why = finished_with(outdir, digest)
            if why is not None:
                clashes.append((outdir, why, composed))
    finally:
        instance.cfg = saved
    if clashes:
        outdir, why, composed = clashes[0]
        stop(
            f"{len(clashes)} of the sweep's {len(jobs)} jobs already finished with a different "
            f"config: {outdir} {why}{config_changes(outdir, composed)}; they are kept as they "
            "are: give the sweep a new hydra.sweep.dir, or delete those job folders to run this "
            "config there (nothing was started)",
            in_job=False,
        )


def draw_parameters(cfg: DictConfig) -> dict[str, str]:
    """sim.ensemble's `apply_to_run`, without importing pandas for a run that takes its
    parameters from its config (the default: `uncertainty=seeds`, no ensemble), where it only
    takes both keys off the config and draws nothing."""
    if cfg.get("uncertainty", "seeds") == "seeds" and cfg.get("ensemble") is None:
        with open_dict(cfg):
            cfg.pop("uncertainty", None)
            cfg.pop("ensemble", None)
        return {}
    from sim.ensemble import apply_to_run

    return apply_to_run(cfg)


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _run(cfg: DictConfig) -> dict:
    quiet_libraries()
    composed = copy.deepcopy(cfg)  # the job's config as composed: what its record holds
    try:
        drawn = draw_parameters(cfg)
    except ConfigError as ex:
        refuse(ex)
    config = checked_config(cfg)
    # Imported once the config is checked: the model, pandas and matplotlib behind them are
    # most of a run's start-up, and a refused config needs none of them.
    from sim.outputs import HASH_KEY, format_summary
    from sim.runner import simulate

    labels, digest = run_identity(config, cfg, drawn)
    outdir = Path(HydraConfig.get().runtime.output_dir)
    if check_folder(outdir, digest, composed):
        print(f"{outdir}: already complete, skipped")
        return {}
    start_record(outdir, composed)
    summary = simulate(config, outdir, {**labels, HASH_KEY: digest})
    print(f"\n{labels['org']} / {labels['scenario']} / seed {config.seed}: {config.days} days")
    print(format_summary(summary))
    print(f"results in {outdir}")
    return summary


def run_main() -> None:
    """`sim-run`: one organisation, one scenario, one seed (or a Hydra multirun of them)."""
    sys.argv[1:] = with_own_overrides(sys.argv[1:], RUN_SETTINGS)
    guarded(_run)


def with_own_overrides(args: list[str], own: Sequence[str] = ()) -> list[str]:
    """The command line with the command's own overrides (and a job log created only when
    something is logged) inserted just before the user's: argparse takes the overrides as one
    run of arguments, and the user's own hydra.* overrides, coming later, win."""
    # A chosen job_logging (e.g. hydra/job_logging=none) may have no file handler to delay.
    log = [] if any("hydra/job_logging" in a for a in args) else [LOG_ON_DEMAND]
    at = next((i for i, a in enumerate(args) if "=" in a and not a.startswith("-")), len(args))
    at = 0 if at == len(args) else at  # no override: first (after a flag it could be its value)
    return [*args[:at], *own, *log, *args[at:]]
