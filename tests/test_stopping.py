"""Stopping a command while its runs go (issue 17, "Stopping"), through the real CLI.

Each command starts in its own session, so its process group holds it and everything it
started (pool workers, loky workers, resource trackers), and a Ctrl+C can be sent the way a
terminal sends it: to the whole group. The signal goes once the progress bar shows a finished
run, so workers are busy and finished work exists. What must hold:
- Ctrl+C / SIGTERM: exit within seconds with 130 / 143 and one line on stderr (besides the
  bar) saying how many runs finished and what is kept; no traceback; what is kept is there.
- SIGKILL of the command, with a study pool or a joblib sweep: no process of its group is
  left a few seconds later (the workers die with their parent).
Processes are read from /proc (Linux), so the test needs no extra package.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TINY_ORG = ["org.employees=3", "org.teams=1", "org.customers=2000"]
FIRST_RUN_TIMEOUT = 150  # s: start-up and one tiny run, on a loaded 2-core machine
EXIT_WITHIN = 10  # s from the signal to the exit ("a few seconds"; about 1 s when idle)
GONE_WITHIN = 3  # s after a SIGKILL until no process of the group is left
BAR = re.compile(r"\d+/\d+ \[")  # a tqdm bar's "n/total [elapsed..." part

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
    pytest.mark.slow,
]


class Command:
    """A console script started in its own session, its stderr read as it comes."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / args[0]), *args[1:]],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read1(4096):
            self._err.extend(chunk)

    @property
    def stderr(self) -> str:
        return self._err.decode(errors="replace")

    def wait_for_progress(self, total: int | None = None) -> None:
        """Until a bar shows at least one finished item (of `total`, if given)."""
        of = str(total) if total is not None else r"\d+"
        pattern = re.compile(rf"\b[1-9]\d*/{of} \[")
        deadline = time.monotonic() + FIRST_RUN_TIMEOUT
        while not pattern.search(self.stderr):
            if self.proc.poll() is not None:
                pytest.fail(f"exited {self.proc.returncode} before any run: {self.stderr[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"no run finished in {FIRST_RUN_TIMEOUT} s: {self.stderr[-2000:]}")
            time.sleep(0.05)

    def stop(self, signum: int, *, group: bool = False) -> float:
        """Send `signum` (to the whole group, as a terminal's Ctrl+C, if `group`); the seconds
        until the command exited."""
        t0 = time.monotonic()
        if group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"still running 60 s after signal {signum}: {self.stderr[-2000:]}")
        self._reader.join(timeout=5)
        return time.monotonic() - t0

    def left_behind(self, within: float) -> list[str]:
        """Processes of the command's group still alive after up to `within` seconds."""
        deadline = time.monotonic() + within
        while (alive := group_members(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return alive

    def kill(self) -> None:
        """Clean up after a failed test: SIGKILL whatever is left of the group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def message_lines(self) -> list[str]:
        """stderr's lines that are not progress-bar frames."""
        lines = (ln.strip() for ln in re.split(r"[\r\n]", self.stderr))
        return [ln for ln in lines if ln and not BAR.search(ln)]


def group_members(pgid: int) -> list[str]:
    """Live (not zombie) processes whose process group is `pgid`, as 'pid command'."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            out.append(f"{entry.name} {cmdline[:120]}")
    return out


@pytest.fixture
def command():
    started: list[Command] = []

    def start(*args: str) -> Command:
        started.append(Command(*args))
        return started[-1]

    yield start
    for c in started:
        c.kill()


def test_ctrl_c_stops_a_comparison_in_seconds_and_says_what_is_left(command, tmp_path):
    """The issue's case: Ctrl+C on a many-run sim-compare froze the bar while both workers
    finished the whole queue, then printed a 90-line traceback. A comparison writes its results
    only when it finishes, so an interrupted one leaves nothing, and says so."""
    outdir = tmp_path / "compare"
    runs = 2 * 40  # baseline and one scenario, 40 seeds: far longer than the test waits
    c = command(
        "sim-compare", *TINY_ORG, "days=40", "window_days=20", "replications=40", "workers=2",
        "scenarios=[people_driven]", f"hydra.run.dir={outdir}",
    )  # fmt: skip
    c.wait_for_progress(runs)
    seconds = c.stop(signal.SIGINT, group=True)

    assert c.proc.returncode == 130, c.stderr[-2000:]
    assert seconds < EXIT_WITHIN
    assert "Traceback" not in c.stderr
    lines = c.message_lines()
    assert len(lines) == 1, lines
    m = re.fullmatch(rf"interrupted after (\d+) of {runs} runs; nothing written", lines[0])
    assert m and 1 <= int(m.group(1)) < runs, lines[0]
    assert not outdir.exists()  # not even Hydra's record of a run that produced nothing
    assert c.left_behind(GONE_WITHIN) == []


def test_sigterm_stops_a_calibration_and_keeps_its_finished_trials(command, tmp_path):
    """SIGTERM (as a scheduler or `kill` sends it) stops like Ctrl+C. sim-calibrate stores each
    finished trial in its study database: those are kept, and the message names the file."""
    outdir = tmp_path / "calibrate"
    c = command(
        "sim-calibrate", *TINY_ORG, "days=40", "trials=12", "replications=2",
        "startup_trials=4", "workers=2", f"hydra.run.dir={outdir}",
    )  # fmt: skip
    c.wait_for_progress(12)  # the trial bar: one trial (both its runs) is stored
    seconds = c.stop(signal.SIGTERM)

    assert c.proc.returncode == 143, c.stderr[-2000:]
    assert seconds < EXIT_WITHIN
    assert "Traceback" not in c.stderr
    lines = c.message_lines()
    assert len(lines) == 1, lines
    assert re.fullmatch(
        rf"terminated after \d+ of \d+ runs; kept in {re.escape(str(outdir))}: study\.db",
        lines[0],
    ), lines[0]
    study = optuna.load_study(study_name="call_centre", storage=f"sqlite:///{outdir}/study.db")
    finished = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(finished) >= 1
    assert c.left_behind(GONE_WITHIN) == []


def test_sigkill_of_a_study_leaves_no_worker(command, tmp_path):
    """SIGKILL gives the command no chance to clean up: the workers go by themselves, because
    each asked the kernel to kill it when its parent dies."""
    c = command(
        "sim-units", "units=40", "period_days=20", "days=40", "survey_interval_days=10",
        "size.employees=3", "org.teams=1",
        "size.customers.min=1500", "size.customers.max=2000", "workers=2",
        f"hydra.run.dir={tmp_path / 'units'}",
    )  # fmt: skip
    c.wait_for_progress(40)
    assert len(group_members(c.proc.pid)) >= 3  # the command and its two workers at least
    c.stop(signal.SIGKILL)
    assert c.left_behind(GONE_WITHIN) == []


def test_sigkill_of_a_joblib_sweep_leaves_no_worker(command, tmp_path):
    """The issue's case: after a SIGKILL of `sim-run -m hydra/launcher=joblib`, loky's workers
    finished their jobs and lived on for minutes. Four workers for two jobs: the two that never
    get a job must go too (they wait for work with loky's 300 s idle timeout)."""
    c = command(
        "sim-run", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=4", "seed=0,1",
        *TINY_ORG, "days=400", f"hydra.sweep.dir={tmp_path / 'sweep'}",
    )  # fmt: skip
    c.wait_for_progress(400)  # a job's day bar moves: the workers are up
    loky = [p for p in group_members(c.proc.pid) if "LokyProcess" in p]
    assert len(loky) == 4, loky
    c.stop(signal.SIGKILL)
    assert c.left_behind(GONE_WITHIN) == []
