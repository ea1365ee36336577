"""The dashboard's data without a browser: presets, levers, the session and its ghost, the
numbers each view shows, the labels and the `sim-viz` command line."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim.cli import CONFIG_DIR
from sim.config import ConfigError, PolicyConfig
from sim.outputs import summarise
from sim.population import EmployeeTable
from sim.viz import data, figures, levers, serve
from sim.viz.i18n import LABELS, LANGUAGES, t
from sim.viz.session import HIST_EDGES, Session, satisfaction_counts
from sim.workforce import DRIVERS


@pytest.fixture(scope="module")
def run_300() -> Session:
    """A workshop-sized baseline session, 300 days in."""
    s = Session(seed=1)
    s.step(300)
    return s


# ---- presets and levers ------------------------------------------------------------------
def _yaml_policy(preset: str) -> dict:
    """The policy a preset's YAML sets, read without Hydra (baseline, then the preset)."""
    base = OmegaConf.load(CONFIG_DIR / "scenario" / "baseline.yaml").policy
    own = OmegaConf.load(CONFIG_DIR / "scenario" / f"{preset}.yaml").get("policy", {})
    return dict(OmegaConf.merge(base, own))


def test_presets_are_the_scenario_yaml_files_baseline_first():
    files = sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))
    names = levers.preset_names()
    assert sorted(names) == files and names[0] == "baseline"


@pytest.mark.parametrize("preset", levers.preset_names())
def test_preset_levers_equal_the_yaml(preset):
    want = _yaml_policy(preset)
    assert levers.preset_levers(preset) == pytest.approx({k: want[k] for k in levers.LEVERS})


def test_slider_ranges_lie_in_the_schema_range_and_hold_every_preset():
    meta = {f.name: f.metadata["range"] for f in fields(PolicyConfig)}
    for spec in levers.lever_specs():
        assert spec.schema_range == meta[spec.name]
        lo, hi = meta[spec.name]
        assert lo <= spec.lo < spec.hi <= hi
        for preset in levers.preset_names():
            assert spec.lo <= levers.preset_levers(preset)[spec.name] <= spec.hi
    by_name = {s.name: s for s in levers.lever_specs()}
    assert (by_name["script_strictness"].lo, by_name["script_strictness"].hi) == (0.0, 1.0)
    assert by_name["recovery_budget"].hi >= 2000.0  # the Ritz preset fits on the slider


def test_workshop_config_scales_customers_with_desks_and_applies_levers():
    full = levers.preset_config("baseline")
    config = levers.workshop_config("loose_scripts", {"training": 2.0}, seed=7, employees=20)
    assert config.org.employees == 20
    ratio = full.org.customers / full.org.employees
    assert config.org.customers == round(20 * ratio)
    assert config.seed == 7
    assert config.policy.script_strictness == 0.3 and config.policy.training == 2.0
    assert levers.preset_config("loose_scripts").policy.training == 1.2  # cache not mutated
    with pytest.raises(KeyError, match="not a dashboard lever"):
        levers.workshop_config("baseline", {"wage": 1.0})
    with pytest.raises(ConfigError, match="policy.training"):
        levers.workshop_config("baseline", {"training": 9.0})


def test_compose_puts_back_a_hydra_instance_it_found():
    from hydra import initialize_config_dir

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR / "org"), version_base="1.3"):
        mine = GlobalHydra.instance().hydra
        cfg = levers.compose_config(["scenario=ritz_recovery"])
        assert cfg.policy.recovery_budget == 2000.0
        assert GlobalHydra.instance().hydra is mine
    assert not GlobalHydra.instance().is_initialized()


# ---- the session and its ghost -----------------------------------------------------------
def test_ghost_equals_the_live_run_when_the_levers_are_the_baseline(run_300):
    live, ghost = run_300.timeseries(), run_300.baseline_timeseries()
    assert len(live) == len(ghost) == 300
    pd.testing.assert_frame_equal(live, ghost)


def test_sessions_with_one_seed_share_one_baseline_run_but_not_their_models():
    a, b = Session(seed=11), Session(seed=11)
    assert a.baseline is b.baseline and a.model is not b.model
    a.step(5)
    assert (a.day, b.day) == (5, 0)
    assert Session(seed=12).baseline is not a.baseline


def test_a_lever_before_the_first_day_sets_the_start():
    s = Session(seed=2)
    s.set_lever("script_strictness", 0.3)
    assert s.day == 0 and s.changes == []
    assert s.model.policy.script_strictness == 0.3
    assert s.baseline.config.policy.script_strictness == 0.8  # the ghost stays baseline


def test_a_lever_moved_mid_run_acts_from_the_next_day_and_is_logged_once():
    s = Session(seed=3)
    s.step(10)
    for v in (0.7, 0.5, 0.3):  # dragging the slider through values: one change
        s.set_lever("script_strictness", v)
    assert [(c.day, c.name, c.old, c.new) for c in s.changes] == [
        (10, "script_strictness", 0.8, 0.3)
    ]
    want_before = s.timeseries()["want"].iloc[-1]
    seat_want_before = s.model.last_day.workforce.drivers.want.copy()
    s.step(1)
    # want = (autonomy + market orientation) / 2: the front office's autonomy up by 0.5 ->
    # each front seat's want up by 0.25; the back office works without scripts.
    staff, jn = s.model.staff, s.model.journey
    seat_want = s.model.last_day.workforce.drivers.want
    both = np.flatnonzero(s.model.last_day.workforce.at_work[: seat_want_before.size])
    front = jn.front[staff.role[both]]
    assert front.any() and (~front).any()
    delta = seat_want[both] - seat_want_before[both]
    assert delta[front] == pytest.approx(np.full(int(front.sum()), 0.25))
    assert delta[~front] == pytest.approx(np.zeros(int((~front).sum())))
    assert s.timeseries()["want"].iloc[-1] > want_before
    # The baseline beside it keeps the preset's lever.
    assert s.baseline_timeseries()["lever_script_strictness"].iloc[-1] == 0.8
    assert s.timeseries()["lever_script_strictness"].iloc[-1] == 0.3


def test_a_preset_picked_mid_run_sets_its_policy_including_values_without_sliders():
    s = Session(seed=4)
    s.step(5)
    s.set_preset("people_driven")
    assert s.preset == "people_driven"
    assert s.model.policy.development == 0.7 and s.model.policy.recovery_budget == 500.0
    changed = {c.name for c in s.changes}
    assert {"development", "internal_service", "recovery_authority"} <= changed
    assert all(c.day == 5 for c in s.changes)


def test_out_of_range_lever_is_refused_and_leaves_the_model_alone():
    s = Session(seed=5)
    s.step(2)
    with pytest.raises(ConfigError):
        s.set_lever("feedback_sharing", 9.0)
    assert s.model.policy.feedback_sharing == 4.0 and s.changes == []


def test_reset_starts_again_with_the_seed_and_clears_the_log():
    s = Session(seed=6)
    s.step(3)
    s.set_lever("training", 2.0)
    s.reset(seed=8)
    assert (s.day, s.seed, s.changes) == (0, 8, [])
    assert s.model.policy.training == 2.0  # the sliders' values are kept
    assert s.baseline.config.seed == 8


def test_workshop_step_is_well_under_a_quarter_second():
    s = Session(seed=9)
    s.step(60)  # past the first days
    t0 = time.perf_counter()
    s.step(100)
    per_day = (time.perf_counter() - t0) / 100  # live model + ghost
    assert per_day < 0.05, f"{per_day * 1000:.1f} ms per day"
    assert s.mean_step_seconds(100) < 0.05


# ---- what the views show -----------------------------------------------------------------
@pytest.mark.parametrize("window", [30, 91])
def test_rolling_kpis_equal_summarise_on_every_trailing_window(run_300, window):
    ts = run_300.timeseries()
    rolled = data.rolling_kpis(ts, window)
    for day in (1, 2, 29, 30, 31, 90, 91, 92, 200, 300):
        want = summarise(ts.head(day), window=window)
        got = rolled.iloc[day - 1]
        for key in data.KPI_KEYS:
            assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-9), (day, key)


def test_plot_frame_draws_daily_states_and_starts_rates_after_a_month(run_300):
    ts = run_300.timeseries()
    frame = data.plot_frame(ts)
    for key in data.STATE_KEYS:
        np.testing.assert_array_equal(frame[key], ts[key])
    early = frame["day"] < data.MIN_RATE_DAYS
    assert frame.loc[early, "employee_turnover_annual"].isna().all()
    assert frame.loc[~early, "customer_churn_annual"].notna().all()


def test_kpi_cards_are_summary_json_numbers_live_and_ghost(run_300):
    ts, base = run_300.timeseries(), run_300.baseline_timeseries()
    cards = {c.key: c for c in data.kpi_cards(ts, base)}
    want = summarise(ts, window=data.WINDOW)
    assert list(cards) == list(data.KPI_KEYS)
    for key, card in cards.items():
        assert card.value == pytest.approx(want[key])
        assert card.delta == pytest.approx(0.0)  # baseline levers: the ghost is the run
    early = {c.key: c for c in data.kpi_cards(ts.head(5), base)}
    assert np.isnan(early["employee_turnover_annual"].value)
    assert early["enps"].value == pytest.approx(ts["enps"].head(5).mean())
    assert all(np.isnan(c.value) for c in data.kpi_cards(ts.head(0), base))


def test_format_kpi_reads_on_a_projector():
    assert data.format_kpi("enps", 12.4) == "+12"
    assert data.format_kpi("employee_turnover_annual", 0.314) == "31%"
    assert data.format_kpi("profit", 612_345.0) == "612k"
    assert data.format_kpi("csat_mean", 7.123) == "7.12"
    assert data.format_kpi("nps", float("nan")) == "–"


def _staff() -> EmployeeTable:
    """Seats: 0 settled, 1 in training, 2 new after training, 3 vacant (hire on day 110),
    4 closed (not refilled), 5 beyond the budget of 5 but still occupied, 6-7 spare capacity."""
    s = EmployeeTable.empty(8)
    s.active[[0, 1, 2, 5]] = True
    s.engagement[[0, 1, 2, 5]] = [8.0, 6.0, 3.0, 7.0]
    s.tenure[[0, 1, 2, 5]] = [900.0, 10.0, 40.0, 400.0]
    s.training_left[1] = 18.0
    s.refill_day[3] = 110
    return s


def test_desk_tiles_mark_training_new_hires_and_vacancies():
    tiles = data.desk_tiles(_staff(), seats=5, day=100)
    assert [x.state for x in tiles] == [
        "occupied",
        "occupied",
        "occupied",
        "vacant",
        "closed",
        "occupied",
    ]
    assert [x.training for x in tiles[:3]] == [False, True, False]
    assert [x.new for x in tiles[:3]] == [False, True, True]
    assert tiles[3].refill_in == 10 and np.isnan(tiles[3].engagement)
    assert tiles[0].engagement == 8.0


def test_floor_html_has_one_desk_per_tile_coloured_by_happiness():
    tiles = data.desk_tiles(_staff(), seats=5, day=100)
    page = figures.floor_html(tiles, "nl")
    assert page.count('class="desk ') == len(tiles)
    assert page.count("desk-vacant") == 1 and page.count("desk-closed") == 1
    assert figures.engagement_colour(8.0) in page and ">T" in page
    assert figures.engagement_colour(3.0) != figures.engagement_colour(9.0)
    assert "werkgeluk" in page and "vacature" in page


def test_satisfaction_counts_bin_active_customers_only():
    from sim.population import CustomerTable

    c = CustomerTable.empty(5, 2)
    c.active[:4] = True
    c.satisfaction[:] = [0.0, 4.9, 10.0, 10.0, 5.0]
    counts = satisfaction_counts(c)
    assert counts.sum() == 4 and counts[-1] == 2 and counts[0] == 1
    assert counts[np.searchsorted(HIST_EDGES, 4.9) - 1] == 1
    np.testing.assert_allclose(data.satisfaction_shares(counts).sum(), 1.0)
    assert data.satisfaction_shares(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_view_reads_one_consistent_state(run_300):
    v = data.view(run_300)
    assert v.day == 300 and len(v.live) == len(v.ghost) == 300
    assert len(v.tiles) >= run_300.model.seats
    assert sum(x.state == "occupied" for x in v.tiles) == run_300.timeseries()["headcount"].iloc[-1]
    assert v.hist_live.sum() == pytest.approx(1.0)
    assert v.drivers_live == {d: run_300.timeseries()[d].iloc[-1] for d in DRIVERS}
    assert v.step_seconds > 0


def test_line_figure_plots_the_numbers_and_marks_lever_changes(run_300):
    s = Session(seed=1)
    s.step(40)
    s.set_lever("feedback_sharing", 7.0)
    s.step(20)
    v = data.view(s)
    fig = figures.line_figure("scores", v.live, v.ghost, v.changes, "en")
    ax = fig.axes[0]
    by_label = {ln.get_label().split(":")[0]: ln for ln in ax.get_lines()}
    np.testing.assert_allclose(by_label["eNPS"].get_ydata(), v.live["enps"])
    np.testing.assert_allclose(by_label["NPS"].get_ydata(), v.live["nps"])
    vertical = [ln for ln in ax.get_lines() if len(set(ln.get_xdata())) == 1]
    assert [ln.get_xdata()[0] for ln in vertical] == [40.5]
    fig = figures.line_figure("turnover", v.live, v.ghost, v.changes, "nl")
    assert fig.axes[0].get_title().startswith("Personeels")


def test_histogram_and_driver_figures_show_live_and_ghost(run_300):
    v = data.view(run_300)
    fig = figures.histogram_figure(v.hist_live, v.hist_ghost)
    heights = [p.get_height() for p in fig.axes[0].patches if p.get_fill()]
    np.testing.assert_allclose(heights, v.hist_live)
    fig = figures.drivers_figure(v.drivers_live, v.drivers_ghost, "nl")
    ticks = [x.get_text() for x in fig.axes[0].get_xticklabels()]
    assert ticks == ["willen", "weten", "kunnen", "voelen"]


def test_journey_panels_show_each_stage_and_role_now_and_in_the_baseline(run_300):
    v = data.view(run_300)
    jn = run_300.model.journey
    assert list(v.stages_live) == list(jn.stages) and list(v.roles_live) == list(jn.roles)
    # The last 30 days of the model's own journey log, recomputed here.
    days = run_300.model.journey_log[-30:]
    billing = jn.stages.index("billing")
    cx = sum(d["cx_sum"][billing] for d in days) / sum(d["cx_n"][billing] for d in days)
    assert v.stages_live["billing"] == pytest.approx(cx)
    assert all(0 < x < 10 for x in [*v.stages_ghost.values(), *v.roles_ghost.values()])
    fig = figures.journey_figure("stages", v.stages_live, v.stages_ghost, "nl")
    ax = fig.axes[0]
    assert list(jn.stages) == ["onboarding", "everyday", "billing", "complaint", "renewal"]
    dutch = ["kennismaking", "dagelijks", "facturatie", "klacht", "verlenging"]
    assert [x.get_text() for x in ax.get_yticklabels()] == dutch
    roles = figures.journey_figure("roles", v.roles_live, v.roles_ghost, "nl").axes[0]
    assert "klantenservice" in [x.get_text() for x in roles.get_yticklabels()]
    english = figures.journey_figure("roles", v.roles_live, v.roles_ghost, "en").axes[0]
    assert "service agents" in [x.get_text() for x in english.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches if p.get_fill()]
    np.testing.assert_allclose(widths, list(v.stages_live.values()))
    assert ax.get_title().startswith("Oordeel van klanten")
    assert np.isnan(data.journey_now([], jn.stages, jn.roles, 0)[0]["billing"])  # not a crash


# ---- labels ------------------------------------------------------------------------------
def test_every_label_has_english_and_dutch_with_the_same_placeholders():
    for key, entry in LABELS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
        holes = {lang: set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGUAGES}
        assert holes["en"] == holes["nl"], key


def test_everything_on_screen_has_a_label():
    # The lever log shows every policy value a preset changes, sliders or not.
    base = _yaml_policy("baseline")
    logged = {k for p in levers.preset_names() for k, v in _yaml_policy(p).items() if v != base[k]}
    keys = (
        [f"lever.{k}" for k in sorted(logged | set(levers.LEVERS))]
        + [f"preset.{p}" for p in levers.preset_names()]
        + [f"kpi.{k}" for k in data.KPI_KEYS]
        + [f"driver.{d}" for d in DRIVERS]
        + [f"plot.{p}" for p in ("scores", "experience", "turnover", "profit")]
    )
    missing = [k for k in keys if k not in LABELS]
    assert not missing
    translated = sum(LABELS[k]["en"] != LABELS[k]["nl"] for k in keys)
    assert translated >= 0.8 * len(keys)
    assert t("plot.profit", "nl", n=91) == "Winst (per jaar, laatste 91 dagen)"
    assert t("kpi.nps", "fr") == "NPS"
    assert t("lever.some_new_policy_value", "nl") == "some_new_policy_value"


# ---- sim-viz -----------------------------------------------------------------------------
def test_sim_viz_defaults_to_loopback_and_the_workshop_size():
    args = serve.parse_args([])
    assert (args.host, args.port, args.employees, args.org) == (
        "127.0.0.1",
        serve.DEFAULT_PORT,
        levers.WORKSHOP_EMPLOYEES,
        levers.DEFAULT_ORG,
    )
    assert serve.is_loopback("127.0.0.1") and serve.is_loopback("::1")
    assert serve.is_loopback("localhost")
    assert not serve.is_loopback("0.0.0.0") and not serve.is_loopback("192.168.1.5")
    with pytest.raises(SystemExit):
        serve.parse_args(["--employees", "0"])


def test_sim_viz_warns_off_loopback_and_refuses_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as ex:
            serve.main(["--host", "0.0.0.0", "--port", str(port)])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err
    assert f"port {port} on 0.0.0.0 is in use" in err


# ---- sim-viz on a twin (an org preset outside configs/, as sim-twin writes it) ----------------
def _config_dir(root, name: str, preset: str):
    """A folder like a twin's RUN_DIR/configs: org/<name>.yaml and a journey of the same name."""
    (root / "org").mkdir(parents=True)
    (root / "journey").mkdir()
    (root / "org" / f"{name}.yaml").write_text(preset)
    journey = (CONFIG_DIR / "journey" / "call_centre.yaml").read_text()
    (root / "journey" / f"{name}.yaml").write_text(journey.replace("call_centre", name))
    return root


@pytest.fixture
def viz_config_dir(monkeypatch):
    """Compose with `sim-viz --config-dir`'s search path; the composed presets are cached per
    name, so the caches start and end empty."""
    levers.preset_config.cache_clear()
    levers.lever_specs.cache_clear()

    def use(folder) -> None:
        monkeypatch.setenv(levers.CONFIG_DIR_ENV, str(folder))

    yield use
    levers.preset_config.cache_clear()
    levers.lever_specs.cache_clear()


TWIN_LIKE = """# @package _global_
# sim-twin: a hand-written stand-in for a twin's preset (tests/test_viz.py)
org:
  name: mini
  employees: 12
  customers: 3000
behaviour:
  quit_rate_annual: 0.31
"""


def test_sim_viz_takes_a_twin_from_its_config_dir_and_the_session_builds_its_model(
    tmp_path, viz_config_dir
):
    folder = _config_dir(tmp_path / "configs", "mini", TWIN_LIKE)
    with pytest.raises(SystemExit):  # not in configs/org: only with --config-dir
        serve.parse_args(["--org", "mini"])
    args = serve.parse_args(["--config-dir", str(folder), "--org", "mini", "--employees", "6"])
    assert (args.org, args.config_dir) == ("mini", str(folder))
    viz_config_dir(folder)
    serve.check_org("mini")  # composes: no exit
    s = Session(org="mini", employees=6, seed=2)
    assert s.model.org.name == "mini" and s.model.behaviour.quit_rate_annual == 0.31
    # Scaled to the desks with the twin's own customers per employee (3000 / 12).
    assert (s.model.org.employees, s.model.org.customers) == (6, 1500)
    assert levers.preset_config("baseline", "mini").journey.name == "mini"
    s.step(3)
    assert s.day == 3


def test_sim_viz_refuses_a_missing_config_dir_and_a_stale_twin_in_one_line(
    tmp_path, viz_config_dir, monkeypatch, capsys
):
    with pytest.raises(SystemExit):
        serve.parse_args(["--config-dir", str(tmp_path / "nowhere"), "--org", "mini"])
    assert "--config-dir" in capsys.readouterr().err
    stale = TWIN_LIKE.replace("# @package _global_\n", "") + "# @package _global_\n"
    folder = _config_dir(tmp_path / "configs", "old", stale.replace("mini", "old"))
    viz_config_dir(folder)
    monkeypatch.setattr("sys.argv", ["sim-viz", "--config-dir", str(folder), "--org", "old"])
    with pytest.raises(SystemExit) as ex:
        serve.check_org("old")
    assert ex.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "older sim-twin" in lines[0] and "name=old" in lines[0], lines
