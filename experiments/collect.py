"""`sim-collect DIR`: one table of a Hydra multirun of sim-run jobs.

    sim-run -m seed=0,1,2 scenario=baseline,people_driven hydra.sweep.dir=/abs/sweep
    sim-collect /abs/sweep                     # -> /abs/sweep/results.parquet
    sim-collect /abs/sweep --out results.parquet

One row per job (every folder under DIR with a `.hydra/overrides.yaml`): the job's overrides as
columns (`seed`, `scenario`, `org.customers`, ... with their types), every key of its
summary.json, and `job` (the folder, relative to DIR) and `complete` (its summary.json is there
and whole: a job that was killed has `complete = False` and empty KPI columns; rerun the same
sweep to finish it). Where an override and a summary key share a name (`seed`, `scenario`,
`days`), the summary's value, what the run actually used, is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.cli import guarded
from sim.config import ConfigError
from sim.outputs import is_complete


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


def job_row(job: Path, root: Path) -> dict[str, Any]:
    """One job's row: its overrides, its summary (if complete), its folder and completeness."""
    overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()) or []
    row: dict[str, Any] = {"job": str(job.relative_to(root)) if job != root else "."}
    row.update(parse_overrides(overrides))
    complete = is_complete(job)
    if complete:
        summary = json.loads((job / "summary.json").read_text())
        row.update({k: _plain(v) for k, v in summary.items()})
    row["complete"] = complete
    return row


def _uniform_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns that mix text with numbers (e.g. `scenario` overridden only in some jobs) as text."""
    for col in frame.columns:
        values = frame[col].dropna()
        kinds = {type(v) for v in values}
        if str in kinds and len(kinds) > 1:
            frame[col] = frame[col].map(lambda v: v if v is None or pd.isna(v) else str(v))
    return frame


def collect(root: Path) -> pd.DataFrame:
    """The table of every job under `root`.

    Raises:
        ConfigError: `root` is not a folder, or holds no Hydra job.
    """
    if not root.is_dir():
        raise ConfigError("DIR", str(root), "an existing Hydra multirun directory")
    jobs = job_dirs(root)
    if not jobs:
        raise ConfigError("DIR", str(root), "a folder with Hydra jobs (.hydra/overrides.yaml)")
    frame = pd.DataFrame([job_row(j, root) for j in jobs])
    first = ["job", "complete"]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    return _uniform_types(frame)


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
    parser.add_argument("--out", help="where to write (default DIR/results.parquet)")
    args = parser.parse_args(argv)
    root = Path(args.dir).expanduser().resolve()
    frame = collect(root)
    out = Path(args.out) if args.out else root / "results.parquet"
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(out)
    done = int(frame["complete"].sum())
    note = f" ({len(frame) - done} incomplete: rerun the sweep)" if done < len(frame) else ""
    print(f"{len(frame)} runs{note} -> {out}")


def main() -> None:
    """`sim-collect DIR [--out PATH]`."""
    argv = sys.argv[1:]
    guarded(lambda: _main(argv))


if __name__ == "__main__":
    main()
