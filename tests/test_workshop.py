"""Workshop mode without a browser: storylines, the room (fair play, rounds, budgets, events,
predictions, the leaderboard), the debrief and its export, and the `sim-workshop` options."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config import ConfigError
from sim.outputs import summarise
from sim.viz.i18n import LANGUAGES
from sim.workshop import debrief, serve, storyline
from sim.workshop import room as room_module
from sim.workshop.labels import WORKSHOP_LABELS
from sim.workshop.play import (
    BUDGET_CUT,
    COMPETITOR_POINTS,
    DEMAND_SURGE,
    WAGE_RISE,
)
from sim.workshop.room import (
    DEBOUNCE,
    REFERENCE,
    Room,
    Team,
    WorkshopError,
    planned_cost,
    rank,
)

EMPLOYEES = 5  # small units: the rules do not depend on the size
CODE, KEY = "code1", "key12"


def _story(**changes) -> storyline.Storyline:
    base = dataclasses.replace(storyline.load("cost_pressure"), round_days=30, rounds=3)
    return dataclasses.replace(base, **changes)


def _room(**changes) -> Room:
    return Room(_story(**changes), room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """Teams A, B, C; A loosens its scripts and predicts; one round played; then D joins."""
    room = Room(
        _story(timeline=(storyline.Round({"en": "q", "nl": "v"}),)),
        room_code=CODE,
        facilitator_key=KEY,
        employees=EMPLOYEES,
        export_dir=tmp_path_factory.mktemp("exports"),
    )
    teams = {n: room.join(CODE, n) for n in "ABC"}
    room.start()
    room.set_lever(teams["A"], "script_strictness", 0.4)
    room.predict(teams["A"], "nps", 5.0)
    room.predict(teams["A"], "employee_turnover_annual", 20.0)  # percent, as typed
    room.advance()
    teams["D"] = room.join(CODE, "D")
    return room, teams


# ---- storylines --------------------------------------------------------------------------
@pytest.mark.parametrize("name", storyline.storyline_names())
def test_storylines_load_with_both_languages(name):
    s = storyline.load(name)
    for texts in (s.title, s.summary, s.notes, *(r.question for r in s.timeline)):
        assert set(texts) == set(LANGUAGES) and all(texts.values())
    assert len(s.timeline) <= s.rounds and set(s.open_levers) <= set(storyline.WORKSHOP_LEVERS)


def test_three_storylines_ship():
    assert {"cost_pressure", "loose_scripts", "ritz_budget"} <= set(storyline.storyline_names())


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"colour": "red"}, "workshop/bad.colour"),
        ({"rounds": 0}, "workshop/bad.rounds"),
        ({"open_levers": ["wage"]}, "workshop/bad.open_levers"),
        ({"title": {"en": "only English"}}, "workshop/bad.title"),
        ({"timeline": [{"question": {"en": "a", "nl": "b"}, "events": ["flood"]}]}, "events"),
    ],
)
def test_a_bad_storyline_is_refused_naming_the_key(tmp_path, change, key):
    raw = yaml.safe_load((storyline.STORYLINE_DIR / "cost_pressure.yaml").read_text())
    raw.update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=key) as err:
        storyline.load(str(path))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("org", ["call_centre", "hotel"])
def test_journey_stages_and_roles_have_dutch_names(org):
    """The dashboard's journey panels and desks name stages and roles in the page's language
    (they were English snake_case in Dutch)."""
    from sim.journey import Journey
    from sim.viz.i18n import journey_name
    from sim.viz.levers import preset_config

    jn = Journey.from_config(preset_config("baseline", org).journey)
    for name in (*jn.stages, *jn.roles):
        assert "_" not in journey_name(name, "nl") and "_" not in journey_name(name, "en")
    assert journey_name("service_agents", "nl") == "klantenservice"
    assert journey_name("not_labelled") == "not labelled"


def test_every_workshop_label_has_both_languages():
    for key, texts in WORKSHOP_LABELS.items():
        assert set(texts) == set(LANGUAGES) and all(texts.values()), key


# ---- access and fair play -----------------------------------------------------------------
def test_wrong_codes_are_refused_and_names_are_checked():
    room = _room()
    with pytest.raises(WorkshopError, match="Wrong room code"):
        room.join("code2", "A")
    with pytest.raises(WorkshopError, match="name"):
        room.join(CODE, "   ")
    assert not room.key_ok(CODE) and room.key_ok(KEY)


def test_a_taken_name_needs_the_teams_secret():
    room = _room()
    a = room.join(CODE, "A")
    with pytest.raises(WorkshopError, match="taken"):
        room.join(CODE, " A ")  # someone else typing the name
    with pytest.raises(WorkshopError, match="taken"):
        room.join(CODE, "A", "not-the-token")
    assert room.join(CODE, " A ", a.token) is a  # a reload with the team's link
    assert room.rejoin("A", a.token) is a
    with pytest.raises(WorkshopError, match="Wrong room code"):
        room.rejoin("A", "guess")
    assert room.join(CODE, "B").token != a.token


def test_teams_without_decisions_run_exactly_the_reference(played):
    room, teams = played
    ref = room.reference.timeseries()
    for name in "BC":
        pd.testing.assert_frame_equal(teams[name].timeseries(), ref)
    assert not np.allclose(teams["A"].timeseries()["want"], ref["want"])


def test_one_round_advances_every_unit_the_same_days(played):
    room, teams = played
    assert room.round == 1 and room.day == 30
    assert {t.day for t in teams.values()} == {30}
    assert room.state == "open"


def test_a_late_team_catches_up_without_decisions(played):
    room, teams = played
    pd.testing.assert_frame_equal(teams["D"].timeseries(), room.reference.timeseries())


def test_a_team_gone_for_long_is_parked_and_comes_back_exactly():
    """A team with no page open past the idle timeout gives its model back (to a file); the
    debrief still has its numbers; when it returns it has its unit as it was, and a late team
    starts as a copy of the reference."""
    room = Room(_story(), room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES, idle_timeout=5)
    a = room.join(CODE, "A")
    room.join(CODE, "B")
    room.start()
    room.set_lever(a, "training", 1.5)
    room.predict(a, "nps", 3.0)
    detach = room.attach(a)
    room.advance()
    assert room.park_idle(time.monotonic() + 60) == []  # A has a page open, B never had one
    detach()
    before = a.timeseries().copy()
    shadow = Team("shadow", room.storyline, EMPLOYEES, like=a)  # A as it was when it left
    away = time.monotonic()
    assert room.park_idle(away + 1) == []  # not yet
    assert room.park_idle(away + 6) == ["A"]
    assert a.model is None and a.parked.exists()
    assert [u.name for u in room.units()] == [REFERENCE, "B"]
    pd.testing.assert_frame_equal(a.timeseries(), before)  # what the debrief reads
    assert [s.team for s in room.leaderboard()].count("A") == 1
    assert len(debrief.prediction_table(a)) == len(room.storyline.predict)
    twin = room.join(CODE, "twin")  # a late team: the reference's copy
    file = a.parked
    assert room.join(CODE, "A", a.token) is a and a.parked is None and not file.exists()
    pd.testing.assert_frame_equal(a.timeseries(), shadow.timeseries())  # exactly as it left
    assert a.levers()["training"] == 1.5
    pd.testing.assert_frame_equal(twin.timeseries(), room.reference.timeseries())
    room.close()
    assert not room._scratch.exists()


def _leaver_and_stayer() -> tuple[Room, Team, Team]:
    """Teams "gone" and "here" make the same decision; "gone" leaves and is parked."""
    room = Room(_story(), room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES, idle_timeout=5)
    gone, here = room.join(CODE, "gone"), room.join(CODE, "here")
    room.start()
    for team in (gone, here):
        room.set_lever(team, "script_strictness", 0.3)
    room.inject("demand_surge")  # the missed rounds' events count too
    room.advance()
    room.attach(gone)()
    assert room.park_idle(time.monotonic() + 6) == ["gone"]
    return room, gone, here


def test_a_parked_team_is_played_while_away_with_its_last_decisions():
    """A team whose laptop slept loses no round: each round the room plays, its parked unit
    plays too (on its file) with the levers it left with, exactly as a team that stayed and
    decided the same; the leaderboard and the debrief see it; back, it goes on from there."""
    room, gone, here = _leaver_and_stayer()
    room.inject("wage_rise")
    room.advance()
    assert gone.parked is not None and gone.day == here.day == 60
    pd.testing.assert_frame_equal(gone.timeseries(), here.timeseries())
    assert gone.outcomes == here.outcomes and set(gone.outcomes) == {1, 2}
    board = {s.team: s.values for s in room.leaderboard()}
    assert board["gone"] == board["here"]
    assert room.join(CODE, "gone", gone.token) is gone and gone.parked is None
    assert gone.levers() == here.levers()
    room.advance()  # the last round: both present again
    pd.testing.assert_frame_equal(gone.timeseries(), here.timeseries())
    room.close()


def test_a_parked_team_not_yet_played_catches_up_on_return_the_same_way(monkeypatch):
    """When a team comes back before its missed rounds were played (with workers they are
    played a few seconds after the click), they are played then, with the same result."""
    room, gone, here = _leaver_and_stayer()
    monkeypatch.setattr(room, "play_parked", lambda: [])
    room.advance()
    assert gone.day == 30 and here.day == 60  # not played yet
    assert room.join(CODE, "gone", gone.token) is gone and gone.day == 60
    pd.testing.assert_frame_equal(gone.timeseries(), here.timeseries())
    assert gone.outcomes == here.outcomes
    room.close()


def test_parked_units_of_a_killed_server_are_removed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    left = tmp_path / f"sim-workshop-{dead}-abc"
    left.mkdir()
    (left / "unit-1.pkl").write_bytes(b"x")
    ours = room_module.scratch_folder()
    assert not left.exists() and ours.exists() and ours.parent == tmp_path


def test_decisions_are_refused_outside_an_open_round_and_on_closed_levers():
    room = _room(open_levers=("training",))
    team = room.join(CODE, "A")
    with pytest.raises(WorkshopError, match="closed"):
        room.set_lever(team, "training", 1.2)  # not started
    room.start()
    with pytest.raises(WorkshopError, match="not open"):
        room.set_lever(team, "script_strictness", 0.3)
    room.set_lever(team, "training", 1.2)
    assert team.levers()["training"] == 1.2
    assert [(c.day, c.name, c.old, c.new) for c in team.decisions] == [(0, "training", 1.0, 1.2)]
    room.pause()
    with pytest.raises(WorkshopError, match="closed"):
        room.set_lever(team, "training", 1.4)


def test_budget_refuses_a_costlier_plan_above_it_but_not_a_cheaper_one():
    room = _room()
    team = room.join(CODE, "A")
    room.start()
    room.set_budget(planned_cost(team) * 1.01)
    with pytest.raises(WorkshopError, match="Over budget"):
        room.set_lever(team, "staffing_level", 1.3)
    room.set_lever(team, "staffing_level", 0.8)
    room.set_budget(planned_cost(team) * 0.5)  # now over budget: cutting further still goes
    room.set_lever(team, "training", 0.5)
    with pytest.raises(WorkshopError, match="Over budget"):
        room.set_lever(team, "training", 0.8)


def test_budget_cut_acts_at_once_and_the_timeline_cuts_when_its_round_opens():
    room = _room()  # cost_pressure: a budget cut in round 2
    start = room.budget
    room.start()
    room.advance()
    assert room.budget == pytest.approx(start * BUDGET_CUT)
    room.inject("budget_cut")
    assert room.budget == pytest.approx(start * BUDGET_CUT**2)


# ---- events --------------------------------------------------------------------------------
def test_events_act_on_the_unit_from_the_coming_round():
    room = _room()
    team = room.join(CODE, "A")
    m = team.model
    pay, wage, market = m.policy.pay_level, m.org.wage_annual, m.org.market_expectation
    active = m.customers.active.copy()
    before = m.customers.expectation.copy()
    team.apply_events(("demand_surge", "wage_rise", "competitor"))
    assert m.demand_factor == DEMAND_SURGE
    assert m.policy.pay_level == pytest.approx(pay / WAGE_RISE)
    assert m.org.wage_annual * m.policy.pay_level == pytest.approx(wage * pay)  # same cost
    shift = m.customers.expectation - before
    assert np.allclose(shift[active], COMPETITOR_POINTS) and np.allclose(shift[~active], 0.0)
    # Through the model's handle: newcomers from now on are drawn with the raised level.
    assert m.org.market_expectation == pytest.approx(market + COMPETITOR_POINTS)
    team.step(20)
    before = m.customers.expectation.copy()
    team.apply_events(())
    assert m.demand_factor == 1.0  # a surge lasts one round
    np.testing.assert_array_equal(m.customers.expectation, before)  # nothing more to do here


@pytest.mark.slow
def test_rounds_prepared_in_a_worker_equal_rounds_played_here():
    """Two rooms, one playing in this process at the click, one preparing in a worker process
    ahead of it (play.py): after a decision and two rounds with events, the same numbers."""
    story = _story(timeline=(storyline.Round({"en": "q", "nl": "v"}, ("competitor",)),))
    here = Room(story, room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES)
    there = Room(story, room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES, workers=1)
    market = here.reference.model.org.market_expectation
    try:
        for room in (here, there):
            team = room.join(CODE, "A")
            room.start()
            room.set_lever(team, "training", 1.5)
        time.sleep(3 * DEBOUNCE)  # the worker prepares the first round meanwhile
        assert set(there.player.jobs) == {REFERENCE, "A"}
        for room in (here, there):
            room.advance()
            room.inject("demand_surge")
            room.advance()
        # Units ready at the click (the facilitator's page shows it): the worker had prepared
        # both for the first round; the second was clicked at once.
        assert there.prepared == [(2, 2), (0, 2)] and here.prepared == [(2, 2), (2, 2)]
        for a, b in ((here.teams["A"], there.teams["A"]), (here.reference, there.reference)):
            pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
            assert a.model.org.market_expectation == b.model.org.market_expectation
            assert a.model.org.market_expectation == pytest.approx(market + COMPETITOR_POINTS)
    finally:
        there.close()


@pytest.mark.slow
def test_a_unit_is_prepared_once_its_own_team_is_still():
    """Preparing waits for each unit's own decisions, not for the whole room to be still: a
    team that keeps moving a slider does not hold back the others' rounds (the click right
    after the last team's decision found nothing prepared)."""
    room = Room(_story(), room_code=CODE, facilitator_key=KEY, employees=EMPLOYEES, workers=1)
    try:
        a, b = room.join(CODE, "A"), room.join(CODE, "B")
        room.start()
        room.set_lever(a, "training", 1.5)
        end, value = time.monotonic() + 4 * DEBOUNCE, 0.5
        while time.monotonic() < end:  # B keeps deciding
            value = 1.1 - value
            room.set_lever(b, "script_strictness", value)
            time.sleep(DEBOUNCE / 4)
        assert set(room.player.jobs) == {REFERENCE, "A"}
    finally:
        room.close()


def test_team_panels_are_drawn_once_per_day_and_language():
    room = _room()
    team = room.join(CODE, "A")
    room.start()
    room.advance()
    first = room.panels(team, "en")
    assert len(first) == 2 and all(p.startswith(b"\x89PNG") for p in first)
    room.set_lever(team, "training", 0.8)  # its dotted line would be past the last day shown
    assert room.panels(team, "en") is first
    assert room.panels(team, "nl") != first
    room.advance()
    assert room.panels(team, "en") is not first


def test_an_unknown_event_is_refused():
    with pytest.raises(WorkshopError, match="demand_surge"):
        _room().inject("flood")


# ---- predictions and the leaderboard ---------------------------------------------------------
def test_prediction_errors_are_outcome_minus_prediction_in_shown_units(played):
    room, teams = played
    table = debrief.prediction_table(teams["A"]).set_index("kpi")
    ts = teams["A"].timeseries().tail(30)
    nps = summarise(ts, window=30)["nps"]
    assert table.loc["nps", "outcome"] == pytest.approx(nps)
    assert table.loc["nps", "error"] == pytest.approx(nps - 5.0)
    turnover = 100 * summarise(ts, window=30)["employee_turnover_annual"]
    assert table.loc["employee_turnover_annual", "predicted"] == pytest.approx(20.0)
    assert table.loc["employee_turnover_annual", "outcome"] == pytest.approx(turnover)


def test_rank_follows_the_weights_and_the_direction_of_each_kpi():
    rows = {
        "A": {"profit": 3.0, "nps": 10.0, "enps": 0.0, "employee_turnover_annual": 0.30},
        "B": {"profit": 1.0, "nps": 30.0, "enps": 0.0, "employee_turnover_annual": 0.10},
        "C": {"profit": 2.0, "nps": 20.0, "enps": 0.0, "employee_turnover_annual": 0.20},
    }
    only = {k: 0.0 for k in rows["A"]}
    assert [n for n, _ in rank(rows, {**only, "profit": 1.0})] == ["A", "C", "B"]
    assert [n for n, _ in rank(rows, {**only, "nps": 1.0})] == ["B", "C", "A"]
    by_turnover = rank(rows, {**only, "employee_turnover_annual": 1.0})
    assert [n for n, _ in by_turnover] == ["B", "C", "A"]  # lower turnover is better
    assert [s for _, s in by_turnover] == pytest.approx([100.0, 50.0, 0.0])
    assert {s for _, s in rank(rows, {**only, "enps": 1.0})} == {50.0}  # a tie places all at 0.5
    mixed = dict(rank(rows, {**only, "profit": 3.0, "nps": 1.0}))
    assert mixed["A"] == pytest.approx(75.0) and mixed["B"] == pytest.approx(25.0)


def test_leaderboard_ranks_the_room_and_marks_the_reference(played):
    room, _ = played
    board = room.leaderboard()
    assert [s.rank for s in board] == list(range(1, len(board) + 1))
    assert [s.team for s in board if s.reference] == [REFERENCE]
    scores = [s.score for s in board]
    assert scores == sorted(scores, reverse=True)


# ---- debrief ---------------------------------------------------------------------------------
def test_accounts_add_up_to_the_profit_difference(played):
    room, teams = played
    a, ref = teams["A"].timeseries(), room.reference.timeseries()
    values = debrief.accounts(a, ref)
    assert sum(values.values()) == pytest.approx(a["profit"].sum() - ref["profit"].sum())
    assert set(values) == set(debrief.ACCOUNTS)


def test_export_writes_the_debrief_and_the_session_data(played):
    room, teams = played
    paths = room.write_debrief("nl")
    assert all(p.parent == room.export_dir for p in paths.values())
    page = paths["debrief"].read_text()
    assert "Nabespreking" in page and page.count("<img") >= 2 + 5 * len(teams)
    assert "http" not in page  # self-contained
    ts = pd.read_parquet(paths["timeseries"])
    assert set(ts["team"]) == {REFERENCE, *teams}
    assert (ts.groupby("team")["day"].max() == 30).all()
    decisions = pd.read_parquet(paths["decisions"])
    assert decisions[["team", "lever", "new"]].values.tolist() == [["A", "script_strictness", 0.4]]
    # Two KPIs a round for the teams that played it (D joined after round 1).
    assert len(pd.read_parquet(paths["predictions"])) == 2 * 3


def test_the_session_ends_after_its_rounds():
    room = _room(rounds=1)
    room.start()
    room.advance()
    assert room.state == "finished"
    with pytest.raises(WorkshopError):
        room.advance()


# ---- the command line -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--employees", "0"], "--employees=0"),
        (["--session-timeout", "soon"], "--session-timeout=soon"),
        (["--room-code", "ab"], "--room-code='ab'"),
        (["--room-code", "same", "--facilitator-key", "same"], "--facilitator-key"),
    ],
)
def test_bad_options_are_refused_with_one_line(args, key, capsys):
    with pytest.raises(SystemExit) as ex:
        serve.parse_args(args)
    assert ex.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert key in err and "not allowed" in err


def test_a_missing_storyline_exits_2_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim.workshop.serve", "--storyline", "nope", "--port", "8799"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --storyline='nope' is not allowed: one of cost_pressure, loose_scripts, "
        "ritz_budget or a .yaml file"
    ]
    assert not list(tmp_path.iterdir())  # nothing written


def test_random_secrets_are_readable_and_differ():
    codes = {serve._secret() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 6 and not set(c) & set("0o1l") for c in codes)
