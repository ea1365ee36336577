"""`sim-calibrate`: fit behaviour parameters to published figures; an ensemble, not a point.

    sim-calibrate                                   # configs/calibrate.yaml: 3 parameters
    sim-calibrate trials=8 replications=2 workers=2 # a small budget (README)
    sim-calibrate target_set=my_firm 'parameters=[behaviour.quit_rate_annual]'
    sim-calibrate install=true                      # also into configs/behaviour/

The settings are `calibrate.*` (configs/calibrate.yaml, typed by sim/config/calibrate.py). The
run directory is experiments/outputs/calibrate/<name>: it holds the Optuna study (study.db), so
rerunning the same command resumes it. Writes ensemble.parquet, calibrated.yaml, trials.csv and
fit.md with its figures (sim/calibration/report.py). The method: sim/calibration/fit.py and
docs/CALIBRATION.md. The protocol (command line, refusals, outputs written whole): sim/study.py.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra import compose
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim import study
from sim.cli import CONFIG_DIR, group_options
from sim.config import STUDIES, CalibrateSettings, SimConfig, to_dataclass

if TYPE_CHECKING:  # the plan's module imports nothing heavy, but keep start-up lean
    from sim.calibration.settings import Plan

# Keys a target's design sets: the user's overrides of these would clash with it.
DESIGN_OVERRIDES = ("org", "scenario", "org.employees", "org.customers", "days", "progress")


def check(settings: CalibrateSettings, base: SimConfig, cfg: DictConfig) -> Plan:
    """Check the targets, parameters and priors; compose every design's run config."""
    from sim.analysis.parallel import workers_setting
    from sim.calibration import fit, statistics
    from sim.calibration.settings import (
        Plan,
        check_name,
        check_presets,
        load_targets,
        priors_from,
    )

    name = check_name(settings.name)
    priors = priors_from(settings)
    found = load_targets(settings, CONFIG_DIR / "targets")
    check_presets(found, {g: group_options(g) for g in ("org", "scenario")})
    hc = HydraConfig.get()

    def key(o: str) -> str:
        return o.split("=", 1)[0].lstrip("+~")

    keep = [
        o
        for o in hc.overrides.task
        if not key(o).startswith(("hydra", "calibrate")) and key(o) not in DESIGN_OVERRIDES
    ]
    configs = {
        t.design: to_dataclass(
            compose(hc.job.config_name, overrides=[*keep, *t.design.overrides()])
        )
        for t in found
    }
    inline = [t for t in found if t.statistic not in statistics.NAMES]
    if inline:  # an aggregation spec: its columns must be in the daily table
        columns = statistics.daily_columns(configs[inline[0].design])
        for t in inline:
            statistics.check_columns(f"{t.id}.statistic", t.how, columns)
    workers = workers_setting(settings.workers, "calibrate.workers")
    plan = Plan(
        name=name,
        run_dir=Path(hc.runtime.output_dir),
        targets=found,
        priors=priors,
        configs=configs,
        base_behaviour=dataclasses.asdict(base.behaviour),
        trials=settings.trials,
        replications=settings.replications,
        startup_trials=settings.startup_trials,
        sampler_seed=settings.sampler_seed,
        batch=settings.batch if settings.batch else 2 * workers,
        workers=workers,
        ensemble_level=settings.ensemble_level,
        unidentified_ratio=settings.unidentified_ratio,
        install=settings.install,
    )
    if settings.batch is not None and settings.batch < 1:
        from sim.config import ConfigError

        raise ConfigError("calibrate.batch", settings.batch, "null (= workers) or an integer >= 1")
    fit.check_resumable(plan)
    return plan


def run(plan: Plan, _base: SimConfig, folder: Path) -> dict[str, Any]:
    """Run (or resume) the study, then write the outputs into `folder` (staging)."""
    from sim.calibration import fit, report

    optuna_study = fit.run_trials(plan)
    trials = fit.trials_table(optuna_study, plan)
    if trials.empty:
        raise RuntimeError("no trial completed: every parameter set failed")
    ens = fit.ensemble(trials, plan)
    best = fit.best_values(trials, plan)
    shown = report.write_outputs(folder, plan, trials, ens, best)
    shown["ensemble_size"] = len(ens)
    shown["trials"] = len(trials)
    if plan.install:
        target = CONFIG_DIR / "behaviour" / f"{plan.preset}.yaml"
        shutil.copyfile(folder / "calibrated.yaml", target)
        shown["installed"] = target
    return shown


def show(result: dict[str, Any], plan: Plan, outdir: Path) -> None:
    import pandas as pd

    with pd.option_context("display.width", 140, "display.float_format", "{:.4g}".format):
        print(result["targets"].to_string(index=False))
        print()
        print(result["parameters"].to_string(index=False))
    print(
        f"\n{result['trials']} trials; ensemble of {result['ensemble_size']} sets; "
        f"not identified: {', '.join(result['unidentified']) or 'none'}"
        + (" (not judged below 3 sets)" if result["ensemble_size"] < 3 else "")
    )
    if "installed" in result:
        print(f"installed: {result['installed']} (sim-run behaviour={plan.preset})")
    print(f"results in {outdir} (fit.md); rerun the same command to continue the study")


PROGRAM = study.StudyProgram(study=STUDIES["calibrate"], check=check, run=run, show=show)


def main() -> None:
    """`sim-calibrate` (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
