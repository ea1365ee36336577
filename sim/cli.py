"""Command-line entry points (Hydra apps). Bad input becomes one line on stderr and exit code 2."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, SimConfig, register_configs, to_dataclass

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention for Ctrl+C
HYDRA_RECORD = {"config.yaml", "hydra.yaml", "overrides.yaml"}  # what Hydra writes in .hydra/

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
    head = next((ln.strip() for ln in msg.splitlines() if ln.strip()), type(cause).__name__)
    return f"{full.group(1)}: {head}" if full else head


def refuse(ex: ConfigError) -> NoReturn:
    """Stop with the one-line error, leaving no run directory behind. SystemExit passes through
    Hydra's job runner untouched (it catches Exception and would add its own lines), so the user
    sees exactly one line."""
    print(f"error: {one_line_error(ex)}", file=sys.stderr)
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
    from sim.analysis.parallel import Interrupted

    os.environ["HYDRA_FULL_ERROR"] = "1"  # let Hydra re-raise so we can word the message
    try:
        entry()
    except Interrupted as ex:  # Ctrl+C or SIGTERM during a study's runs: the workers are gone
        print(f"{ex}; {kept_after_interrupt(ex.hydra_config)}", file=sys.stderr)
        sys.exit(ex.code)
    except KeyboardInterrupt:  # outside a study's runs (sim-run, start-up): no count to give
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except (ConfigError, HydraException, OmegaConfBaseException) as ex:
        print(f"error: {one_line_error(ex, schema)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except FileNotFoundError as ex:
        print(f"error: file not found: {ex.filename}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except ValueError as ex:
        # Hydra reports misused command-line flags (e.g. -m with --cfg) as a ValueError from
        # its own code; anything raised elsewhere is a bug and keeps its traceback.
        frames = traceback.extract_tb(ex.__traceback__)
        if not frames or f"{os.sep}hydra{os.sep}" not in frames[-1].filename:
            raise
        print(f"error: {ex}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


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


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _run(cfg: DictConfig) -> dict:
    from sim.ensemble import apply_to_run
    from sim.outputs import format_summary, is_complete
    from sim.runner import simulate

    quiet_libraries()
    try:
        drawn = apply_to_run(cfg)
    except ConfigError as ex:
        refuse(ex)
    config = checked_config(cfg)
    outdir = Path(HydraConfig.get().runtime.output_dir)
    if is_complete(outdir):
        print(f"{outdir}: already complete, skipped")
        return {}
    labels = {**labels_from_hydra(cfg), **drawn}
    summary = simulate(config, outdir, labels)
    print(f"\n{labels['org']} / {labels['scenario']} / seed {config.seed}: {config.days} days")
    print(format_summary(summary))
    print(f"results in {outdir}")
    return summary


def run_main() -> None:
    """`sim-run`: one organisation, one scenario, one seed (or a Hydra multirun of them)."""
    guarded(_run)
