"""The twin's outputs: the org and journey presets, the observed-vs-twin table, the backtest
table and twin.md. No file carries an id, a name or any other cell of the roster: only counts,
rates and means over groups."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibration.report import weighted_quantiles, weighted_stats
from sim.config import SimConfig
from sim.twin.build import FACTORS, FREE, SLOPE, SLOPE_PRIOR_SD, engagement_slope
from sim.twin.estimate import Estimates, Figure, Hazard
from sim.twin.presets import MARK
from sim.twin.survival import AGE_BANDS, MIN_PEOPLE, TENURE_BANDS

Z = 1.96


LABELS = {
    "turnover": "employee turnover (quits / head / year)",
    "work_happiness": "work happiness (0-10)",
    "churn": "customer churn (per year)",
    "service_level": "service level (share within target)",
    "abandon_rate": "abandon rate",
    "handle_seconds": "handle time (s)",
    "first_contact_resolution": "first-contact resolution",
    "enps": "eNPS",
    "nps": "NPS",
}
# Backtest figure -> (observed figure id, model statistic).
BACKTEST = {
    "turnover": "employee_turnover_annual",
    "work_happiness": "work_happiness_mean",
    "churn": "customer_churn_annual",
    "service_level": "service_level",
    "abandon_rate": "abandon_rate",
    "handle_seconds": "handle_seconds",
    "enps": "enps",
    "nps": "nps",
}


def _flow(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def org_yaml(config: SimConfig, name: str, period: str) -> str:
    """configs/org/<name>.yaml: the organisation and its fitted behaviour, one preset.

    `@package _global_` lets one file of the `org` group set `behaviour.*` too, so `org=<name>`
    alone runs the twin (behaviour: default comes first in config.yaml and is overridden)."""
    org = dataclasses.asdict(config.org)
    org["name"] = name
    behaviour = {
        k.removeprefix("behaviour."): getattr(config.behaviour, k.removeprefix("behaviour."))
        for k in (*FREE, *FACTORS, SLOPE)
    }
    return (
        "# @package _global_\n"  # Hydra reads the header only above every other comment
        f"{MARK}: the twin of {name}, fitted to its data of {period} (docs/TWIN.md).\n"
        "# org: sizes and operations estimated from the data (twin.md says which, and how);\n"
        "# behaviour: the calibrated best set; the ensemble (ensemble.parquet) keeps the rest.\n"
        + _flow({"org": org, "behaviour": behaviour})
    )


def journey_yaml(journey: Any, name: str) -> str:
    data = dataclasses.asdict(journey)
    data["name"] = name
    for role in data["roles"].values():
        role["office"] = str(role["office"])
        role["provides"] = str(role["provides"])
    return f"{MARK}: the journey of the twin {name}; role headcounts from the roster.\n" + _flow(
        data
    )


def _weighted(ens: pd.DataFrame, column: str) -> tuple[float, float, float]:
    w = ens["weight"].to_numpy(dtype=float)
    mean, _ = weighted_stats(ens[column], w)
    lo, hi = weighted_quantiles(ens[column], w, (0.05, 0.95))
    return mean, lo, hi


def observed_vs_twin(est: Estimates, cal: dict[str, Any]) -> pd.DataFrame:
    """Each observed figure (95% interval from its standard error) beside the twin's ensemble
    (weighted mean and 90% range over the sets; each set's value is its mean over seeds)."""
    ens, rows = cal["ensemble"], []
    for t in cal["plan"].targets:
        fig = est.figures[t.id]
        mean, lo, hi = _weighted(ens, f"sim.{t.id}")
        rows.append(
            {
                "figure": LABELS.get(t.id, t.id),
                "role": "fitted" if t.role == "calibrate" else "check",
                "observed": fig.value,
                "observed 95%": f"[{fig.value - Z * fig.se:.4g}, {fig.value + Z * fig.se:.4g}]",
                "twin": mean,
                "twin 90% (sets)": f"[{lo:.4g}, {hi:.4g}]",
                "rests on": fig.n,
            }
        )
    return pd.DataFrame(rows)


def backtest_table(observed: dict[str, Figure], runs: pd.DataFrame) -> pd.DataFrame:
    """The last third: observed beside the predicted median and 90% interval over the runs."""
    rows = []
    for fid, stat in BACKTEST.items():
        if fid not in observed or stat not in runs:
            continue
        x = runs[stat].dropna().to_numpy()
        if x.size == 0:
            continue
        lo, mid, hi = np.quantile(x, [0.05, 0.5, 0.95])
        obs = observed[fid].value
        err = mid - obs
        inside = lo <= obs <= hi
        rows.append(
            {
                "figure": LABELS[fid],
                "observed": obs,
                "predicted (median)": mid,
                "90% interval": f"[{lo:.4g}, {hi:.4g}]",
                "error": err,
                "relative error": err / obs if obs else math.nan,
                "inside": "yes" if inside else ("below" if obs < lo else "above"),
            }
        )
    return pd.DataFrame(rows)


def md(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in df.values)


def hazard_table(est: Estimates) -> pd.DataFrame:
    h = est.hazard
    return pd.DataFrame(
        {
            "tenure band": ["under 182 days", "182 days - 5 years", "over 5 years"],
            "leavers": [h.events[b] for b in ("newcomer", "middle", "veteran")],
            "person-years": [h.exposure_years[b] for b in ("newcomer", "middle", "veteran")],
            "quit hazard / year": [h.per_year[b] for b in ("newcomer", "middle", "veteran")],
        }
    )


def unidentified(
    est: Estimates, cal: dict[str, Any], config: SimConfig, notes: list[str]
) -> list[str]:
    """What the data could not identify: say it, do not hide it."""
    out = [
        f"calibrated parameter not pinned down by the data (ensemble sd / prior sd > 0.7): {p}"
        for p in cal["unidentified"]
    ]
    for band, key in (("newcomer", FACTORS[0]), ("veteran", FACTORS[1])):
        if est.hazard.factor(band) is None:
            out.append(
                f"{key}: no leaver in the {band} band or the middle band; kept at the "
                "preset's value"
            )
    if "abandon_rate" not in est.figures or est.figures["abandon_rate"].value <= 0.001:
        out.append(
            "org.patience_seconds: abandonment below 0.1% says nothing about patience; kept at "
            f"{config.org.patience_seconds:g} s"
        )
    if not est.mix.start_tenure_years:
        out.append(
            f"the starting workforce's tenure: {est.mix.people_at_start} people on the first day, "
            f"under {MIN_PEOPLE}; the model's own draw (70% recent hires, 30% 5-20 years) stands"
        )
    if not est.mix.hire_age_years:
        out.append(
            f"age at hire: {est.mix.people_hired} people in the roster, under {MIN_PEOPLE}; the "
            "model's own (uniform 20-35) stands"
        )
    if est.cox is None:
        out.append(
            "the quit hazard's dependence on work happiness (behaviour.quit_engagement_slope): "
            + (
                "no survey answer carries an employee id"
                if not est.cox_rows
                else f"{est.cox_rows} answers with ids, but under 10 quits among their people"
            )
            + f"; kept at the preset's {config.behaviour.quit_engagement_slope:g}"
        )
    f = est.figures
    for fid, what in (
        ("churn", "customers.csv"),
        ("service_level", "operations.csv"),
        ("nps", "customer_survey.csv"),
    ):
        if fid not in f:
            out.append(f"{LABELS[fid]}: no {what}; the preset's value stands")
    out += [
        "differences between teams: the model has one set of behaviour parameters for all "
        "teams (the survey's team means are shown above, not fitted)",
        "want / know / can / feel and csat, when present: read and checked, not yet fitted",
        "every other behaviour parameter (encounter, recovery, word of mouth, ...): the "
        "preset's values, not identified by these data",
        *notes,
    ]
    return out


def survey_tables(data: Any, est: Estimates) -> list[str]:
    eng = data["engagement"]
    eng = eng[(eng["date"] >= est.period.start) & (eng["date"] <= est.period.end)]
    by_team = (
        eng.groupby("team")
        .agg(
            answers=("work_happiness", "size"),
            work_happiness=("work_happiness", "mean"),
            sd=("work_happiness", "std"),
            share_9_10=("work_happiness", lambda x: float((x >= 9).mean())),
            enps=("enps", lambda x: 100 * float((x >= 9).mean() - (x <= 6).mean())),
        )
        .reset_index()
    )
    out = ["### Engagement by team", "", md(by_team)]
    if data.has("customer_survey"):
        cs = data["customer_survey"]
        cs = cs[(cs["date"] >= est.period.start) & (cs["date"] <= est.period.end)]
        by_stage = (
            cs.groupby("stage")
            .agg(
                answers=("nps", "size"),
                nps=("nps", lambda x: 100 * float((x >= 9).mean() - (x <= 6).mean())),
                mean=("nps", "mean"),
            )
            .reset_index()
        )
        out += ["", "### Customer survey by journey stage", "", md(by_stage)]
    return out


def mix_table(est: Estimates, twin_mix: dict[str, float]) -> pd.DataFrame:
    """The roster's workforce on the period's first day beside the twin's on the same day."""
    rows = []
    for kind, bands, shares in (
        ("tenure", TENURE_BANDS, est.mix.tenure_shares),
        ("age", AGE_BANDS, est.mix.age_shares),
    ):
        for *_, label in bands:
            rows.append(
                {
                    "": f"{kind} {label}",
                    "roster": shares[label],
                    "twin": twin_mix.get(f"{kind}:{label}", math.nan),
                }
            )
    return pd.DataFrame(rows)


def mix_lines(est: Estimates, twin_mix: dict[str, float], warm_days: int) -> list[str]:
    m = est.mix

    def said(q: list[float], what: str) -> str:
        if not q:
            return f"{what}: too few people (under {MIN_PEOPLE}); the model's assumption"
        return f"{what}: {', '.join(f'{v:g}' for v in q)}"

    return [
        "### The starting workforce",
        "",
        f"From the roster ({m.people_at_start} people on the period's first day, "
        f"{m.people_hired} in all): 11 quantiles (0%, 10%, ..., 100%; the ends taken at 2.5% "
        "and 97.5%, Harrell-Davis, rounded to 0.1 year, so no person's own value is written). "
        f"Tenure is taken back by the {warm_days} warm-up days, since the model starts before "
        "the period.",
        "",
        f"- {said(m.start_tenure_years, 'org.start_tenure_years')}",
        f"- {said(m.hire_age_years, 'org.hire_age_years')}",
        "",
        "Shares on the period's first day, the roster beside the twin (mean over the moment "
        "fit's last seeds). Each run fills its starting seats from the quantiles by stratified "
        "draws (sim/workforce.py), so a tenure band's share moves by a few points from seed to "
        "seed (on the example's 26 people: 2-3 points sd on day 0, 3 on this day), an age "
        "band's by more (about 5: age is age at hire plus tenure); the quits and hires of the "
        "warm-up add their own noise.",
        "",
        md(mix_table(est, twin_mix)),
    ]


def cox_lines(est: Estimates, preset: float) -> list[str]:
    """How quitting depends on work happiness: the Cox fit beside the model's slope."""
    c = est.cox
    if c is None:
        return []
    lo, hi = c.interval()
    used = engagement_slope(preset, est)
    assert used is not None
    return [
        "### Quitting and work happiness",
        "",
        f"Cox model (lifelines CoxTimeVaryingFitter; tenure as the time scale, each person's "
        f"latest work-happiness answer as a time-varying covariate): {c.people} people who "
        f"answered with their id, {c.answers} answer intervals, {c.quits} leavers. Log hazard "
        f"per point of work happiness {c.coef:+.3f} (se {c.se:.3f}), i.e. a slope of "
        f"{c.slope:.3f} [{lo:.3f}, {hi:.3f}] in the model's terms (log hazard rises by the "
        "slope per point below 7). behaviour.quit_engagement_slope = "
        f"{used[0]:.3f} (sd {used[1]:.3f}): the preset's {preset:g} as a prior (sd "
        f"{SLOPE_PRIOR_SD:g}, an assumption) updated by the Cox estimate by precision. The "
        "answers are rounded and a quarter old at worst, which pulls a Cox coefficient toward "
        "zero: the data's slope is a lower bound of the person-level one.",
        "",
    ]


def ess(ens: pd.DataFrame) -> float:
    """Kish's effective sample size of the ensemble's weights: 1 / sum of squared weights."""
    w = ens["weight"].to_numpy(dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def ensemble_line(ens: pd.DataFrame, trials: int) -> str:
    return (
        f"The ensemble keeps {len(ens)} of {trials} trials (loss within the chi-square 95% "
        f"band of the best); effective sample size {ess(ens):.1f} (Kish)."
    )


def burst(
    first: Hazard, last: Hazard, leavers: int, years: float, heads: float
) -> dict[str, float]:
    """The last third's leavers against what the first two thirds foretell: the first period's
    hazard by tenure band applied to the last third's exposure by band (its actual tenure mix),
    and the Poisson chance of at least as many leavers as seen."""
    from scipy.stats import poisson

    expected = sum(last.exposure_years[b] * first.per_year[b] for b in first.per_year)
    return {
        "expected_quits": expected,
        "expected_turnover": expected / heads / years if heads and years else math.nan,
        "observed_quits": float(leavers),
        "p_at_least": float(poisson.sf(leavers - 1, expected)) if expected > 0 else math.nan,
    }
