"""Solara components of the dashboard. They only lay out what `sim.viz.data.view` computed.

Why not Mesa's stock `SolaraViz` page: its labels ("Reset", "Step", "Model Parameters", ...)
cannot be translated, its sliders apply only on Reset and cannot follow a preset picker, and a
workshop wants a lever moved mid-run to act on the running model (with the day marked). The
components here keep Mesa's conventions instead: one model per session built inside the page,
Reset rebuilds it from the controls, Step and Play advance it, and the views are functions of
the model's state.
"""

from __future__ import annotations

import html
import math
import threading
import traceback
from collections.abc import Callable

import solara

from sim.viz import figures
from sim.viz.data import View, format_kpi
from sim.viz.i18n import LANGUAGES, t
from sim.viz.levers import lever_specs, preset_names

DAYS_PER_STEP = (1, 7, 30)
PLAY_PAUSE_SECONDS = 0.05  # between play ticks, so the page stays responsive


@solara.component
def Plot(make: Callable[[], object], dependencies: list) -> None:
    """A matplotlib figure redrawn only when `dependencies` change."""
    fig = solara.use_memo(make, dependencies)
    solara.FigureMatplotlib(fig, dependencies=dependencies, format="png")


@solara.component
def KpiStrip(v: View, lang: str) -> None:
    """The headline numbers (summary.json definitions, last WINDOW days) against the ghost."""
    cells = []
    for card in v.cards:
        base = format_kpi(card.key, card.baseline)
        cells.append(
            f'<div class="kpi-card" data-kpi="{card.key}">'
            f'<div class="kpi-label">{html.escape(t(f"kpi.{card.key}", lang))}</div>'
            f'<div class="kpi-value">{format_kpi(card.key, card.value)}</div>'
            f'<div class="kpi-base">{html.escape(t("vs_baseline", lang))}: {base}</div></div>'
        )
    solara.HTML(
        tag="div",
        unsafe_innerHTML="".join(cells),
        style="display:flex; flex-wrap:wrap; gap:8px",
        classes=["kpi-strip"],
    )


@solara.component
def Controls(
    v: View,
    lang: str,
    act: Callable[[Callable[[], None]], None],
    session,
    seed: solara.Reactive[int],
    days_per_step: solara.Reactive[int],
    playing: solara.Reactive[bool],
) -> None:
    """Preset, levers, seed and the run buttons."""
    presets = preset_names()
    labels = {t(f"preset.{p}", lang): p for p in presets}
    with solara.Card(t("run", lang), margin=0, classes=["run-card"]):
        with solara.Row():
            solara.Button(
                t("reset", lang),
                color="primary",
                on_click=lambda: act(lambda: session.reset(seed=seed.value)),
                classes=["btn-reset"],
            )
            solara.Button(
                t("step", lang),
                color="primary",
                disabled=playing.value,
                on_click=lambda: act(lambda: session.step(days_per_step.value)),
                classes=["btn-step"],
            )
            solara.Button(
                t("pause", lang) if playing.value else t("play", lang),
                color="secondary",
                on_click=lambda: playing.set(not playing.value),
                classes=["btn-play"],
            )
        solara.Text(t("days_per_step", lang), style="font-size: 12px")
        solara.ToggleButtonsSingle(
            value=days_per_step.value,
            values=list(DAYS_PER_STEP),
            on_value=days_per_step.set,
            classes=["days-per-step"],
        )
        solara.InputInt(t("seed", lang), value=seed, classes=["seed-input"])
    with solara.Card(t("levers", lang), margin=0, classes=["levers-card"]):
        solara.Select(
            t("preset", lang),
            values=list(labels),
            value=t(f"preset.{v.preset}", lang),
            on_value=lambda label: act(lambda: session.set_preset(labels[label])),
            classes=["preset-select"],
        )
        for spec in lever_specs(session.org):
            value = v.levers[spec.name]
            shown = f"{value:,.0f}" if spec.step >= 1 else f"{value:.2f}"
            with solara.Div(classes=["lever", f"lever-{spec.name}"]):
                solara.SliderFloat(
                    f"{t(f'lever.{spec.name}', lang)}: {shown}",
                    value=value,
                    min=spec.lo,
                    max=spec.hi,
                    step=spec.step,
                    on_value=lambda x, name=spec.name: act(lambda: session.set_lever(name, x)),
                    thumb_label=False,
                )
        for hint in ("levers_hint", "staffing_hint"):
            solara.Div(children=[t(hint, lang)], style="font-size: 12px; color: #666")


@solara.component
def Views(v: View, lang: str, version: int) -> None:
    """The floor, the customers, the drivers, the four KPI panels and the journey."""
    deps = [version, lang]
    step_ms = "–" if math.isnan(v.step_seconds) else f"{1000 * v.step_seconds:.1f} ms"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<span class="day-counter" data-day="{v.day}">{t("day", lang)} {v.day}</span>'
            f" · {html.escape(t('preset.' + v.preset, lang))} · seed {v.seed}"
            f" · {html.escape(t('step_time', lang))} {step_ms}"
        ),
        style="font-size: 18px; margin: 4px 0 8px 0",
    )
    KpiStrip(v, lang)
    with solara.Columns([1, 2]):
        with solara.Card(t("floor", lang), margin=0):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=figures.floor_html(v.tiles, lang),
                classes=["floor-view"],
            )
        with solara.Column(gap="0px"):
            for row in (("scores", "experience"), ("turnover", "profit")):
                with solara.Columns([1, 1]):
                    for panel in row:
                        with solara.Div(classes=["panel", f"panel-{panel}"]):
                            Plot(
                                lambda panel=panel: figures.line_figure(
                                    panel, v.live, v.ghost, v.changes, lang
                                ),
                                deps,
                            )
    # The customers, the drivers, and where EX meets CX: the journey's stages beside its roles.
    with solara.Columns([1, 1, 1, 1]):
        with solara.Div(classes=["panel", "panel-satisfaction"]):
            Plot(lambda: figures.histogram_figure(v.hist_live, v.hist_ghost, lang), deps)
        with solara.Div(classes=["panel", "panel-drivers"]):
            Plot(lambda: figures.drivers_figure(v.drivers_live, v.drivers_ghost, lang), deps)
        with solara.Div(classes=["panel", "panel-journey-stages"]):
            Plot(
                lambda: figures.journey_figure("stages", v.stages_live, v.stages_ghost, lang), deps
            )
        with solara.Div(classes=["panel", "panel-journey-roles"]):
            Plot(lambda: figures.journey_figure("roles", v.roles_live, v.roles_ghost, lang), deps)
    LeverLog(v, lang)


@solara.component
def LeverLog(v: View, lang: str) -> None:
    """The levers pulled so far, by day (the dotted lines in the panels)."""
    with solara.Card(t("changes", lang), margin=0):
        lines = [
            f"{t('day', lang)} {c.day}: {t(f'lever.{c.name}', lang)} {c.old:g} → {c.new:g}"
            for c in v.changes
        ]
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<br>".join(html.escape(x) for x in lines)
            or html.escape(t("no_changes", lang)),
            classes=["lever-changes"],
            style="font-size: 14px",
        )


@solara.component
def Dashboard(session) -> None:
    """The whole page for one session: app bar, sidebar controls, main views."""
    lang = solara.use_reactive("en")
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    days_per_step = solara.use_reactive(DAYS_PER_STEP[1])  # a week: see docs/DASHBOARD.md
    seed = solara.use_reactive(session.seed)
    error = solara.use_reactive(None)

    def act(change: Callable[[], None]) -> None:
        """Run a change of the session; show any failure instead of losing the page."""
        try:
            change()
            error.set(None)
        except Exception as ex:  # the room should see a message, not a dead page
            traceback.print_exc()
            error.set(f"{type(ex).__name__}: {ex}")
            playing.set(False)
        version.set(version.value + 1)

    def play(cancel: threading.Event) -> None:
        while playing.value and not cancel.is_set():
            act(lambda: session.step(days_per_step.value))
            cancel.wait(PLAY_PAUSE_SECONDS)

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)
    v = solara.use_memo(lambda: _view(session), [version.value])

    solara.Title(t("title", lang.value))
    solara.Style(figures.FLOOR_CSS)
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang.value))
        solara.ToggleButtonsSingle(
            value=lang.value,
            values=list(LANGUAGES),
            on_value=lang.set,
            classes=["lang-toggle"],
        )
    with solara.Sidebar():
        Controls(v, lang.value, act, session, seed, days_per_step, playing)
    with solara.Column(classes=["main-views"]):
        if error.value:
            solara.Error(f"{t('error', lang.value)}: {error.value}", classes=["sim-error"])
        Views(v, lang.value, version.value)


def _view(session) -> View:
    from sim.viz.data import view

    return view(session)
