"""`sim-compare`: every scenario against the baseline, over common seeds, with the economics.

    sim-compare experiment=quick                 # the small study `make run` shows (~2-3 min)
    sim-compare                                  # every preset, 20 seeds, the full call centre
    sim-compare replications=10 workers=2 \\
        'scenarios=[people_driven,cost_cutting]' org.employees=20

The settings are `compare.*` (configs/compare.yaml); `replications=` is short for
`compare.replications=`, and so for every setting. Overrides of the organisation, `days` or
even `policy.*` apply to every scenario, the baseline included. Seeds are `seed`, `seed + 1`,
... (0..R-1 by default), the same for every scenario. The protocol (reading the command line,
refusing bad input, writing the outputs whole) is sim/study.py's.

Writes comparison.csv, economics.csv, report.md with trajectories.png, differences.png and
cumulative_profit.png, runs.parquet and monthly.parquet into Hydra's run directory; with
`attribution=true` (the default) also attribution.csv, attribution.png and
attribution_runs.parquet: each scenario's effect decomposed by the channel of the chain it goes
through (sim/analysis/attribution.py). The statistics, economics and report are in sim/analysis/
(stats.py, economics.py, report.py, attribution.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra import compose
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim import study
from sim.cli import group_options, quiet_libraries
from sim.config import STUDIES, CompareSettings, ConfigError, SimConfig, to_dataclass

if TYPE_CHECKING:
    import pandas as pd

    from sim.analysis.attribution import Report
    from sim.ensemble import StudyDraws


@dataclass(frozen=True)
class Settings:
    """The checked settings of one comparison (`compare:` in configs/compare.yaml)."""

    scenarios: tuple[str, ...]
    baseline: str
    replications: int
    workers: int
    conf_level: float
    window_days: int
    kpis: tuple[str, ...]
    draws: StudyDraws | None = None  # uncertainty=parameters: the set each seed runs
    attribution_seeds: int = 0  # seeds of the held runs (sim/analysis/attribution.py); 0 = none


@dataclass(frozen=True)
class Comparison:
    """A checked comparison: its settings and the composed config of every arm."""

    settings: Settings
    configs: dict[str, SimConfig]


def settings_from(exp: CompareSettings) -> Settings:
    """Check what the types and ranges of `CompareSettings` cannot: scenarios that exist and
    KPIs of the registry (sim/kpis.py); resolve the defaults (every preset, every core).

    Raises:
        ConfigError: an unknown scenario or KPI, or no scenario besides the baseline.
    """
    from sim.analysis.parallel import workers_setting
    from sim.ensemble import study_draws
    from sim.kpis import check_names

    known = group_options("scenario")
    baseline = exp.baseline
    if baseline not in known:
        raise ConfigError("compare.baseline", baseline, f"one of {', '.join(known)}")
    names = exp.scenarios
    if names is None:
        names = [s for s in known if s != baseline]
    for name in names:
        if name not in known:
            raise ConfigError("compare.scenarios", name, f"one of {', '.join(known)}")
    names = [n for n in dict.fromkeys(names) if n != baseline]
    if not names:
        raise ConfigError(
            "compare.scenarios", exp.scenarios, f"at least one preset besides {baseline}"
        )
    kpis = check_names("compare.kpis", exp.kpis)  # every KPI of the registry, as elsewhere
    draws = study_draws(
        "compare", exp.uncertainty, exp.ensemble, exp.seeds_per_set, exp.replications
    )
    attribution = attribution_seeds(exp) if exp.attribution else 0
    if attribution and draws is not None:  # whole parameter sets: the sets are the replications
        per = draws.seeds_per_set
        attribution = min(exp.replications, -(-attribution // per) * per)
    return Settings(
        scenarios=tuple(names),
        baseline=baseline,
        replications=exp.replications,
        workers=workers_setting(exp.workers, "compare.workers"),
        conf_level=float(exp.conf_level),
        window_days=exp.window_days,
        kpis=kpis,
        draws=draws,
        attribution_seeds=attribution,
    )


def attribution_seeds(exp: CompareSettings) -> int:
    """How many seeds run the attribution's held arms: the setting, or by default a quarter of
    the replications (at least 2, for an interval); never more than the replications.

    Raises:
        ConfigError: a setting that is not null or an integer >= 2.
    """
    n = exp.attribution_seeds
    if n is None:
        n = max(2, exp.replications // 4)
    elif isinstance(n, bool) or not isinstance(n, int) or n < 2:
        key = "compare.attribution_seeds"
        raise ConfigError(key, n, "null (a quarter of replications) or an integer >= 2")
    return min(n, exp.replications)


def check(exp: CompareSettings, base: SimConfig, cfg: DictConfig) -> Comparison:
    """The checked settings, and every arm composed as `sim-run scenario=<arm>` would."""
    from sim.ensemble import check_arms

    settings = settings_from(exp)
    study.check_window("compare", settings.window_days, base.days)  # refuses a too-short run
    study.check_seeds("compare", base.seed, settings.replications)
    hc = HydraConfig.get()
    names = [settings.baseline, *settings.scenarios]
    configs = scenario_configs(hc.job.config_name, list(hc.overrides.task), names)
    if settings.draws is not None:
        check_arms(settings.draws, configs, "compare")
    return Comparison(settings, configs)


def scenario_configs(
    config_name: str, overrides: list[str], names: list[str]
) -> dict[str, SimConfig]:
    """Compose the running app's config once per scenario, with the user's other overrides."""

    def key(o: str) -> str:
        return o.split("=", 1)[0].lstrip("+~")

    keep = [o for o in overrides if key(o) != "scenario" and not key(o).startswith("hydra")]
    return {
        name: to_dataclass(compose(config_name, overrides=[*keep, f"scenario={name}"]))
        for name in names
    }


def run_one(task: tuple[str, SimConfig, int]) -> tuple[dict[str, Any], pd.DataFrame]:
    """One run: its summary KPIs and spend totals, and its monthly table."""
    from sim.analysis.economics import customer_base, monthly, spend_totals
    from sim.outputs import summarise
    from sim.runner import run_model

    quiet_libraries()
    scenario, config, window = task
    ts = run_model(config, progress=False).timeseries()
    row = {
        "scenario": scenario,
        "seed": config.seed,
        **summarise(ts, window=window),
        **spend_totals(ts, window=window),
        **customer_base(ts, window=window),
    }
    months = monthly(ts)
    months.insert(0, "seed", config.seed)
    months.insert(0, "scenario", scenario)
    return row, months


def run_study(
    settings: Settings, configs: dict[str, SimConfig], outdir: Path, *, progress: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every scenario x seed in parallel; write and return the comparison and economics."""
    import pandas as pd

    from sim.analysis.economics import economics_table
    from sim.analysis.reading import scenario_changes
    from sim.analysis.report import write_report
    from sim.analysis.stats import by_replication, compare_table, variance_shares

    outdir.mkdir(parents=True, exist_ok=True)
    order = [settings.baseline, *settings.scenarios]
    draws = settings.draws
    first = configs[settings.baseline].seed
    seeds = list(range(first, first + settings.replications))
    results = study.paired_runs(
        run_one,
        {name: configs[name] for name in order},
        seeds,
        window_days=settings.window_days,
        workers=settings.workers,
        desc=f"{len(order)} scenarios x {len(seeds)} seeds",
        progress=progress,
        draws=draws,
    )
    runs = pd.DataFrame([r for r, _ in results])
    months = pd.concat([m for _, m in results], ignore_index=True)
    attr_seeds = seeds[: settings.attribution_seeds]
    held = held_runs(settings, configs, attr_seeds, progress=progress)
    if draws is not None:
        for frame in (runs, months, held):
            frame["parameter_set"] = frame["seed"].map(draws.set_of(seeds))
            frame["replication_group"] = frame["seed"].map(draws.group_of(seeds))
    runs.to_parquet(outdir / "runs.parquet", index=False)
    months.to_parquet(outdir / "monthly.parquet", index=False)
    conf = settings.conf_level
    shares = None
    attr_runs = pd.concat([runs[runs["seed"].isin(attr_seeds)], held], ignore_index=True)
    if settings.attribution_seeds:  # the runs the attribution rests on, seed by seed
        attr_runs.to_parquet(outdir / "attribution_runs.parquet", index=False)
    if draws is not None:
        shares = variance_shares(runs, settings.kpis, baseline=settings.baseline, order=order)
        runs = by_replication(runs, ["scenario"])
        months = by_replication(months, ["scenario", "month"])
        if settings.attribution_seeds:
            attr_runs = by_replication(attr_runs, ["scenario"])
    table = compare_table(runs, settings.kpis, baseline=settings.baseline, conf=conf, order=order)
    if shares is not None:
        table = table.merge(shares, on=["scenario", "kpi"], how="left")
    econ = economics_table(runs, months, baseline=settings.baseline, conf=conf, order=order)
    table.to_csv(outdir / "comparison.csv", index=False)
    econ.to_csv(outdir / "economics.csv", index=False)
    base = configs[settings.baseline]
    context = {
        "organisation": f"{base.org.name} ({base.org.employees} employees, "
        f"{base.org.customers:,} {base.org.customers_called})",
        "horizon": f"{base.days} days",
        "window": f"last {min(settings.window_days, base.days)} days of each run",
        "seeds": f"{seeds[0]}..{seeds[-1]}",
        "baseline": settings.baseline,
    }
    if draws is not None:
        context["parameters"] = (
            f"{len(seeds) // draws.seeds_per_set} sets drawn from {Path(draws.path).name}, "
            f"each on {draws.seeds_per_set} consecutive seeds (intervals over the sets)"
        )
    attribution = None
    if settings.attribution_seeds:
        attribution = write_attribution(attr_runs, settings, configs, outdir, attr_seeds, table)
    write_report(
        outdir,
        table=table,
        econ=econ,
        months=months,
        baseline=settings.baseline,
        order=order,
        conf=conf,
        context=context,
        changes={n: scenario_changes(base, configs[n]) for n in settings.scenarios},
        notes=[n for n in [study.check_window("compare", settings.window_days, base.days)] if n],
        currency=base.org.currency,
        customers=base.org.customers_called,
        attribution=attribution,
    )
    return table, econ


def held_runs(
    settings: Settings, configs: dict[str, SimConfig], seeds: list[int], *, progress: bool
) -> pd.DataFrame:
    """The attribution's held runs (sim/analysis/attribution.py) on `seeds`: every scenario
    once per channel it changes, that channel reading the baseline's levers. Empty without."""
    import pandas as pd

    from sim.analysis.attribution import held_arms

    arms = held_arms(configs, settings.scenarios, settings.baseline) if seeds else {}
    if not arms:
        return pd.DataFrame({"scenario": pd.Series(dtype=str), "seed": pd.Series(dtype=int)})
    results = study.paired_runs(
        run_one,
        arms,
        seeds,
        window_days=settings.window_days,
        workers=settings.workers,
        desc=f"attribution: {len(arms)} held arms x {len(seeds)} seeds",
        progress=progress,
        draws=settings.draws,
    )
    return pd.DataFrame([r for r, _ in results])


def write_attribution(
    runs: pd.DataFrame,
    settings: Settings,
    configs: dict[str, SimConfig],
    outdir: Path,
    ran: list[int],
    comparison: pd.DataFrame,
) -> Report:
    """attribution.csv and attribution.png from `runs` (one row per arm and replication: seeds,
    or parameter-set groups) of the seeds that `ran`; what the report shows of them (whether
    an effect is clear: the `comparison`'s verdict over every replication)."""
    from sim.analysis.attribution import (
        KPIS,
        Report,
        attribution_figure,
        attribution_table,
        with_verdicts,
    )

    seeds = sorted(set(runs["seed"]))
    table = attribution_table(
        runs,
        configs=configs,
        scenarios=settings.scenarios,
        baseline=settings.baseline,
        seeds=seeds,
        kpis=[k for k in KPIS if k in runs],
        conf=settings.conf_level,
    )
    table = with_verdicts(table, comparison)
    table.to_csv(outdir / "attribution.csv", index=False)
    attribution_figure(table, outdir / "attribution.png")
    what = f"seeds {ran[0]}..{ran[-1]}"
    if settings.draws is not None:  # `seeds` are the groups' first seeds: say what they are
        what += f" ({len(seeds)} parameter-set groups; intervals over the groups)"
    return Report(table, "attribution.png", what)


def console_table(table: pd.DataFrame, kpis: tuple[str, ...]) -> str:
    """The comparison as printed: headline KPIs, difference to baseline with its interval."""
    import pandas as pd

    from sim.analysis.report import HEADLINE, fmt

    show = [k for k in HEADLINE if k in kpis] or list(kpis)
    d = table[table["kpi"].isin(show)]
    out = pd.DataFrame(
        {
            "scenario": d["scenario"],
            "kpi": d["kpi"],
            "mean": [fmt(r.mean, r.kpi) for r in d.itertuples()],
            "diff": [fmt(r.diff, r.kpi, signed=True) for r in d.itertuples()],
            "95% CI of diff": [
                f"[{fmt(r.diff_ci_low, r.kpi, signed=True)}, "
                f"{fmt(r.diff_ci_high, r.kpi, signed=True)}]"
                for r in d.itertuples()
            ],
            "beats": [
                f"{round(v * n)}/{n}" if math.isfinite(v) else "n/a"
                for v, n in zip(d["beats_baseline_share"], d["n_seeds"], strict=True)
            ],
            "verdict": d["verdict"],
        }
    )
    return out.to_string(index=False)


def show(result: tuple[pd.DataFrame, pd.DataFrame], comparison: Comparison, outdir: Path) -> None:
    """The console: the headline differences, then the economics."""
    import pandas as pd

    table, econ = result
    print(console_table(table, comparison.settings.kpis))
    print()
    cols = ["scenario", "intervention_cost_year", "profit_change_year", "roi_year"]
    with pd.option_context("display.width", 140, "display.float_format", "{:,.2f}".format):
        print(econ[[*cols, "break_even_month", "break_even_month_95"]].to_string(index=False))
    print(f"\nresults in {outdir} (report.md)")


PROGRAM = study.StudyProgram(
    study=STUDIES["compare"],
    check=check,
    run=lambda c, _base, folder: run_study(c.settings, c.configs, folder),
    show=show,
)


def main() -> None:
    """`sim-compare`: scenarios against the baseline (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
