"""`sim-twin`: a twin of a real service organisation from its own HR, survey and operations data.

    sim-twin data=experiments/example_twin/data name=example      # the synthetic example
    sim-twin data=/path/to/my_firm name=my_firm trials=40          # a larger calibration
    sim-twin data=... name=my_firm install=true                    # also into configs/
    sim-run --config-dir experiments/outputs/twin/my_firm/configs org=my_firm

Reads and validates the folder (sim/twin/data.py: pandera; personal data refused; ids
pseudonymised in memory), estimates what the data measure directly (sim/twin/estimate.py),
fits the operations and the quit hazard by tenure by running the model, calibrates the rest with
sim-calibrate's machinery (sim/twin/build.py), backtests (fit on the first two thirds, predict
the last third) and writes, in experiments/outputs/twin/<name>: configs/org/<name>.yaml,
configs/journey/<name>.yaml, ensemble.parquet, twin.md, observed.csv, backtest.csv,
calibration/ (fit.md and its figures) and backtest/. Method and format: docs/TWIN.md.
The protocol (command line, refusals with exit 2, outputs written whole): sim/study.py.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from sim import study
from sim.cli import CONFIG_DIR
from sim.config import STUDIES, ConfigError, JourneyConfig, SimConfig, TwinSettings, load_journey
from sim.config.journey import Office

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    import pandas as pd

MIN_DAYS = 90


@dataclass(frozen=True)
class Checked:
    """Everything the twin runs, checked before anything is written."""

    settings: TwinSettings
    name: str
    data: Any  # sim.twin.data.OrgData
    twin: Any  # sim.twin.build.Twin over the whole period
    backtest: Any | None  # the Twin over the first two thirds, and the last third's period
    last: Any | None
    notes: list[str]
    workers: int
    preset_slope: float  # the base's quit_engagement_slope, before the roster's Cox fit


def check(settings: TwinSettings, base: SimConfig, _cfg: DictConfig) -> Checked:
    """Read and check the data, estimate, compose the twin's first config; refuse bad input."""
    from sim.analysis.parallel import workers_setting
    from sim.twin import build, data, estimate
    from sim.twin.presets import written_by_twin

    name = settings.name
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError("twin.name", name, "a name of letters, digits, _ and -")
    if not settings.data:
        raise ConfigError("twin.data", settings.data, "a data folder: sim-twin data=DIR name=NAME")
    folder = Path(settings.data).expanduser()
    organisation = data.read_organisation(folder) if folder.is_dir() else {}
    journey_name = settings.base_journey or organisation.get("journey") or "call_centre"
    try:
        base_journey: JourneyConfig = load_journey(journey_name)
    except ConfigError as ex:
        raise ConfigError("twin.base_journey", journey_name, ex.allowed) from None
    found = data.read_folder(
        folder, list(base_journey.roles), list(base_journey.stages), organisation
    )
    period = estimate.period_of(found)
    if period.days < MIN_DAYS:
        raise data.DataError("the data's period", period.label(), f"at least {MIN_DAYS} days")
    front = [r for r, c in base_journey.roles.items() if c.office == Office.front]
    est = estimate.estimate(found, period, front, settings.warm_days)
    journey, notes = build.journey_from_roster(
        base_journey, name, est.headcount, int(est.org["employees"])
    )
    config = build.twin_config(base, name, est, journey, settings.warm_days, base.seed)
    twin = build.Twin(config, est, settings.warm_days)
    backtest = last = None
    if settings.backtest:
        first, last = period.split(2 / 3)
        if first.days < MIN_DAYS:
            raise data.DataError(
                "the data's period",
                period.label(),
                f"at least {int(1.5 * MIN_DAYS)} days for a backtest (or backtest=false)",
            )
        est_first = estimate.estimate(found, first, front, settings.warm_days)
        config_first = build.twin_config(
            base, name, est_first, journey, settings.warm_days, base.seed
        )
        backtest = build.Twin(config_first, est_first, settings.warm_days)
    # Hydra searches configs/ before a --config-dir, so a shipped preset of this name would
    # run instead of the twin (sim-run --config-dir RUN/configs org=NAME): refused, install or not.
    folders = [CONFIG_DIR]
    if settings.install:
        into = install_dir(settings)
        if not ((into / "org").is_dir() and (into / "journey").is_dir()):
            raise ConfigError(
                "twin.install_dir", str(into), "a config folder holding org/ and journey/"
            )
        folders.append(into)
    for into in folders:
        for group in ("org", "journey"):
            path = into / group / f"{name}.yaml"
            if path.is_file() and not written_by_twin(path):
                raise ConfigError(
                    "twin.name",
                    name,
                    f"a name that is not a shipped {group} preset ({path} is not a twin's)",
                )
    workers = workers_setting(settings.workers, "twin.workers")
    slope = base.behaviour.quit_engagement_slope
    return Checked(settings, name, found, twin, backtest, last, notes, workers, slope)


def install_dir(settings: TwinSettings) -> Path:
    """Where install=true copies the presets: the repository's configs/ unless told."""
    return Path(settings.install_dir).expanduser() if settings.install_dir else CONFIG_DIR


def run(checked: Checked, _base: SimConfig, folder: Path) -> dict[str, Any]:
    """Fit, calibrate, backtest; write every output into `folder` (staging)."""
    import pandas as pd

    from sim.twin import build, estimate, report

    s, name, t0 = checked.settings, checked.name, time.monotonic()
    twin, moments, centre, twin_mix = build.fit_moments(
        checked.twin, s.moment_rounds, s.replications, checked.workers, True
    )
    cal = build.calibrate(
        twin,
        name,
        folder / "calibration",
        trials=s.trials,
        replications=s.replications,
        workers=checked.workers,
        sampler_seed=s.sampler_seed,
        progress=True,
        centre=centre,
    )
    best = dataclasses.replace(
        twin.config,
        behaviour=dataclasses.replace(
            twin.config.behaviour,
            **{k.removeprefix("behaviour."): v for k, v in cal["best"].items()},
        ),
    )
    (folder / "configs" / "org").mkdir(parents=True)
    (folder / "configs" / "journey").mkdir(parents=True)
    est = twin.estimates
    (folder / "configs" / "org" / f"{name}.yaml").write_text(
        report.org_yaml(best, name, est.period.label())
    )
    (folder / "configs" / "journey" / f"{name}.yaml").write_text(
        report.journey_yaml(best.journey, name)
    )
    shutil.copyfile(folder / "calibration" / "ensemble.parquet", folder / "ensemble.parquet")
    observed = report.observed_vs_twin(est, cal)
    observed.to_csv(folder / "observed.csv", index=False)
    pd.DataFrame(moments).to_csv(folder / "moment_fit.csv", index=False)
    bt_table = None
    if checked.backtest is not None:
        bt, _, bt_centre, _ = build.fit_moments(
            checked.backtest, s.moment_rounds, s.replications, checked.workers, True
        )
        bt_cal = build.calibrate(
            bt,
            f"{name}_backtest",
            folder / "backtest",
            trials=s.backtest_trials,
            replications=s.replications,
            workers=checked.workers,
            sampler_seed=s.sampler_seed,
            progress=True,
            centre=bt_centre,
        )
        full = dataclasses.replace(bt.config, days=s.warm_days + est.period.days)
        runs = build.predict(
            full,
            bt_cal["ensemble"],
            s.backtest_runs,
            checked.last.days,
            twin.config.seed,
            checked.workers,
            True,
        )
        runs.to_csv(folder / "backtest" / "runs.csv", index=False)
        bt_table = report.backtest_table(estimate.figures(checked.data, checked.last), runs)
        bt_table.to_csv(folder / "backtest.csv", index=False)
        bt_cal["runs"] = runs
    seconds = time.monotonic() - t0
    write_md(
        folder / "twin.md",
        checked,
        twin,
        cal,
        observed,
        moments,
        (bt_table, bt_cal) if bt_table is not None else None,
        twin_mix,
        seconds,
    )
    shown: dict[str, Any] = {
        "observed": observed,
        "backtest": bt_table,
        "seconds": seconds,
        "cal": cal,
    }
    if s.install:
        for group in ("org", "journey"):
            target = install_dir(s) / group / f"{name}.yaml"
            shutil.copyfile(folder / "configs" / group / f"{name}.yaml", target)
        shown["installed"] = True
    return shown


def write_md(
    path: Path,
    c: Checked,
    twin: Any,
    cal: dict[str, Any],
    observed: pd.DataFrame,
    moments: list[dict[str, Any]],
    backtest: tuple[pd.DataFrame, dict[str, Any]] | None,
    twin_mix: dict[str, float],
    seconds: float,
) -> None:
    import pandas as pd

    from sim.twin import estimate, report

    est, s, name = twin.estimates, c.settings, c.name
    bt = backtest[0] if backtest is not None else None
    org = twin.config.org
    direct = pd.DataFrame(
        [
            {"org key": k, "direct estimate": v, "after the moment fit": getattr(org, k)}
            for k, v in est.org.items()
        ]
        + [
            {"org key": k, "direct estimate": "-", "after the moment fit": getattr(org, k)}
            for k in (
                "contacts_per_customer_year",
                "handle_minutes",
                "patience_seconds",
                "acquisition_rate",
            )
            if k not in est.org
        ]
    )
    lines = [
        f"# Twin: {name}",
        "",
        f"Data: {len(c.data.frames)} files, period {est.period.label()}; {s.warm_days} "
        "simulated days before it let the model's made-up start settle. Built in "
        f"{seconds:.0f} s ({s.trials} trials x {s.replications} seeds, backtest "
        f"{'on' if bt is not None else 'off'}, {c.workers} workers). Nothing below identifies "
        "a person: counts, rates and group means only.",
        "",
        f"Run it: `sim-run --config-dir <this folder>/configs org={name}`; with its parameter "
        f"uncertainty: `sim-compare --config-dir <this folder>/configs org={name} "
        "uncertainty=parameters ensemble=<this folder>/ensemble.parquet`.",
        "",
        "## Data quality",
        "",
        report.md(pd.DataFrame(estimate.quality(c.data, est.period))),
        "## Observed vs twin",
        "",
        "Fitted: the calibration's targets; check: figures the twin was not fitted to "
        "(service level follows from the fitted operations through the queue). Twin: the "
        "ensemble's weighted mean and 90% range over parameter sets (each set's value is its "
        "mean over seeds).",
        "",
        report.md(observed),
        "## Direct estimates",
        "",
        "Quit hazard by tenure (lifelines, piecewise exponential with left truncation; the model's "
        f"bands). Kaplan-Meier: {est.hazard.km_one_year:.0%} still employed a year after hire; "
        f"median tenure {est.hazard.km_median_years:.1f} years.",
        "",
        report.md(report.hazard_table(est)),
        "Organisation (first day's roster: "
        + ", ".join(f"{r} {n}" for r, n in est.headcount.items())
        + f"; teams: {len(est.teams)}):",
        "",
        report.md(direct),
        *report.mix_lines(est, twin_mix, s.warm_days),
        *report.cox_lines(est, c.preset_slope),
        "Moment fit, round by round (simulated figures, then the values set for the next round):",
        "",
        report.md(moment_table(moments)),
        "## Calibrated parameters",
        "",
        report.md(cal["parameters"]),
        report.ensemble_line(cal["ensemble"], s.trials),
        "",
        "Full fit report: [calibration/fit.md](calibration/fit.md).",
        "",
        *report.survey_tables(c.data, est),
        "",
    ]
    if backtest is not None:
        lines += backtest_lines(c, backtest[0], backtest[1])
    lines += ["## What the data could not identify", ""]
    lines += [f"- {x}" for x in report.unidentified(est, cal, twin.config, [*est.notes, *c.notes])]
    path.write_text("\n".join(lines) + "\n")


def backtest_lines(c: Checked, bt: pd.DataFrame, cal: dict[str, Any]) -> list[str]:
    """The backtest's table, its ensemble, what it missed and how much of the last third's
    leavers the first two thirds foretell (the roster's own hazards by tenure band)."""
    from sim.twin import estimate, report

    s, first, last = c.settings, c.backtest.estimates, c.last
    missed = bt[bt["inside"] != "yes"]
    ens, runs = cal["ensemble"], cal["runs"]
    emp = c.data["employees"]
    leavers = int(((emp["leave_date"] >= last.start) & (emp["leave_date"] <= last.end)).sum())
    after = estimate.hazard(emp, last)
    heads = estimate.mean_headcount(emp, last)
    b = report.burst(first.hazard, after, leavers, last.days / 365.0, heads)
    before = first.figures["turnover"].value
    return [
        "## Backtest",
        "",
        f"Fitted on {first.period.label()} only (moment fit and calibration, "
        f"{s.backtest_trials} trials), then run through the whole period and read over the "
        f"last third, {last.label()}: {s.backtest_runs} runs, each a parameter set drawn by "
        "weight from the backtest's ensemble with its own seed, so the 90% interval holds "
        "both the parameter uncertainty and the seed noise, at the organisation's own size. "
        + report.ensemble_line(ens, s.backtest_trials)
        + f" The runs drew {runs['parameter_set'].nunique()} distinct sets. The twin starts "
        "from the model's start, not from the state on the split day.",
        "",
        report.md(bt),
        "Missed: "
        + (
            "; ".join(
                f"{r['figure']} ({r['inside']} the interval, error {r['error']:+.3g})"
                for _, r in missed.iterrows()
            )
            or "nothing: every observed figure lies inside its interval"
        )
        + ".",
        "",
        "**What the first two thirds foretell of the last third's leavers.** Turnover was "
        f"{before:.2f} a year before the split and {leavers / heads / (last.days / 365.0):.2f} "
        f"after it ({leavers} leavers). The first two thirds' quit hazard by tenure band, "
        "applied to the last third's actual tenure mix (its exposure by band), expects "
        f"{b['expected_quits']:.1f} leavers (turnover {b['expected_turnover']:.2f}): that part "
        "is foreseeable from who is employed. The chance of at least "
        f"{leavers} leavers when {b['expected_quits']:.1f} are expected is "
        f"{b['p_at_least']:.2g} (Poisson): the rest is "
        + (
            "a burst no fit to the earlier data can foresee (chance, or a cause outside these "
            "files)."
            if b["p_at_least"] < 0.05
            else "within what chance alone gives an organisation of this size."
        )
        + " Newcomers (under 182 days) held "
        f"{share(first.hazard):.0%} of the person-years before the split and "
        f"{share(after):.0%} after it: the leavers' replacements are novices, who in the model "
        "(the learning curve) handle contacts more slowly, so handle time, abandonment and the "
        "service level follow turnover; a fit to the first two thirds cannot know the leavers "
        "come. Counting the replacements' exposure makes the expected leavers above an upper "
        "bound of what the split day's roster foretells.",
        "",
    ]


def share(h: Any) -> float:
    """The newcomers' share of the person-years of a Hazard."""
    total = sum(h.exposure_years.values())
    return h.exposure_years["newcomer"] / total if total else float("nan")


def moment_table(moments: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    table = pd.DataFrame(moments).set_index("round").T
    table.columns = [f"round {r}" for r in table.columns]
    return table.reset_index().rename(columns={"index": "key"})


def show(result: dict[str, Any], checked: Checked, outdir: Path) -> None:
    import pandas as pd

    with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
        print(result["observed"].to_string(index=False))
        if result["backtest"] is not None:
            print("\nbacktest (last third):")
            print(result["backtest"].to_string(index=False))
    name = checked.name
    print(f"\ntwin built in {result['seconds']:.0f} s; results in {outdir} (twin.md)")
    if result.get("installed"):
        print(
            f"installed: configs/org/{name}.yaml, configs/journey/{name}.yaml (sim-run org={name})"
        )
    print(f"run it: sim-run --config-dir {outdir / 'configs'} org={name}")


PROGRAM = study.StudyProgram(study=STUDIES["twin"], check=check, run=run, show=show)


def main() -> None:
    """`sim-twin` (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
