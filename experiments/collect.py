"""`sim-collect DIR`: one table of a Hydra multirun of sim-run jobs.

    sim-run -m seed=0,1,2 scenario=baseline,people_driven hydra.sweep.dir=/abs/sweep
    sim-collect /abs/sweep                     # -> /abs/sweep/results.parquet
    sim-collect /abs/sweep --out results.csv   # CSV; .parquet for Parquet

DIR is the sweep's folder: it holds Hydra's `multirun.yaml`, from which the planned jobs are
read (the sweep's overrides expanded as Hydra's basic sweeper expands them). One row per planned
job and per job folder found (a folder holding `.hydra/overrides.yaml`): the job's overrides as
columns (`seed`, `scenario`, `org.customers`, ... with their types), every key of its
summary.json, `job` (the folder, relative to DIR; empty for a job that never started), `status`
(`complete`, `incomplete`: started but killed, or `not started`) and `complete`. A job that is not
complete has empty KPI columns: rerun the same sweep to finish it. Where an override and a summary
key share a name (`seed`, `scenario`, `days`), the summary's value, what the run used, is kept.

A job folder whose `.hydra/overrides.yaml` cannot be read is left out of the table and named in a
warning. The command prints one line: `6 planned, 2 complete, 2 incomplete, 2 not started -> PATH`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.cli import guarded
from sim.config import ConfigError

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    import pandas as pd

MULTIRUN = "multirun.yaml"  # what Hydra's sweeper writes into the sweep folder
FORMATS = {".parquet": "Parquet", ".csv": "CSV"}
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def job_dirs(root: Path) -> list[Path]:
    """The Hydra job folders under `root` (those holding `.hydra/overrides.yaml`), sorted."""
    return sorted(p.parent.parent for p in root.rglob(".hydra/overrides.yaml"))


def _plain(value: Any) -> Any:
    """A parquet-friendly value: numbers and strings as they are, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def parse_overrides(lines: list[str]) -> dict[str, Any]:
    """`["seed=1", "org.customers=3000", "+x=a"]` -> `{"seed": 1, "org.customers": 3000, "x": "a"}`.

    Values are typed as Hydra types them (int, float, bool, str); lists and sweeps become text.
    A deletion (`~key`) is recorded as None.
    """
    parsed = OverridesParser.create().parse_overrides(overrides=list(lines))
    out: dict[str, Any] = {}
    for o in parsed:
        out[o.key_or_group] = None if o.is_delete() else _plain(o.value())
    return out


def _identity(overrides: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What makes two jobs the same job: their overrides, whatever their order."""
    return tuple(sorted((k, repr(v)) for k, v in overrides.items()))


@dataclass
class Plan:
    """The jobs a sweep planned: each job's overrides and, where Hydra's naming of job folders
    can be followed, the folder it runs in (relative to the sweep folder)."""

    jobs: list[list[str]]
    folders: list[str | None] = field(default_factory=list)


def read_plan(root: Path) -> Plan | None:
    """The planned jobs of the sim-run sweep in `root`, from its multirun.yaml; None when the
    sweep used another sweeper than Hydra's basic one (its jobs cannot be listed in advance).

    Raises:
        ConfigError: `root` has no readable multirun.yaml, or it is another command's sweep.
    """
    path = root / MULTIRUN
    if not path.is_file():
        raise ConfigError(
            "DIR",
            str(root),
            f"it is not a multirun folder (it has no {MULTIRUN}): give the hydra.sweep.dir of "
            "a `sim-run -m` sweep",
        )
    try:
        cfg = OmegaConf.load(path)
        config_name = OmegaConf.select(cfg, "hydra.job.config_name")
        sweeper = OmegaConf.select(cfg, "hydra.sweeper._target_")
        node = OmegaConf.select(cfg, "hydra.sweeper.params")
        params = OmegaConf.to_container(node) if node is not None else {}
        task = OmegaConf.to_container(cfg.hydra.overrides.task)
    except (OSError, yaml.YAMLError, OmegaConfBaseException, AttributeError) as ex:
        reason = str(ex).splitlines()[0] if str(ex) else type(ex).__name__
        raise ConfigError(
            "DIR", str(root), f"a sweep folder with a readable {MULTIRUN} ({reason})"
        ) from ex
    if config_name != "config":
        raise ConfigError(
            "DIR",
            str(root),
            f"a multirun folder of sim-run (this is a sweep of configs/{config_name}.yaml, "
            "another command's)",
        )
    if sweeper != BASIC_SWEEPER:
        return None
    try:
        parser = OverridesParser.create()
        lines = [f"{k}={v}" for k, v in params.items()] + [str(t) for t in task]
        jobs = BasicSweeper.split_arguments(parser.parse_overrides(lines), None)[0]
    except (HydraException, ValueError) as ex:
        raise ConfigError(
            "DIR", str(root), f"a {MULTIRUN} whose sweep can be expanded ({ex})"
        ) from ex
    return Plan(jobs=jobs, folders=[_job_folder(cfg, job, i) for i, job in enumerate(jobs)])


def _job_folder(multirun: DictConfig, job: list[str], index: int) -> str | None:
    """Where Hydra puts job `index` of the sweep (hydra.sweep.subdir, as its launcher fills in
    the job's name fields); None when the subdir cannot be worked out without running Hydra."""
    try:
        naming = multirun.hydra.job.config.override_dirname
        dirname = get_overrides_dirname(
            OverridesParser.create().parse_overrides(job),
            exclude_keys=list(naming.exclude_keys),
            item_sep=naming.item_sep,
            kv_sep=naming.kv_sep,
        )
        probe = OmegaConf.create({"hydra": OmegaConf.to_container(multirun.hydra)})
        with open_dict(probe):
            probe.hydra.job.override_dirname = dirname
            probe.hydra.job.num = index
            probe.hydra.job.id = index
        return str(OmegaConf.select(probe, "hydra.sweep.subdir", throw_on_resolution_failure=True))
    except (HydraException, OmegaConfBaseException, ValueError, KeyError, AttributeError):
        return None


def read_overrides(job: Path) -> list[str]:
    """A job folder's `.hydra/overrides.yaml`: its overrides as Hydra recorded them.

    Raises:
        ValueError: the file is unreadable, not a list of overrides, or they do not parse.
    """
    try:
        lines = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as ex:
        raise ValueError(str(ex).splitlines()[0] if str(ex) else type(ex).__name__) from ex
    if not isinstance(lines, list) or not all(isinstance(s, str) for s in lines):
        raise ValueError("not a list of overrides")
    try:
        parse_overrides(lines)
    except HydraException as ex:
        raise ValueError(str(ex).splitlines()[0]) from ex
    return lines


def job_row(job: Path, root: Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """One job's row: its overrides, its summary (if complete), its folder and status."""
    from sim.outputs import is_complete

    overrides = read_overrides(job) if overrides is None else overrides
    row: dict[str, Any] = {"job": str(job.relative_to(root)) if job != root else "."}
    row.update(parse_overrides(overrides))
    complete = is_complete(job)
    if complete:
        summary = json.loads((job / "summary.json").read_text())
        row.update({k: _plain(v) for k, v in summary.items()})
    row["status"] = "complete" if complete else "incomplete"
    row["complete"] = complete
    return row


def _uniform_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns that mix text with numbers (e.g. `scenario` overridden only in some jobs) as text."""
    import pandas as pd

    for col in frame.columns:
        values = frame[col].dropna()
        kinds = {type(v) for v in values}
        if str in kinds and len(kinds) > 1:
            frame[col] = frame[col].map(lambda v: v if v is None or pd.isna(v) else str(v))
    return frame


@dataclass
class Collection:
    """A sweep's table and what was found: `planned` is the number of jobs multirun.yaml plans
    (None when that is unknown: another sweeper); `unreadable` maps a skipped job folder to why.
    With a plan, the table's `planned` column says which rows it names: a folder it does not
    name is left from an earlier sweep into the same folder."""

    frame: pd.DataFrame
    planned: int | None
    unreadable: dict[str, str]

    def count(self, status: str, *, planned: bool = True) -> int:
        rows = self.frame
        if self.planned is not None:
            rows = rows[rows["planned"] == planned]
        return int((rows["status"] == status).sum())

    def line(self) -> str:
        """`6 planned, 2 complete, 2 incomplete, 2 not started`, and what does not fit."""
        statuses = ("complete", "incomplete", "not started")
        counts = ", ".join(f"{self.count(s)} {s}" for s in statuses)
        if self.planned is None:
            return f"{len(self.frame)} jobs (plan unknown: not Hydra's basic sweeper), {counts}"
        text = f"{self.planned} planned, {counts}"
        if self.unreadable:
            text += f", {len(self.unreadable)} unreadable (skipped)"
        outside = int((~self.frame["planned"].astype(bool)).sum())
        if outside:
            done = self.count("complete", planned=False)
            text += f"; {outside} more not in {MULTIRUN} ({done} complete: an earlier sweep here)"
        return text


def collect(root: Path) -> Collection:
    """The table of every planned job of the sweep in `root`, and of every job folder in it.

    Raises:
        ConfigError: `root` is not a folder, or not a multirun folder of sim-run.
    """
    import pandas as pd

    if not root.is_dir():
        raise ConfigError("DIR", str(root), "an existing Hydra multirun directory")
    plan = read_plan(root)
    rows: list[dict[str, Any]] = []
    unreadable: dict[str, str] = {}
    found: list[tuple[tuple[str, str], ...]] = []  # each row's identity, in row order
    for job in job_dirs(root):
        try:
            overrides = read_overrides(job)
        except ValueError as ex:
            unreadable[str(job.relative_to(root)) if job != root else "."] = str(ex)
            continue
        found.append(_identity(parse_overrides(overrides)))
        rows.append(job_row(job, root, overrides))
    if plan is not None:
        planned = {_identity(parse_overrides(j)) for j in plan.jobs}
        for row, key in zip(rows, found, strict=True):
            row["planned"] = key in planned
        for job, folder in zip(plan.jobs, plan.folders, strict=True):
            if _identity(parse_overrides(job)) in found or (folder or "\0") in unreadable:
                continue  # collected above, or skipped (and reported) above
            row: dict[str, Any] = {"job": None, **parse_overrides(job)}
            rows.append({**row, "status": "not started", "complete": False, "planned": True})
    if not rows:
        raise ConfigError("DIR", str(root), "a sweep folder with at least one readable job")
    frame = pd.DataFrame(rows)
    first = ["job", "status", "complete"] + (["planned"] if plan is not None else [])
    frame = frame[first + [c for c in frame.columns if c not in first]]
    planned_count = len(plan.jobs) if plan is not None else None
    return Collection(_uniform_types(frame), planned_count, unreadable)


def output_path(root: Path, out: str | None) -> Path:
    """Where to write the table: DIR/results.parquet by default; `--out` ending in .parquet or
    .csv (the format follows the name).

    Raises:
        ConfigError: any other ending.
    """
    path = Path(out).expanduser() if out else root / "results.parquet"
    if path.suffix.lower() not in FORMATS:
        allowed = ", ".join(f"{s} ({f})" for s, f in FORMATS.items())
        raise ConfigError("--out", str(path), f"a file name ending in {allowed}")
    return path


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as the format `path`'s name says, creating its folder.

    Raises:
        ConfigError: the folder cannot be created or written to.
    """
    from sim.outputs import write_atomic

    csv = path.suffix.lower() == ".csv"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(
            path,
            (lambda p: frame.to_csv(p, index=False))
            if csv
            else (lambda p: frame.to_parquet(p, index=False)),
        )
    except OSError as ex:
        raise ConfigError("--out", str(path), f"a path that can be written ({ex.strerror})") from ex


class _Parser(argparse.ArgumentParser):
    """argparse with the house's one-line error (no usage block) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (usage: sim-collect DIR [--out PATH])", file=sys.stderr)
        raise SystemExit(2)


def _main(argv: list[str]) -> None:
    parser = _Parser(
        prog="sim-collect", description="Collect a Hydra multirun of sim-run into one table."
    )
    parser.add_argument("dir", metavar="DIR", help="the multirun folder (hydra.sweep.dir)")
    parser.add_argument(
        "--out", help="where to write: NAME.parquet or NAME.csv (default DIR/results.parquet)"
    )
    args = parser.parse_args(argv)
    root = Path(args.dir).expanduser().resolve()
    out = output_path(root, args.out)
    found = collect(root)
    for job, reason in found.unreadable.items():
        print(
            f"warning: skipped {job}: .hydra/overrides.yaml is unreadable ({reason})",
            file=sys.stderr,
        )
    write_table(found.frame, out)
    unfinished = found.count("incomplete") + found.count("not started")
    note = " (rerun the same sweep to finish the rest)" if unfinished else ""
    print(f"{found.line()} -> {out}{note}")


def main() -> None:
    """`sim-collect DIR [--out PATH]`."""
    argv = sys.argv[1:]
    guarded(lambda: _main(argv))


if __name__ == "__main__":
    main()
