"""Are two versions of the simulator bit-identical? `python benchmarks/identity.py --against REF`.

A speed-up must not move a single number: this runs a fixed set of cases (the unit size, the
hotel, every scenario preset, the single-stage and the back-office journey, each management
rule) on the working tree and on another version, and compares every output bit for bit: the
daily table, the journey log, the survey rows, the last year's summary and the final
populations. The other version is a git ref (`--against main`, unpacked with `git archive`
into a temporary folder) or a folder holding a checkout (`--base-tree DIR`). Each side runs
in its own interpreter with its own `PYTHONPATH`, so nothing of one leaks into the other.

    python benchmarks/identity.py --against main          # exit 1 and the differing parts if any
    python benchmarks/identity.py --digest                # this tree's digests as JSON (one side)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
UNIT = ["org.employees=20", "org.customers=5000"]
SMALL = ["org.employees=20", "org.customers=3000"]
SCENARIOS = (
    "baseline",
    "consistent_leadership",
    "cost_cutting",
    "feedback_sharing",
    "loose_scripts",
    "people_driven",
    "retention_programme",
    "ritz_recovery",
)
# name -> (overrides, days). Long enough for surveys (91 days) and management reviews.
CASES: dict[str, tuple[list[str], int]] = {
    "unit_call_centre": (UNIT, 1095),
    "hotel": (["org=hotel", "org.employees=30", "org.customers=4000"], 400),
    "single_stage": ([*SMALL, "journey=single_stage", "seed=3"], 300),
    **{f"scenario_{s}": ([*SMALL, f"scenario={s}", "seed=1"], 200) for s in SCENARIOS},
    **{
        f"management_{rule}": ([*SMALL, f"management.rule={rule}", "seed=2"], 400)
        for rule in ("cost_focused", "people_driven", "balanced")
    },
}
# Opt-in, not in the default set (`--cases large`): the benchmark's size L for a year, where
# the large-population shortcuts (bulk agents, work arrays, table growth) do their work; about
# 15 s and 600 MiB a side.
EXTRA_CASES: dict[str, tuple[list[str], int]] = {
    "large": (["org.employees=1000", "org.customers=500000"], 365),
}


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()


def _frame_bytes(frame: Any) -> bytes:
    """A DataFrame's columns, dtypes and values, byte for byte (NaN patterns included)."""
    import numpy as np

    out = [repr(list(frame.columns)).encode()]
    for col in frame.columns:
        values = frame[col].to_numpy()
        out.append(f"{col}:{values.dtype}".encode())
        if values.dtype == object:
            out.append(repr(values.tolist()).encode())
        else:
            out.append(np.ascontiguousarray(values).tobytes())
    return b"".join(out)


def _value_bytes(value: Any) -> bytes:
    """Any output value as bytes: arrays by their buffer, floats by their bits."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"{value.dtype}{value.shape}".encode() + np.ascontiguousarray(value).tobytes()
    if isinstance(value, dict):
        return b"".join(k.encode() + _value_bytes(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(_value_bytes(v) for v in value) + b"]"
    if isinstance(value, (float, np.floating)):
        return np.float64(value).tobytes()
    return repr(value).encode()


def digest_case(overrides: list[str], days: int) -> dict[str, str]:
    """Run one case and hash each of its outputs."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.cli import CONFIG_DIR
    from sim.config import to_dataclass
    from sim.model import ServiceModel
    from sim.outputs import journey_frame, population_frames, summarise

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, f"days={days}", "progress=false"])
    GlobalHydra.instance().clear()
    model = ServiceModel(to_dataclass(cfg))
    for _ in range(days):
        model.step()
    ts = model.timeseries()
    staff, customers = population_frames(model)
    return {
        "timeseries": _sha(_frame_bytes(ts)),
        "journey_log": _sha(*(_value_bytes(d) for d in model.journey_log)),
        "survey_rows": _sha(*(_value_bytes(r) for r in model.survey_rows)),
        "summary": _sha(_value_bytes(summarise(ts))),
        "journey_frame": _sha(_frame_bytes(journey_frame(model))),
        "staff": _sha(_frame_bytes(staff)),
        "customers": _sha(_frame_bytes(customers)),
        "rows": str(len(ts)),
    }


def digest_all(names: list[str]) -> dict[str, dict[str, str]]:
    return {name: digest_case(*{**CASES, **EXTRA_CASES}[name]) for name in names}


def json_from(tree: Path, args: list[str], what: str) -> Any:
    """Run `python ARGS` on the simulator in `tree` (first on sys.path, and the working folder)
    in a fresh interpreter, and return the JSON of its last line of output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tree), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=tree, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{what} in {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_side(tree: Path, names: list[str]) -> dict[str, dict[str, str]]:
    """Digests of the simulator in `tree`, computed in a fresh interpreter."""
    script = str(Path(__file__).resolve())
    return json_from(tree, [script, "--digest", "--cases", ",".join(names)], "digest")


def unpack(ref: str, into: Path) -> Path:
    """`git archive REF` into a folder: the other version, without touching any worktree."""
    archive = into / "tree.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--against", help="git ref to compare the working tree with")
    side.add_argument("--base-tree", type=Path, help="a checkout to compare the working tree with")
    side.add_argument("--digest", action="store_true", help="print this tree's digests (JSON)")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated case names (all but the opt-in {', '.join(EXTRA_CASES)})",
    )
    args = parser.parse_args(argv)
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in CASES and n not in EXTRA_CASES]
    if unknown:
        known = ", ".join([*CASES, *EXTRA_CASES])
        parser.error(f"--cases {unknown[0]} is not a case: one of {known}")
    if args.digest:
        print(json.dumps(digest_all(names)))
        return 0
    with tempfile.TemporaryDirectory(prefix="identity-") as tmp:
        base_tree = args.base_tree or unpack(args.against, Path(tmp))
        base = run_side(base_tree.resolve(), names)
        ours = run_side(ROOT, names)
    differ = [
        f"{name}.{part}"
        for name in names
        for part in base[name]
        if base[name][part] != ours[name][part]
    ]
    label = args.against or str(args.base_tree)
    if differ:
        print(f"DIFFERENT from {label}: {', '.join(differ)}")
        return 1
    parts = sum(len(v) for v in base.values())
    print(f"identical to {label}: {len(names)} cases, {parts} outputs compared bit for bit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
