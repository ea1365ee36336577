"""`sim-workshop`: serve a workshop room (team pages at `/`, the facilitator's at `/facilitator`).

Loopback by default. The room code (teams) and the facilitator key are random unless given, and
printed at start. Bad options are refused with one line and exit code 2, before anything starts.
Solara's idle sessions are dropped after `--session-timeout` (its default keeps them a day, and
their memory with them).
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import secrets
import signal
import sys
from pathlib import Path

from sim.cli import group_options
from sim.config import ConfigError
from sim.viz.levers import WORKSHOP_EMPLOYEES
from sim.viz.serve import (
    TIMEOUT,
    check_session_timeout,
    is_loopback,
    port_free,
    run_solara,
    session_timeout_option,
)
from sim.workshop.app import ENV
from sim.workshop.storyline import DEFAULT

DEFAULT_PORT = 8766
_MALLOC_SET = "SIM_WORKSHOP_MALLOC"  # set when sim-workshop started itself again (below)


def _secret() -> str:
    """Six characters from an alphabet without look-alikes (0/O, 1/l): easy to read aloud."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def seconds(duration: str) -> float:
    """A checked duration ('30s', '10m', '2h') in seconds."""
    return float(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sim-workshop", description="Serve a workshop room.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    p.add_argument(
        "--storyline",
        default=DEFAULT,
        help=f"a storyline of configs/workshop/ ({', '.join(group_options('workshop'))}) "
        "or a .yaml file",
    )
    p.add_argument("--room-code", help="what teams type to join (random when not given)")
    p.add_argument("--facilitator-key", help="the facilitator's key (random when not given)")
    p.add_argument(
        "--employees",
        type=int,
        default=WORKSHOP_EMPLOYEES,
        help=f"desks per team's unit ({WORKSHOP_EMPLOYEES}); customers scale with them",
    )
    p.add_argument(
        "--export-dir",
        default="workshop-exports",
        help="where the debrief is written (a folder per session inside it)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes that play the teams' rounds ahead of the click (2; 0 = at the click, "
        "in the server's own process)",
    )
    session_timeout_option(p)
    p.add_argument(
        "--team-timeout",
        default="10m",
        help="give back a team's memory when none of its pages has been open this long (10m; "
        "e.g. 30s, 1h): its unit waits in a file and returns when the team does",
    )
    args = p.parse_args(argv)
    if not 1 <= args.employees <= 1_000:
        p.error(f"--employees={args.employees} is not allowed: a number in [1, 1000]")
    if not 1 <= args.port <= 65_535:
        p.error(f"--port={args.port} is not allowed: a number in [1, 65535]")
    if not 0 <= args.workers <= 64:
        p.error(f"--workers={args.workers} is not allowed: a number in [0, 64]")
    check_session_timeout(p, args.session_timeout)
    if not TIMEOUT.match(args.team_timeout):
        p.error(f"--team-timeout={args.team_timeout} is not allowed: like 30s, 10m or 2h")
    for opt in ("room_code", "facilitator_key"):
        value = getattr(args, opt)
        if value is not None and not re.fullmatch(r"\S{4,64}", value):
            p.error(
                f"--{opt.replace('_', '-')}={value!r} is not allowed: 4-64 characters, no spaces"
            )
    if args.room_code and args.room_code == args.facilitator_key:
        p.error("--facilitator-key is not allowed: it must differ from --room-code")
    return args


def _with_system_malloc(argv: list[str] | None) -> None:
    """Start again with Python's small objects on the C allocator (Linux, from the command
    line, unless PYTHONMALLOC is set). Python's own allocator gives a 1 MiB arena back only
    when every object in it is gone, and the units' models (20,000 customer objects each, a
    new copy every round) leave arenas holding a few live objects each: with 12 teams parked,
    a room without pages kept 224-258 MiB above its start, 181 MiB of it in empty pools;
    with malloc, whose free pages `play.give_back_memory` trims wherever they are, 122 MiB
    (measured by hand at 49718ec, 2-3 rounds, load 8-11). The same process id: the new Python
    replaces this one. Only the server: the worker processes keep nothing between jobs and
    trim after each, and Python's own allocator unpickles a model about 1.5 times as fast
    (0.08 s against 0.12 s, median of 15, load 11-14), so the setting is not passed on."""
    if os.environ.pop(_MALLOC_SET, None):  # this is the new Python: do not pass it on
        os.environ.pop("PYTHONMALLOC", None)
        return
    if argv is not None or "PYTHONMALLOC" in os.environ or not sys.platform.startswith("linux"):
        return
    if not sys.executable:
        return
    os.environ.update({"PYTHONMALLOC": "malloc", _MALLOC_SET: "1"})
    os.execv(sys.executable, [sys.executable, "-m", "sim.workshop.serve", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _with_system_malloc(argv)
    code = args.room_code or _secret()
    key = args.facilitator_key or _secret() + _secret()
    os.environ.update(
        {
            ENV["storyline"]: args.storyline,
            ENV["room_code"]: code,
            ENV["facilitator_key"]: key,
            ENV["employees"]: str(args.employees),
            ENV["workers"]: str(args.workers),
            ENV["team_timeout"]: str(seconds(args.team_timeout)),
            ENV["export_dir"]: str(Path(args.export_dir).resolve()),
            # Solara: drop closed sessions soon; no telemetry or version check (rooms are often
            # offline and the page must not call out).
            "SOLARA_KERNEL_CULL_TIMEOUT": args.session_timeout,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        }
    )
    if not port_free(args.host, args.port):
        print(f"error: port {args.port} on {args.host} is in use: try --port N", file=sys.stderr)
        sys.exit(2)
    from sim.workshop.app import room

    try:
        built = room()  # before serving: a bad storyline fails here, and the first page is fast
    except ConfigError as ex:
        print(f"error: {ex}", file=sys.stderr)
        sys.exit(2)
    atexit.register(built.close)  # the worker processes and parked units' files end with it
    # uvicorn re-raises a SIGTERM once it has shut down; Python's default action would end the
    # process without atexit (parked units' files were left in the temporary folder).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    host = f"[{args.host}]" if ":" in args.host else args.host
    if not is_loopback(args.host):
        print(
            f"note: listening on {args.host}: anyone on this network who has the room code can "
            "join as a team",
            file=sys.stderr,
        )
    print(
        f"Workshop: {built.storyline.title['en']}\n"
        f"  teams:       http://{host}:{args.port}/   room code: {code}\n"
        f"  facilitator: http://{host}:{args.port}/facilitator   key: {key}\n"
        f"  debrief files: {built.export_dir}\n"
        "  (Ctrl+C to stop)",
        flush=True,
    )
    run_solara(
        "sim.workshop.app",
        args.host,
        args.port,
        prog="sim-workshop",
        session_timeout=args.session_timeout,
    )


if __name__ == "__main__":
    main()
