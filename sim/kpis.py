"""The KPI registry: what each summary KPI means and how it is measured, in one place.

Every KPI of `summary.json` is one `Kpi` below: its key, its unit, which way is better, its label
in English and Dutch, what kind of quantity it is (so views know how to show it) and how it is
aggregated over a window of the daily table (`ServiceModel.timeseries()`). The aggregation is
data, an `Aggregation`: the name of one of a few small aggregators and the daily columns it reads.

    mean        the mean of a daily column                 (eNPS, work happiness, CSAT, ...)
    per_year    a flow summed and scaled to a year         (revenue, costs, profit, ...)
    per_stock   a flow per year over the mean stock        (quits / headcount, churned / customers)
    ratio       one sum over another                       (abandoned / contacts)
    weighted    a daily share weighted by a daily count    (service level by contacts)
    last        the value on the window's last day         (headcount, customers)

The same aggregator gives one number over a window (`value`: what `summary.json` holds), a line
over a trailing window (`rolling`: the dashboard) or one number per group of days (`by_group`:
the monthly trajectories of a comparison), so all three read one definition.

Every command checks its KPI names here (`check`, `check_names`): a KPI one command accepts,
every command accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError

DAYS_PER_YEAR = 365.0
QUANTITIES = ("score", "rating", "rate", "share", "index", "time", "money", "count")


@dataclass(frozen=True)
class Aggregation:
    """How a KPI is computed over days: an aggregator (a key of AGGREGATORS) and its columns.

    `over` is the second column: the denominator of a ratio, the weight of a weighted mean or
    the stock of a rate. `empty` is the value when that column sums to zero over the window (no
    contacts: nobody waited too long, so the service level is 1). `optional` gives NaN rather
    than an error when the daily table lacks the column (tables from elsewhere, such as the
    benchmark's reference model, may not record it)."""

    kind: str
    column: str
    over: str = ""
    empty: float = math.nan
    optional: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.over) if self.over else (self.column,)


def mean(column: str, *, optional: bool = False) -> Aggregation:
    return Aggregation("mean", column, optional=optional)


def per_year(flow: str) -> Aggregation:
    return Aggregation("per_year", flow)


def per_stock(flow: str, stock: str) -> Aggregation:
    return Aggregation("per_stock", flow, stock)


def ratio(numerator: str, denominator: str, *, empty: float) -> Aggregation:
    return Aggregation("ratio", numerator, denominator, empty)


def weighted(column: str, weight: str, *, empty: float) -> Aggregation:
    return Aggregation("weighted", column, weight, empty)


def last(column: str) -> Aggregation:
    return Aggregation("last", column)


@dataclass(frozen=True)
class Kpi:
    """One KPI of summary.json.

    Attributes:
        name: the summary.json key (and the column of every table of runs).
        unit: the long unit, for tables and axis labels.
        short_unit_en, short_unit_nl: what follows a number in a sentence or a card ("per
            year"); empty where the label says it.
        better: +1 higher is better, -1 lower is better, 0 neither (too high and too low both
            hurt, or it is a size rather than a goal).
        quantity: one of QUANTITIES: how views show it (a rate as a percentage, money in
            thousands, a score as a whole number).
        how: how it is aggregated over days.
        integer: a count: the summary holds an int.
    """

    name: str
    label_en: str
    label_nl: str
    unit: str
    better: int
    quantity: str
    how: Aggregation
    short_unit_en: str = ""
    short_unit_nl: str = ""
    integer: bool = False

    def label(self, lang: str = "en") -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def title(self, lang: str = "en") -> str:
        """The label as a heading: first letter capitalised (`eNPS` stays as it is)."""
        text = self.label(lang)
        return text if text[:2] != text[:2].lower() else text[:1].upper() + text[1:]

    def short_unit(self, lang: str = "en") -> str:
        return self.short_unit_nl if lang == "nl" else self.short_unit_en

    @property
    def better_if(self) -> str:
        """`higher`, `lower` or `either` (no better direction)."""
        return {1: "higher", -1: "lower"}.get(self.better, "either")


_YEAR = {"short_unit_en": "per year", "short_unit_nl": "per jaar"}

# In the order of summary.json's keys as sim.outputs.summarise has always returned them (a table
# of runs has its columns in this order).
_ALL = (
    Kpi("enps", "eNPS", "eNPS", "eNPS points", 1, "score", mean("enps")),
    Kpi("nps", "NPS", "NPS", "NPS points", 1, "score", mean("nps")),
    Kpi(
        "work_happiness_mean",
        "work happiness",
        "werkgeluk",
        "points (0-10)",
        1,
        "rating",
        mean("work_happiness_mean"),
    ),
    Kpi(
        "employee_turnover_annual",
        "employee turnover",
        "personeelsverloop",
        "quits / head / year",
        -1,
        "rate",
        per_stock("quits", "headcount"),
        **_YEAR,
    ),
    # The quit hazard's yearly mean: the rate the quits are drawn from, less noisy than quits.
    Kpi(
        "expected_turnover_annual",
        "expected turnover",
        "verwacht personeelsverloop",
        "quit hazard / head / year",
        -1,
        "rate",
        mean("quit_hazard_annual", optional=True),
        **_YEAR,
    ),
    Kpi(
        "customer_churn_annual",
        "customer churn",
        "klantverloop",
        "defections / customer / year",
        -1,
        "rate",
        per_stock("churned", "customers"),
        **_YEAR,
    ),
    Kpi(
        "csat_mean",
        "customer satisfaction",
        "klanttevredenheid",
        "points (0-10)",
        1,
        "rating",
        mean("csat_mean"),
    ),
    Kpi(
        "service_level",
        "service level",
        "serviceniveau",
        "share",
        1,
        "share",
        weighted("service_level", "contacts", empty=1.0),  # no contacts: nobody waited long
    ),
    Kpi(
        "abandon_rate",
        "abandon rate",
        "afhaakpercentage",
        "share",
        -1,
        "share",
        ratio("abandoned", "contacts", empty=0.0),
    ),
    Kpi(
        "first_contact_resolution",
        "first-contact resolution",
        "oplossing bij eerste contact",
        "share",
        1,
        "share",
        ratio("resolved_first", "first_contacts", empty=math.nan),  # no first contacts: unknown
    ),
    Kpi(
        "encounter_quality",
        "encounter quality",
        "kwaliteit van het contact",
        "points",
        1,
        "index",
        mean("encounter_quality"),
    ),
    Kpi("stress_mean", "stress", "stress", "0..1", -1, "index", mean("stress_mean")),
    # Neither way is better: idle staff cost money, fully loaded staff burn out (Koole 2013).
    Kpi("occupancy", "occupancy", "bezettingsgraad", "share", 0, "share", mean("occupancy")),
    # Shorter is cheaper, but scripts that cut handle time cut resolution too (Batt 2002).
    Kpi(
        "handle_seconds",
        "handle time",
        "afhandeltijd",
        "seconds",
        0,
        "time",
        mean("handle_seconds"),
        short_unit_en="s",
        short_unit_nl="s",
    ),
    Kpi("revenue", "revenue", "omzet", "currency / year", 1, "money", per_year("revenue"), **_YEAR),
    Kpi("costs", "costs", "kosten", "currency / year", -1, "money", per_year("costs"), **_YEAR),
    Kpi("profit", "profit", "winst", "currency / year", 1, "money", per_year("profit"), **_YEAR),
    Kpi(
        "recovery_spend",
        "recovery spend",
        "herstelkosten",
        "currency / year",
        -1,
        "money",
        per_year("recovery_spend"),
        **_YEAR,
    ),
    # Neither way is better: a generous budget per incident is the Ritz-Carlton's point.
    Kpi(
        "recovery_spend_per_incident",
        "recovery spend per incident",
        "herstelkosten per incident",
        "currency / incident",
        0,
        "money",
        ratio("recovery_spend", "complaints", empty=0.0),
    ),
    Kpi(
        "headcount",
        "headcount",
        "aantal medewerkers",
        "employees",
        0,
        "count",
        last("headcount"),
        integer=True,
    ),
    Kpi(
        "customers",
        "customers",
        "klanten",
        "customers",
        1,
        "count",
        last("customers"),
        integer=True,
    ),
)

REGISTRY: dict[str, Kpi] = {k.name: k for k in _ALL}
NAMES: tuple[str, ...] = tuple(REGISTRY)


# ---- looking KPIs up -----------------------------------------------------------------------
def get(name: str) -> Kpi:
    """The KPI `name` (KeyError if there is none: a programming error, not bad input)."""
    return REGISTRY[name]


def allowed(what: str = "one") -> str:
    return f"{what} of {', '.join(NAMES)}"


def check(key: str, name: Any) -> Kpi:
    """The KPI `name`, given by the user under the setting `key`.

    Raises:
        ConfigError: `name` is not a KPI (the message names the key, the value and every KPI).
    """
    if not isinstance(name, str) or name not in REGISTRY:
        raise ConfigError(key, name, allowed("one"))
    return REGISTRY[name]


def check_names(key: str, names: Any) -> tuple[str, ...]:
    """One KPI name or a list of them, checked, in order, without repeats.

    Raises:
        ConfigError: the list is empty, or one name is not a KPI (named with its key).
    """
    listed = [names] if isinstance(names, str) else list(names or [])
    if not listed:
        raise ConfigError(key, names, allowed("one or more"))
    return tuple(dict.fromkeys(check(key, n).name for n in listed))


def subset(*names: str) -> tuple[str, ...]:
    """A view's choice of KPIs, checked against the registry when the view's module loads."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"not in the KPI registry (sim/kpis.py): {', '.join(unknown)}")
    return tuple(names)


def directions() -> dict[str, int]:
    """+1 or -1 per KPI that has a better direction (the KPIs with `better == 0` are left out)."""
    return {k.name: k.better for k in _ALL if k.better}


def units() -> dict[str, str]:
    """The long unit of every KPI."""
    return {k.name: k.unit for k in _ALL}


# ---- aggregating ---------------------------------------------------------------------------
# A reducer turns a daily column into sums, means and last values over "the window": one window
# (scalars), a trailing window ending on each day (a Series by day) or groups of days (a Series by
# group). The aggregators below are written once against it.
class _Window:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def days(self) -> Any:
        return len(self.frame)

    def sum(self, x: pd.Series) -> Any:
        return x.sum()

    def mean(self, x: pd.Series) -> Any:
        return x.mean()

    def last(self, x: pd.Series) -> Any:
        return x.iloc[-1]

    def nan(self) -> float:
        return math.nan

    def divide(self, num: Any, den: Any, empty: float) -> Any:
        return num / den if den else empty


class _Rolling(_Window):
    def __init__(self, frame: pd.DataFrame, window: int):
        super().__init__(frame)
        self.window = window

    def _roll(self, x: pd.Series):
        return x.rolling(self.window, min_periods=1)

    def days(self) -> Any:
        return self._roll(pd.Series(np.ones(len(self.frame)), index=self.frame.index)).count()

    def sum(self, x: pd.Series) -> Any:
        return self._roll(x).sum()

    def mean(self, x: pd.Series) -> Any:
        return self._roll(x).mean()

    def last(self, x: pd.Series) -> Any:
        return x

    def nan(self) -> pd.Series:
        return pd.Series(math.nan, index=self.frame.index)

    def divide(self, num: Any, den: Any, empty: float) -> Any:
        return (num / den).where(den != 0, empty)


class _Grouped(_Rolling):
    def __init__(self, frame: pd.DataFrame, by: pd.Series | np.ndarray):
        _Window.__init__(self, frame)
        self.by = np.asarray(by)

    def days(self) -> Any:
        return self.frame.groupby(self.by, sort=True).size()

    def sum(self, x: pd.Series) -> Any:
        return x.groupby(self.by, sort=True).sum()

    def mean(self, x: pd.Series) -> Any:
        return x.groupby(self.by, sort=True).mean()

    def last(self, x: pd.Series) -> Any:
        return x.groupby(self.by, sort=True).last()

    def nan(self) -> pd.Series:
        return pd.Series(math.nan, index=self.days().index)


def _mean(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.mean(d[a.column])


def _per_year(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.sum(d[a.column]) * (DAYS_PER_YEAR / r.days())


def _per_stock(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.sum(d[a.column]) * (DAYS_PER_YEAR / r.days()) / r.mean(d[a.over])


def _ratio(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.divide(r.sum(d[a.column]), r.sum(d[a.over]), a.empty)


def _weighted(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.divide(r.sum(d[a.column] * d[a.over]), r.sum(d[a.over]), a.empty)


def _last(r: _Window, d: pd.DataFrame, a: Aggregation) -> Any:
    return r.last(d[a.column])


AGGREGATORS: dict[str, Callable[[_Window, pd.DataFrame, Aggregation], Any]] = {
    "mean": _mean,
    "per_year": _per_year,
    "per_stock": _per_stock,
    "ratio": _ratio,
    "weighted": _weighted,
    "last": _last,
}


def _apply(kpi: Kpi, reducer: _Window) -> Any:
    how, frame = kpi.how, reducer.frame
    if how.optional and any(c not in frame for c in how.columns):
        return reducer.nan()
    return AGGREGATORS[how.kind](reducer, frame, how)


def value(name: str, window: pd.DataFrame) -> float | int:
    """The KPI `name` over the days of `window` (rows of the daily table): a float, or an int
    for a count.

    Raises:
        ValueError: the window has no days.
    """
    if not len(window):
        raise ValueError(f"{name}: no days to measure")
    kpi = REGISTRY[name]
    v = _apply(kpi, _Window(window))
    return int(v) if kpi.integer else float(v)


def aggregate(how: Aggregation, window: pd.DataFrame) -> float:
    """An aggregation that is not (yet) a named KPI, over the days of `window`: how target
    statistics of sim-calibrate reuse the registry's aggregators (one definition each)."""
    if not len(window):
        raise ValueError("no days to measure")
    return float(AGGREGATORS[how.kind](_Window(window), window, how))


def rolling(name: str, ts: pd.DataFrame, window: int) -> pd.Series:
    """The KPI `name` on each day over the trailing `window` days up to it (fewer at the start):
    day by day what `value` gives on `ts` up to that day's last `window` rows."""
    return _apply(REGISTRY[name], _Rolling(ts, window))


def by_group(name: str, ts: pd.DataFrame, by: pd.Series | np.ndarray) -> pd.Series:
    """The KPI `name` over each group of days (`by` gives each row's group), indexed by group."""
    return _apply(REGISTRY[name], _Grouped(ts, by))


def _check_registry() -> None:
    """A typo in the registry fails at import, not when a view first asks for the KPI."""
    for k in _ALL:
        ok = k.how.kind in AGGREGATORS and k.quantity in QUANTITIES and k.better in (-1, 0, 1)
        if not ok:
            raise ValueError(f"KPI {k.name}: aggregator, quantity or direction not known")
    if len(REGISTRY) != len(_ALL):
        raise ValueError("two KPIs share a name")


_check_registry()
