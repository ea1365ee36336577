"""The Sears / Gallup design: many small units under varied management, and the chain across them.

Rucci, Kirn & Quinn (1998, HBR) regressed, across some 800 Sears stores, customer impression on
employee attitude and next-quarter revenue growth on customer impression, and reported: +5 units
of employee attitude -> +1.3 units of customer impression -> +0.5% revenue growth. Here each unit
is a small organisation whose management levers are drawn from configured ranges (a Latin
hypercube, seeded); it is simulated for two periods (the last two `period_days` blocks of the
run), and the same lagged regressions are fitted across units:

    employee attitude, period 1 -> customer impression, period 1 (and period 2)
    customer impression, period 1 -> revenue growth, period 2 over period 1

Mapping to Sears' units (an assumption, stated in chain.md): Sears' indices were survey scores
whose scale the article does not give. We put both attitudes on a 0-100 "percent of maximum
possible" scale (POMP; Cohen, Cohen, Aiken & West 1999): employee attitude = mean work happiness
(0-10) x 10, customer impression = mean satisfaction (0-10) x 10, revenue growth in percent. Sears'
slopes are then 1.3 / 5 = 0.26 impression points per attitude point and 0.5 / 1.3 = 0.385
percentage points of growth per impression point. Standardised slopes (r) are reported as well,
since they need no mapping.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402
from scipy.stats import qmc  # noqa: E402

from sim.analysis.parallel import parallel_map, workers_setting  # noqa: E402
from sim.config import (  # noqa: E402
    RANGES,
    ConfigError,
    OrgConfig,
    PolicyConfig,
    SimConfig,
    validate,
)
from sim.stats import Fit, ols  # noqa: E402

# Sears (Rucci, Kirn & Quinn 1998): +5 attitude -> +1.3 impression -> +0.5% revenue growth.
SEARS_ATTITUDE_STEP = 5.0
SEARS_IMPRESSION_STEP = 1.3
SEARS_GROWTH_STEP = 0.5  # percentage points
SEARS_SLOPE_IMPRESSION = SEARS_IMPRESSION_STEP / SEARS_ATTITUDE_STEP  # 0.26
SEARS_SLOPE_GROWTH = SEARS_GROWTH_STEP / SEARS_IMPRESSION_STEP  # 0.385 %-points per point
POMP = 10.0  # 0-10 scale -> 0-100 points

# Per-period measures of a unit (see period_metrics).
MEASURES = (
    "work_happiness",
    "enps",
    "employee_turnover",
    "encounter_quality",
    "first_contact_resolution",
    "csat",
    "nps",
    "customer_churn",
    "revenue",
    "profit",
)
# The outcomes in the correlation matrix, in the order of the chain.
CORRELATED = (
    "work_happiness_p1",
    "enps_p1",
    "employee_turnover_p1",
    "encounter_quality_p1",
    "first_contact_resolution_p1",
    "csat_p1",
    "nps_p1",
    "customer_churn_p1",
    "revenue_growth_pct",
    "profit_p2",
)


# ---- settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lever:
    key: str  # policy.<name>
    lo: float
    hi: float
    integer: bool


@dataclass(frozen=True)
class UnitSettings:
    units: int
    levers: tuple[Lever, ...]
    employees: int
    customers: tuple[int, int]
    period_days: int
    workers: int
    conf_level: float
    context: tuple[Lever, ...] = ()  # org.* drawn per unit: what management does not set


def _minmax(key: str, value: Any) -> tuple[float, float]:
    if isinstance(value, list | tuple) and len(value) == 2:
        value = {"min": value[0], "max": value[1]}
    ok = (
        isinstance(value, dict)
        and set(value) == {"min", "max"}
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
        and value["min"] <= value["max"]
    )
    if not ok:
        raise ConfigError(key, value, "{min: <number>, max: <number>} with min <= max")
    return float(value["min"]), float(value["max"])


def _positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(key, value, "an integer >= 1")
    return value


def _drawn(
    specs: dict | None, setting: str, section: str, names: list[str], what: str, base: SimConfig
) -> tuple[Lever, ...]:
    """`units.<setting>`'s {min, max} per key of `section` (policy or org), checked against the
    schema's names and ranges: the values drawn per unit."""
    out = []
    for name, spec in (specs or {}).items():
        name = str(name).removeprefix(f"{section}.")
        where = f"experiment.{setting}.{name}"
        if name not in names:
            raise ConfigError(where, spec, f"{what}: {', '.join(names)}")
        key = f"{section}.{name}"
        lo, hi = _minmax(where, spec)
        lo_s, hi_s = RANGES[key]
        if lo < lo_s or hi > hi_s:
            raise ConfigError(where, [lo, hi], f"within [{lo_s}, {hi_s}]")
        integer = isinstance(getattr(getattr(base, section), name), int)
        out.append(Lever(key, lo, hi, integer))
    return tuple(out)


def settings_from(cfg: DictConfig, base: SimConfig) -> UnitSettings:
    """Read and check `cfg.experiment` (configs/experiment/units.yaml)."""
    exp = OmegaConf.to_container(cfg.experiment, resolve=True) if cfg.experiment else {}
    if not isinstance(exp, dict):
        raise ConfigError("experiment", exp, "the units settings (experiment: units)")
    units = _positive_int("experiment.units", exp.get("units"))
    policy_names = [f.name for f in fields(PolicyConfig)]
    org_names = [f.name for f in fields(OrgConfig) if "range" in f.metadata]
    levers = _drawn(exp.get("levers"), "levers", "policy", policy_names, "a lever", base)
    context = _drawn(exp.get("context"), "context", "org", org_names, "an org value", base)
    size = exp.get("size") or {}
    employees = _positive_int("experiment.size.employees", size.get("employees"))
    if employees < base.org.teams:  # a unit's survey by team would have empty teams
        raise ConfigError(
            "units.size.employees",
            employees,
            f"at least org.teams ({base.org.teams}); or give org.teams",
        )
    c_lo, c_hi = _minmax("experiment.size.customers", size.get("customers"))
    if c_lo < 1:
        raise ConfigError("experiment.size.customers", [c_lo, c_hi], "at least 1 customer")
    period = _positive_int("experiment.period_days", exp.get("period_days"))
    if period < base.survey_interval_days:  # attitudes come from the period's pulse surveys
        raise ConfigError(
            "experiment.period_days",
            period,
            f"at least survey_interval_days ({base.survey_interval_days}): each period's "
            "attitudes are read from its pulse surveys (or give survey_interval_days=<n>)",
        )
    if base.days < 2 * period:
        raise ConfigError("days", base.days, f"at least 2 x experiment.period_days = {2 * period}")
    conf = exp.get("conf_level", 0.95)
    if not (isinstance(conf, float) and 0.5 <= conf < 1.0):
        raise ConfigError("experiment.conf_level", conf, "a probability in [0.5, 1)")
    return UnitSettings(
        units=units,
        levers=levers,
        employees=employees,
        customers=(int(c_lo), int(c_hi)),
        period_days=period,
        workers=workers_setting(exp.get("workers")),
        conf_level=float(conf),
        context=context,
    )


# ---- the units -----------------------------------------------------------------------------
def draw_units(settings: UnitSettings, seed: int) -> pd.DataFrame:
    """One row per unit: its run seed, size and levers (Latin hypercube over the ranges)."""
    draw_seq, run_seq = np.random.SeedSequence(seed).spawn(2)
    drawn = settings.levers + settings.context
    dims = len(drawn) + 1
    u = qmc.LatinHypercube(d=dims, seed=np.random.default_rng(draw_seq)).random(settings.units)
    c_lo, c_hi = settings.customers
    table = {
        "unit": np.arange(settings.units),
        "seed": run_seq.generate_state(settings.units).astype(np.int64),
        "employees": np.full(settings.units, settings.employees),
        "customers_start": np.rint(c_lo + u[:, 0] * (c_hi - c_lo)).astype(np.int64),
    }
    for j, lever in enumerate(drawn, start=1):
        x = lever.lo + u[:, j] * (lever.hi - lever.lo)
        table[lever.key] = np.rint(x).astype(np.int64) if lever.integer else x
    return pd.DataFrame(table)


def unit_config(base: SimConfig, row: dict[str, Any]) -> SimConfig:
    """The SimConfig of one unit: the base with its size, levers and seed."""
    config = copy.deepcopy(base)
    config.seed = int(row["seed"])
    config.org.employees = int(row["employees"])
    config.org.customers = int(row["customers_start"])
    config.progress = False
    for key, value in row.items():
        section, _, name = key.partition(".")
        if section in ("policy", "org") and name:
            node = getattr(config, section)
            setattr(node, name, type(getattr(node, name))(value))
    validate(config)
    return config


def survey_means(surveys: pd.DataFrame, first_day: int, last_day: int) -> dict[str, float]:
    """What the period's pulse surveys reported (whole population rows, respondents' means):
    work happiness, eNPS, CSAT and NPS, each NaN if no survey fell in [first_day, last_day]."""
    s = surveys[(surveys.split == "all") & surveys.day.between(first_day, last_day)]
    emp, cus = s[s.population == "employees"], s[s.population == "customers"]
    return {
        "work_happiness": emp.work_happiness_mean.mean() if len(emp) else np.nan,
        "enps": emp.nps.mean() if len(emp) else np.nan,
        "csat": cus.csat_mean.mean() if len(cus) else np.nan,
        "nps": cus.nps.mean() if len(cus) else np.nan,
    }


def period_metrics(
    ts: pd.DataFrame, period_days: int, surveys: pd.DataFrame | None = None
) -> dict[str, float]:
    """The measures of the last two `period_days` blocks of a timeseries (suffix _p1, _p2)
    and revenue growth of period 2 over period 1 (in percent). Rates are per year.

    With `surveys` (the run's survey rows), attitudes are what a researcher could observe: the
    pulse surveys of the period (sampled, with non-response and answer error; sim/survey.py);
    the rest comes from the books and the operations data. Without, the model's daily state."""
    if len(ts) < 2 * period_days:
        raise ValueError(f"{len(ts)} days is fewer than two periods of {period_days}")
    out: dict[str, float] = {}
    per_year = 365.0 / period_days
    blocks = (ts.iloc[-2 * period_days : -period_days], ts.iloc[-period_days:])
    for suffix, p in zip(("_p1", "_p2"), blocks, strict=True):
        first = p["first_contacts"].sum()
        m = {
            "work_happiness": p["work_happiness_mean"].mean(),
            "enps": p["enps"].mean(),
            "employee_turnover": p["quits"].sum() * per_year / p["headcount"].mean(),
            "encounter_quality": p["encounter_quality"].mean(),
            "first_contact_resolution": p["resolved_first"].sum() / first if first else np.nan,
            "csat": p["csat_mean"].mean(),
            "nps": p["nps"].mean(),
            "customer_churn": p["churned"].sum() * per_year / p["customers"].mean(),
            "revenue": p["revenue"].sum() * per_year,
            "profit": p["profit"].sum() * per_year,
        }
        if surveys is not None and len(surveys):
            m.update(survey_means(surveys, int(p["day"].iloc[0]), int(p["day"].iloc[-1])))
        out.update({f"{k}{suffix}": float(v) for k, v in m.items()})
    out["revenue_growth_pct"] = 100.0 * (out["revenue_p2"] / out["revenue_p1"] - 1.0)
    return out


def run_unit(config: SimConfig, *, period_days: int) -> dict[str, float]:
    """Simulate one unit and return its period measures."""
    from sim.runner import run_model

    model = run_model(config, progress=False)
    return period_metrics(model.timeseries(), period_days, pd.DataFrame(model.survey_rows))


def simulate_units(
    settings: UnitSettings, base: SimConfig, *, progress: bool = True
) -> pd.DataFrame:
    """Draw the units, simulate them in parallel, and return one row per unit."""
    design = draw_units(settings, base.seed)
    configs = [unit_config(base, row) for row in design.to_dict("records")]
    rows = parallel_map(
        partial(run_unit, period_days=settings.period_days),
        configs,
        workers=settings.workers,
        desc=f"{settings.units} units",
        unit="unit",
        progress=progress,
    )
    return pd.concat([design, pd.DataFrame(rows)], axis=1)


# ---- the chain -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    name: str
    x: str
    y: str
    x_scale: float
    y_scale: float
    sears: float | None  # Sears' slope in the same units, if there is one
    units: str


LINKS = (
    Link(
        "attitude p1 -> impression p1",
        "work_happiness_p1",
        "csat_p1",
        POMP,
        POMP,
        SEARS_SLOPE_IMPRESSION,
        "impression points per attitude point (0-100)",
    ),
    Link(
        "attitude p1 -> impression p2",
        "work_happiness_p1",
        "csat_p2",
        POMP,
        POMP,
        SEARS_SLOPE_IMPRESSION,
        "impression points per attitude point (0-100)",
    ),
    Link(
        "impression p1 -> revenue growth p2/p1",
        "csat_p1",
        "revenue_growth_pct",
        POMP,
        1.0,
        SEARS_SLOPE_GROWTH,
        "growth %-points per impression point",
    ),
    Link(
        "attitude p1 -> revenue growth p2/p1",
        "work_happiness_p1",
        "revenue_growth_pct",
        POMP,
        1.0,
        SEARS_SLOPE_IMPRESSION * SEARS_SLOPE_GROWTH,
        "growth %-points per attitude point",
    ),
    Link("eNPS p1 -> NPS p1", "enps_p1", "nps_p1", 1.0, 1.0, None, "NPS points per eNPS point"),
    Link(
        "NPS p1 -> revenue growth p2/p1",
        "nps_p1",
        "revenue_growth_pct",
        1.0,
        1.0,
        None,
        "growth %-points per NPS point",
    ),
)


def chain_regressions(units: pd.DataFrame, *, conf: float = 0.95) -> pd.DataFrame:
    """Slope, its interval, r and n of each link, with Sears' slope beside it."""
    rows = []
    for link in LINKS:
        d = units[[link.x, link.y]].dropna()
        x, y = d[link.x] * link.x_scale, d[link.y] * link.y_scale
        fit = ols(y, {link.x: x}, conf=conf)[1]
        r = float(np.corrcoef(x, y)[0, 1]) if len(d) > 2 else float("nan")
        rows.append(
            {
                "link": link.name,
                "x": link.x,
                "y": link.y,
                "slope": fit.coef,
                "ci_low": fit.ci_low,
                "ci_high": fit.ci_high,
                "p": fit.p,
                "r": r,
                "n": fit.n,
                "sears_slope": link.sears if link.sears is not None else np.nan,
                "units": link.units,
            }
        )
    return pd.DataFrame(rows)


def mediation(units: pd.DataFrame, *, conf: float = 0.95) -> list[Fit]:
    """Revenue growth on impression and attitude together: does attitude act through impression?"""
    d = units[["revenue_growth_pct", "csat_p1", "work_happiness_p1"]].dropna()
    X = {
        "impression_p1": d["csat_p1"] * POMP,
        "attitude_p1": d["work_happiness_p1"] * POMP,
    }
    return ols(d["revenue_growth_pct"], X, conf=conf)


def correlations(units: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlations among the chain's measures across units."""
    cols = [c for c in CORRELATED if c in units]
    return units[cols].corr()


def correlation_figure(corr: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 6.3))
    im = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [c.replace("_pct", "").replace("first_contact_resolution", "FCR") for c in corr]
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(corr)):
        for j in range(len(corr)):
            v = corr.iat[i, j]
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5,
                    color="white" if abs(v) > 0.6 else "black")  # fmt: skip
    fig.colorbar(im, ax=ax, shrink=0.8, label="Pearson r across units")
    ax.set_title("The chain across units (p1 = period 1, p2 = period 2)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def chain_figure(units: pd.DataFrame, table: pd.DataFrame, path: Path) -> None:
    """Scatter and fitted line of the three Sears links."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, link in zip(axes, LINKS[:1] + LINKS[2:4], strict=True):
        x, y = units[link.x] * link.x_scale, units[link.y] * link.y_scale
        row = table[table["link"] == link.name].iloc[0]
        ax.scatter(x, y, s=10, alpha=0.6)
        xs = np.linspace(x.min(), x.max(), 2)
        fit = ols(y, {"x": x})
        ax.plot(xs, fit[0].coef + fit[1].coef * xs, color="tab:red")
        ax.set_xlabel(link.x.replace("_p1", " p1") + (" (x10)" if link.x_scale != 1 else ""))
        ax.set_ylabel(link.y + (" (x10)" if link.y_scale != 1 else ""))
        ax.set_title(f"{link.name}\nslope {row.slope:.3g}, Sears {row.sears_slope:.3g}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _md_table(df: pd.DataFrame, fmt: str = "{:.3g}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [fmt.format(v) if isinstance(v, float) else str(v) for v in r.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sears_sentence(table: pd.DataFrame) -> str:
    """The chain in Sears' own words: +5 attitude -> +x impression -> +y% growth."""
    a = table.set_index("link")
    s_imp = a.loc["attitude p1 -> impression p1", "slope"]
    s_gro = a.loc["impression p1 -> revenue growth p2/p1", "slope"]
    imp = SEARS_ATTITUDE_STEP * s_imp
    return (
        f"+{SEARS_ATTITUDE_STEP:g} units of employee attitude -> {imp:+.2f} units of customer "
        f"impression -> {imp * s_gro:+.2f}% revenue growth next period "
        f"(Sears: +5 -> +{SEARS_IMPRESSION_STEP} -> +{SEARS_GROWTH_STEP}%)"
    )


def chain_report(
    units: pd.DataFrame,
    table: pd.DataFrame,
    med: list[Fit],
    corr: pd.DataFrame,
    settings: UnitSettings,
    base: SimConfig,
) -> str:
    """chain.md: the regressions, the comparison with Sears, the correlation table."""
    a = table.set_index("link")
    lines = [
        "# The service-profit chain across units (Sears design)",
        "",
        f"{len(units)} units, {settings.employees} employees and "
        f"{settings.customers[0]:,}-{settings.customers[1]:,} customers each, {base.days} days; "
        f"period 1 = days {base.days - 2 * settings.period_days + 1}-"
        f"{base.days - settings.period_days}, period 2 = the last {settings.period_days} days. "
        f"Levers drawn from: "
        + ", ".join(f"{lv.key[7:]} {lv.lo:g}-{lv.hi:g}" for lv in settings.levers)
        + ". Context drawn (not set by management): "
        + (", ".join(f"{c.key[4:]} {c.lo:g}-{c.hi:g}" for c in settings.context) or "none")
        + ".",
        "",
        "## Measured chain",
        "",
        sears_sentence(table),
        "",
        "Units: employee attitude = mean work happiness (0-10) x 10; customer impression = mean "
        "customer satisfaction (0-10) x 10, both as the period's pulse surveys report them "
        "(sampled, with non-response and answer error: sim/survey.py), on a 0-100 'percent of "
        "maximum possible' scale ("
        "Cohen et al. 1999; Sears' own index scale is not published, so this mapping is an "
        "assumption); revenue growth = revenue of period 2 / revenue of period 1 - 1, in %.",
        "",
        f"## Regressions ({settings.conf_level:.0%} confidence intervals, OLS)",
        "",
        _md_table(
            table[["link", "slope", "ci_low", "ci_high", "p", "r", "n", "sears_slope", "units"]]
        ),
        "",
        "Revenue growth on impression and attitude together (does attitude act through "
        "impression?):",
        "",
        _md_table(
            pd.DataFrame(
                [
                    {
                        "term": f.term,
                        "coef": f.coef,
                        "ci_low": f.ci_low,
                        "ci_high": f.ci_high,
                        "p": f.p,
                    }
                    for f in med
                ]
            )
        ),
        f"(R^2 = {med[0].r2:.3f}, n = {med[0].n})",
        "",
        "## Comparison with Sears",
        "",
    ]
    for name in (
        "attitude p1 -> impression p1",
        "impression p1 -> revenue growth p2/p1",
        "attitude p1 -> revenue growth p2/p1",
    ):
        row = a.loc[name]
        inside = row.ci_low <= row.sears_slope <= row.ci_high
        ratio = row.slope / row.sears_slope if row.sears_slope else float("nan")
        verdict = (
            "Sears' slope lies inside the interval"
            if inside
            else f"Sears' slope lies outside the interval (ours is {ratio:.2g}x Sears')"
        )
        lines.append(
            f"- {name}: {row.slope:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}] vs Sears "
            f"{row.sears_slope:.3g}; r = {row.r:.2f}. {verdict}."
        )
    lines += [
        "",
        "Caveats: the slopes in Sears' units depend on the 0-100 mapping above; the standardised "
        "r does not. Sears' units were some 800 stores of one retailer, observed over successive "
        "measurement periods with survey measures that carry sampling error (which flattens "
        "slopes). Here the attitudes are survey samples too, units differ in context "
        "(manager, labour market, customers' expectations) as well as in levers, but the levers "
        "are still set at random (no confounding by store management), every unit starts from "
        "the same state, and a period is a year. A difference in slope is a difference in the "
        "model's behavioural parameters as much as in the world.",
        "",
        "## Correlations across units (Pearson r)",
        "",
        _md_table(corr.reset_index().rename(columns={"index": ""}), "{:.2f}"),
        "",
        "Figures: chain.png (the three links), correlations.png.",
        "",
    ]
    return "\n".join(lines)


def run_study(
    settings: UnitSettings, base: SimConfig, outdir: Path, *, progress: bool = True
) -> pd.DataFrame:
    """Simulate the units, fit the chain and write units.parquet, chain.md and the figures."""
    outdir.mkdir(parents=True, exist_ok=True)
    units = simulate_units(settings, base, progress=progress)
    units.to_parquet(outdir / "units.parquet", index=False)
    table = chain_regressions(units, conf=settings.conf_level)
    table.to_csv(outdir / "chain_regressions.csv", index=False)
    med = mediation(units, conf=settings.conf_level)
    corr = correlations(units)
    corr.to_csv(outdir / "correlations.csv")
    correlation_figure(corr, outdir / "correlations.png")
    chain_figure(units, table, outdir / "chain.png")
    (outdir / "chain.md").write_text(chain_report(units, table, med, corr, settings, base))
    return table
