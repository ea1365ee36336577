"""`sim-plan`: an improvement plan per role and stage of the customer journey.

    sim-plan                                    # the default call-centre journey (~5-10 min)
    sim-plan org=hotel                          # the hotel and its journey
    sim-plan replications=10 rank_by=nps top=5 'levers=[training,tools,feedback]'
    sim-plan 'roles=[billing_office,second_line]' workers=2

Every candidate intervention (sim/analysis/plan.py) runs on the same seeds as the baseline; the
plan ranks them by their paired effect on profit (or `rank_by`), runs the best `top` together on
fresh seeds, and writes plan.md, plan.csv, effects.csv, stage_cx.csv, runs.parquet,
journeys.parquet and the journey heatmaps before and after into Hydra's run directory.
The settings are `plan.*` (configs/plan.yaml), each also as `<setting>=`; the protocol
(command line, refusals, whole outputs) is sim/study.py's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from sim import study
from sim.cli import labels_from_hydra, quiet_libraries
from sim.config import STUDIES, ConfigError, PlanSettings, SimConfig

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    import pandas as pd

    from sim.ensemble import StudyDraws

BASELINE = "baseline"


@dataclass(frozen=True)
class Settings:
    """The checked settings of one plan (`plan:` in configs/plan.yaml)."""

    levers: tuple[str, ...]
    roles: tuple[str, ...] | None
    replications: int
    workers: int
    conf_level: float
    window_days: int
    rank_by: str
    top: int
    org: str = ""  # the organisation preset's name, for the plan's heading
    draws: StudyDraws | None = None  # uncertainty=parameters: the set each seed runs
    size: tuple[int, int] | None = None  # another preset's own (employees, customers)


def _names(
    key: str, value: list[str] | None, known: tuple[str, ...] | list[str]
) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not value:
        raise ConfigError(f"plan.{key}", value, f"one or more of {', '.join(known)}")
    for v in value:
        if v not in known:
            raise ConfigError(f"plan.{key}", v, f"one of {', '.join(known)}")
    return tuple(dict.fromkeys(value))


def settings_from(exp: PlanSettings, config: SimConfig) -> Settings:
    """Check what the types and ranges of `PlanSettings` cannot: levers, roles and the ranking
    KPI that exist; resolve the defaults (every role, every core).

    Raises:
        ConfigError: an unknown lever, role or KPI.
    """
    from sim.analysis.parallel import workers_setting
    from sim.analysis.plan import LEVERS, RANK_KPIS, _journey
    from sim.ensemble import study_draws

    levers = _names("levers", exp.levers, LEVERS) or LEVERS
    roles = _names("roles", exp.roles, list(_journey(config).roles))
    if exp.rank_by not in RANK_KPIS:
        raise ConfigError("plan.rank_by", exp.rank_by, f"one of {', '.join(RANK_KPIS)}")
    return Settings(
        levers=levers,
        roles=roles,
        replications=exp.replications,
        workers=workers_setting(exp.workers, "plan.workers"),
        conf_level=float(exp.conf_level),
        window_days=exp.window_days,
        rank_by=exp.rank_by,
        top=exp.top,
        draws=study_draws(
            "plan", exp.uncertainty, exp.ensemble, exp.seeds_per_set, exp.replications
        ),
    )


def own_size(config: SimConfig) -> tuple[int, int] | None:
    """The size another organisation preset runs at: its own.

    configs/plan.yaml sizes the default organisation (a small call centre: 20 staff, 17,000
    customers); that size put 20 staff before 17,000 hotel guests (org=hotel) or nearly three
    times a twin's customers (org=NAME of sim-twin). Another preset keeps its own employees and
    customers; `org.employees=` / `org.customers=` on the command line still win. None: the
    default organisation, whose plan size stands.
    """
    from hydra import compose
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    org = hc.runtime.choices.get("org")
    if org is None or org == study.default_org():
        return None
    given = {o.split("=", 1)[0].lstrip("+~") for o in hc.overrides.task if "=" in o}
    own = compose("config", overrides=[f"org={org}"]).org
    employees = config.org.employees if "org.employees" in given else int(own.employees)
    customers = config.org.customers if "org.customers" in given else int(own.customers)
    return employees, customers


def check(exp: PlanSettings, config: SimConfig, cfg: DictConfig) -> Settings:
    """The checked settings, labelled with the organisation preset chosen and sized by it."""
    checked = settings_from(exp, config)
    study.check_window("plan", checked.window_days, config.days)  # refuses a too-short run
    study.check_seeds("plan", config.seed, 2 * checked.replications)  # the top on fresh seeds
    return dataclasses.replace(checked, org=labels_from_hydra(cfg)["org"], size=own_size(config))


def sized(config: SimConfig, size: tuple[int, int] | None) -> SimConfig:
    """`config` at `size` (employees, customers); as it is for None."""
    if size is None:
        return config
    org = dataclasses.replace(config.org, employees=size[0], customers=size[1])
    return dataclasses.replace(config, org=org)


def run_one(task: tuple[str, SimConfig, int]) -> tuple[dict[str, Any], pd.DataFrame]:
    """One run: its summary KPIs and its journey table."""
    from sim.outputs import journey_frame, summarise
    from sim.runner import run_model

    quiet_libraries()
    name, config, window = task
    model = run_model(config, progress=False)
    row = {
        "intervention": name,
        "seed": config.seed,
        **summarise(model.timeseries(), window=window),
    }
    journey = journey_frame(model, window=window)
    journey.insert(0, "seed", config.seed)
    journey.insert(0, "intervention", name)
    return row, journey


def _run_all(
    named: dict[str, SimConfig], settings: Settings, desc: str, progress: bool, first: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    seeds = [first + k for k in range(settings.replications)]
    draws = settings.draws
    results = study.paired_runs(
        run_one,
        named,
        seeds,
        window_days=settings.window_days,
        workers=settings.workers,
        desc=desc,
        progress=progress,
        draws=draws,
    )
    runs = pd.DataFrame([r for r, _ in results])
    journeys = pd.concat([j for _, j in results], ignore_index=True)
    if draws is not None:
        for frame in (runs, journeys):
            frame["parameter_set"] = frame["seed"].map(draws.set_of(seeds))
            frame["replication_group"] = frame["seed"].map(draws.group_of(seeds))
    return runs, journeys


def _effects(
    runs: pd.DataFrame, journeys: pd.DataFrame, options: list, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effects of every intervention and on every stage's CX; with a parameter ensemble, over
    the replication groups (seeds that shared a set are not independent), and with the split of
    each effect's spread into seed noise and parameter uncertainty."""
    from sim.analysis import plan
    from sim.analysis.stats import by_replication, variance_shares

    conf = settings.conf_level
    stage = journeys.drop_duplicates(["intervention", "seed", "stage"])
    if settings.draws is None:
        return (
            plan.effects_table(runs, options, BASELINE, conf=conf),
            plan.stage_cx_effects(stage, BASELINE, conf),
        )
    names = [i.name for i in options]
    shares = variance_shares(
        runs, plan.PLAN_KPIS, baseline=BASELINE, order=names, label="intervention"
    )
    stage = stage[["intervention", "seed", "stage", "stage_cx", "replication_group"]]
    effects = plan.effects_table(
        by_replication(runs, ["intervention"]), options, BASELINE, conf=conf
    )
    return (
        effects.merge(shares, on=["intervention", "kpi"], how="left"),
        plan.stage_cx_effects(by_replication(stage, ["intervention", "stage"]), BASELINE, conf),
    )


def run_plan(
    settings: Settings, config: SimConfig, outdir: Path, *, org: str = "", progress: bool = True
) -> pd.DataFrame:
    """Run the baseline and every candidate, rank them, run the top together; write the plan."""
    import pandas as pd

    from sim.analysis import plan
    from sim.ensemble import check_arms

    outdir.mkdir(parents=True, exist_ok=True)
    options = plan.candidates(config, settings.levers)
    if settings.roles is not None:
        keep = {*settings.roles, "front office", "everyone"}
        options = [i for i in options if i.role in keep]
    if not options:
        raise ConfigError("experiment.levers", list(settings.levers), "levers that apply to a role")
    named = {BASELINE: plan.apply(config, {})}
    named.update({i.name: plan.apply(config, i.changes) for i in options})
    if settings.draws is not None:
        check_arms(settings.draws, named, "plan")
    desc = f"{len(options)} interventions + baseline x {settings.replications} seeds"
    runs, journeys = _run_all(named, settings, desc, progress, config.seed)
    # Which seeds a run belongs to, whether or not any intervention gains enough to be re-run.
    runs, journeys = runs.assign(seed_set="ranking"), journeys.assign(seed_set="ranking")
    before_journey = plan.mean_journey(journeys, BASELINE)
    effects, stage_cx = _effects(runs, journeys, options, settings)
    ranked = plan.ranking(effects, settings.rank_by)
    direction = plan.DIRECTION[settings.rank_by]
    good = ranked[direction * ranked[f"{settings.rank_by}_diff"] > 0]
    top = list(good["intervention"].head(settings.top))
    after = after_journey = None
    if top:
        chosen = [i for i in options if i.name in top]
        together = {
            "top together": plan.apply(config, plan.combined(chosen)),
            BASELINE: named[BASELINE],
        }
        # Fresh seeds: the top were chosen on the first ones, whose luck would flatter them.
        fresh = config.seed + settings.replications
        more_runs, more_journeys = _run_all(
            together, settings, f"top {len(top)} together", progress, fresh
        )
        top_effect, _ = _effects(
            more_runs,
            more_journeys,
            [plan.Intervention("top together", "combined", "-", ())],
            settings,
        )
        after = plan.ranking(top_effect, settings.rank_by)
        after_journey = plan.mean_journey(more_journeys, "top together")
        runs = pd.concat(
            [runs, more_runs.assign(seed_set="top together")],
            ignore_index=True,
        )
        journeys = pd.concat(
            [journeys, more_journeys.assign(seed_set="top together")],
            ignore_index=True,
        )
    runs.to_parquet(outdir / "runs.parquet", index=False)
    journeys.to_parquet(outdir / "journeys.parquet", index=False)
    effects.to_csv(outdir / "effects.csv", index=False)
    ranked.to_csv(outdir / "plan.csv", index=False)
    stage_cx.to_csv(outdir / "stage_cx.csv", index=False)
    seeds = [config.seed, config.seed + settings.replications - 1]
    context = {
        "organisation": f"{org or config.org.name} ({config.org.employees} front-office "
        f"employees, {config.org.customers:,} customers), journey {config.journey.name}",
        "horizon": f"{config.days} days; effects over the last "
        f"{min(settings.window_days, config.days)}",
        "seeds": f"{seeds[0]}..{seeds[-1]} (paired: every intervention ran on each); the top "
        f"together on fresh seeds {seeds[-1] + 1}..{seeds[-1] + settings.replications}",
        "candidates": f"{len(options)} ({', '.join(settings.levers)})",
    }
    if settings.draws is not None:
        context["parameters"] = _parameter_note(effects, settings)
    short = study.check_window("plan", settings.window_days, config.days)
    if short:
        context["short run"] = short
    odd = _implausible_baseline(runs)
    if odd:
        context["warning"] = (
            f"the baseline itself runs outside plausible operation ({'; '.join(odd)}): the "
            "effects are measured against a failing operation; check org.employees and "
            "org.customers before reading them"
        )
    plan.write_plan(
        outdir,
        ranked=ranked,
        interventions=options,
        stage_cx=stage_cx,
        after=after,
        before_journey=before_journey,
        after_journey=after_journey,
        top=top,
        rank_by=settings.rank_by,
        context=context,
        conf=settings.conf_level,
    )
    return ranked


def _implausible_baseline(runs: pd.DataFrame) -> list[str]:
    """The baseline's KPIs (mean over its ranking runs) outside plausible operation."""
    import pandas as pd

    from sim.analysis.reading import PLAUSIBLE, implausible_baseline

    base = runs[runs["intervention"] == BASELINE]
    kpis = [k for k in PLAUSIBLE if k in base]
    table = pd.DataFrame(
        {"scenario": BASELINE, "kpi": kpis, "mean": [float(base[k].mean()) for k in kpis]}
    )
    return implausible_baseline(table, BASELINE)


def _parameter_note(effects: pd.DataFrame, settings: Settings) -> str:
    """The plan's line on parameter uncertainty: what was drawn, and how much of the spread of
    the ranking KPI's effects it makes (the median over interventions)."""
    draws = settings.draws
    assert draws is not None
    share = effects.loc[effects["kpi"] == settings.rank_by, "var_parameter_share"].dropna()
    sets = settings.replications // draws.seeds_per_set
    note = (
        f"{sets} sets drawn from {Path(draws.path).name}, each on {draws.seeds_per_set} "
        "consecutive seeds, the same in every intervention (intervals over the sets)"
    )
    if share.empty:
        return note
    return (
        f"{note}; of the spread of the {settings.rank_by} effects between replications, "
        f"{share.median():.0%} is parameter uncertainty and the rest seed noise (median over "
        f"interventions, {share.min():.0%} to {share.max():.0%}; every KPI in effects.csv)"
    )


def show(ranked: pd.DataFrame, settings: Settings, outdir: Path) -> None:
    """The ten best interventions with their intervals."""
    import pandas as pd

    from sim.analysis.plan import cell

    best = ranked.head(10)
    table = pd.DataFrame(
        {
            "rank": best["rank"],
            "intervention": best["intervention"],
            "profit / year": [cell(r, "profit") for _, r in best.iterrows()],
            "NPS": [cell(r, "nps") for _, r in best.iterrows()],
            "CSAT": [cell(r, "csat_mean") for _, r in best.iterrows()],
        }
    )
    print(table.to_string(index=False))
    print(f"\nresults in {outdir} (plan.md)")


PROGRAM = study.StudyProgram(
    study=STUDIES["plan"],
    check=check,
    run=lambda settings, config, folder: run_plan(
        settings, sized(config, settings.size), folder, org=settings.org
    ),
    show=show,
)


def main() -> None:
    """`sim-plan`: rank interventions per role and stage (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
