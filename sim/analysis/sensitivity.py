"""Global sensitivity of the headline KPIs to the management levers and behavioural parameters.

Two SALib methods (Herman & Usher 2017; Iwanaga, Usher & Herman 2022), both with SALib's own
samplers and analysers:

* Morris elementary effects (Morris 1991; mu* by Campolongo, Cariboni & Saltelli 2007), the
  default: a screening that ranks many parameters in (k + 1) x trajectories runs. mu* is the mean
  absolute change of the KPI when one parameter moves by 2/3 of its range (4 levels); sigma is the
  spread of those effects (non-linearity or interaction).
* Sobol (Saltelli 2002; Saltelli et al. 2010), on request: S1 (the KPI's variance share of one
  parameter alone) and ST (alone and in interaction), in N x (k + 2) runs.

Bounds: the schema's valid range (`sim.config.RANGES`), narrowed by the experiment config. A
behavioural parameter without explicit bounds varies by +-`behaviour_span` (a share) around its
value in the composed config, clipped to its schema range. A policy lever without explicit bounds
spans its whole schema range, which for money and day counts is far wider than any real firm:
the experiment config therefore narrows those (see configs/experiment/sensitivity.yaml).

Every run uses the same seed (common random numbers), so a difference between two runs is the
parameter's effect plus the noise of diverging random streams, not of different seeds. How large
that noise is comes from a few extra runs of the base point with other seeds (`noise_seeds`): an
index near the noise floor is not distinguishable from chance.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402
from SALib.sample import morris as morris_sample  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402

from sim.analysis.parallel import parallel_map, workers_setting  # noqa: E402
from sim.config import RANGES, ConfigError, SimConfig, with_values  # noqa: E402
from sim.kpis import REGISTRY, check_names  # noqa: E402

METHODS = ("morris", "sobol")
VARIED_GROUPS = ("policy", "behaviour")
# E|elementary effect| of pure noise, per seed-noise sd: |N(0, 2 sd^2)| / delta with SALib's
# delta = p / (2 (p - 1)) = 2/3 at 4 levels: sqrt(2) * sqrt(2 / pi) / (2/3) = 1.69.
NOISE_EE_PER_SD = math.sqrt(2.0) * math.sqrt(2.0 / math.pi) * 1.5


# ---- settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    """One varied parameter: its dotted key, its bounds, and whether it is an integer."""

    key: str
    lo: float
    hi: float
    base: float
    integer: bool


@dataclass(frozen=True)
class Settings:
    method: str
    kpis: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    trajectories: int
    num_levels: int
    samples: int
    noise_seeds: int
    workers: int
    top: int
    conf_level: float
    window_days: int


def _get(base: SimConfig, key: str) -> Any:
    node: Any = base
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix.rstrip("."): node}
    out: dict[str, Any] = {}
    for k, v in node.items():
        out.update(_flatten(v, f"{prefix}{k}."))
    return out


def _pair(key: str, value: Any) -> tuple[float, float]:
    if isinstance(value, dict):
        value = [value.get("min"), value.get("max")]
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and value[0] < value[1]
    )
    if not ok:
        raise ConfigError(key, value, "[min, max] with min < max")
    return float(value[0]), float(value[1])


def resolve_parameters(
    patterns: Sequence[str],
    base: SimConfig,
    bounds: dict[str, Any] | None = None,
    behaviour_span: float = 0.5,
    *,
    where: str = "experiment",
) -> list[Parameter]:
    """Expand key patterns (`policy.*`) and give each parameter its bounds.

    Raises:
        ConfigError: an unknown key or pattern, a bound outside the schema range, or a
            behavioural parameter at 0 with no explicit bounds (+-50% of 0 is no range).
    """
    known = [k for k in RANGES if k.split(".")[0] in VARIED_GROUPS]
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise ConfigError(f"{where}.parameters", list(patterns), "at least one parameter")
    keys: list[str] = []
    for pat in patterns:
        hits = [k for k in known if fnmatch.fnmatchcase(k, str(pat))]
        if not hits:
            near = difflib.get_close_matches(str(pat), known, n=3)
            hint = f"did you mean {', '.join(near)}?" if near else "see sim/config/"
            raise ConfigError(
                f"{where}.parameters", pat, f"policy.<lever> or behaviour.<name> keys; {hint}"
            )
        keys += [k for k in hits if k not in keys]
    flat = _flatten(dict(bounds or {}))
    for key in flat:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=3)
            hint = f"did you mean {', '.join(near)}?" if near else "see sim/config/"
            raise ConfigError(f"{where}.bounds.{key}", flat[key], f"a known parameter; {hint}")
    if not (isinstance(behaviour_span, int | float) and 0 < behaviour_span <= 10):
        raise ConfigError(f"{where}.behaviour_span", behaviour_span, "a share in (0, 10]")
    out = []
    for key in keys:
        lo_s, hi_s = RANGES[key]
        value = _get(base, key)
        integer = isinstance(value, int) and not isinstance(value, bool)
        if key in flat:
            lo, hi = _pair(f"{where}.bounds.{key}", flat[key])
            if (lo_s is not None and lo < lo_s) or (hi_s is not None and hi > hi_s):
                raise ConfigError(f"{where}.bounds.{key}", [lo, hi], f"within [{lo_s}, {hi_s}]")
        elif key.startswith("behaviour."):
            span = abs(value) * behaviour_span
            lo, hi = value - span, value + span
            lo = lo if lo_s is None else max(lo, lo_s)
            hi = hi if hi_s is None else min(hi, hi_s)
            if not lo < hi:
                raise ConfigError(
                    f"{where}.bounds.{key}", None, f"explicit [min, max] (the value is {value})"
                )
        else:
            lo, hi = float(lo_s), float(hi_s)
        out.append(Parameter(key, float(lo), float(hi), float(value), integer))
    return out


def _int(cfg: dict, key: str, lo: int, hi: int | None = None) -> int:
    value = cfg.get(key)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
    if not ok or (hi is not None and value > hi):
        allowed = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise ConfigError(f"experiment.{key}", value, allowed)
    return value


def settings_from(cfg: DictConfig, base: SimConfig) -> Settings:
    """Read and check `cfg.experiment` (configs/experiment/sensitivity.yaml)."""
    exp = OmegaConf.to_container(cfg.experiment, resolve=True) if cfg.experiment else {}
    if not isinstance(exp, dict):
        raise ConfigError("experiment", exp, "the sensitivity settings (experiment: sensitivity)")
    method = exp.get("method", "morris")
    if method not in METHODS:
        raise ConfigError("experiment.method", method, f"one of {', '.join(METHODS)}")
    kpi_names = check_names("experiment.kpis", exp.get("kpis"))
    params = resolve_parameters(
        exp.get("parameters") or [],
        base,
        exp.get("bounds"),
        exp.get("behaviour_span", 0.5),
    )
    samples = _int(exp, "samples", 2)
    if method == "sobol" and samples & (samples - 1):
        raise ConfigError("experiment.samples", samples, "a power of 2 (Sobol sequence balance)")
    conf = exp.get("conf_level", 0.95)
    if not (isinstance(conf, float) and 0.5 <= conf < 1.0):
        raise ConfigError("experiment.conf_level", conf, "a probability in [0.5, 1)")
    window = _int(exp, "window_days", 1)
    return Settings(
        method=method,
        kpis=kpi_names,
        parameters=tuple(params),
        trajectories=_int(exp, "trajectories", 2),
        num_levels=_int(exp, "num_levels", 2, 20),
        samples=samples,
        noise_seeds=_int(exp, "noise_seeds", 0),
        workers=workers_setting(exp.get("workers")),
        top=_int(exp, "top", 1),
        conf_level=float(conf),
        window_days=window,
    )


def problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem dictionary."""
    return {
        "num_vars": len(params),
        "names": [p.key for p in params],
        "bounds": [[p.lo, p.hi] for p in params],
    }


# ---- running -------------------------------------------------------------------------------
def run_kpis(config: SimConfig, *, kpis: Sequence[str], window_days: int) -> dict[str, float]:
    """Run one configuration and return the chosen KPIs over its last `window_days` days."""
    from sim.outputs import summarise
    from sim.runner import run_model

    model = run_model(config, progress=False)
    summary = summarise(model.timeseries(), window=window_days)
    return {k: float(summary[k]) for k in kpis}


def sample(settings: Settings, seed: int) -> np.ndarray:
    """The design: SALib's Morris trajectories or Saltelli/Sobol sequence, one row per run."""
    prob = problem(settings.parameters)
    if settings.method == "morris":
        return morris_sample.sample(
            prob, N=settings.trajectories, num_levels=settings.num_levels, seed=seed
        )
    return sobol_sample.sample(prob, settings.samples, calc_second_order=False, seed=seed)


def analyse(
    settings: Settings, X: np.ndarray, Y: pd.DataFrame, seed: int, noise_sd: dict[str, float]
) -> pd.DataFrame:
    """Tidy indices: one row per kpi x parameter x index, with its confidence interval."""
    prob = problem(settings.parameters)
    rows = []
    for kpi in settings.kpis:
        y = Y[kpi].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            raise RuntimeError(f"{kpi}: {bad} of {y.size} runs gave no finite value")
        if settings.method == "morris":
            res = morris_analyze.analyze(
                prob,
                X,
                y,
                num_levels=settings.num_levels,
                conf_level=settings.conf_level,
                seed=seed,
            )
            names = [("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None)]
        else:
            res = sobol_analyze.analyze(
                prob, y, calc_second_order=False, conf_level=settings.conf_level, seed=seed
            )
            names = [("ST", "ST_conf"), ("S1", "S1_conf")]
        primary = np.asarray(res[names[0][0]], dtype=float)
        # A KPI that did not vary over the design (no quits in a tiny, short run: with a random
        # stream per purpose every run draws the same) has no Sobol indices: NaN, ranked last.
        rank = pd.Series(primary).rank(ascending=False, method="first", na_option="bottom")
        rank = rank.astype(int).to_numpy()
        for i, p in enumerate(settings.parameters):
            for index, conf_key in names:
                value = float(np.asarray(res[index])[i])
                conf = float(np.asarray(res[conf_key])[i]) if conf_key else float("nan")
                rows.append(
                    {
                        "kpi": kpi,
                        "parameter": p.key,
                        "index": index,
                        "value": value,
                        "conf": conf,
                        "ci_low": value - conf,
                        "ci_high": value + conf,
                        "rank": int(rank[i]),
                        "lo": p.lo,
                        "hi": p.hi,
                        "noise_sd": noise_sd.get(kpi, float("nan")),
                    }
                )
    return pd.DataFrame(rows)


def top_rows(indices: pd.DataFrame, top: int) -> pd.DataFrame:
    """The `top` parameters per KPI by the primary index (mu_star or ST)."""
    primary = "mu_star" if (indices["index"] == "mu_star").any() else "ST"
    sel = indices[(indices["index"] == primary) & (indices["rank"] <= top)]
    return sel.sort_values(["kpi", "rank"])[["kpi", "rank", "parameter", "index", "value", "conf"]]


def bar_chart(indices: pd.DataFrame, kpi: str, path: Path, *, noise_floor: float | None) -> None:
    """A ranked horizontal bar chart of one KPI's indices (most influential on top)."""
    d = indices[indices["kpi"] == kpi]
    morris = (d["index"] == "mu_star").any()
    first, second = ("mu_star", "sigma") if morris else ("ST", "S1")
    a = d[d["index"] == first].set_index("parameter")
    b = d[d["index"] == second].set_index("parameter").reindex(a.index)
    order = a["value"].sort_values().index
    a, b = a.loc[order], b.loc[order]
    y = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(order) + 1.4))
    colours = ["tab:blue" if k.startswith("policy.") else "tab:orange" for k in order]
    xerr = a["conf"].fillna(0).clip(lower=0).to_numpy()
    ax.barh(y, a["value"], xerr=xerr, color=colours, alpha=0.85, ecolor="grey", capsize=2)
    if morris:
        ax.plot(b["value"], y, "k|", ms=9, mew=1.5, label="sigma (non-linearity, interaction)")
    else:
        ax.barh(y, b["value"], height=0.35, color="black", alpha=0.6, label="S1 (alone)")
    if noise_floor is not None and np.isfinite(noise_floor) and noise_floor > 0:
        ax.axvline(noise_floor, color="red", ls="--", lw=1, label="seed noise level")
    ax.set_yticks(y, [k.replace("behaviour.", "b.").replace("policy.", "") for k in order])
    unit = REGISTRY[kpi].unit
    if morris:
        xlabel = f"mu* (mean |elementary effect|, {unit})" if unit else "mu*"
    else:
        xlabel = "ST (total-effect share of variance), bar; S1, black"
    ax.set_xlabel(xlabel)
    ax.set_title(f"{kpi}: {'Morris' if morris else 'Sobol'} (blue = lever, orange = behaviour)")
    ax.axvline(0, color="grey", lw=0.5)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def noise_floor(method: str, kpi: str, noise_sd: dict[str, float], Y: pd.DataFrame) -> float:
    """Where pure seed noise would put the primary index (mu* or ST)."""
    sd = noise_sd.get(kpi, float("nan"))
    if method == "morris":
        return NOISE_EE_PER_SD * sd
    var = float(Y[kpi].var())
    return sd**2 / var if var > 0 else float("nan")


def run_study(
    settings: Settings, base: SimConfig, outdir: Path, *, progress: bool = True
) -> pd.DataFrame:
    """Sample, run in parallel, analyse and write indices.csv, runs.parquet and the charts."""
    outdir.mkdir(parents=True, exist_ok=True)
    X = sample(settings, base.seed)
    keys = [p.key for p in settings.parameters]
    configs = [with_values(base, dict(zip(keys, row, strict=True))) for row in X]
    noise_seeds = [base.seed + 1 + i for i in range(settings.noise_seeds)]
    configs += [with_values(base, {}, seed=s) for s in noise_seeds]
    if settings.noise_seeds:
        configs.append(base)  # the base point with the study's own seed
    fn = partial(run_kpis, kpis=settings.kpis, window_days=settings.window_days)
    results = parallel_map(
        fn,
        configs,
        workers=settings.workers,
        desc=f"{settings.method} ({len(keys)} parameters)",
        progress=progress,
    )
    runs = pd.DataFrame(results[: len(X)])
    noise = pd.DataFrame(results[len(X) :])
    noise_sd = {k: float(noise[k].std(ddof=1)) for k in settings.kpis} if len(noise) > 1 else {}
    design = pd.DataFrame(X, columns=keys)
    pd.concat([design, runs], axis=1).to_parquet(outdir / "runs.parquet", index=False)
    pd.DataFrame(
        [
            {"parameter": p.key, "lo": p.lo, "hi": p.hi, "base": p.base, "integer": p.integer}
            for p in settings.parameters
        ]
    ).to_csv(outdir / "parameters.csv", index=False)
    indices = analyse(settings, X, runs, base.seed, noise_sd)
    indices.to_csv(outdir / "indices.csv", index=False)
    for kpi in settings.kpis:
        floor = noise_floor(settings.method, kpi, noise_sd, runs) if noise_sd else None
        bar_chart(indices, kpi, outdir / f"sensitivity_{kpi}.png", noise_floor=floor)
    return indices
