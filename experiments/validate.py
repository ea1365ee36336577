"""`sim-validate`: the model against every published figure of targets.md.

    sim-validate                          # every check, full size; writes docs/VALIDATION.md
    sim-validate --quick                  # small sizes, few seeds (minutes)
    sim-validate --checks turnover,erlang --replications 10 --out /tmp/v.md

Each check is a small experiment (sim/validation/checks.py); distinct runs are done once, in
parallel over processes, with a progress bar. Figures go to img/validation/ next to the report.
Bad input (an unknown check, replications < 1, workers < 1) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import EXIT_BAD_INPUT

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "VALIDATION.md"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def refuse_overrides(parser: _Parser, argv: list[str]) -> None:
    """sim-validate takes flags, not Hydra's `key=value`: name the command a setting belongs to
    (`replications=5` is sim-compare's and sim-plan's) and what this command takes."""
    from sim.study import owners

    flags = ", ".join(
        a for action in parser._actions for a in action.option_strings[-1:] if a != "--help"
    )
    for arg in argv:
        if arg.startswith("-") or "=" not in arg:
            continue
        key = arg.split("=", 1)[0].lstrip("+~")
        whose = owners(key.split(".")[-1]) or owners(key.split(".")[0])
        of = f"a setting of {' and '.join(whose)}, " if whose else ""
        parser.error(f"{arg} is {of}not an option of sim-validate: it takes {flags}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    from sim.validation import check_names

    p = _Parser(prog="sim-validate", description=__doc__.split("\n\n")[0])
    p.add_argument("--checks", default="", help="comma-separated check names (default: all)")
    p.add_argument("--quick", action="store_true", help="small sizes and few seeds")
    p.add_argument("--replications", type=int, default=None, help="seeds per arm (default: size)")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report path (markdown)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--cache", type=Path, default=None, help="keep run outputs here to re-judge without runs"
    )
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    refuse_overrides(p, sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    names = check_names()
    chosen = [n.strip() for n in args.checks.split(",") if n.strip()] or names
    bad = [n for n in chosen if n not in names]
    if bad:
        p.error(f"--checks: {bad[0]!r} is not a check: allowed {', '.join(names)}")
    if args.replications is not None and args.replications < 1:
        p.error(f"--replications={args.replications} is not allowed: an integer >= 1")
    if args.workers is not None and args.workers < 1:
        p.error(f"--workers={args.workers} is not allowed: an integer >= 1")
    args.names = chosen
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    from sim.analysis.parallel import Interrupted, default_workers
    from sim.validation import CHECKS, FULL, QUICK, run_checks
    from sim.validation.report import render

    if args.list:
        for name, c in CHECKS.items():
            print(f"{name:<22}{c.figure}")
        return
    size = QUICK if args.quick else FULL
    if args.replications is not None:
        size = size.with_seeds(args.replications)
    workers = args.workers or default_workers()
    out = Path(args.out)
    image_dir = out.parent / "img" / "validation"
    try:
        results, timings = run_checks(
            args.names,
            size,
            workers=workers,
            progress=not args.no_progress,
            image_dir=image_dir,
            cache=args.cache,
        )
    except Interrupted as ex:  # Ctrl+C or SIGTERM: the workers are gone; say what is kept
        kept = f"finished runs are kept in {args.cache}" if args.cache else "nothing written"
        print(f"\n{ex}; {kept}", file=sys.stderr)
        sys.exit(ex.code)
    command = "sim-validate " + " ".join(sys.argv[1:] if argv is None else argv)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, size, timings, command=command.strip()))
    for r in results:
        print(f"{r.name:<22}{r.verdict:<16}{r.model}")
    print(f"{out} ({timings['wall_runs'] / 60:.1f} min of runs)")


if __name__ == "__main__":
    main()
