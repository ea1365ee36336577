"""The statistics a calibration target can name, each defined once.

A statistic is an aggregation of the daily table over a window (`sim.kpis.Aggregation`): every
KPI of the registry (sim/kpis.py), plus the few figures below that are not KPIs of summary.json
but that published targets quote. sim-validate computes the same figures through `value` (for
example the complaint iceberg check), so a target and its validation check cannot disagree on
what they measure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim import kpis
from sim.config import ConfigError

# Figures published targets quote that summary.json does not hold.
EXTRA: dict[str, kpis.Aggregation] = {
    # The complaint iceberg (Goodman & Newman 2003): the share of service failures the firm
    # hears about. No failure at all: unknown, not zero.
    "complaint_share_heard": kpis.ratio("complaints", "failures", empty=math.nan),
}
NAMES: tuple[str, ...] = (*kpis.NAMES, *EXTRA)


def aggregation(key: str, spec: Any) -> kpis.Aggregation:
    """The aggregation a target's `statistic` names: a KPI, a statistic of EXTRA, or an inline
    spec `{kind, column, over, empty}` over the aggregators of sim/kpis.py.

    Raises:
        ConfigError: an unknown name, aggregator or spec key, naming `key` and what is allowed.
    """
    if isinstance(spec, str):
        if spec in kpis.REGISTRY:
            return kpis.REGISTRY[spec].how
        if spec in EXTRA:
            return EXTRA[spec]
        raise ConfigError(
            key, spec, f"a statistic of {', '.join(NAMES)}, or {{kind, column, over, empty}}"
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(key, spec, "a statistic name or a mapping {kind, column, over, empty}")
    allowed = {"kind", "column", "over", "empty"}
    unknown = sorted(set(map(str, spec)) - allowed)
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", spec[unknown[0]], f"one of {sorted(allowed)}")
    kind = spec.get("kind")
    if kind not in kpis.AGGREGATORS:
        raise ConfigError(f"{key}.kind", kind, f"one of {', '.join(kpis.AGGREGATORS)}")
    if not isinstance(spec.get("column"), str):
        raise ConfigError(f"{key}.column", spec.get("column"), "a column of the daily table")
    needs_over = kind in ("per_stock", "ratio", "weighted")
    if needs_over and not isinstance(spec.get("over"), str):
        raise ConfigError(f"{key}.over", spec.get("over"), f"a daily column ({kind} needs one)")
    empty = spec.get("empty", math.nan)
    if isinstance(empty, bool) or not isinstance(empty, int | float):
        raise ConfigError(f"{key}.empty", empty, "a number (the value when `over` sums to 0)")
    return kpis.Aggregation(
        kind, spec["column"], spec.get("over", "") if needs_over else "", float(empty)
    )


def of(how: kpis.Aggregation, window: pd.DataFrame) -> float:
    """The aggregation over the days of `window` (rows of the daily table), with the registry's
    own aggregator (one definition for KPIs and targets alike).

    Raises:
        ValueError: the window has no days; KeyError: a column the table does not have.
    """
    if not len(window):
        raise ValueError("no days to measure")
    missing = [c for c in how.columns if c not in window]
    if missing:
        raise KeyError(f"daily table has no column {missing[0]}")
    return kpis.aggregate(how, window)  # the registry's aggregators (sim/kpis.py)


def value(name: str, window: pd.DataFrame) -> float:
    """The named statistic (a KPI or one of EXTRA) over the days of `window`."""
    return of(aggregation("statistic", name), window)


def check_columns(key: str, how: kpis.Aggregation, columns: list[str]) -> None:
    """Refuse an aggregation spec that reads a column the daily table does not have.

    Raises:
        ConfigError: naming the key, the column and the table's columns.
    """
    for column in how.columns:
        if column not in columns:
            raise ConfigError(key, column, f"a column of the daily table: {', '.join(columns)}")


def daily_columns(config: Any) -> list[str]:
    """The columns of the daily table a run of `config` writes (one simulated day)."""
    from sim.model import ServiceModel

    model = ServiceModel(dataclasses.replace(config, days=1, progress=False))
    model.step()
    return list(model.timeseries().columns)
