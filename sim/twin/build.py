"""Building the twin: the run config from the estimates, the operations fit, the calibration
with sim-calibrate's machinery, and the backtest's predictions.

1. **Direct estimates** (sim/twin/estimate.py) set the organisation's size, customer base,
   revenue and first guesses of its operations.
2. **Moment fit** (`fit_moments`, a few runs): what the data measure but the model states in
   other terms is matched by a damped fixed-point step per round, each knob against the figure
   it alone moves: new needs per customer against contacts per customer, a skilled agent's
   handle time against the mean handle time, patience against abandonment, paid acquisition
   against all acquisitions, the quit hazard's tenure factors against the roster's hazard by
   tenure band (indirect inference: the model's hazard by band, measured the same way), and
   first centres of the three calibrated parameters against turnover, work happiness and churn.
3. **Calibration** (`calibrate`): sim/calibration's TPE loop over engagement_base,
   quit_rate_annual and churn_rate_annual, with priors around those centres and the
   organisation's own figures as targets; its ensemble carries the uncertainty left.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration import statistics
from sim.calibration.settings import Plan, Prior, with_parameters
from sim.calibration.targets import Design, Target
from sim.config import RANGES, JourneyConfig, SimConfig, validate
from sim.twin.estimate import NEWCOMER_DAYS, VETERAN_DAYS, Estimates
from sim.twin.survival import model_shares

FREE = ("behaviour.engagement_base", "behaviour.quit_rate_annual", "behaviour.churn_rate_annual")
FACTORS = ("behaviour.newcomer_quit_factor", "behaviour.veteran_quit_factor")
# Observed figure -> (target id, model statistic, role). Calibrate-role targets are fitted;
# the rest are only reported beside the fit (the twin's check of itself).
TARGETS = (
    ("turnover", "expected_turnover_annual", "calibrate"),  # the hazard: quits without noise
    ("work_happiness", "work_happiness_mean", "calibrate"),
    ("churn", "customer_churn_annual", "calibrate"),
    ("service_level", "service_level", "validate"),
    ("abandon_rate", "abandon_rate", "validate"),
    ("handle_seconds", "handle_seconds", "validate"),
    ("first_contact_resolution", "first_contact_resolution", "validate"),
    ("enps", "enps", "validate"),
    ("nps", "nps", "validate"),
)
SD_FLOOR = {"turnover": 0.02, "work_happiness": 0.05, "churn": 0.003}
SLOPE = "behaviour.quit_engagement_slope"
# Assumption: the preset's quit_engagement_slope (itself an assumption, docs/MODEL.md) is taken
# as a prior with this sd; the roster's Cox estimate updates it by precision (normal-normal), so
# a few quits leave it near the preset and many quits let the data speak.
SLOPE_PRIOR_SD = 0.25


@dataclass(frozen=True)
class Twin:
    """A twin's run config and what it was fitted against."""

    config: SimConfig  # days = warm-up + the period; behaviour at the centres / best set
    estimates: Estimates
    warm_days: int

    @property
    def window(self) -> int:
        return self.estimates.period.days


def journey_from_roster(
    base: JourneyConfig, name: str, heads: dict[str, int], employees: int
) -> tuple[JourneyConfig, list[str]]:
    """The base journey with each role's headcount from the roster (x org.employees); roles
    nobody holds are dropped where the journey stays valid without them, kept otherwise."""
    journey = copy.deepcopy(base)
    journey.name = name
    notes = []
    for role, cfg in journey.roles.items():
        if heads.get(role):
            cfg.headcount = heads[role] / max(employees, 1)
    for role in [r for r in journey.roles if not heads.get(r)]:
        trial = copy.deepcopy(journey)
        del trial.roles[role]
        for other in trial.roles.values():
            other.depends_on = [d for d in other.depends_on if d != role]
        try:
            validate(dataclasses.replace(SimConfig(), journey=trial))
        except Exception:  # noqa: BLE001 - the journey needs it: keep the base's
            notes.append(f"role {role}: nobody in the roster; kept at the base journey's size")
            continue
        journey = trial
        notes.append(f"role {role}: nobody in the roster; left out of the twin's journey")
    return journey, notes


def set_org(config: SimConfig, values: dict[str, float]) -> SimConfig:
    """`config` with org.* values (integers rounded, each clipped into the schema's range)."""
    org = config.org
    changes = {}
    for key, value in values.items():
        lo, hi = RANGES[f"org.{key}"]
        v = min(
            max(float(value), lo if lo is not None else -math.inf),
            hi if hi is not None else math.inf,
        )
        changes[key] = int(round(v)) if isinstance(getattr(org, key), int) else v
    return dataclasses.replace(config, org=dataclasses.replace(org, **changes))


def clip(key: str, value: float) -> float:
    lo, hi = RANGES[key]
    return float(
        min(max(value, lo if lo is not None else -math.inf), hi if hi is not None else math.inf)
    )


def twin_config(
    base: SimConfig, name: str, est: Estimates, journey: JourneyConfig, warm_days: int, seed: int
) -> SimConfig:
    """The first twin: the base run with the roster's journey, the estimated org, the period."""
    config = dataclasses.replace(
        base, journey=journey, days=warm_days + est.period.days, progress=False, seed=seed
    )
    config = set_org(config, est.org)
    org = dataclasses.replace(
        config.org,
        name=name,
        start_tenure_years=est.mix.start_tenure_years or config.org.start_tenure_years,
        hire_age_years=est.mix.hire_age_years or config.org.hire_age_years,
    )
    config = dataclasses.replace(config, org=org)
    if (slope := engagement_slope(config.behaviour.quit_engagement_slope, est)) is not None:
        config = with_parameters(config, {SLOPE: slope[0]})
    validate(config)
    return config


def engagement_slope(preset: float, est: Estimates) -> tuple[float, float] | None:
    """quit_engagement_slope from the preset (prior, sd SLOPE_PRIOR_SD) and the Cox estimate
    (-coefficient, its se), combined by precision: (value, sd); None without a Cox fit."""
    if est.cox is None or not math.isfinite(est.cox.se) or est.cox.se <= 0:
        return None
    w_prior, w_data = SLOPE_PRIOR_SD**-2, est.cox.se**-2
    value = (w_prior * preset + w_data * est.cox.slope) / (w_prior + w_data)
    return clip(SLOPE, value), (w_prior + w_data) ** -0.5


# ---- the moment fit --------------------------------------------------------------------------
def measure(task: tuple[SimConfig, int]) -> dict[str, float]:
    """One run: the figures the moment fit matches, over the last `window` days, and the quit
    hazard by tenure band (the model's own hazard, exposure-weighted, per year)."""
    from sim.cli import quiet_libraries
    from sim.model import ServiceModel
    from sim.workforce import quit_hazard

    quiet_libraries()
    config, window = task
    model = ServiceModel(config)
    bands = np.zeros((3, 2))  # hazard sum, seat-days
    mix = {}
    for day in range(-1, config.days):
        if day >= 0:
            model.step()
        if day == config.days - window - 1:  # the period's first day: the workforce's mix
            s = model.staff
            mix = model_shares(s.tenure[s.active], s.age[s.active])
        if day >= config.days - window:
            s = model.staff
            h = quit_hazard(s, model.behaviour)[s.active]
            t = s.tenure[s.active]
            band = np.where(t < NEWCOMER_DAYS, 0, np.where(t > VETERAN_DAYS, 2, 1))
            bands[:, 0] += np.bincount(band, weights=h, minlength=3)
            bands[:, 1] += np.bincount(band, minlength=3)
    ts = model.timeseries().tail(window)
    years = window / 365.0
    stock = float(ts["customers"].mean())
    out = {f"target.{tid}": statistics.value(stat, ts) for tid, stat, _ in TARGETS}
    out |= {
        "contacts_per_customer_day": float(ts["contacts"].mean()) / stock,
        "acquisition": float(ts["acquired"].sum()) / stock / years,
        "handle_seconds": statistics.value("handle_seconds", ts),
        "abandon_rate": statistics.value("abandon_rate", ts),
        "turnover": statistics.value("expected_turnover_annual", ts),
        "work_happiness": statistics.value("work_happiness_mean", ts),
        "churn": statistics.value("customer_churn_annual", ts),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = bands[:, 0] / bands[:, 1] * 365.0
    for i, b in enumerate(("newcomer", "middle", "veteran")):
        out[f"hazard_{b}"] = float(rate[i])
        out[f"exposure_{b}"] = float(bands[i, 1] / max(bands[:, 1].sum(), 1.0))
    return out | {f"mix.{k}": v for k, v in mix.items()}


def fit_moments(
    twin: Twin, rounds: int, replications: int, workers: int, progress: bool
) -> tuple[Twin, list[dict[str, Any]], dict[str, tuple[float, float]], dict[str, float]]:
    """`rounds` damped fixed-point steps of the org's operations, the quit factors and the
    centres of the calibrated parameters, then one more evaluation at the result. Returns the
    fitted twin, a log of every round, the result's target statistics (mean, se over the
    seeds: the calibration's first trial) and its workforce mix on the period's first day
    (shares by band, mean over the seeds)."""
    from sim.analysis.parallel import parallel_map
    from sim.calibration.fit import moments as mean_se

    est, config = twin.estimates, twin.config
    f = est.figures
    obs: dict[str, float] = {
        k: f[k].value for k in ("turnover", "work_happiness", "churn") if k in f
    }
    if "contacts_per_day" in f and "customers_mean" in f:
        obs["contacts_per_customer_day"] = f["contacts_per_day"].value / f["customers_mean"].value
    for k in ("handle_seconds", "abandon_rate", "acquisition"):
        if k in f:
            obs[k] = f[k].value
    ratios = {b: est.hazard.factor(b) for b in ("newcomer", "veteran")}
    log: list[dict[str, Any]] = []
    for r in range(rounds + 1):
        tasks = [
            (dataclasses.replace(config, seed=config.seed + i), twin.window)
            for i in range(replications)
        ]
        desc = f"moment fit {r + 1}/{rounds}" if r < rounds else "moment fit: result"
        runs = parallel_map(measure, tasks, workers=workers, desc=desc, progress=progress)
        sim = {k: float(np.nanmean([run[k] for run in runs])) for k in runs[0]}
        if r == rounds:
            samples = {k[7:]: [run[k] for run in runs] for k in runs[0] if k.startswith("target.")}
            log.append(
                {"round": "result", **{f"sim.{k}": v for k, v in sim.items() if "." not in k}}
            )
            mix = {k[4:]: v for k, v in sim.items() if k.startswith("mix.")}
            return dataclasses.replace(twin, config=config), log, mean_se(samples), mix
        step, beh = moment_step(config, obs, sim, ratios)
        log.append(
            {
                "round": r + 1,
                **{f"sim.{k}": v for k, v in sim.items() if "." not in k},
                **step,
                **beh,
            }
        )
        config = with_parameters(set_org(config, step), beh)
        validate(config)
    raise AssertionError("unreachable")


def moment_step(
    config: SimConfig,
    obs: dict[str, float],
    sim: dict[str, float],
    ratios: dict[str, float | None],
) -> tuple[dict[str, float], dict[str, float]]:
    """One damped fixed-point step: each knob scaled by observed / simulated of its figure."""
    org, b = config.org, config.behaviour
    step: dict[str, float] = {}

    def ratio(key: str) -> float | None:
        return obs[key] / sim[key] if key in obs and sim.get(key, 0) > 0 else None

    if (x := ratio("contacts_per_customer_day")) is not None:
        step["contacts_per_customer_year"] = org.contacts_per_customer_year * x
    if (x := ratio("handle_seconds")) is not None:
        step["handle_minutes"] = org.handle_minutes * x
    # Abandonment below 0.1% says little about patience: leave it at the preset's.
    if obs.get("abandon_rate", 0) > 0.001 and sim["abandon_rate"] > 0:
        step["patience_seconds"] = (
            org.patience_seconds * (sim["abandon_rate"] / obs["abandon_rate"]) ** 0.8
        )
    if (x := ratio("acquisition")) is not None:
        step["acquisition_rate"] = org.acquisition_rate * x
    beh: dict[str, float] = {}
    # The tenure factors first; the overall level then corrects for what they change.
    scale = {"newcomer": 1.0, "middle": 1.0, "veteran": 1.0}
    for band, key in zip(("newcomer", "veteran"), FACTORS, strict=True):
        middle = sim["hazard_middle"]
        sim_ratio = sim[f"hazard_{band}"] / middle if middle > 0 else math.nan
        if ratios[band] is not None and math.isfinite(sim_ratio) and sim_ratio > 0:
            current = getattr(b, key.removeprefix("behaviour."))
            beh[key] = clip(key, current * ratios[band] / sim_ratio)
            scale[band] = beh[key] / current
    if sim["turnover"] > 0:
        mix = sum(scale[x] * sim[f"exposure_{x}"] * sim[f"hazard_{x}"] for x in scale)
        base = sum(sim[f"exposure_{x}"] * sim[f"hazard_{x}"] for x in scale)
        after = sim["turnover"] * (mix / base if base > 0 else 1.0)
        beh["behaviour.quit_rate_annual"] = b.quit_rate_annual * obs["turnover"] / after
    if "work_happiness" in obs:
        beh["behaviour.engagement_base"] = (
            b.engagement_base + obs["work_happiness"] - sim["work_happiness"]
        )
    if (x := ratio("churn")) is not None:
        beh["behaviour.churn_rate_annual"] = b.churn_rate_annual * x
    return step, {k: clip(k, v) for k, v in beh.items()}


# ---- the calibration -------------------------------------------------------------------------
def targets_for(twin: Twin, name: str) -> tuple[Target, ...]:
    """The organisation's own figures as sim-calibrate targets on the twin's design."""
    config, est = twin.config, twin.estimates
    design = Design(
        name, "baseline", config.org.employees, config.org.customers, config.days, twin.window
    )
    out = []
    for tid, stat, role in TARGETS:
        if tid not in est.figures or not math.isfinite(est.figures[tid].value):
            continue
        fig = est.figures[tid]
        sd = max(fig.se, SD_FLOOR.get(tid, 0.0))
        out.append(
            Target(
                tid,
                stat,
                statistics.aggregation(tid, stat),
                design,
                fig.value,
                sd,
                f"the organisation's data, {est.period.label()}: {fig.n}",
                role,
            )
        )
    return tuple(out)


PRIOR_SDS = 4.0  # prior half-width, in sds of the parameter's target (see priors_for)


def priors_for(
    config: SimConfig,
    targets: tuple[Target, ...],
    centre: dict[str, tuple[float, float]] | None = None,
) -> tuple[Prior, ...]:
    """Uniform priors around the moment fit's centres, as wide as the data leave the parameter
    free: PRIOR_SDS sds of its target (the data's sd and the centre's simulation se combined),
    mapped through the moment fit's own local model (work happiness moves point for point with
    engagement_base; turnover and churn in proportion to their rates). Capped at the old
    fixed width (x0.6-1.6, +-0.8 points) so a noisy target cannot widen them without limit.
    Only for parameters whose target the data hold."""
    b = config.behaviour
    have = {t.id: t for t in targets if t.role == "calibrate"}
    out = []
    for key, tid in zip(FREE, ("work_happiness", "turnover", "churn"), strict=True):
        if tid not in have:
            continue
        c = getattr(b, key.removeprefix("behaviour."))
        t = have[tid]
        se = centre[tid][1] if centre and tid in centre and math.isfinite(centre[tid][1]) else 0
        sd = math.hypot(t.sd, se)
        if key.endswith("engagement_base"):
            half = min(PRIOR_SDS * sd, 0.8)
            lo, hi = c - half, c + half
        else:
            rel = PRIOR_SDS * sd / max(abs(t.mean), 1e-9)
            lo, hi = c * max(1.0 - rel, 0.6), c * min(1.0 + rel, 1.6)
        out.append(Prior(key, clip(key, lo), clip(key, hi)))
    return tuple(out)


def calibrate(
    twin: Twin,
    name: str,
    folder: Path,
    *,
    trials: int,
    replications: int,
    workers: int,
    sampler_seed: int,
    progress: bool,
    centre: dict[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """sim-calibrate's loop (sim/calibration/fit.py) and outputs (report.py) in `folder`."""
    from sim.calibration import fit, report

    found = targets_for(twin, name)
    plan = Plan(
        name=name,
        run_dir=folder,
        targets=found,
        priors=priors_for(twin.config, found, centre),
        configs={found[0].design: twin.config},
        base_behaviour=dataclasses.asdict(twin.config.behaviour),
        trials=trials,
        replications=replications,
        startup_trials=max(1, min(8, trials // 2)),
        sampler_seed=sampler_seed,
        batch=2 * workers,
        workers=workers,
        ensemble_level=0.95,
        unidentified_ratio=0.7,
        install=False,
    )
    folder.mkdir(parents=True, exist_ok=True)
    if centre is not None:
        add_trial(plan, twin.config, centre)
    study = fit.run_trials(plan, progress=progress)
    table = fit.trials_table(study, plan)
    if table.empty:
        raise RuntimeError("no trial completed: every parameter set failed")
    ens = fit.ensemble(table, plan)
    best = fit.best_values(table, plan)
    shown = report.write_outputs(folder, plan, table, ens, best)
    (folder / "study.db").unlink(missing_ok=True)  # the twin reruns whole; no resumable study
    return {"plan": plan, "trials": table, "ensemble": ens, "best": best, **shown}


def add_trial(plan: Plan, config: SimConfig, m: dict[str, tuple[float, float]]) -> None:
    """The moment fit's result as the study's first complete trial (its runs are the same
    seeds the calibration uses): TPE starts from it, and a budget of one trial keeps it."""
    import optuna

    from sim.calibration import fit

    fit.quiet_optuna()
    study = optuna.create_study(
        study_name=plan.name, storage=fit.storage_url(plan.run_dir), direction="minimize"
    )
    values = {
        p.key: getattr(config.behaviour, p.key.removeprefix("behaviour.")) for p in plan.priors
    }
    m = {t.id: m[t.id] for t in plan.targets}
    study.add_trial(
        optuna.trial.create_trial(
            params=values,
            distributions={
                p.key: optuna.distributions.FloatDistribution(p.lo, p.hi) for p in plan.priors
            },
            value=fit.loss(plan.targets, m),
            user_attrs={
                **{f"sim.{k}": v[0] for k, v in m.items()},
                **{f"se.{k}": v[1] for k, v in m.items()},
            },
        )
    )


# ---- predictions -------------------------------------------------------------------------------
PREDICTED = (
    "employee_turnover_annual",
    "work_happiness_mean",
    "customer_churn_annual",
    "service_level",
    "abandon_rate",
    "handle_seconds",
    "enps",
    "nps",
)


def predict_one(task: tuple[SimConfig, int]) -> dict[str, float]:
    from sim.cli import quiet_libraries
    from sim.runner import run_model

    quiet_libraries()
    config, window = task
    ts = run_model(config, progress=False).timeseries().tail(window)
    return {k: statistics.value(k, ts) for k in PREDICTED}


def predict(
    config: SimConfig,
    ens: pd.DataFrame,
    runs: int,
    window: int,
    seed: int,
    workers: int,
    progress: bool,
) -> pd.DataFrame:
    """`runs` runs of `config`, each with a parameter set drawn (by weight) from the ensemble
    and its own seed: each PREDICTED figure over the last `window` days."""
    from sim.analysis.parallel import parallel_map

    rng = np.random.default_rng([seed, 0x7E1])
    keys = [c for c in ens.columns if c.startswith("behaviour.")]
    w = ens["weight"].to_numpy(dtype=float)
    picks = rng.choice(len(ens), size=runs, p=w / w.sum())
    tasks = [
        (
            dataclasses.replace(
                with_parameters(config, {k: float(ens[k].iloc[i]) for k in keys}),
                seed=seed + 1000 + j,
            ),
            window,
        )
        for j, i in enumerate(picks.tolist())
    ]
    out = pd.DataFrame(
        parallel_map(predict_one, tasks, workers=workers, desc="backtest", progress=progress)
    )
    out.insert(0, "parameter_set", picks)  # the ensemble's row each run drew
    return out
