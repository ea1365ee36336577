"""Where does a scenario pay? Scenario discovery with PRIM over drawn conditions (sim-discover).

The conditions are points drawn by Latin hypercube over the organisation's uncertain inputs
(factors of its own `org.*` values); every scenario and the baseline run on the same point and
seed, so a point's profit difference is paired. PRIM (the EMA workbench's, Friedman and Fisher
1999 as used for scenario discovery by Bryant and Lempert 2010) then peels the input space
towards the points where the scenario pays (cumulative profit above the baseline's) and gives a
trajectory of boxes trading coverage (the share of all paying points inside the box) against
density (the share of the box's points that pay). The box reported is the densest one that
keeps at least `coverage_min` of the paying points: a rule, stated in the report, standing in
for the analyst's pick on the trade-off plot.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.analysis.text import markdown_table
from sim.config import SimConfig, with_values


def draw_points(spans: dict[str, tuple[float, float]], n: int, seed: int) -> pd.DataFrame:
    """`n` points, one column per dotted key, uniform on [lo, hi] by a seeded Latin hypercube."""
    keys = list(spans)
    if not keys:  # the ensemble alone: points are seeds
        return pd.DataFrame(index=range(n))
    unit = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng([seed, 0xD15C])).random(n)
    lo = np.array([spans[k][0] for k in keys])
    hi = np.array([spans[k][1] for k in keys])
    return pd.DataFrame(lo + unit * (hi - lo), columns=keys)


@dataclass(frozen=True)
class PointRunner:
    """One run of a study task `(arm, config, window_days)` at the point its seed stands for:
    the point's input values written over the config (the same values in every arm)."""

    values: dict[int, dict[str, float]]  # seed -> {dotted key: value}

    def __call__(self, task: tuple[str, SimConfig, int]) -> dict[str, Any]:
        from sim.cli import quiet_libraries
        from sim.runner import run_model

        quiet_libraries()
        arm, config, window = task
        config = with_values(config, self.values[config.seed])
        ts = run_model(config, progress=False).timeseries()
        last = ts["profit"].tail(window)
        return {
            "arm": arm,
            "seed": config.seed,
            "profit_year": float(last.sum() * 365.0 / len(last)),
            "profit_total": float(ts["profit"].sum()),
        }


def differences(runs: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per scenario and seed: the profit differences to the baseline on the same point."""
    base = runs[runs["arm"] == baseline].set_index("seed")
    rows = []
    for r in runs[runs["arm"] != baseline].itertuples():
        b = base.loc[r.seed]
        rows.append(
            {
                "scenario": r.arm,
                "seed": r.seed,
                "baseline_profit_year": b["profit_year"],
                "profit_year": r.profit_year,
                "profit_diff_year": r.profit_year - b["profit_year"],
                "baseline_profit_total": b["profit_total"],
                "profit_total": r.profit_total,
                "profit_diff_total": r.profit_total - b["profit_total"],
            }
        )
    out = pd.DataFrame(rows)
    out["pays"] = out["profit_diff_total"] > 0
    return out


@dataclass(frozen=True)
class PayBox:
    """PRIM's answer for one scenario.

    `status` is "box" (a box restricting at least one input), "everywhere" / "nowhere" (every
    point pays / none does: nothing to discover) or "no_box" (PRIM could not raise the density
    above the share that pays overall with the coverage asked for).
    """

    scenario: str
    n: int
    share_pays: float
    status: str
    coverage: float = math.nan
    density: float = math.nan
    mass: float = math.nan
    box_id: int | None = None
    limits: pd.DataFrame | None = None  # input, min, max, of_min, of_max, restricted, qp
    trajectory: pd.DataFrame | None = None  # PRIM's peeling trajectory


def _prim() -> Any:
    with warnings.catch_warnings():  # "ipyparallel not installed": harmless (STACK-NOTES)
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def find_box(
    scenario: str,
    x: pd.DataFrame,
    pays: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    coverage_min: float = 0.5,
) -> PayBox:
    """PRIM on inputs `x` against `pays`; the densest box of the trajectory holding at least
    `coverage_min` of the paying points (ties: the larger coverage)."""
    pays = np.asarray(pays, dtype=bool)
    n, share = len(pays), float(pays.mean()) if len(pays) else math.nan
    if pays.all() or not pays.any():
        return PayBox(scenario, n, share, "everywhere" if pays.all() else "nowhere")
    x = x.reset_index(drop=True).astype(float)
    prim = _prim().Prim(x, pays, peel_alpha=peel_alpha, mass_min=mass_min)
    box = prim.find_box()
    traj = box.peeling_trajectory.copy()
    eligible = traj[traj["coverage"] >= coverage_min - 1e-12]
    best = eligible.sort_values(["density", "coverage"], ascending=False).iloc[0]
    i = int(best["id"])
    limits = _limits(box.box_lims[i], prim.box_init, box.p_values[i])
    status = "box" if limits["restricted"].any() and best["density"] > share else "no_box"
    return PayBox(
        scenario,
        n,
        share,
        status,
        coverage=float(best["coverage"]),
        density=float(best["density"]),
        mass=float(best["mass"]),
        box_id=i,
        limits=limits,
        trajectory=traj,
    )


def _limits(lims: pd.DataFrame, init: pd.DataFrame, qp: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for key in lims.columns:
        lo, hi = float(lims[key].iloc[0]), float(lims[key].iloc[1])
        of_lo, of_hi = float(init[key].iloc[0]), float(init[key].iloc[1])
        p = [v for v in qp.get(key, []) if v >= 0]  # the workbench marks an open side by -1
        rows.append(
            {
                "input": key,
                "min": lo,
                "max": hi,
                "of_min": of_lo,
                "of_max": of_hi,
                "restricted": bool(lo > of_lo or hi < of_hi),
                "quasi_p": max(p) if p else math.nan,
            }
        )
    return pd.DataFrame(rows)


def num(v: float) -> str:
    """A limit as the report writes it: thousands separated, small values to 3 digits."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def conditions(limits: pd.DataFrame) -> str:
    """The box's restricted inputs as words: `org.wage_annual <= 33,000 and ...`."""
    parts = []
    for r in limits[limits["restricted"]].itertuples():
        low, high = r.min > r.of_min, r.max < r.of_max
        if low and high:
            parts.append(f"{r.input} is {num(r.min)}-{num(r.max)}")
        elif low:
            parts.append(f"{r.input} >= {num(r.min)}")
        else:
            parts.append(f"{r.input} <= {num(r.max)}")
    return " and ".join(parts)


def sentence(box: PayBox) -> str:
    """The report's one sentence for a scenario."""
    head = f"{box.scenario} pays in {box.share_pays:.0%} of the {box.n} conditions drawn"
    if box.status == "everywhere":
        return f"{head}: it pays everywhere in the range drawn, so there is no box to find."
    if box.status == "nowhere":
        return f"{head}: it pays nowhere in the range drawn, so there is no box to find."
    if box.status == "no_box":
        return (
            f"{head}; PRIM finds no box of conditions where it pays more reliably than that "
            f"(keeping at least the coverage asked for)."
        )
    inside = round(box.mass * box.n)
    paying = round(box.density * inside)
    text = (
        f"{head}; it pays most reliably when {conditions(box.limits)} "
        f"(coverage {box.coverage:.0%}, density {box.density:.0%}: {paying} of the {inside} "
        f"points in the box pay)"
    )
    qp = box.limits.loc[box.limits["restricted"], "quasi_p"]
    if (qp >= 0.05).all():  # Bryant and Lempert's quasi-p: no limit beats chance clearly
        text += "; no limit of the box is significant (quasi-p >= 0.05), so read it as a hint"
    return text + "."


def boxes_table(boxes: list[PayBox]) -> pd.DataFrame:
    """boxes.csv: one row per scenario and input, with the box's statistics."""
    rows = []
    for b in boxes:
        head = {
            "scenario": b.scenario,
            "status": b.status,
            "points": b.n,
            "share_pays": b.share_pays,
            "box_id": b.box_id,
            "coverage": b.coverage,
            "density": b.density,
            "mass": b.mass,
        }
        if b.limits is None:
            rows.append(head)
        else:
            rows.extend({**head, **r} for r in b.limits.to_dict("records"))
    out = pd.DataFrame(rows)
    out["box_id"] = out["box_id"].astype("Int64")  # an id, also beside scenarios without a box
    return out


def tradeoff_figure(box: PayBox, path: Path) -> None:
    """PRIM's coverage-density trade-off along the peeling trajectory (the workbench's plot),
    with the box reported circled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sdutil = _prim().sdutil
    fig = sdutil.plot_tradeoff(box.trajectory)
    ax = fig.axes[0]
    ax.scatter(
        [box.coverage], [box.density], s=160, facecolors="none", edgecolors="red", linewidths=1.5
    )
    ax.set_title(f"{box.scenario}: where it pays (box {box.box_id} circled)")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_report(
    outdir: Path, boxes: list[PayBox], points: pd.DataFrame, context: dict[str, str]
) -> None:
    """discover.md, boxes.csv and one trade-off figure per scenario with a trajectory."""
    figures = outdir / "figures"
    figures.mkdir(exist_ok=True)
    boxes_table(boxes).to_csv(outdir / "boxes.csv", index=False)
    lines = ["# Where does it pay? (sim-discover)", ""]
    lines += [f"- {k}: {v}" for k, v in context.items()]
    lines += ["", "## In one sentence per scenario", ""]
    lines += [f"- {sentence(b)}" for b in boxes]
    lines += ["", "## Profit difference to the baseline over the points", ""]
    lines += [_spread(points), ""]
    for b in boxes:
        lines += [f"## {b.scenario}", "", sentence(b), ""]
        if b.trajectory is None:
            continue
        name = f"tradeoff_{b.scenario}.png"
        tradeoff_figure(b, figures / name)
        lines += [_limits_markdown(b.limits), ""]
        lines += [f"![PRIM trade-off of {b.scenario}](figures/{name})", ""]
    lines += [METHOD, ""]
    (outdir / "discover.md").write_text("\n".join(lines))


def _spread(points: pd.DataFrame) -> str:
    d = points.assign(gains_year=points["profit_diff_year"] > 0)
    g = d.groupby("scenario", sort=False)
    total = g["profit_diff_total"]
    t = pd.DataFrame(
        {
            "pays (cumulative > 0)": g["pays"].mean().map("{:.0%}".format),
            "cumulative diff, median": total.median().map("{:+,.0f}".format),
            "cumulative diff, 10%..90%": [
                f"{s.quantile(0.1):+,.0f} .. {s.quantile(0.9):+,.0f}" for _, s in total
            ],
            "last-year diff, median": g["profit_diff_year"].median().map("{:+,.0f}".format),
            "last year > 0": g["gains_year"].mean().map("{:.0%}".format),
        }
    )
    return markdown_table(t.reset_index())


def _spans(lo: pd.Series, hi: pd.Series) -> list[str]:
    return [f"{num(a)} .. {num(b)}" for a, b in zip(lo, hi, strict=True)]


def _limits_markdown(limits: pd.DataFrame) -> str:
    t = pd.DataFrame(
        {
            "input": limits["input"],
            "box": _spans(limits["min"], limits["max"]),
            "points span": _spans(limits["of_min"], limits["of_max"]),
            "restricted": limits["restricted"].map({True: "yes", False: ""}),
            "quasi-p": limits["quasi_p"].map(lambda p: "" if math.isnan(p) else f"{p:.2g}"),
        }
    )
    return markdown_table(t)


METHOD = """## Method

Each point is one set of conditions drawn by Latin hypercube over the inputs above (uniform on
factors of the organisation's own values; with uncertainty=parameters each point also runs one
parameter set of the calibrated ensemble). Every scenario and the baseline run on the same
point and the same seed, so the difference is paired and seed noise is shared. A scenario
*pays* at a point when its cumulative profit over the whole run exceeds the baseline's there.
PRIM (EMA workbench, lenient objective) peels the input space towards the paying points; the
box reported is the densest on its trajectory that keeps at least the coverage asked for.
Coverage: the share of all paying points inside the box; density: the share of the box's
points that pay. A quasi-p above about 0.05 marks a limit that the data support weakly. One
seed per point: a point's verdict carries that seed's noise, which blurs the box's edges."""
