"""Storylines: ready workshop sessions in configs/workshop/*.yaml, in English and Dutch.

A storyline names the organisation and starting preset (every team starts from the same seed
and state), the round length and number of rounds, the yearly budget as a multiple of the
starting plan's cost, the levers open to teams, the KPIs teams predict, a timeline of rounds
(the question for each and the events injected at its start) and the debrief notes for the
trainer. Every text has an `en` and an `nl` version. A wrong key or value is refused with one
line naming it (`ConfigError`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from sim.cli import CONFIG_DIR, group_options
from sim.config import ConfigError
from sim.viz.i18n import LANGUAGES
from sim.viz.levers import LEVERS

STORYLINE_DIR = CONFIG_DIR / "workshop"
# What a team may move: the dashboard's levers and pay (a wage rise in the market lowers it).
WORKSHOP_LEVERS = (*LEVERS, "pay_level")
# Events the facilitator (or a storyline's timeline) injects into every unit at a round's start.
EVENTS = ("demand_surge", "budget_cut", "wage_rise", "competitor")
# KPIs a team may be asked to predict (names of the registry, sim/kpis.py).
PREDICTABLE = ("nps", "enps", "employee_turnover_annual", "customer_churn_annual", "profit")
ROUND_LENGTHS = {"month": 30, "quarter": 91, "year": 365}
DEFAULT = "cost_pressure"


@dataclass(frozen=True)
class Round:
    """One round of the timeline: its question (per language) and the events at its start."""

    question: dict[str, str]
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Storyline:
    name: str
    title: dict[str, str]
    summary: dict[str, str]
    org: str
    preset: str
    seed: int
    round_days: int
    rounds: int
    budget: float  # the yearly budget as a multiple of the starting plan's cost
    open_levers: tuple[str, ...]
    predict: tuple[str, ...]
    timeline: tuple[Round, ...]
    notes: dict[str, str]

    def round(self, number: int) -> Round:
        """Round `number` (1-based); beyond the timeline, a round with no question or events."""
        if 1 <= number <= len(self.timeline):
            return self.timeline[number - 1]
        return Round(question={lang: "" for lang in LANGUAGES})


def storyline_names() -> list[str]:
    return group_options("workshop")


def _texts(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise ConfigError(key, value, f"a text per language: {', '.join(LANGUAGES)}")
    if not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise ConfigError(key, value, "non-empty texts")
    return {k: str(v).strip() for k, v in value.items()}


def _names(key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(v in allowed for v in value):
        raise ConfigError(key, value, f"a list of: {', '.join(allowed)}")
    return tuple(value)


def _number(key: str, value: Any, lo: float, hi: float, kind: type = float) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
    if kind is int and int(value) != value:
        raise ConfigError(key, value, f"a whole number in [{lo}, {hi}]")
    return kind(value)


KEYS = {f.name for f in fields(Storyline)} - {"name"}


def parse(name: str, raw: Any) -> Storyline:
    """A storyline from its YAML mapping, every key and value checked."""
    if not isinstance(raw, dict):
        raise ConfigError(f"workshop/{name}", type(raw).__name__, "a mapping of storyline keys")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ConfigError(
            f"workshop/{name}.{unknown[0]}", raw[unknown[0]], f"a key of {sorted(KEYS)}"
        )
    missing = sorted(KEYS - set(raw))
    if missing:
        raise ConfigError(f"workshop/{name}.{missing[0]}", None, "a required key")
    k = f"workshop/{name}."
    if raw["org"] not in group_options("org"):
        raise ConfigError(k + "org", raw["org"], f"one of {', '.join(group_options('org'))}")
    if raw["preset"] not in group_options("scenario"):
        raise ConfigError(k + "preset", raw["preset"], "a file of configs/scenario/")
    timeline = []
    if not isinstance(raw["timeline"], list) or not raw["timeline"]:
        raise ConfigError(k + "timeline", raw["timeline"], "a list of rounds")
    for i, r in enumerate(raw["timeline"]):
        key = f"{k}timeline[{i}]"
        if not isinstance(r, dict) or not set(r) <= {"question", "events"} or "question" not in r:
            raise ConfigError(key, r, "a mapping with question (and events)")
        timeline.append(
            Round(
                question=_texts(key + ".question", r["question"]),
                events=_names(key + ".events", r.get("events", []), EVENTS),
            )
        )
    rounds = _number(k + "rounds", raw["rounds"], 1, 40, int)
    if len(timeline) > rounds:
        raise ConfigError(k + "timeline", len(timeline), f"at most rounds={rounds} entries")
    predict = _names(k + "predict", raw["predict"], PREDICTABLE)
    if not predict:
        raise ConfigError(k + "predict", raw["predict"], f"one or more of {', '.join(PREDICTABLE)}")
    return Storyline(
        name=name,
        title=_texts(k + "title", raw["title"]),
        summary=_texts(k + "summary", raw["summary"]),
        org=raw["org"],
        preset=raw["preset"],
        seed=_number(k + "seed", raw["seed"], 0, 2**32 - 1, int),
        round_days=_number(k + "round_days", raw["round_days"], 1, 365, int),
        rounds=rounds,
        budget=_number(k + "budget", raw["budget"], 0.1, 10.0),
        open_levers=_names(k + "open_levers", raw["open_levers"], WORKSHOP_LEVERS),
        predict=predict,
        timeline=tuple(timeline),
        notes=_texts(k + "notes", raw["notes"]),
    )


def load(name_or_path: str) -> Storyline:
    """A storyline by name (configs/workshop/<name>.yaml) or by the path of a YAML file."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        if name_or_path not in storyline_names():
            raise ConfigError(
                "--storyline",
                name_or_path,
                f"one of {', '.join(storyline_names())} or a .yaml file",
            )
        path = STORYLINE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ConfigError("--storyline", name_or_path, "an existing .yaml file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as ex:
        line = getattr(getattr(ex, "problem_mark", None), "line", -1) + 1
        raise ConfigError("--storyline", str(path), f"valid YAML (line {line})") from None
    return parse(path.stem, raw)
