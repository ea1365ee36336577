"""`sim-compare`: every scenario against the baseline, over common seeds, with the economics.

    sim-compare experiment=quick                 # the small study `make run` shows (~2-3 min)
    sim-compare                                  # every preset, 20 seeds, the full call centre
    sim-compare replications=10 workers=2 \\
        'experiment.scenarios=[people_driven,cost_cutting]' org.employees=20

`replications=`, `workers=` and `scenarios=` are short for `experiment.<name>=`. Overrides of the
organisation, `days` or even `policy.*` apply to every scenario, the baseline included. Seeds
are `seed`, `seed + 1`, ... (0..R-1 by default), the same for every scenario.

Writes comparison.csv, economics.csv, report.md with trajectories.png, differences.png and
cumulative_profit.png, runs.parquet and monthly.parquet into Hydra's run directory. The
statistics, economics and report are in sim/analysis/ (stats.py, economics.py, report.py).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from hydra import compose
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.cli import CONFIG_DIR, expand_shortcuts, group_options, guarded, quiet_libraries, refuse
from sim.config import ConfigError, SimConfig, to_dataclass

SHORTCUTS = ("replications", "workers", "scenarios")


@dataclass(frozen=True)
class Settings:
    """The checked settings of one comparison (configs/experiment/compare.yaml)."""

    scenarios: tuple[str, ...]
    baseline: str
    replications: int
    workers: int
    conf_level: float
    window_days: int
    kpis: tuple[str, ...]


def settings_from(cfg: DictConfig) -> Settings:
    """Read and check `cfg.experiment`.

    Raises:
        ConfigError: an unknown scenario or KPI, or a count or level out of range.
    """
    from sim.analysis.parallel import workers_setting
    from sim.analysis.stats import DIRECTION

    exp = OmegaConf.to_container(cfg.experiment, resolve=True) if cfg.experiment else None
    if not isinstance(exp, dict):
        raise ConfigError("experiment", exp, "the compare settings (experiment: compare)")
    known = group_options("scenario")
    baseline = exp.get("baseline", "baseline")
    if baseline not in known:
        raise ConfigError("experiment.baseline", baseline, f"one of {', '.join(known)}")
    names = exp.get("scenarios")
    if names is None:
        names = [s for s in known if s != baseline]
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in known:
            raise ConfigError("experiment.scenarios", name, f"one of {', '.join(known)}")
    names = [n for n in dict.fromkeys(names) if n != baseline]
    if not names:
        raise ConfigError(
            "experiment.scenarios", exp.get("scenarios"), f"at least one preset besides {baseline}"
        )
    reps = exp.get("replications")
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        raise ConfigError("experiment.replications", reps, "an integer >= 1")
    conf = exp.get("conf_level", 0.95)
    if not (isinstance(conf, float) and 0.5 <= conf < 1.0):
        raise ConfigError("experiment.conf_level", conf, "a probability in [0.5, 1)")
    window = exp.get("window_days", 365)
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ConfigError("experiment.window_days", window, "an integer >= 1")
    kpis = exp.get("kpis") or []
    kpis = [kpis] if isinstance(kpis, str) else list(kpis)
    if not kpis:
        raise ConfigError("experiment.kpis", kpis, f"one or more of {', '.join(DIRECTION)}")
    for k in kpis:
        if k not in DIRECTION:
            raise ConfigError("experiment.kpis", k, f"one of {', '.join(DIRECTION)}")
    return Settings(
        scenarios=tuple(names),
        baseline=baseline,
        replications=reps,
        workers=workers_setting(exp.get("workers")),
        conf_level=float(conf),
        window_days=window,
        kpis=tuple(dict.fromkeys(kpis)),
    )


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
    from sim.analysis.economics import monthly, spend_totals
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
    }
    months = monthly(ts)
    months.insert(0, "seed", config.seed)
    months.insert(0, "scenario", scenario)
    return row, months


def run_study(
    settings: Settings, configs: dict[str, SimConfig], outdir: Path, *, progress: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every scenario x seed in parallel; write and return the comparison and economics."""
    from sim.analysis.economics import economics_table
    from sim.analysis.parallel import parallel_map
    from sim.analysis.report import write_report
    from sim.analysis.stats import compare_table

    outdir.mkdir(parents=True, exist_ok=True)
    order = [settings.baseline, *settings.scenarios]
    first = configs[settings.baseline].seed
    seeds = list(range(first, first + settings.replications))
    tasks = [
        (name, dataclasses.replace(configs[name], seed=s), settings.window_days)
        for s in seeds
        for name in order
    ]
    results = parallel_map(
        run_one,
        tasks,
        workers=settings.workers,
        desc=f"{len(order)} scenarios x {len(seeds)} seeds",
        progress=progress,
    )
    runs = pd.DataFrame([r for r, _ in results])
    months = pd.concat([m for _, m in results], ignore_index=True)
    runs.to_parquet(outdir / "runs.parquet", index=False)
    months.to_parquet(outdir / "monthly.parquet", index=False)
    conf = settings.conf_level
    table = compare_table(runs, settings.kpis, baseline=settings.baseline, conf=conf, order=order)
    econ = economics_table(runs, months, baseline=settings.baseline, conf=conf, order=order)
    table.to_csv(outdir / "comparison.csv", index=False)
    econ.to_csv(outdir / "economics.csv", index=False)
    base = configs[settings.baseline]
    context = {
        "organisation": f"{base.org.name} ({base.org.employees} employees, "
        f"{base.org.customers:,} customers)",
        "horizon": f"{base.days} days",
        "window": f"last {min(settings.window_days, base.days)} days of each run",
        "seeds": f"{seeds[0]}..{seeds[-1]}",
        "baseline": settings.baseline,
    }
    write_report(
        outdir,
        table=table,
        econ=econ,
        months=months,
        baseline=settings.baseline,
        order=order,
        conf=conf,
        context=context,
    )
    return table, econ


def console_table(table: pd.DataFrame, kpis: tuple[str, ...]) -> str:
    """The comparison as printed: headline KPIs, difference to baseline with its interval."""
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
            "beats": [f"{v:.0%}" if math.isfinite(v) else "n/a" for v in d["beats_baseline_share"]],
            "verdict": d["verdict"],
        }
    )
    return out.to_string(index=False)


@hydra.main(config_path=str(CONFIG_DIR), config_name="compare", version_base="1.3")
def _main(cfg: DictConfig) -> None:
    quiet_libraries()
    hc = HydraConfig.get()
    outdir = Path(hc.runtime.output_dir)
    try:  # bad input: one line and exit 2, before any run starts
        to_dataclass(cfg)
        settings = settings_from(cfg)
        names = [settings.baseline, *settings.scenarios]
        configs = scenario_configs(hc.job.config_name, list(hc.overrides.task), names)
    except ConfigError as ex:
        refuse(ex)
    table, econ = run_study(settings, configs, outdir, progress=True)
    print(console_table(table, settings.kpis))
    print()
    cols = ["scenario", "intervention_cost_year", "profit_change_year", "roi_year"]
    with pd.option_context("display.width", 140, "display.float_format", "{:,.2f}".format):
        print(econ[[*cols, "break_even_month", "break_even_month_95"]].to_string(index=False))
    print(f"\nresults in {outdir} (report.md)")


def main() -> None:
    """`sim-compare`: scenarios against the baseline (see the module docstring)."""
    sys.argv[1:] = expand_shortcuts(sys.argv[1:], SHORTCUTS)
    guarded(_main)


if __name__ == "__main__":
    main()
