"""End to end: `sim-workshop` in a subprocess, a facilitator and three teams in separate
headless Debian Chromium contexts (Playwright), as in a room.

Checks: a wrong room code is refused; one team's decisions leave the other units unchanged
(their numbers equal the no-decisions reference's on the leaderboard); one click plays the
round for every team; the leaderboard ranks by the facilitator's weights; the debrief export is
written; no request leaves 127.0.0.1. Takes screenshots of the leaderboard, the debrief and a
team's page at 1280x720, a common projector size: into docs/img/workshop_*.png (the README's and
docs/WORKSHOP.md's pictures) with SIM_DOCS_IMAGES=1, else into the test's temporary folder.

Needs /usr/bin/chromium (`apt-get install -y chromium`; never `playwright install`): skipped
without it on a workstation, failed without it when CI is set.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from conftest import serving

from tests.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL,
    _free_port,
    _require_chromium,
    docs_images,
)

ROOT = Path(__file__).resolve().parent.parent
CODE, KEY = "room42", "trainer-key-7"
TIMEOUT_MS = 60_000
PROJECTOR = {"width": 1280, "height": 720}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sim_workshop() -> list[str]:
    script = Path(sys.executable).with_name("sim-workshop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.workshop.serve"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_chromium()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    tmp = tmp_path_factory.mktemp("sim-workshop")
    log = tmp / "server.log"
    cmd = [
        *_sim_workshop(),
        "--port",
        str(port),
        "--room-code",
        CODE,
        "--facilitator-key",
        KEY,
        "--employees",
        "10",
        "--export-dir",
        str(tmp / "exports"),
    ]
    with serving(cmd, url, log, "sim-workshop"):
        yield url, tmp / "exports"
    text = log.read_text()
    assert f"room code: {CODE}" in text and f"key: {KEY}" in text, text


def _round(page) -> int:
    return int(page.locator(".ws-status").get_attribute("data-round"))


def _leaderboard(page) -> list[dict[str, str]]:
    """Rows of the leaderboard: team (data attribute), then the cells as shown."""
    rows = page.locator(".leaderboard tr[data-team]")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        cells = row.locator("td").all_inner_texts()
        out.append({"team": row.get_attribute("data-team"), "cells": cells})
    return out


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.+-]", "", text.replace("–", "nan")) or "nan")


def _type(page, selector: str, text: str) -> None:
    """Fill a text field and press Enter: Solara takes the value on Enter or when focus leaves."""
    field = page.locator(f"{selector} input")
    field.fill(text)
    field.press("Enter")


def _slider_to(page, selector: str, key: str) -> None:
    page.locator(f"{selector} [role=slider]").focus()
    page.keyboard.press(key)


def test_room_of_three_teams_and_a_facilitator(server):
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()

    def mark(what: str) -> None:  # where the time goes, shown with -s or on failure
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    url, exports = server
    img = ROOT / "docs" / "img" if docs_images() else exports.parent
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = {}
        try:
            for who in ("facilitator", "A", "B", "C", "intruder"):
                ctx = browser.new_context(viewport=PROJECTOR)
                page = ctx.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on(
                    "request",
                    lambda r: (
                        None
                        if LOCAL.match(r.url) or r.url.startswith(("data:", "blob:"))
                        else outside.append(r.url)
                    ),
                )
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url + ("facilitator" if who == "facilitator" else ""))
                pages[who] = page

            mark("pages loaded")
            # A wrong room code is refused, and the page shows no unit.
            bad = pages["intruder"]
            _type(bad, ".in-code", "wrong")
            _type(bad, ".in-team", "Mallory")
            bad.click(".btn-join")
            bad.wait_for_selector(".ws-refusal:has-text('Wrong room code')")
            assert bad.locator(".team-day").count() == 0

            for name in ("A", "B", "C"):
                page = pages[name]
                _type(page, ".in-code", CODE)
                _type(page, ".in-team", name)
                page.click(".btn-join")
            for name in ("A", "B", "C"):
                pages[name].wait_for_selector(".team-day[data-day='0']")

            mark("teams joined")
            # A taken name is refused without the team's secret; the team's own link (the
            # address its page moved to) opens the team, as after a reload.
            _type(bad, ".in-code", CODE)
            _type(bad, ".in-team", "A")
            bad.click(".btn-join")
            bad.wait_for_selector(".ws-refusal:has-text('This team name is taken')")
            assert bad.locator(".team-day").count() == 0 and "token=" in pages["A"].url
            bad.goto(pages["A"].url)
            bad.wait_for_selector(".team-day[data-day='0']")
            assert bad.locator("b", has_text=re.compile(r"^A$")).count() == 1
            bad.goto("about:blank")
            fac = pages["facilitator"]
            _type(fac, ".in-key", "not-the-key")
            fac.click(".btn-key")
            fac.wait_for_selector(".ws-refusal:has-text('Wrong facilitator key')")
            _type(fac, ".in-key", KEY)
            fac.click(".btn-key")
            fac.wait_for_selector(".btn-start")
            fac.locator(".round-length button", has_text="month").click()
            fac.click(".btn-start")
            for name in ("A", "B", "C"):
                pages[name].wait_for_selector(".ws-status[data-state='open']")

            # Team A loosens the scripts (0.80 -> 0.40 in steps of 0.05) and predicts its NPS.
            a = pages["A"]
            a.locator(".lever-script_strictness [role=slider]").focus()
            for _ in range(8):
                a.keyboard.press("ArrowLeft")
            a.wait_for_function(
                "document.querySelector('.lever-script_strictness label').innerText"
                ".endsWith('0.40')"
            )
            a.locator(".predict-nps input").fill("5")
            a.locator(".predict-nps input").press("Enter")

            mark("decisions made")
            # One click plays the round for every team.
            fac.click(".btn-advance")
            for name in ("A", "B", "C"):
                pages[name].wait_for_selector(".team-day[data-day='30']")
                pages[name].wait_for_selector(".ws-status[data-round='1']")
            fac.wait_for_selector(".ws-status[data-round='1'][data-state='open']")
            a.wait_for_selector(".predictions tr[data-round='1'][data-kpi='nps']")

            mark("round played")
            # B and C made no decisions: their units equal the reference's; A's does not.
            fac.wait_for_selector(".leaderboard tr[data-team='A']")
            rows = {r["team"]: r["cells"][3:] for r in _leaderboard(fac)}
            assert rows["B"] == rows["C"] == rows["(no decisions)"], rows
            assert rows["A"] != rows["B"], rows

            # Weights: profit only, then NPS only; the order follows each KPI.
            for key, press in (
                ("profit", "End"),
                ("nps", "Home"),
                ("enps", "Home"),
                ("employee_turnover_annual", "Home"),
            ):
                _slider_to(fac, f".weight-{key}", press)
            fac.wait_for_selector(".weight-nps label:has-text(': 0')")
            time.sleep(1.0)
            board = _leaderboard(fac)
            profits = [_number(r["cells"][3]) for r in board]
            assert profits == sorted(profits, reverse=True), board
            _slider_to(fac, ".weight-nps", "End")
            _slider_to(fac, ".weight-profit", "Home")
            fac.wait_for_selector(".weight-profit label:has-text(': 0')")
            time.sleep(1.0)
            board = _leaderboard(fac)
            nps = [_number(r["cells"][4]) for r in board]
            assert nps == sorted(nps, reverse=True), board
            assert [r["cells"][0] for r in board] == [str(i + 1) for i in range(len(board))]
            mark("weights checked")
            fac.screenshot(path=str(img / "workshop_leaderboard.png"))

            # Debrief: team A's chain, then the export.
            fac.locator(".fac-tab button", has_text="Debrief").click()
            fac.wait_for_selector(".team-debrief")
            fac.click(".btn-export")
            fac.wait_for_selector(".export-written", timeout=TIMEOUT_MS)
            fac.screenshot(path=str(img / "workshop_debrief.png"), full_page=True)
            a.screenshot(path=str(img / "workshop_team.png"), full_page=True)
            mark("debrief exported")
            assert fac.locator(".sim-error").count() == 0
        except Exception:
            for who, page in pages.items():  # what each page showed, for the failure report
                page.screenshot(path=str(exports.parent / f"failed-{who}.png"))
            print(f"screenshots of the pages: {exports.parent}/failed-*.png")
            raise
        finally:
            browser.close()
    written = sorted(p.name for p in exports.rglob("*") if p.is_file())
    assert written == [
        "debrief.html",
        "decisions.parquet",
        "predictions.parquet",
        "rounds.parquet",
        "timeseries.parquet",
    ], written
    assert not errors, errors
    assert not outside, f"requests leaving this machine: {outside}"
