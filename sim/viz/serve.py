"""`sim-viz`: start the workshop dashboard on this machine and print its address."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import socket
import sys
from pathlib import Path

from sim.cli import group_options
from sim.viz.levers import (
    BASELINE,
    CONFIG_DIR_ENV,
    DEFAULT_ORG,
    WORKSHOP_EMPLOYEES,
    preset_config,
)

DEFAULT_PORT = 8765
# Solara keeps a closed tab's session (its model and figures) for 24 h unless told otherwise:
# memory grew with every visitor and was never returned. Like 30s, 10m, 2h.
SESSION_TIMEOUT = "10m"
TIMEOUT = re.compile(r"^\d+[smh]$")


def session_timeout_option(p: argparse.ArgumentParser) -> None:
    """`--session-timeout`, shared with sim-workshop (check it with `check_session_timeout`)."""
    p.add_argument(
        "--session-timeout",
        default=SESSION_TIMEOUT,
        help=f"drop a browser session this long after its tab closed ({SESSION_TIMEOUT}; "
        "e.g. 30s, 2h)",
    )


def check_session_timeout(p: argparse.ArgumentParser, value: str) -> None:
    if not TIMEOUT.match(value):
        p.error(f"--session-timeout={value} is not allowed: like 30s, 10m or 2h")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def org_options(config_dir: str | None) -> list[str]:
    """The organisation presets: configs/org's, and those of `config_dir`/org."""
    extra = sorted(p.stem for p in (Path(config_dir) / "org").glob("*.yaml")) if config_dir else []
    return sorted({*group_options("org"), *extra})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sim-viz", description="Start the workshop dashboard.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    p.add_argument(
        "--org",
        default=DEFAULT_ORG,
        help=f"organisation preset of configs/org or of --config-dir ({DEFAULT_ORG})",
    )
    p.add_argument(
        "--config-dir",
        help="an extra config folder holding org/ and journey/, as the other commands' "
        "--config-dir: a twin's RUN_DIR/configs (sim-viz --config-dir RUN_DIR/configs --org NAME)",
    )
    p.add_argument(
        "--employees",
        type=int,
        default=WORKSHOP_EMPLOYEES,
        help=f"desks on the floor ({WORKSHOP_EMPLOYEES}); customers scale with them",
    )
    p.add_argument("--open", action="store_true", help="open a browser tab")
    session_timeout_option(p)
    args = p.parse_args(argv)
    check_session_timeout(p, args.session_timeout)
    if args.config_dir is not None and not (Path(args.config_dir) / "org").is_dir():
        p.error(f"--config-dir={args.config_dir} is not allowed: a folder holding org/")
    orgs = org_options(args.config_dir)
    if args.org not in orgs:
        twin = "" if args.config_dir else " (a twin's: with --config-dir RUN_DIR/configs)"
        p.error(f"--org={args.org} is not allowed: one of {', '.join(orgs)}{twin}")
    if not 1 <= args.employees <= 100_000:
        p.error(f"--employees={args.employees} is not allowed: a number in [1, 100000]")
    if not 1 <= args.port <= 65_535:
        p.error(f"--port={args.port} is not allowed: a number in [1, 65535]")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: anyone who can reach this machine can open the "
            "dashboard (there is no login), and each visitor runs a simulation on it",
            file=sys.stderr,
        )
    if not port_free(args.host, args.port):
        print(f"error: port {args.port} on {args.host} is in use: try --port N", file=sys.stderr)
        sys.exit(2)
    # Solara imports sim.app itself: pass the options through the environment. No telemetry
    # and no version check: the dashboard must not call out (workshop rooms are often offline).
    os.environ["SIM_VIZ_ORG"] = args.org
    if args.config_dir is not None:
        os.environ[CONFIG_DIR_ENV] = str(Path(args.config_dir).resolve())
    check_org(args.org)
    os.environ["SIM_VIZ_EMPLOYEES"] = str(args.employees)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = args.session_timeout
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Workshop dashboard: http://{host}:{args.port}  (Ctrl+C to stop)", flush=True)
    run_solara(
        "sim.app",
        args.host,
        args.port,
        prog="sim-viz",
        session_timeout=args.session_timeout,
        open_tab=args.open,
    )


def check_org(org: str) -> None:
    """Compose the organisation once before serving: a preset that does not compose (a twin's
    from an older sim-twin, a bad value) stops here in one line, exit 2, not in a visitor's tab."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from sim.cli import one_line_error
    from sim.config import ConfigError

    try:
        preset_config(BASELINE, org)
    except (ConfigError, HydraException, OmegaConfBaseException) as ex:
        print(f"error: {one_line_error(ex)}", file=sys.stderr)
        sys.exit(2)


def run_solara(
    module: str,
    host: str,
    port: int,
    *,
    prog: str,
    session_timeout: str = SESSION_TIMEOUT,
    open_tab: bool = False,
) -> None:
    """Serve the Solara `module` (production mode, no version check, no telemetry, quiet)
    until Ctrl+C; a closed tab's session ends after `session_timeout`."""
    import solara.server.settings as settings
    from solara.__main__ import run

    # Set here, not only through SOLARA_* variables: Solara reads those when its settings are
    # first imported, and sim-workshop's page module imports Solara before main() runs, so the
    # variables came too late there (sessions were kept 24 h and telemetry was on).
    settings.kernel.cull_timeout = session_timeout
    settings.telemetry.mixpanel_enable = False

    run.main(
        args=[
            module,
            "--host",
            host,
            "--port",
            str(port),
            "--production",
            "--no-check-version",
            "--open" if open_tab else "--no-open",
            "--log-level",
            "warning",
        ],
        prog_name=prog,
        standalone_mode=True,
    )


if __name__ == "__main__":
    main()
