"""What a calibration writes: ensemble.parquet, calibrated.yaml and fit.md with its figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from sim.calibration.settings import PARAMETER_PREFIX, Plan  # noqa: E402


def weighted_stats(x: pd.Series, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and sd."""
    mean = float(np.sum(w * x))
    return mean, float(np.sqrt(np.sum(w * (x - mean) ** 2)))


def weighted_quantiles(x: pd.Series, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    order = np.argsort(x.to_numpy())
    xs, cw = x.to_numpy()[order], np.cumsum(w[order])
    return [float(xs[min(np.searchsorted(cw, q), len(xs) - 1)]) for q in qs]


def parameter_table(ens: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Per free parameter: best, weighted mean, sd and 90% interval, and sd / prior sd."""
    w = ens["weight"].to_numpy()
    rows = []
    for p in plan.priors:
        mean, sd = weighted_stats(ens[p.key], w)
        lo, hi = weighted_quantiles(ens[p.key], w, (0.05, 0.95))
        rows.append(
            {
                "parameter": p.key,
                "prior": f"U[{p.lo:g}, {p.hi:g}]",
                "best": float(ens[p.key].iloc[0]),
                "mean": mean,
                "sd": sd,
                "q05": lo,
                "q95": hi,
                "sd_over_prior_sd": sd / p.sd,
                # With fewer than 3 sets the spread says nothing: not judged.
                "identified": (sd / p.sd <= plan.unidentified_ratio) if len(ens) >= 3 else "n/a",
            }
        )
    return pd.DataFrame(rows)


def target_table(ens: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Per target: the published band, the best set's and the ensemble's simulated value."""
    w = ens["weight"].to_numpy()
    rows = []
    for t in plan.targets:
        col = ens[f"sim.{t.id}"]
        lo, hi = t.interval
        mean, sd = weighted_stats(col, w)
        best = float(col.iloc[0])
        rows.append(
            {
                "target": t.id,
                "role": t.role,
                "statistic": t.statistic,
                "published": f"[{lo:.4g}, {hi:.4g}]",
                "best": best,
                "ensemble_mean": mean,
                "ensemble_sd": sd,
                "best_inside": bool(lo <= best <= hi),
            }
        )
    return pd.DataFrame(rows)


def calibrated_yaml(plan: Plan, best: dict[str, float]) -> str:
    """The behaviour preset: every behaviour parameter, the free ones at the best set."""
    values = dict(plan.base_behaviour)
    values.update({k.removeprefix(PARAMETER_PREFIX): v for k, v in best.items()})
    header = (
        f"# Behaviour preset calibrated by sim-calibrate (study {plan.name}).\n"
        f"# Free parameters at the best trial: {', '.join(best)}.\n"
        f"# Use: sim-run behaviour={plan.preset} (after calibrate.install=true copies it\n"
        f"# to configs/behaviour/{plan.preset}.yaml).\n"
    )
    return header + yaml.safe_dump(values, sort_keys=False)


# ---- figures -------------------------------------------------------------------------------------
def plot_targets(ens: pd.DataFrame, plan: Plan, path: Path) -> None:
    n = len(plan.targets)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.8), squeeze=False)
    for ax, t in zip(axes[0], plan.targets, strict=True):
        col = ens[f"sim.{t.id}"]
        lo, hi = t.interval
        ax.axvspan(lo, hi, color="tab:green", alpha=0.25, label="published")
        ax.hist(col, bins=min(20, max(5, len(col))), weights=ens["weight"], color="tab:blue")
        ax.axvline(col.iloc[0], color="black", lw=1, label="best")
        ax.set_title(f"{t.id} ({t.role})", fontsize=9)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_convergence(trials: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.scatter(trials["trial"], trials["loss"], s=8, alpha=0.6, label="trial")
    ax.plot(trials["trial"], trials["loss"].cummin(), color="black", label="best so far")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("trial")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def most_correlated(ens: pd.DataFrame, plan: Plan) -> tuple[str, str, float] | None:
    """The pair of free parameters most correlated in the ensemble (weighted)."""
    keys = [p.key for p in plan.priors]
    if len(keys) < 2 or len(ens) < 3:
        return None
    w = ens["weight"].to_numpy()
    x = ens[keys].to_numpy()
    centred = x - w @ x
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    best: tuple[str, str, float] | None = None
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            r = float(np.nan_to_num(corr[i, j]))
            if best is None or abs(r) > abs(best[2]):
                best = (keys[i], keys[j], r)
    return best


def plot_pair(ens: pd.DataFrame, plan: Plan, pair: tuple[str, str, float], path: Path) -> None:
    a, b, r = pair
    prior = {p.key: p for p in plan.priors}
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(ens[a], ens[b], s=20 + 400 * ens["weight"], alpha=0.6)
    ax.set_xlim(prior[a].lo, prior[a].hi)
    ax.set_ylim(prior[b].lo, prior[b].hi)
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.set_title(f"ensemble (size = weight), r = {r:+.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- the report ----------------------------------------------------------------------------------
def _md(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in df.values)


def write_outputs(
    folder: Path, plan: Plan, trials: pd.DataFrame, ens: pd.DataFrame, best: dict[str, float]
) -> dict[str, Any]:
    """Write every output into `folder`; return what the console shows."""
    ens.to_parquet(folder / "ensemble.parquet", index=False)
    trials.to_csv(folder / "trials.csv", index=False)
    (folder / "calibrated.yaml").write_text(calibrated_yaml(plan, best))
    params, fits = parameter_table(ens, plan), target_table(ens, plan)
    plot_targets(ens, plan, folder / "targets.png")
    plot_convergence(trials, folder / "convergence.png")
    pair = most_correlated(ens, plan)
    if pair is not None:
        plot_pair(ens, plan, pair, folder / "pair.png")
    unidentified = params.loc[params["identified"].eq(False), "parameter"].tolist()
    designs = sorted({t.design.label for t in plan.targets})
    lines = [
        f"# Calibration {plan.name}",
        "",
        f"Optuna TPE, {len(trials)} complete trials, {plan.replications} seeds per set "
        f"(common to every set). Ensemble: {len(ens)} sets within the chi-square "
        f"{plan.ensemble_level:.0%} quantile (df = {len(plan.calibrate_targets)}) of the best "
        "loss, weighted by exp(-loss/2): an approximate likelihood weighting, not full ABC.",
        "",
        "Designs: " + "; ".join(designs) + ".",
        "",
        "## Targets: published band vs the ensemble",
        "",
        _md(fits),
        "![targets](targets.png)",
        "",
        "## Parameters",
        "",
        _md(params),
        "",
        "Not identified by these targets (ensemble sd / prior sd above "
        f"{plan.unidentified_ratio:g}): {', '.join(unidentified) or 'none'}"
        + (" (not judged: fewer than 3 sets in the ensemble)." if len(ens) < 3 else "."),
        "",
        "## Convergence: loss over trials",
        "",
        "![convergence](convergence.png)",
        "",
    ]
    if pair is not None:
        lines += [
            f"## The most correlated pair: {pair[0]} and {pair[1]} (r = {pair[2]:+.2f})",
            "",
            "![pair](pair.png)",
            "",
        ]
    (folder / "fit.md").write_text("\n".join(lines))
    return {"parameters": params, "targets": fits, "unidentified": unidentified}
