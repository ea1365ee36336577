"""Solara pages of the workshop: the team's page at `/`, the facilitator's at `/facilitator`.

They only lay out what the room (room.py) and the debrief (debrief.py) compute, reusing the
dashboard's pieces: the KPI strip and the memoised plot (sim/viz/components.py), the line
panels (sim/viz/figures.py) and the labels (sim/viz/i18n.py). Each page watches the room in a
thread and redraws when its `version` moves, so one click on the facilitator's page reaches
every team's page. A team's page holds only its own unit: it cannot read or move another's.
"""

from __future__ import annotations

import html
import threading
import traceback
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode

import solara

from sim.viz.components import KpiStrip, Plot
from sim.viz.data import WINDOW, format_kpi, kpi_cards
from sim.viz.figures import FLOOR_CSS
from sim.viz.i18n import LANGUAGES, t
from sim.viz.levers import lever_specs, policy_range
from sim.workshop import debrief
from sim.workshop.play import TEAM_PANELS
from sim.workshop.room import (
    MAX_WEIGHT,
    SCORECARD,
    Room,
    Team,
    WorkshopError,
    display_scale,
    planned_cost,
)
from sim.workshop.storyline import EVENTS, ROUND_LENGTHS, WORKSHOP_LEVERS

STEPS = {"pay_level": 0.02}

CSS = """
.ws-status { font-size: 22px; font-weight: 600; margin: 4px 0; }
.ws-question { font-size: 20px; margin: 6px 0 10px 0; }
.ws-refusal { color: #b00020; font-size: 16px; }
.leaderboard table { border-collapse: collapse; width: 100%; }
.leaderboard td, .leaderboard th { font-size: 28px; padding: 4px 14px; text-align: right; }
.leaderboard td:nth-child(2), .leaderboard th:nth-child(2) { text-align: left; }
.leaderboard tr.ws-reference td { color: #777; font-style: italic; }
.ws-table td, .ws-table th { font-size: 16px; padding: 2px 10px; text-align: right; }
.kpi-label { white-space: normal; word-break: normal; hyphens: manual; }
"""


def use_room_version(room: Room) -> int:
    """The room's version, kept current by a thread that waits for changes (ends with the page)."""
    version = solara.use_reactive(room.version)

    def watch(cancel: threading.Event) -> None:
        seen = version.value
        while not cancel.is_set():
            now = room.wait_change(seen, timeout=1.0)
            if now != seen:
                seen = now
                version.set(now)

    solara.use_thread(watch, dependencies=[], intrusive_cancel=False)
    return version.value


def _acting(
    refusal: solara.Reactive, tick: solara.Reactive | None = None
) -> Callable[[Callable[[], None]], None]:
    """Run a page's action; show a refusal in the page's language. `tick` moves after each
    action, to redraw this page only (a team's decision does not redraw the others')."""

    def act(change: Callable[[], None]) -> None:
        try:
            change()
            refusal.set(None)
            if tick is not None:
                tick.set(tick.value + 1)
        except WorkshopError as ex:
            refusal.set((ex.key, ex.fmt))
        except Exception as ex:  # the room should see a message, not a dead page
            traceback.print_exc()
            refusal.set(("raw", {"text": f"{type(ex).__name__}: {ex}"}))

    return act


def _refusal_text(refusal, lang: str) -> str:
    key, fmt = refusal
    return fmt["text"] if key == "raw" else t(f"ws.err.{key}", lang, **fmt)


@solara.component
def Refusal(refusal: solara.Reactive, lang: str) -> None:
    if refusal.value:
        solara.Div(children=[_refusal_text(refusal.value, lang)], classes=["ws-refusal"])


@solara.component
def LangBar(title: str, lang: solara.Reactive) -> None:
    solara.Title(title)
    solara.Style(FLOOR_CSS + CSS)  # the dashboard's KPI cards, then the workshop's own
    with solara.AppBar():
        solara.AppBarTitle(title)
        solara.ToggleButtonsSingle(
            value=lang.value, values=list(LANGUAGES), on_value=lang.set, classes=["lang-toggle"]
        )


def status_text(room: Room, lang: str) -> str:
    n = room.round + (0 if room.state == "finished" else 1)
    head = f"{t('ws.round', lang)} {n} {t('ws.of', lang)} {room.storyline.rounds}"
    return f"{head}: {t(f'ws.state.{room.state}', lang)}"


@solara.component
def Status(room: Room, lang: str, version: object = 0) -> None:
    """`version`: the room's, so the line redraws when the room changes (props decide)."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(status_text(room, lang)),
        classes=["ws-status"],
        attributes={"data-round": str(room.round), "data-state": room.state},
    )


# ---- the team's page ------------------------------------------------------------------------
def team_link(team: Team) -> str:
    """The query of a team's own page: its name and secret (a reload or another browser of the
    team opens the team with it; the name alone is refused once taken)."""
    return "?" + urlencode({"team": team.name, "token": team.token})


@solara.component
def JoinForm(room: Room, team: solara.Reactive, lang: str) -> None:
    """Props stay the same while the room changes, so typing is never reset by a redraw."""
    code, name = solara.use_reactive(""), solara.use_reactive("")
    refusal = solara.use_reactive(None)
    act = _acting(refusal)
    router = solara.use_router()

    def from_link() -> None:
        # The team's own link (team_link) opens the team without the form.
        query = parse_qs(router.search or "")
        if "team" in query and "token" in query:
            act(lambda: team.set(room.rejoin(query["team"][0], query["token"][0])))

    def join() -> None:
        joined = room.join(code.value, name.value)
        team.set(joined)
        router.push("/" + team_link(joined))

    solara.use_effect(from_link, [])
    with solara.Card(t("ws.join", lang), classes=["join-card"], style="max-width: 480px"):
        solara.InputText(
            t("ws.room_code", lang),
            value=code,
            password=True,
            continuous_update=True,
            classes=["in-code"],
        )
        solara.InputText(
            t("ws.team_name", lang), value=name, continuous_update=True, classes=["in-team"]
        )
        solara.Button(
            t("ws.enter", lang),
            color="primary",
            on_click=lambda: act(join),
            classes=["btn-join"],
        )
        Refusal(refusal, lang)


@solara.component
def Decisions(room: Room, team: Team, lang: str, act, version: object) -> None:
    deciding = room.deciding
    specs = {s.name: s for s in lever_specs(team.org)}
    levers = team.levers()
    with solara.Card(t("ws.decisions", lang), margin=0, classes=["decisions-card"]):
        for name in WORKSHOP_LEVERS:
            if name not in room.open_levers:
                continue
            spec = specs.get(name)
            lo, hi = (spec.lo, spec.hi) if spec else policy_range(name)
            step = spec.step if spec else STEPS[name]
            value = levers[name]
            shown = f"{value:,.0f}" if step >= 1 else f"{value:.2f}"
            with solara.Div(classes=["lever", f"lever-{name}"]):
                solara.SliderFloat(
                    f"{t(f'lever.{name}', lang)}: {shown}",
                    value=value,
                    min=lo,
                    max=min(hi, 2.0) if name == "pay_level" else hi,
                    step=step,
                    disabled=not deciding,
                    on_value=lambda x, n=name: act(lambda: room.set_lever(team, n, x)),
                    thumb_label=False,
                )
        cost = planned_cost(team)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"{html.escape(t('ws.plan_cost', lang))}: <b class='plan-cost'>"
                f"{cost / 1000:,.0f}k</b> · {html.escape(t('ws.budget', lang))}: "
                f"<b class='budget'>{room.budget / 1000:,.0f}k</b>"
            ),
            style="font-size: 16px; margin-top: 6px",
        )
        solara.Div(children=[t("ws.decisions_hint", lang)], style="font-size: 13px; color: #666")


@solara.component
def Predictions(room: Room, team: Team, lang: str, act, version: object) -> None:
    number = room.round + 1
    mine = team.predictions.get(number, {})
    with solara.Card(t("ws.prediction", lang), margin=0, classes=["prediction-card"]):
        for key in room.storyline.predict:
            unit = {"rate": " (%)", "money": " (k)"}.get(_quantity(key), "")
            current = mine.get(key)
            shown = None if current is None else round(current * display_scale(key), 1)
            with solara.Div(classes=[f"predict-{key}"]):
                solara.InputFloat(
                    f"{t(f'kpi.{key}', lang)}{unit}",
                    value=shown,
                    optional=True,
                    disabled=not room.deciding,
                    on_value=lambda x, k=key: (
                        act(lambda: room.predict(team, k, x)) if x is not None else None
                    ),
                )


def _quantity(key: str) -> str:
    from sim.kpis import REGISTRY

    return REGISTRY[key].quantity


def prediction_html(team: Team, lang: str) -> str:
    table = debrief.prediction_table(team)
    if not len(table):
        return ""
    rows = [
        f"<tr><th>{t('ws.round', lang)}</th><th>KPI</th><th>{t('ws.predicted', lang)}</th>"
        f"<th>{t('ws.outcome', lang)}</th><th>{t('ws.error', lang)}</th></tr>"
    ]
    for r in table.itertuples():
        cells = [f"{v:,.1f}" if v == v else "–" for v in (r.predicted, r.outcome, r.error)]
        rows.append(
            f"<tr data-round='{r.round}' data-kpi='{r.kpi}'><td>{r.round}</td>"
            f"<td>{html.escape(t(f'kpi.{r.kpi}', lang))}</td>"
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    return "<table class='ws-table'>" + "".join(rows) + "</table>"


@solara.component
def TeamView(room: Room, team: Team, lang: str, version: int) -> None:
    refusal = solara.use_reactive(None)
    tick = solara.use_reactive(0)
    act = _acting(refusal, tick)
    version = (version, tick.value)  # the room's changes and this team's own
    # Presence: the room parks the unit of a team that has had no page open for a while.
    solara.use_effect(lambda: room.attach(team), [team.name])
    with team.lock:
        ts = team.timeseries()
        day = team.day
    ref = room.reference.timeseries().head(len(ts))
    story = room.storyline
    Status(room, lang, version)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<b>{html.escape(team.name)}</b> · {t('day', lang)} "
            f"<span class='team-day' data-day='{day}'>{day}</span>"
        ),
        style="font-size: 18px",
    )
    question = story.round(room.round + 1).question[lang]
    if question and room.state != "finished":
        solara.Div(children=[question], classes=["ws-question"])
    if room.pending:
        names = ", ".join(t(f"ws.event.{e}", lang) for e in room.pending)
        solara.Div(children=[f"{t('ws.events', lang)} ({t('ws.coming', lang)}): {names}"])
    Refusal(refusal, lang)
    KpiStrip(SimpleNamespace(cards=kpi_cards(ts, ref, WINDOW)), lang)
    with solara.Columns([1, 2]):
        with solara.Column():
            Decisions(room, team, lang, act, version)
            Predictions(room, team, lang, act, version)
        with solara.Column():
            solara.HTML(
                tag="div", unsafe_innerHTML=prediction_html(team, lang), classes=["predictions"]
            )
            TeamPlots(room, team, lang, day)


@solara.component
def TeamPlots(room: Room, team: Team, lang: str, day: int) -> None:
    """The team's two panels, after the page shows the new round: drawn by the room's workers
    (room.panels), once per day. This thread only waits, so the server's own threads stay
    free for the pages (docs/DASHBOARD.md, workshop load). A decision does not redraw them:
    its dotted line would sit past the last day shown."""
    images = solara.use_thread(
        lambda: room.panels(team, lang), dependencies=[day, lang], intrusive_cancel=False
    )
    for panel, image in zip(TEAM_PANELS, images.value or [], strict=False):
        with solara.Div(classes=["panel", f"panel-{panel}"]):
            solara.Image(image, width="100%")


@solara.component
def TeamPage(room: Room) -> None:
    lang = solara.use_reactive("en")
    team = solara.use_reactive(None)
    version = use_room_version(room)
    LangBar(t("ws.title", lang.value), lang)
    if team.value is None:
        Status(room, lang.value, version)
        JoinForm(room, team, lang.value)
    else:
        TeamView(room, team.value, lang.value, version)


# ---- the facilitator's page -------------------------------------------------------------------
@solara.component
def KeyForm(room: Room, on_ok: Callable[[], None], lang: str) -> None:
    key = solara.use_reactive("")
    refusal = solara.use_reactive(None)

    def enter() -> None:
        if room.key_ok(key.value):
            on_ok()
        else:
            refusal.set(("key", {}))

    with solara.Card(t("ws.facilitator", lang), style="max-width: 480px"):
        solara.InputText(
            t("ws.facilitator_key", lang),
            value=key,
            password=True,
            continuous_update=True,
            classes=["in-key"],
        )
        solara.Button(t("ws.enter", lang), color="primary", on_click=enter, classes=["btn-key"])
        Refusal(refusal, lang)


def leaderboard_html(room: Room, lang: str) -> str:
    head = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in [t("ws.rank", lang), t("ws.team", lang), t("ws.score", lang)]
        + [t(f"kpi.{k}", lang) for k in SCORECARD]
    )
    rows = []
    for s in room.leaderboard():
        name = t("ws.reference", lang) if s.reference else s.team
        if not s.reference and room.teams[s.team].parked is not None:
            name += " " + t("ws.left", lang)
        cells = [str(s.rank), html.escape(name), f"{s.score:.0f}"]
        cells += [format_kpi(k, s.values[k]) for k in SCORECARD]
        cls = " class='ws-reference'" if s.reference else ""
        rows.append(
            f"<tr{cls} data-team='{html.escape(s.team)}' data-rank='{s.rank}'>"
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


@solara.component
def Controls(room: Room, lang: str, act, version: int) -> None:
    busy = room.state in ("advancing", "finished")
    with solara.Card(t("ws.facilitator", lang), margin=0):
        with solara.Row():
            solara.Button(
                t("ws.start", lang), on_click=lambda: act(room.start), classes=["btn-start"]
            )
            solara.Button(
                t("ws.pause", lang), on_click=lambda: act(room.pause), classes=["btn-pause"]
            )
        solara.Button(
            t("ws.advance", lang),
            color="primary",
            disabled=busy or room.state == "lobby",
            on_click=lambda: act(room.advance_async),
            classes=["btn-advance"],
            style="margin-top: 8px",
        )
        solara.Text(t("ws.round_length", lang))
        days = {v: k for k, v in ROUND_LENGTHS.items()}
        solara.ToggleButtonsSingle(
            value=days.get(room.round_days, "quarter"),
            values=list(ROUND_LENGTHS),
            on_value=lambda v: act(lambda: room.set_round_length(v)),
            classes=["round-length"],
        )
        solara.InputFloat(
            f"{t('ws.budget', lang)} (k)",
            value=round(room.budget / 1000.0),
            on_value=lambda v: act(lambda: room.set_budget(1000.0 * (v or 0))),
            classes=["in-budget"],
        )
    with solara.Card(t("ws.inject", lang), margin=0):
        for event in EVENTS:
            solara.Button(
                t(f"ws.event.{event}", lang),
                on_click=lambda e=event: act(lambda: room.inject(e)),
                classes=[f"btn-event-{event}"],
                text=True,
            )
        if room.pending:
            names = ", ".join(t(f"ws.event.{e}", lang) for e in room.pending)
            solara.Div(children=[f"{t('ws.coming', lang)}: {names}"], classes=["pending"])
    with solara.Card(t("ws.open_levers", lang), margin=0):
        for name in WORKSHOP_LEVERS:
            with solara.Div(classes=[f"open-{name}"]):
                solara.Checkbox(
                    label=t(f"lever.{name}", lang),
                    value=name in room.open_levers,
                    on_value=lambda v, n=name: act(lambda: room.set_open_lever(n, v)),
                )
    with solara.Card(t("ws.weights", lang), margin=0):
        for key in SCORECARD:
            with solara.Div(classes=[f"weight-{key}"]):
                solara.SliderFloat(
                    f"{t(f'kpi.{key}', lang)}: {room.weights[key]:g}",
                    value=room.weights[key],
                    min=0.0,
                    max=MAX_WEIGHT,
                    step=0.5,
                    on_value=lambda v, k=key: act(lambda: room.set_weight(k, v)),
                )


@solara.component
def TeamDebrief(room: Room, team: Team, lang: str, version: int) -> None:
    """One team's chain (decisions and events marked), accounts and prediction errors."""
    deps = [version, lang, team.name]
    figs = solara.use_memo(lambda: debrief.chain_figures(team, room, lang), deps)
    with solara.Card(f"{t('ws.team', lang)} {team.name}: {t('ws.chain', lang)}", margin=0):
        for row in (figs[:2], figs[2:]):
            with solara.Columns([1, 1]):
                for fig in row:
                    solara.FigureMatplotlib(fig, dependencies=deps, format="png")
        values = debrief.accounts(team.timeseries(), room.reference.timeseries())
        Plot(lambda: debrief.accounts_figure(values, lang), deps)
        solara.Div(children=[t("ws.accounts_hint", lang)], style="font-size: 13px")
        solara.HTML(
            tag="div", unsafe_innerHTML=prediction_html(team, lang), classes=["team-debrief"]
        )


@solara.component
def Debrief(room: Room, lang: str, version: int) -> None:
    names = sorted(room.teams)
    pick = solara.use_reactive(names[0] if names else None)
    written = solara.use_reactive(None)
    story = room.storyline
    with solara.Card(t("ws.notes", lang), margin=0):
        solara.Div(children=[story.notes[lang]], style="font-size: 16px")
    with solara.Card(t("ws.compare", lang), margin=0), solara.Columns([1, 1]):
        for key in ("nps", "profit"):
            Plot(lambda k=key: debrief.comparison_figure(room, k, lang), [version, lang])
    if names:
        solara.Select(t("ws.pick_team", lang), values=names, value=pick, classes=["pick-team"])
    team = room.teams.get(pick.value)
    if team is not None:
        TeamDebrief(room, team, lang, version)
    with solara.Card(t("ws.export", lang), margin=0, classes=["export-card"]):
        solara.Button(
            t("ws.export", lang),
            color="primary",
            on_click=lambda: written.set(room.write_debrief(lang)),
            classes=["btn-export"],
        )
        if written.value:
            solara.Div(
                children=[t("ws.written", lang, path=str(written.value["debrief"].parent))],
                classes=["export-written"],
            )
            solara.FileDownload(
                lambda: written.value["debrief"].read_bytes(),
                filename="debrief.html",
                label=t("ws.download_html", lang),
                mime_type="text/html",
            )
            solara.FileDownload(
                lambda: written.value["timeseries"].read_bytes(),
                filename="timeseries.parquet",
                label=t("ws.download_parquet", lang),
            )


@solara.component
def FacilitatorView(room: Room, lang: str) -> None:
    version = use_room_version(room)
    refusal = solara.use_reactive(None)
    tab = solara.use_reactive("leaderboard")
    act = _acting(refusal)
    with solara.Sidebar():
        Controls(room, lang, act, version)
    Status(room, lang, version)
    seconds = room.advance_seconds[-1] if room.advance_seconds else None
    teams = ", ".join(sorted(room.teams)) or t("ws.no_teams", lang)
    line = f"{t('ws.teams', lang)} ({len(room.teams)}): {teams}"
    if seconds is not None:
        ready, units = room.prepared[-1]
        line += f" · {t('ws.advance_time', lang, s=f'{seconds:.1f}', ready=ready, n=units)}"
    solara.Div(children=[line], classes=["team-list"], style="font-size: 16px")
    if room.error:
        solara.Error(room.error, classes=["sim-error"])
    Refusal(refusal, lang)
    tabs = {t(f"ws.{k}", lang): k for k in ("leaderboard", "debrief")}
    solara.ToggleButtonsSingle(
        value=t(f"ws.{tab.value}", lang),
        values=list(tabs),
        on_value=lambda label: tab.set(tabs[label]),
        classes=["fac-tab"],
    )
    if tab.value == "leaderboard":
        with solara.Card(t("ws.leaderboard", lang), margin=0):
            solara.HTML(
                tag="div", unsafe_innerHTML=leaderboard_html(room, lang), classes=["leaderboard"]
            )
            solara.Div(children=[t("ws.last_days", lang, n=WINDOW)], style="font-size: 14px")
    else:
        Debrief(room, lang, version)


@solara.component
def FacilitatorPage(room: Room) -> None:
    lang = solara.use_reactive("en")
    ok = solara.use_reactive(False)
    LangBar(f"{t('ws.title', lang.value)}: {t('ws.facilitator', lang.value)}", lang)
    if not ok.value:
        KeyForm(room, lambda: ok.set(True), lang.value)
    else:
        FacilitatorView(room, lang.value)
