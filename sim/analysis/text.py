"""Numbers as text, for the reports: KPI labels, precision by size, intervals, Markdown tables."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.kpis import REGISTRY


def label(kpi: str) -> str:
    """The KPI's label (sim/kpis.py); a column that is not a KPI reads as its name."""
    k = REGISTRY.get(kpi)
    return k.label() if k else kpi


def fmt(value: Any, kpi: str = "", *, signed: bool = False) -> str:
    """A number for a table or a sentence, with precision by size: money without decimals and
    with thousands separators, rates and shares in percent (a signed one, a difference, in
    percentage points)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    sign = "+" if signed else ""
    quantity = REGISTRY[kpi].quantity if kpi in REGISTRY else ""
    if quantity in ("rate", "share"):
        return f"{100 * v:{sign}.1f}{' pp' if signed else '%'}"
    if abs(v) >= 1000 or quantity in ("money", "count"):
        return f"{v:{sign},.0f}"
    if quantity == "share" or abs(v) < 1:
        return f"{v:{sign}.3f}"
    return f"{v:{sign}.2f}"


def markdown_table(frame: pd.DataFrame, formats: dict[str, Any] | None = None) -> str:
    """A GitHub Markdown table; `formats` maps a column to a function of (value, row)."""
    formats = formats or {}
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = [
            formats[c](row[c], row)
            if c in formats
            else fmt(row[c])
            if not isinstance(row[c], str)
            else row[c]
            for c in cols
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def interval(lo: float, hi: float, kpi: str = "", *, signed: bool = True) -> str:
    """An interval: `[lo, hi]`, signed for a difference, unsigned for a level."""
    return f"[{fmt(lo, kpi, signed=signed)}, {fmt(hi, kpi, signed=signed)}]"
