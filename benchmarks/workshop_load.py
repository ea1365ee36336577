"""Load test of `sim-workshop`, driven by headless Debian Chromium (Playwright).

    python -m benchmarks.workshop_load [--teams 12] [--rounds 5] [--cold-rounds 2]
        [--event-rounds 1] [--think 20] [--employees 20] [--workers 2] [--browser-nice 10]
        [--out benchmarks/results]

Starts a server, opens the facilitator's page and one browser context per team (all joining
at once), then plays rounds of a quarter. In each round every team moves a lever and types a
prediction; after `--think` seconds (the room deciding) the facilitator clicks "play the
round", and the time from that click until every team's page shows the new round is measured.
`--cold-rounds` more rounds follow with no time between the decisions and the click (the worst
case when the room decides one team after the other: a unit is prepared a second after its own
team's last decision, so some units may be ready). `--event-rounds` more follow where the
facilitator injects an event (a competitor) right before the click: every prepared copy is
void and every unit's round is played at the click (nothing ready: the cold path). Memory is
the resident set of the server and its worker processes (/proc), before the teams join, after
they joined, after the rounds, and after every tab closed and the session and team timeouts
passed (the units parked). The server's own CPU time per round is read from /proc too.

In a room every team's browser runs on its own laptop; here all of them share the server's
machine, so they run at a lower priority (`--browser-nice`, 10) to leave the server the CPU it
would have in the room. They still take their share: `--browser-nice 0` is the harsher test.
Writes workshop_load.json and workshop_load.md to `--out`. Needs /usr/bin/chromium (never
`playwright install`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CODE, KEY = "loadtest", "loadtest-key"
MIB = 1024.0 * 1024.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def memory(pid: int) -> dict[str, float]:
    """RSS in MiB of the server process and of its worker processes (all descendants)."""
    todo, workers = _children(pid), 0
    while todo:
        child = todo.pop()
        workers += _rss(child)
        todo += _children(child)
    return {"server_mib": _rss(pid) / MIB, "workers_mib": workers / MIB}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def renice_browsers(nice: int) -> int:
    """Set every thread of this test's Chromium processes (their profile folder is Playwright's)
    to niceness `nice`; return how many. Chromium sets its renderers' priorities itself, so a
    niceness given at launch does not last: this runs again after pages open and every round."""
    count = 0
    if nice == 0:
        return count
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes()
            if b"chromium" not in cmd or b"playwright_chromiumdev_profile" not in cmd:
                continue
            for task in (proc / "task").iterdir():
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
                count += 1
        except OSError:
            continue  # a process or thread that ended meanwhile
    return count


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (numpy's default), without numpy."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def storyline_file(rounds: int, folder: Path) -> Path:
    """cost_pressure with `rounds` quarters and no events (every round costs the same)."""
    raw = yaml.safe_load((ROOT / "configs" / "workshop" / "cost_pressure.yaml").read_text())
    raw["rounds"] = rounds
    raw["round_days"] = 91
    raw["timeline"] = [{"question": raw["timeline"][0]["question"]}]
    path = folder / "load.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="workshop-load-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    rounds = args.rounds + args.cold_rounds + args.event_rounds
    script = Path(sys.executable).with_name("sim-workshop")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "sim.workshop.serve"]
    cmd += [
        "--port",
        str(port),
        "--room-code",
        CODE,
        "--facilitator-key",
        KEY,
        "--storyline",
        str(storyline_file(rounds + 1, tmp)),
        "--employees",
        str(args.employees),
        "--workers",
        str(args.workers),
        "--export-dir",
        str(tmp / "exports"),
        "--session-timeout",
        f"{args.session_timeout}s",
        "--team-timeout",
        f"{args.team_timeout}s",
    ]
    log = (tmp / "server.log").open("w")
    t_start = time.monotonic()
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    result: dict[str, Any] = {}
    try:
        import urllib.request

        while True:
            if server.poll() is not None:
                raise SystemExit(f"error: sim-workshop exited: see {log.name}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        result["server_start_s"] = time.monotonic() - t_start
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            fac_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
            fac = fac_ctx.new_page()
            fac.set_default_timeout(600_000)
            fac.goto(url + "facilitator")
            fac.locator(".in-key input").fill(KEY)
            fac.click(".btn-key")
            fac.wait_for_selector(".btn-start")
            result["memory_before_teams"] = memory(server.pid)

            # Every team opens the page at once; then every team joins.
            contexts, pages = [], []
            cpu0 = cpu_seconds(server.pid)
            t0 = time.monotonic()
            for _ in range(args.teams):
                ctx = browser.new_context(viewport={"width": 1280, "height": 720})
                page = ctx.new_page()
                page.set_default_timeout(600_000)
                page.goto(url, wait_until="commit")
                contexts.append(ctx)
                pages.append(page)
                renice_browsers(args.browser_nice)
            for page in pages:
                page.wait_for_selector(".btn-join")
            result["first_render_all_s"] = time.monotonic() - t0
            result["first_render_server_cpu_s"] = cpu_seconds(server.pid) - cpu0
            cpu0 = cpu_seconds(server.pid)
            print(f"{args.teams} pages rendered: {result['first_render_all_s']:.1f} s", flush=True)
            t0 = time.monotonic()
            for i, page in enumerate(pages):
                page.locator(".in-code input").fill(CODE)
                page.locator(".in-team input").fill(f"team{i + 1:02d}")
                page.click(".btn-join")
            for page in pages:
                page.wait_for_selector(".team-day")
            result["join_all_s"] = time.monotonic() - t0
            result["join_server_cpu_s"] = cpu_seconds(server.pid) - cpu0
            print(f"{args.teams} teams joined: {result['join_all_s']:.1f} s", flush=True)
            result["memory_after_join"] = memory(server.pid)

            fac.click(".btn-start")
            clicks, lost = [], set()
            for r in range(1, rounds + 1):
                kind = (
                    "prepared"
                    if r <= args.rounds
                    else "cold"
                    if r <= args.rounds + args.cold_rounds
                    else "event"
                )
                cold = kind != "prepared"
                renice_browsers(args.browser_nice)
                for i, page in enumerate(pages):
                    if i in lost:
                        continue
                    try:
                        page.wait_for_selector(
                            ".ws-status[data-state='open']", timeout=1000 * args.page_timeout
                        )
                    except PlaywrightTimeout:
                        lost.add(i)  # its connection is gone: the later rounds skip it
                        continue
                    slider = page.locator(".lever-script_strictness [role=slider]")
                    slider.focus()
                    page.keyboard.press("ArrowLeft" if (i + r) % 2 else "ArrowRight")
                    field = page.locator(".predict-nps input")
                    field.fill(str(-10 + i))
                    field.press("Enter")
                print(f"round {r}: decisions made", flush=True)
                if not cold:
                    time.sleep(args.think)
                fac.wait_for_selector(".ws-status[data-state='open']")
                if kind == "event":  # every unit's prepared copy is void: all play at the click
                    fac.click(".btn-event-competitor")
                    fac.wait_for_selector(".pending")
                renice_browsers(args.browser_nice)
                cpu0 = cpu_seconds(server.pid)
                t0 = time.monotonic()
                fac.click(".btn-advance")
                missed = 0  # pages that did not show the round within --page-timeout
                for i, page in enumerate(pages):
                    if i in lost:
                        missed += 1
                        continue
                    left = max(1.0, args.page_timeout - (time.monotonic() - t0))
                    try:
                        page.wait_for_selector(f".ws-status[data-round='{r}']", timeout=1000 * left)
                    except PlaywrightTimeout:
                        missed += 1
                seconds = time.monotonic() - t0
                cpu = cpu_seconds(server.pid) - cpu0
                fac.wait_for_selector(f".ws-status[data-round='{r}']")
                fac.wait_for_selector(".team-list:has-text('units were ready')")
                ready = re.search(r"\((\d+) of (\d+) units", fac.inner_text(".team-list"))
                clicks.append(
                    {
                        "round": r,
                        "cold": cold,
                        "kind": kind,
                        "click_to_all_pages_s": seconds,
                        "pages_missed": missed,
                        "server_cpu_s": cpu,
                        "prepared": f"{ready[1]} of {ready[2]}" if ready else "?",
                        "load_1min": os.getloadavg()[0],
                    }
                )
                print(
                    f"round {r} ({kind}): {seconds:.2f} s, {missed} pages missed",
                    flush=True,
                )
            result["rounds"] = clicks
            result["memory_after_rounds"] = memory(server.pid)
            for ctx in contexts:
                ctx.close()
            fac_ctx.close()
            browser.close()
        # Sessions end `--session-timeout` after their tab, then units `--team-timeout` after
        # their last page: wait for the server to say every team's unit is parked.
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.session_timeout + args.team_timeout + 300:
            log.flush()
            if (tmp / "server.log").read_text(errors="replace").count(", parked") >= args.teams:
                break
            time.sleep(2)
        result["parked_after_tabs_closed_s"] = time.monotonic() - t0
        time.sleep(5)
        result["memory_after_tabs_closed"] = memory(server.pid)
        result["load_after"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    text = (tmp / "server.log").read_text(errors="replace")
    result["server_log_tracebacks"] = text.count("Traceback")
    return result


def summarise(result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    def of(kind: str) -> list[float]:
        return [r["click_to_all_pages_s"] for r in result["rounds"] if r["kind"] == kind]

    warm, cold, event = of("prepared"), of("cold"), of("event")
    before = result["memory_before_teams"]
    after = result["memory_after_rounds"]
    total = lambda m: m["server_mib"] + m["workers_mib"]  # noqa: E731
    return {
        "prepared_p95_s": percentile(warm, 0.95),
        "prepared_median_s": statistics.median(warm) if warm else float("nan"),
        "prepared_max_s": max(warm, default=float("nan")),
        "cold_p95_s": percentile(cold, 0.95),
        "cold_median_s": statistics.median(cold) if cold else float("nan"),
        "event_p95_s": percentile(event, 0.95),
        "event_median_s": statistics.median(event) if event else float("nan"),
        "per_team_mib": (total(after) - total(before)) / args.teams,
        "server_per_team_mib": (after["server_mib"] - before["server_mib"]) / args.teams,
        # What stays once every team has left (tabs closed, sessions ended, units parked).
        "kept_per_team_mib": (total(result["memory_after_tabs_closed"]) - total(before))
        / args.teams,
        "given_back_mib": total(after) - total(result["memory_after_tabs_closed"]),
    }


def markdown(result: dict[str, Any], summary: dict[str, Any], args: argparse.Namespace) -> str:
    m = {k: v for k, v in result.items() if k.startswith("memory_")}
    lines = [
        "# Workshop load test",
        "",
        f"`python -m benchmarks.workshop_load --teams {args.teams} --rounds {args.rounds} "
        f"--cold-rounds {args.cold_rounds} --event-rounds {args.event_rounds} "
        f"--think {args.think} --employees {args.employees} "
        f"--workers {args.workers} --browser-nice {args.browser_nice}` on {os.cpu_count()} "
        f"cores, {platform.python_version()}; load average before the run "
        f"{result['load_before']}, after it {result['load_after']}; tracebacks in the server's "
        f"log: {result['server_log_tracebacks']}.",
        "",
        f"- server start: {result['server_start_s']:.1f} s; {args.teams} pages opened at once, "
        f"all rendered: {result['first_render_all_s']:.1f} s (server CPU "
        f"{result['first_render_server_cpu_s']:.1f} s); all joined: {result['join_all_s']:.1f} s "
        f"(server CPU {result['join_server_cpu_s']:.1f} s)",
        f"- **prepared** rounds, click to every team page showing the new quarter, decisions "
        f"{args.think} s before the click: p95 {summary['prepared_p95_s']:.2f} s, median "
        f"{summary['prepared_median_s']:.2f} s, max {summary['prepared_max_s']:.2f} s "
        f"({args.rounds} rounds)",
        f"- **cold** rounds, the same with the click right after the decisions: p95 "
        f"{summary['cold_p95_s']:.2f} s, median {summary['cold_median_s']:.2f} s "
        f"({args.cold_rounds} rounds)",
        f"- **event** rounds (the cold path), an event injected right before the click so that "
        f"nothing is prepared: p95 {summary['event_p95_s']:.2f} s, median "
        f"{summary['event_median_s']:.2f} s ({args.event_rounds} rounds)",
        f"- memory per team (server + workers, after the rounds, over before the teams): "
        f"{summary['per_team_mib']:.0f} MiB "
        f"(server alone {summary['server_per_team_mib']:.0f} MiB)",
        f"- after every team left (tabs closed, sessions ended, units parked): "
        f"{summary['given_back_mib']:.0f} MiB given back; "
        f"{summary['kept_per_team_mib']:.0f} MiB a team still held over before the teams",
        "",
        "| moment | server MiB | workers MiB |",
        "|---|---:|---:|",
    ]
    for key, value in m.items():
        name = key.removeprefix("memory_").replace("_", " ")
        lines.append(f"| {name} | {value['server_mib']:.0f} | {value['workers_mib']:.0f} |")
    lines += [
        "",
        "| round | kind | units ready at the click | click to all pages (s) | pages missed | "
        "server CPU (s) | load average (1 min) |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in result["rounds"]:
        lines.append(
            f"| {r['round']} | {r['kind']} | {r['prepared']} | {r['click_to_all_pages_s']:.2f} | "
            f"{r['pages_missed']} | {r['server_cpu_s']:.1f} | {r['load_1min']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.workshop_load", description=__doc__)
    p.add_argument("--teams", type=int, default=12)
    p.add_argument("--rounds", type=int, default=5, help="rounds with time to decide (5)")
    p.add_argument("--cold-rounds", type=int, default=2, help="rounds clicked at once (2)")
    p.add_argument(
        "--event-rounds",
        type=int,
        default=1,
        help="rounds with an event injected right before the click (1)",
    )
    p.add_argument("--think", type=float, default=20.0, help="seconds the room decides (20)")
    p.add_argument("--employees", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--session-timeout", type=int, default=30, help="seconds (30)")
    p.add_argument(
        "--team-timeout", type=int, default=20, help="seconds before a team is parked (20)"
    )
    p.add_argument(
        "--browser-nice", type=int, default=10, help="niceness of the browsers, 0-19 (10)"
    )
    p.add_argument(
        "--page-timeout",
        type=float,
        default=120.0,
        help="seconds after the click a page may take to show the round, else it counts as "
        "missed (120)",
    )
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        sys.exit(2)
    for name in ("teams", "rounds", "employees"):
        if getattr(args, name) < 1:
            p.error(f"--{name}={getattr(args, name)} is not allowed: a number >= 1")
    if not 0 <= args.browser_nice <= 19:
        p.error(f"--browser-nice={args.browser_nice} is not allowed: a number in [0, 19]")
    # SIGTERM unwinds like Ctrl+C, so the server (and its workers) are stopped in `run`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = os.getloadavg()
    result = run(args)
    result["load_before"] = ", ".join(f"{x:.1f}" for x in load)
    summary = summarise(result, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "workshop_load.json").write_text(
        json.dumps({"args": vars(args) | {"out": str(args.out)}, **result, **summary}, indent=1)
    )
    text = markdown(result, summary, args)
    (args.out / "workshop_load.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
