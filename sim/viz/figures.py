"""Figures of the dashboard, built from `sim.viz.data`: matplotlib for the plots, HTML for the
floor of desks. Figures are `matplotlib.figure.Figure` objects (no pyplot state), so sessions
can draw from their own threads. The baseline ghost is a grey dashed line or outline."""

from __future__ import annotations

import html
import io
import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure

from sim.kpis import REGISTRY
from sim.viz.data import WINDOW, Tile, format_kpi
from sim.viz.i18n import journey_name, t
from sim.viz.session import HIST_EDGES, LeverChange
from sim.workforce import DRIVERS

SIZE = (4.6, 2.6)  # inches; at DPI about 415 x 235 px, two to a row at 1280 x 720
DPI = 90
# Type sizes in points: at 1280 x 720, a common projector, a panel is shown at about 80% of its
# pixels, so 10 pt reads as about 10 px (it was 8 pt at 500 px wide: about 6 px on screen).
FONT = {"title": 12, "label": 10, "tick": 10, "legend": 9}
GHOST = {"color": "0.55", "linestyle": "--", "linewidth": 1.2}
COLOURS = ("tab:blue", "tab:orange")
ENGAGEMENT_NORM = Normalize(vmin=3.0, vmax=9.0)  # work happiness: red below 4, green above 8
ENGAGEMENT_CMAP = colormaps["RdYlGn"]

# Line panels: title key, the two KPI columns, the y label, and whether they are rolling flows.
PANELS = {
    "scores": ("plot.scores", ("enps", "nps"), "-100 .. +100"),
    "experience": ("plot.experience", ("work_happiness_mean", "csat_mean"), "0-10"),
    "turnover": (
        "plot.turnover",
        ("employee_turnover_annual", "customer_churn_annual"),
        "%",
    ),
    "profit": ("plot.profit", ("profit",), "k"),
}


def _figure() -> tuple[Figure, object]:
    # Constrained layout makes room for whatever the labels need (Dutch ones are longer).
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (what the pages and the debrief show)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _scale(key: str, values: pd.Series) -> pd.Series:
    """Values in the panel's y units: rates in percent, money in thousands (see format_kpi)."""
    quantity = REGISTRY[key].quantity
    if quantity == "rate":
        return 100.0 * values
    if quantity == "money":
        return values / 1000.0
    return values


def line_figure(
    panel: str,
    live: pd.DataFrame,
    ghost: pd.DataFrame,
    changes: list[LeverChange],
    lang: str = "en",
    window: int = WINDOW,
) -> Figure:
    """One KPI panel over days: live lines, the baseline as dashed grey, lever changes dotted.

    `live` and `ghost` hold a `day` column and the panel's KPI columns (`data.rolling_kpis`).
    """
    title, keys, ylabel = PANELS[panel]
    fig, ax = _figure()
    for i, key in enumerate(keys):
        now = float(live[key].iloc[-1]) if len(live) else float("nan")
        label = f"{t(f'kpi.{key}', lang)}: {format_kpi(key, now)}"
        if len(ghost):
            ax.plot(ghost["day"], _scale(key, ghost[key]), **GHOST)
        if len(live):
            ax.plot(live["day"], _scale(key, live[key]), color=COLOURS[i], lw=1.8, label=label)
    if len(ghost):
        ax.plot([], [], **GHOST, label=t("baseline", lang))
    for day in sorted({c.day for c in changes}):
        ax.axvline(day + 0.5, color="tab:purple", linestyle=":", linewidth=1.2)
    if panel in ("scores", "profit"):
        ax.axhline(0.0, color="0.8", linewidth=0.8)
    ax.set_title(t(title, lang, n=window), fontsize=FONT["title"], wrap=True)
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.set_xlabel(t("day", lang).lower(), fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.set_xlim(left=0, right=max(30, int(live["day"].max()) if len(live) else 0))
    if len(live):
        longest = max(len(h.get_label()) for h in ax.get_lines())
        ncols = 2 if longest < 24 else 1  # Dutch labels are long: one column, not cut off
        ax.legend(loc="upper left", fontsize=FONT["legend"], frameon=False, ncols=ncols)
    return fig


def histogram_figure(live: np.ndarray, ghost: np.ndarray, lang: str = "en") -> Figure:
    """Customers' satisfaction: shares per half-point bin, the baseline as an outline."""
    fig, ax = _figure()
    width = np.diff(HIST_EDGES)
    ax.bar(HIST_EDGES[:-1], live, width=width, align="edge", color="tab:orange", alpha=0.8)
    ax.stairs(ghost, HIST_EDGES, color=GHOST["color"], linestyle="--", label=t("baseline", lang))
    ax.set_xlim(0, 10)
    ax.set_title(t("satisfaction_hist", lang), fontsize=FONT["title"], wrap=True)
    ax.set_xlabel(t("satisfaction_axis", lang), fontsize=FONT["label"])
    ax.set_ylabel(t("share_customers", lang), fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.legend(loc="upper left", fontsize=FONT["legend"], frameon=False)
    return fig


def _bars_against_baseline(
    ax, at: np.ndarray, now, base, colour: str, lang: str, *, horizontal: bool = False
) -> None:
    """Bars of the live values with the baseline's as grey dashed outlines (NaN drawn as 0)."""
    draw = ax.barh if horizontal else ax.bar
    draw(at, np.nan_to_num(now), 0.6, color=colour, alpha=0.8, label=t("now", lang))
    draw(
        at,
        np.nan_to_num(base),
        0.6,
        fill=False,
        edgecolor=GHOST["color"],
        linestyle="--",
        label=t("baseline", lang),
    )


def drivers_figure(live: dict[str, float], ghost: dict[str, float], lang: str = "en") -> Figure:
    """want / know / can / feel (0..1): bars now, the baseline's as grey outlines."""
    fig, ax = _figure()
    x = np.arange(len(DRIVERS))
    labels = [t(f"driver.{d}", lang) for d in DRIVERS]
    now = [live[d] for d in DRIVERS]
    base = [ghost[d] for d in DRIVERS]
    _bars_against_baseline(ax, x, now, base, "tab:green", lang)
    for xi, v in zip(x, now, strict=True):
        if not math.isnan(v):
            ax.text(xi, v + 0.02, f"{v:.2f}", ha="center", fontsize=FONT["label"])
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.1)
    ax.set_title(t("drivers", lang), fontsize=FONT["title"], wrap=True)
    ax.tick_params(labelsize=FONT["tick"])
    ax.legend(loc="upper right", fontsize=FONT["legend"], frameon=False, ncols=2)
    return fig


def journey_figure(
    kind: str, live: dict[str, float], ghost: dict[str, float], lang: str = "en"
) -> Figure:
    """`kind` "stages": customers' rating per journey stage; "roles": work happiness per role
    (0-10, last month); bars now, the baseline's as grey outlines. Names are the journey's,
    in the page's language."""
    fig, ax = _figure()
    names = list(live)
    y = np.arange(len(names))
    now = np.array([live[n] for n in names])
    base = np.array([ghost.get(n, float("nan")) for n in names])
    colour = "tab:orange" if kind == "stages" else "tab:blue"
    _bars_against_baseline(ax, y, now, base, colour, lang, horizontal=True)
    for yi, v in zip(y, now, strict=True):
        if not math.isnan(v):
            ax.text(v + 0.1, yi, f"{v:.1f}", va="center", fontsize=FONT["label"])
    ax.set_yticks(y, [journey_name(n, lang) for n in names], fontsize=FONT["label"])
    ax.invert_yaxis()  # the journey's order, top down
    ax.set_xlim(0, 11)
    ax.set_title(t(f"journey_{kind}", lang), fontsize=FONT["title"], wrap=True)
    ax.tick_params(labelsize=FONT["tick"])
    return fig


def engagement_colour(engagement: float) -> str:
    return to_hex(ENGAGEMENT_CMAP(ENGAGEMENT_NORM(engagement)))


def floor_columns(n: int) -> int:
    """Desks per row: about 1.6 times as wide as deep, at most 12 across."""
    return max(1, min(12, math.ceil(math.sqrt(n * 1.6))))


def floor_html(tiles: list[Tile], lang: str = "en") -> str:
    """The floor of desks as an HTML grid: one tile per seat, coloured by work happiness."""
    cols = floor_columns(len(tiles))
    cells = []
    for tile in tiles:
        if tile.state == "occupied":
            badges = ("T" if tile.training else "") + ("N" if tile.new else "")
            badge = f'<span class="desk-badge">{badges}</span>' if badges else ""
            style = f"background:{engagement_colour(tile.engagement)}"
            if tile.training:
                style += ";border-style:dashed"
            text = f"{tile.engagement:.1f}"
            role = journey_name(tile.role, lang)
            title = f"#{tile.seat + 1} {role}: {t('kpi.work_happiness_mean', lang)} {text}"
        else:
            badge, style, text = "", "", ""
            title = f"#{tile.seat + 1} {journey_name(tile.role, lang)}: {t('vacant', lang)}"
            if tile.refill_in >= 0:
                title += f" ({tile.refill_in} {t('days', lang)})"
        cells.append(
            f'<div class="desk desk-{tile.state}{" desk-back" if tile.back else ""}" '
            f'data-seat="{tile.seat}" data-role="{html.escape(tile.role)}" style="{style}" '
            f'title="{html.escape(title)}">{badge}<span class="desk-value">{text}</span></div>'
        )
    grid = f'<div class="floor" style="grid-template-columns:repeat({cols}, 1fr)">'
    legend = f'<div class="floor-legend">{html.escape(t("floor_legend", lang))}</div>'
    return grid + "".join(cells) + "</div>" + legend


FLOOR_CSS = """
.floor { display: grid; gap: 6px; padding: 4px; }
.desk { position: relative; height: 46px; border: 2px solid #555; border-radius: 6px;
        display: flex; align-items: center; justify-content: center;
        font: 600 14px/1 Roboto, sans-serif; color: #222; }
.desk-vacant { background: #fff; border: 2px dashed #aaa; }
.desk-closed { background: #f3f3f3; border: 1px dotted #ccc; }
.desk-back { border-radius: 0; border: 4px double #1f3a68; }
.desk-badge { position: absolute; top: 2px; right: 4px; font-size: 10px; font-weight: 700;
              color: #000; background: rgba(255,255,255,0.75); border-radius: 3px;
              padding: 0 2px; }
.floor-legend { font-size: 12px; color: #555; margin-top: 6px; }
.main-views .widget-image { width: 100%; height: auto; }
.kpi-card { min-width: 130px; padding: 6px 10px; }
.v-card__title, .kpi-label { word-break: normal; overflow-wrap: normal; }
.kpi-value { font-size: 26px; font-weight: 700; }
.kpi-base { font-size: 12px; color: #666; }
"""
