"""The debrief: per team the chain over time with its decisions and the events marked, profit
against the unit without decisions by account, the prediction errors; all teams compared; and
the export (an HTML page with the figures, and the session's data as Parquet).

The chain's panels are the dashboard's (`sim.viz.figures.line_figure`), with the room's
reference unit (same events, no decisions) as the grey ghost. The issue asked for the largest
contributions "by channel" (morale, service quality, recovery, cost, acquisition). The model
does not split its result by causal channel, and a split by re-running each decision alone
would not add up (the channels interact). What is shown instead is exact and honest: the profit
difference against the reference split by the accounts of `sim.finance` (revenue less cost of
sales, wages and overtime, hiring and training, people programmes, acquisition, recovery).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.viz.data import plot_frame
from sim.viz.figures import COLOURS, FONT, GHOST, SIZE, line_figure, png
from sim.viz.i18n import t
from sim.workshop.room import REFERENCE, Room, Team, display_scale

CHAIN_PANELS = ("scores", "experience", "turnover", "profit")
# Accounts of sim.finance, grouped; profit = margin - the rest (each a daily column).
ACCOUNTS = {
    "margin": (("revenue",), ("cost_of_sales",)),
    "wages": ((), ("wages", "overtime")),
    "hiring": ((), ("recruiting", "training")),
    "programmes": ((), ("programmes",)),
    "marketing": ((), ("marketing",)),
    "recovery": ((), ("recovery",)),
}
EVENT_COLOUR = "tab:red"


def event_days(room: Room) -> list[tuple[int, str]]:
    """(day, event) of every event played so far: it acted from the day after `day`."""
    return [(r.start, e) for r in room.played for e in r.events]


def chain_figures(team: Team, room: Room, lang: str = "en") -> list[Figure]:
    """The dashboard's four panels for one team: decisions dotted, events red."""
    live = plot_frame(team.timeseries())
    ghost = plot_frame(room.reference.timeseries())
    figs = []
    for panel in CHAIN_PANELS:
        fig = line_figure(panel, live, ghost, team.decisions, lang)
        ax = fig.axes[0]
        for day, _ in event_days(room):
            ax.axvline(day + 0.5, color=EVENT_COLOUR, linewidth=1.0, alpha=0.7)
        figs.append(fig)
    return figs


def accounts(team_ts: pd.DataFrame, ref_ts: pd.DataFrame) -> dict[str, float]:
    """Profit of the team minus the reference's, per account, summed over the days both ran.
    The values add up to the profit difference (a test checks it)."""
    n = min(len(team_ts), len(ref_ts))
    out = {}
    for name, (plus, minus) in ACCOUNTS.items():
        diff = 0.0
        for col in plus:
            diff += float(team_ts[col].head(n).sum() - ref_ts[col].head(n).sum())
        for col in minus:
            diff -= float(team_ts[col].head(n).sum() - ref_ts[col].head(n).sum())
        out[name] = diff
    return out


def accounts_figure(values: dict[str, float], lang: str = "en") -> Figure:
    """Horizontal bars of `accounts`, largest first, in thousands."""
    fig = Figure(figsize=SIZE, dpi=90, layout="constrained")
    ax = fig.subplots()
    items = sorted(values.items(), key=lambda kv: -abs(kv[1]))
    names = [t(f"ws.account.{k}", lang) for k, _ in items]
    vals = [v / 1000.0 for _, v in items]
    ax.barh(names, vals, color=["tab:green" if v >= 0 else "tab:red" for v in vals])
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_title(t("ws.accounts", lang), fontsize=FONT["title"], wrap=True)
    ax.set_xlabel("k", fontsize=9)
    ax.tick_params(labelsize=9)
    return fig


def prediction_table(team: Team) -> pd.DataFrame:
    """One row per round and predicted KPI: predicted, outcome, error (outcome - predicted),
    in the units the page shows (percent, thousands). Rounds without a prediction show NaN."""
    rows = []
    for rnd, outcome in sorted(team.outcomes.items()):
        for key, value in outcome.items():
            scale = display_scale(key)
            guess = team.predictions.get(rnd, {}).get(key, math.nan)
            rows.append(
                {
                    "round": rnd,
                    "kpi": key,
                    "predicted": guess * scale,
                    "outcome": value * scale,
                    "error": (value - guess) * scale,
                }
            )
    return pd.DataFrame(rows, columns=["round", "kpi", "predicted", "outcome", "error"])


def comparison_figure(room: Room, key: str, lang: str = "en") -> Figure:
    """One KPI over days for every team (the reference in grey dashes)."""
    fig = Figure(figsize=(SIZE[0] * 1.6, SIZE[1] * 1.3), dpi=90, layout="constrained")
    ax = fig.subplots()
    ref = plot_frame(room.reference.timeseries())
    scale = display_scale(key)
    if len(ref):
        ax.plot(ref["day"], ref[key] * scale, **GHOST, label=t("ws.reference", lang))
    palette = [*COLOURS, "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink"]
    for i, (name, team) in enumerate(sorted(room.teams.items())):
        pf = plot_frame(team.timeseries())
        if len(pf):
            ax.plot(pf["day"], pf[key] * scale, color=palette[i % len(palette)], label=name)
    for day, _ in event_days(room):
        ax.axvline(day + 0.5, color=EVENT_COLOUR, linewidth=1.0, alpha=0.7)
    ax.set_title(t(f"kpi.{key}", lang), fontsize=FONT["title"])
    ax.set_xlabel(t("day", lang).lower(), fontsize=9)
    ax.tick_params(labelsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def _img(fig: Figure) -> str:
    data = base64.b64encode(png(fig)).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:48%">'


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:,.1f}", na_rep="–", border=0)


def standings_frame(room: Room, lang: str = "en") -> pd.DataFrame:
    rows = []
    for s in room.leaderboard():
        name = t("ws.reference", lang) if s.reference else s.team
        row = {t("ws.rank", lang): s.rank, t("ws.team", lang): name, t("ws.score", lang): s.score}
        for key, value in s.values.items():
            row[t(f"kpi.{key}", lang)] = value * display_scale(key)
        rows.append(row)
    return pd.DataFrame(rows)


def debrief_html(room: Room, lang: str = "en") -> str:
    """The whole debrief as one self-contained HTML page (figures inline, no outside links)."""
    story = room.storyline
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(t('ws.debrief', lang))}: {html.escape(story.title[lang])}</title>",
        "<style>body{font:16px/1.4 sans-serif;margin:2em} table{border-collapse:collapse}"
        "td,th{padding:2px 10px;text-align:right} h2{margin-top:2em}</style></head><body>",
        f"<h1>{html.escape(t('ws.debrief', lang))}: {html.escape(story.title[lang])}</h1>",
        f"<p>{html.escape(story.summary[lang])}</p>",
        f"<h2>{html.escape(t('ws.notes', lang))}</h2><p>{html.escape(story.notes[lang])}</p>",
        f"<h2>{html.escape(t('ws.compare', lang))}</h2>",
        _table(standings_frame(room, lang)),
    ]
    parts += [_img(comparison_figure(room, k, lang)) for k in ("nps", "profit")]
    for name, team in sorted(room.teams.items()):
        parts.append(f"<h2>{html.escape(t('ws.team', lang))} {html.escape(name)}</h2>")
        parts.append(f"<h3>{html.escape(t('ws.chain', lang))}</h3>")
        parts += [_img(f) for f in chain_figures(team, room, lang)]
        values = accounts(team.timeseries(), room.reference.timeseries())
        parts.append(_img(accounts_figure(values, lang)))
        parts.append(f"<p><small>{html.escape(t('ws.accounts_hint', lang))}</small></p>")
        parts.append(f"<h3>{html.escape(t('ws.predictions', lang))}</h3>")
        parts.append(_table(prediction_table(team)))
        parts.append(f"<h3>{html.escape(t('ws.decision_log', lang))}</h3>")
        parts.append(_table(decisions_frame({name: team})))
    parts.append("</body></html>")
    return "\n".join(parts)


def decisions_frame(teams: dict[str, Team]) -> pd.DataFrame:
    rows = [
        {"team": name, "day": c.day, "lever": c.name, "old": c.old, "new": c.new}
        for name, team in teams.items()
        for c in team.decisions
    ]
    return pd.DataFrame(rows, columns=["team", "day", "lever", "old", "new"])


def session_frames(room: Room) -> dict[str, pd.DataFrame]:
    """The session's data: every unit's daily KPIs, the decisions, predictions and rounds."""
    units = {REFERENCE: room.reference, **room.teams}
    series = []
    for name, unit in units.items():
        ts = unit.timeseries().copy()
        ts.insert(0, "team", name)
        series.append(ts)
    preds = [
        prediction_table(team).assign(team=name)
        for name, team in room.teams.items()
        if team.outcomes
    ]
    columns = ["team", "round", "kpi", "predicted", "outcome", "error"]
    rounds = pd.DataFrame(
        [
            {"round": r.number, "start_day": r.start, "days": r.days, "events": ",".join(r.events)}
            for r in room.played
        ],
        columns=["round", "start_day", "days", "events"],
    )
    return {
        "timeseries": pd.concat(series, ignore_index=True),
        "decisions": decisions_frame(room.teams),
        "predictions": (
            pd.concat(preds, ignore_index=True)[columns] if preds else pd.DataFrame(columns=columns)
        ),
        "rounds": rounds,
    }


def export(room: Room, out_dir: Path, lang: str = "en") -> dict[str, Path]:
    """Write debrief.html and one Parquet file per table of `session_frames` into `out_dir`
    (the session's own folder: nothing else is written). Returns the paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"debrief": out_dir / "debrief.html"}
    with room.lock:
        paths["debrief"].write_text(debrief_html(room, lang), encoding="utf-8")
        for name, frame in session_frames(room).items():
            paths[name] = out_dir / f"{name}.parquet"
            frame.to_parquet(paths[name], index=False)
    return paths
