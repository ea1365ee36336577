"""The fit: a simulated-moments loss, Optuna TPE over it (ask/tell on the process pool), and
the ensemble of near-optimal parameter sets.

Loss of a parameter set theta, over the calibrate-role targets i:

    L(theta) = sum_i (m_i(theta) - t_i)^2 / (se_i(theta)^2 + sd_i^2)

m_i is the mean of the statistic over `replications` seeds, se_i its standard error (sd / sqrt
R; 0 with one seed), t_i and sd_i the published value and its sd. Every parameter set runs on
the same seeds (common random numbers), so two sets differ by their parameters, not their luck.

The study lives in SQLite (`study.db` in the run directory): a trial is stored when all its runs
have finished, so a killed calibration loses only the trials in flight; rerunning the same
command marks those as failed and continues until `trials` trials are complete.

The ensemble is every complete trial whose loss lies within the chi-square quantile
(df = number of calibrate targets, `ensemble_level`) of the best, weighted by exp(-L/2)
normalised: L is -2 log of a Gaussian likelihood up to a constant, so this is an approximate
likelihood weighting of the sets TPE happened to visit, not full ABC or a posterior sample.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState
from scipy import stats
from tqdm.auto import tqdm

from sim.calibration import statistics
from sim.calibration.settings import Plan, with_parameters
from sim.calibration.targets import Target
from sim.config import ConfigError, SimConfig

STORAGE = "study.db"
FINGERPRINT = "settings_fingerprint"


def quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    logging.getLogger("optuna").setLevel(logging.WARNING)


def storage_url(run_dir: Path) -> str:
    return f"sqlite:///{run_dir / STORAGE}"


def check_resumable(plan: Plan) -> None:
    """Refuse to resume a stored study that was run with other targets, priors or seeds.

    Raises:
        ConfigError: naming calibrate.name and what to do.
    """
    if not (plan.run_dir / STORAGE).is_file():
        return
    quiet_optuna()
    try:
        stored = optuna.load_study(study_name=plan.name, storage=storage_url(plan.run_dir))
    except KeyError:
        return
    if stored.user_attrs.get(FINGERPRINT, plan.fingerprint()) != plan.fingerprint():
        raise ConfigError(
            "calibrate.name",
            plan.name,
            f"{plan.run_dir} holds a study with other targets, priors or seeds; "
            "choose another name (or delete that folder)",
        )


# ---- one run -----------------------------------------------------------------------------------
def evaluate(task: tuple[int, SimConfig, int, dict[str, Any]]) -> tuple[int, dict[str, float]]:
    """One run of one parameter set on one design and seed: each target's statistic."""
    from sim.cli import quiet_libraries
    from sim.runner import run_model

    quiet_libraries()
    number, config, window, hows = task
    ts = run_model(config, progress=False).timeseries().tail(window)
    return number, {tid: statistics.of(how, ts) for tid, how in hows.items()}


def tasks_for(plan: Plan, number: int, values: dict[str, float]) -> list[tuple]:
    """Every run of one trial: each design on each seed, with the targets measured on it."""
    out = []
    for design, config in plan.configs.items():
        hows = {t.id: t.how for t in plan.targets if t.design == design}
        base = with_parameters(config, values)
        for r in range(plan.replications):
            seeded = dataclasses.replace(base, seed=config.seed + r)
            out.append((number, seeded, design.window, hows))
    return out


def moments(samples: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """Mean and standard error of each target's statistic over the seeds."""
    out = {}
    for tid, xs in samples.items():
        x = np.asarray(xs, dtype=float)
        se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
        out[tid] = (float(x.mean()), se)
    return out


def loss(targets: tuple[Target, ...], m: dict[str, tuple[float, float]]) -> float:
    """The simulated-moments loss over the calibrate-role targets (NaN if one is unknown)."""
    total = 0.0
    for t in targets:
        if t.role != "calibrate":
            continue
        mean, se = m[t.id]
        total += (mean - t.mean) ** 2 / (se**2 + t.sd**2)
    return total


# ---- the trial loop ------------------------------------------------------------------------------
def open_study(plan: Plan) -> optuna.Study:
    """Create or resume the study; trials left running by a killed process are marked failed."""
    quiet_optuna()
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=plan.name,
        storage=storage_url(plan.run_dir),
        load_if_exists=True,
        direction="minimize",
    )
    study.set_user_attr(FINGERPRINT, plan.fingerprint())
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        study.tell(t.number, state=TrialState.FAIL)
    # Seeded by the history's length: a fresh study repeats itself exactly, a resumed one does
    # not redraw the random start-up points it already has.
    study.sampler = optuna.samplers.TPESampler(
        seed=plan.sampler_seed + len(study.trials),
        n_startup_trials=plan.startup_trials,
        constant_liar=True,  # trials in flight count as pessimistic: a batch spreads out
    )
    return study


def complete(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def run_trials(plan: Plan, *, progress: bool = True) -> optuna.Study:
    """Run trials until `plan.trials` are complete, `plan.batch` at a time over the pool."""
    from sim.analysis.parallel import parallel_imap

    study = open_study(plan)
    distributions = {p.key: optuna.distributions.FloatDistribution(p.lo, p.hi) for p in plan.priors}
    done = len(complete(study))
    bar = tqdm(
        total=plan.trials, initial=done, desc="calibrate", unit="trial", disable=not progress
    )
    try:
        while done < plan.trials:
            n = min(plan.batch, plan.trials - done)
            asked = {t.number: t for t in (study.ask(distributions) for _ in range(n))}
            tasks = [task for t in asked.values() for task in tasks_for(plan, t.number, t.params)]
            per_trial = len(tasks) // len(asked)
            samples: dict[int, dict[str, list[float]]] = {number: {} for number in asked}
            counts = dict.fromkeys(samples, 0)
            for _, (number, values) in parallel_imap(
                evaluate, tasks, workers=plan.workers, desc="runs", progress=False
            ):
                for tid, v in values.items():
                    samples[number].setdefault(tid, []).append(v)
                counts[number] += 1
                if counts[number] == per_trial:
                    tell(study, asked[number], plan.targets, moments(samples[number]))
                    done += 1
                    bar.update()
    finally:
        bar.close()
    return study


def tell(
    study: optuna.Study,
    trial: optuna.Trial,
    targets: tuple[Target, ...],
    m: dict[str, tuple[float, float]],
) -> None:
    """Store one finished trial: its loss, and each target's simulated mean and se."""
    for tid, (mean, se) in m.items():
        trial.set_user_attr(f"sim.{tid}", mean)
        trial.set_user_attr(f"se.{tid}", se)
    value = loss(targets, m)
    if math.isfinite(value):
        study.tell(trial, value)
    else:
        study.tell(trial, state=TrialState.FAIL)


# ---- the ensemble --------------------------------------------------------------------------------
def trials_table(study: optuna.Study, plan: Plan) -> pd.DataFrame:
    """Every complete trial: number, loss, parameters, each target's simulated mean."""
    rows = []
    for t in complete(study):
        row: dict[str, Any] = {"trial": t.number, "loss": float(t.value)}
        row.update({p.key: float(t.params[p.key]) for p in plan.priors})
        row.update(
            {f"sim.{x.id}": float(t.user_attrs.get(f"sim.{x.id}", math.nan)) for x in plan.targets}
        )
        rows.append(row)
    return pd.DataFrame(rows).sort_values("trial", ignore_index=True)


def ensemble(trials: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The near-optimal sets and their weights, in ensemble.parquet's fixed column order:
    weight, the free parameters (dotted keys), loss, sim.<target id> for every target."""
    k = len(plan.calibrate_targets)
    best = float(trials["loss"].min())
    cut = float(stats.chi2.ppf(plan.ensemble_level, df=k))
    kept = trials[trials["loss"] <= best + cut].copy()
    w = np.exp(-(kept["loss"].to_numpy() - best) / 2.0)  # shifted by the best: no underflow
    kept.insert(0, "weight", w / w.sum())
    columns = [
        "weight",
        *(p.key for p in plan.priors),
        "loss",
        *(f"sim.{t.id}" for t in plan.targets),
    ]
    return kept.sort_values("loss", ignore_index=True)[columns]


def best_values(trials: pd.DataFrame, plan: Plan) -> dict[str, float]:
    row = trials.loc[trials["loss"].idxmin()]
    return {p.key: float(row[p.key]) for p in plan.priors}
