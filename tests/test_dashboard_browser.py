"""End to end: `sim-viz` in a subprocess, driven by headless Debian Chromium through Playwright.

The room's routine: open the page, pull a lever mid-run, pick a preset, step, play, switch to
Dutch. Checks that the plotted numbers move, no error is shown, the browser fetches nothing from
outside this machine (the page must work offline), and takes a screenshot of the page.

The README's picture, docs/img/dashboard.png, is the same routine run on to about two years
(another 420 simulated days for the picture alone, about half the test's time): only with
SIM_DOCS_IMAGES=1 (`SIM_DOCS_IMAGES=1 .venv/bin/pytest tests/test_*_browser.py`); otherwise the
screenshot goes to the test's temporary folder and `make test` leaves docs/img/ as committed.

Needs /usr/bin/chromium (`apt-get install -y chromium`; never `playwright install`). Without it
the test is skipped on a workstation, but fails when the CI environment variable is set.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import pytest
from conftest import serving

from benchmarks import workshop_load

# Debian's chromium and its headless flags: one definition with the workshop's load test.
CHROMIUM = Path(workshop_load.CHROMIUM)
CHROMIUM_ARGS = workshop_load.ARGS
ROOT = Path(__file__).resolve().parent.parent
DOCS_IMG = ROOT / "docs" / "img"
LOCAL = re.compile(r"^(https?|wss?)://127\.0\.0\.1(:\d+)?/")
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def docs_images() -> bool:
    """SIM_DOCS_IMAGES=1: the browser tests write the README's screenshots into docs/img/."""
    return os.environ.get("SIM_DOCS_IMAGES", "") not in ("", "0")


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: .ci/run must install chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sim_viz() -> list[str]:
    script = Path(sys.executable).with_name("sim-viz")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.viz.serve"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_chromium()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path_factory.mktemp("sim-viz") / "server.log"
    with serving([*_sim_viz(), "--port", str(port)], url, log, "sim-viz"):
        yield url
    text = log.read_text()
    assert "Workshop dashboard: http://127.0.0.1:" in text, text


def _kpis(page) -> dict[str, str]:
    cards = page.locator(".kpi-card")
    return {
        cards.nth(i).get_attribute("data-kpi"): cards.nth(i).locator(".kpi-value").inner_text()
        for i in range(cards.count())
    }


def _images(page) -> list[str]:
    return page.locator(".main-views img").evaluate_all("els => els.map(e => e.src)")


def _day(page) -> int:
    return int(page.locator(".day-counter").get_attribute("data-day"))


def _step(page, times: int) -> None:
    for _ in range(times):
        before = _day(page)
        page.click(".btn-step")
        page.wait_for_function(
            f"document.querySelector('.day-counter').dataset.day != '{before}'",
            timeout=TIMEOUT_MS,
        )


def _lever_label(page, name: str) -> str:
    return page.locator(f".lever-{name} label").inner_text()


def test_workshop_routine_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    screenshot = (DOCS_IMG if docs_images() else tmp_path) / "dashboard.png"

    outside: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.on(
                "request",
                lambda r: (
                    None
                    if LOCAL.match(r.url) or r.url.startswith(("data:", "blob:"))
                    else outside.append(r.url)
                ),
            )
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(server)
            page.wait_for_selector(".day-counter")
            assert _day(page) == 0
            # Workshop size: 20 desks on the phones, and the back office behind them.
            assert page.locator(".desk:not(.desk-back)").count() == 20
            assert page.locator(".desk.desk-back").count() > 0

            # A month of the baseline, then loosen the scripts mid-run (keyboard on the thumb).
            page.locator(".days-per-step button", has_text="30").click()
            _step(page, 1)
            assert _day(page) == 30
            start_kpis, start_images = _kpis(page), _images(page)
            assert _lever_label(page, "script_strictness").endswith("0.80")
            page.locator(".lever-script_strictness [role=slider]").focus()
            for _ in range(10):  # 10 x 0.05
                page.keyboard.press("ArrowLeft")
            page.wait_for_function(
                "document.querySelector('.lever-script_strictness label')"
                ".innerText.endsWith('0.30')"
            )
            page.wait_for_selector(".lever-changes:has-text('0.8 → 0.3')")

            # Pick a preset: every slider follows it (loose_scripts adds training 1.2).
            page.locator(".preset-select").click()
            page.locator(".v-menu__content .v-list-item", has_text="Loose scripts").click()
            page.wait_for_function(
                "document.querySelector('.lever-training label').innerText.endsWith('1.20')"
            )
            assert _lever_label(page, "script_strictness").endswith("0.30")
            assert _lever_label(page, "recovery_budget").endswith("25")
            page.wait_for_selector(".lever-changes:has-text('Training 1 → 1.2')")

            # Step several times: plotted values and the plot images change.
            _step(page, 4)
            assert _day(page) == 150
            later_kpis, later_images = _kpis(page), _images(page)
            assert set(later_kpis) == set(start_kpis) and len(later_kpis) == 7
            changed = [k for k in later_kpis if later_kpis[k] != start_kpis[k]]
            assert len(changed) >= 4, (start_kpis, later_kpis)
            assert len(later_images) == 8  # six panels and the two journey panels
            assert not set(later_images) & set(start_images)

            # Play for a moment, then pause.
            before = _day(page)
            page.click(".btn-play")
            page.wait_for_function(
                f"Number(document.querySelector('.day-counter').dataset.day) >= {before + 60}"
            )
            page.click(".btn-play")
            assert _day(page) > before

            # Dutch labels, then back to English for the screenshot.
            page.locator(".lang-toggle button", has_text="NL").click()
            page.wait_for_selector(".kpi-card:has-text('Werkgeluk')")
            page.wait_for_selector(".v-card__title:has-text('Managementknoppen')")
            page.locator(".lang-toggle button", has_text="EN").click()
            page.wait_for_selector(".kpi-card:has-text('Work happiness')")

            if docs_images():  # the README's picture: the run to about two years
                _step(page, 14)
            assert page.locator(".sim-error").count() == 0
            assert page.get_by_text("Traceback").count() == 0
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert not outside, f"requests leaving this machine: {outside}"
    assert screenshot.stat().st_size > 50_000
