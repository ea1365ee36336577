"""`sim-discover`: where does each scenario pay? Scenario discovery with PRIM (issue 13 item 9).

    sim-discover                                   # 48 points, 3 scenarios, a small call centre
    sim-discover points=200 workers=2 'scenarios=[people_driven]'
    sim-discover inputs.wage_annual.max=1.3 '+inputs.handle_minutes={min:0.8,max:1.2}'
    sim-discover uncertainty=parameters ensemble=PATH/ensemble.parquet

The settings are `discover.*` (configs/discover.yaml). Points are drawn by Latin hypercube over
the organisation's uncertain inputs (factors of its own `org.*` values; with
uncertainty=parameters each point also draws a parameter set of the calibrated ensemble); point
i runs seed `seed + i` in every arm, so each scenario's profit difference to the baseline is
paired. PRIM (sim/analysis/discover.py) finds the box of conditions where a scenario's
cumulative profit beats the baseline's. The protocol (reading the command line, refusing bad
input, writing the outputs whole) is sim/study.py's.

Writes discover.md, points.parquet, boxes.csv and figures/tradeoff_<scenario>.png into Hydra's
run directory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.compare import scenario_configs
from sim import study
from sim.cli import group_options
from sim.config import RANGES, STUDIES, ConfigError, DiscoverSettings, SimConfig

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    from sim.analysis.discover import PayBox
    from sim.ensemble import StudyDraws

SIZE_KEYS = ("org.employees", "org.customers")


@dataclass(frozen=True)
class Discovery:
    """A checked study: its settings, every arm's config and the inputs' absolute spans."""

    settings: DiscoverSettings
    configs: dict[str, SimConfig]  # baseline first
    spans: dict[str, tuple[float, float]]  # dotted org key -> [lo, hi] in the org's units
    workers: int
    draws: StudyDraws | None


def check_scenarios(exp: DiscoverSettings) -> list[str]:
    """The scenarios to run besides the baseline, checked against configs/scenario/.

    Raises:
        ConfigError: an unknown preset, or no scenario besides the baseline.
    """
    known = group_options("scenario")
    if exp.baseline not in known:
        raise ConfigError("discover.baseline", exp.baseline, f"one of {', '.join(known)}")
    for name in exp.scenarios:
        if name not in known:
            raise ConfigError("discover.scenarios", name, f"one of {', '.join(known)}")
    names = [n for n in dict.fromkeys(exp.scenarios) if n != exp.baseline]
    if not names:
        raise ConfigError(
            "discover.scenarios", exp.scenarios, f"at least one preset besides {exp.baseline}"
        )
    return names


def input_spans(
    inputs: dict[str, dict[str, float]], base: SimConfig
) -> dict[str, tuple[float, float]]:
    """The inputs' factors as absolute [lo, hi] of `org.<key>`, inside the schema's range.

    Raises:
        ConfigError: a key that is not a number of the org schema, a span without min and max
            or with min > max, or a drawn value the schema's range would refuse.
    """
    numeric = [k.removeprefix("org.") for k in RANGES if k.startswith("org.")]
    spans = {}
    for name, span in inputs.items():
        key = f"discover.inputs.{name}"
        if f"org.{name}" not in RANGES:
            raise ConfigError(key, span, f"a number of the organisation: {', '.join(numeric)}")
        if not isinstance(span, dict) or set(span) != {"min", "max"}:
            raise ConfigError(key, span, "{min: <factor>, max: <factor>}")
        lo, hi = float(span["min"]), float(span["max"])
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ConfigError(key, span, "finite factors with min <= max")
        value = float(getattr(base.org, name))
        low, high = RANGES[f"org.{name}"]
        span_abs = (lo * value, hi * value)
        for end, v in zip(("min", "max"), span_abs, strict=True):
            if (low is not None and v < low) or (high is not None and v > high):
                raise ConfigError(
                    f"{key}.{end}",
                    span[end],
                    f"a factor keeping org.{name} (here {value:g}) inside the schema's "
                    f"[{low}, {high}]",
                )
        spans[f"org.{name}"] = span_abs
    return spans


def check_org_size(overrides: list[str]) -> None:
    """configs/discover.yaml sizes the call centre: another organisation must be sized with it.

    Raises:
        ConfigError: `org=` without both org.employees and org.customers.
    """
    given = {o.split("=", 1)[0].lstrip("+~"): o.split("=", 1)[1] for o in overrides if "=" in o}
    if "org" in given and given["org"] != "call_centre" and not all(k in given for k in SIZE_KEYS):
        raise ConfigError(
            "org",
            given["org"],
            "with org.employees=<n> org.customers=<n> (configs/discover.yaml sizes a small "
            "call centre: 20 employees, 17,000 customers)",
        )


def check(exp: DiscoverSettings, base: SimConfig, cfg: DictConfig) -> Discovery:
    """Everything a type or range cannot refuse, and every arm composed as sim-run would."""
    from sim.analysis.parallel import workers_setting
    from sim.ensemble import check_arms, study_draws

    names = check_scenarios(exp)
    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    check_org_size(overrides)
    study.check_window("discover", exp.window_days, base.days)  # refuses a too-short run
    study.check_seeds("discover", base.seed, exp.points)
    spans = input_spans(exp.inputs, base)
    draws = study_draws("discover", exp.uncertainty, exp.ensemble, 1, exp.points)
    if not spans and draws is None:
        raise ConfigError("discover.inputs", {}, "at least one input, or uncertainty=parameters")
    configs = scenario_configs(hc.job.config_name, overrides, [exp.baseline, *names])
    for key in spans:  # the same absolute value must be what every arm runs
        name = key.removeprefix("org.")
        for arm, config in configs.items():
            if getattr(config.org, name) != getattr(base.org, name):
                raise ConfigError(f"discover.inputs.{name}", arm, "inputs no scenario changes")
    if draws is not None:
        check_arms(draws, configs, "discover")
        both = sorted(set(spans) & set(draws.ensemble.parameters.columns))
        if both:
            raise ConfigError(
                f"discover.inputs.{both[0].removeprefix('org.')}",
                draws.path,
                "inputs the ensemble does not set",
            )
    return Discovery(exp, configs, spans, workers_setting(exp.workers, "discover.workers"), draws)


def run(d: Discovery, base: SimConfig, outdir: Path) -> list[PayBox]:
    """Draw the points, run every arm on each, find each scenario's box; write the outputs."""
    import pandas as pd

    from sim.analysis.discover import (
        PointRunner,
        differences,
        draw_points,
        find_box,
        num,
        write_report,
    )

    s = d.settings
    points = draw_points(d.spans, s.points, base.seed)
    for key in d.spans:  # integer keys run rounded (with_values): record what ran
        if isinstance(getattr(base.org, key.removeprefix("org.")), int):
            points[key] = points[key].round()
    seeds = list(range(base.seed, base.seed + s.points))
    points.insert(0, "seed", seeds)
    points.insert(0, "point", range(s.points))
    runner = PointRunner({r["seed"]: {k: r[k] for k in d.spans} for r in points.to_dict("records")})
    results = study.paired_runs(
        runner,
        d.configs,
        seeds,
        window_days=s.window_days,
        workers=d.workers,
        desc=f"{len(d.configs)} arms x {s.points} points",
        draws=d.draws,
    )
    inputs = list(d.spans)
    if d.draws is not None:
        sets = d.draws.set_of(seeds)
        points["parameter_set"] = points["seed"].map(sets)
        params = d.draws.ensemble.parameters
        for col in params.columns:
            points[col] = [float(params.iloc[sets[seed]][col]) for seed in seeds]
            if points[col].nunique() > 1:  # a parameter the ensemble pins is no condition
                inputs.append(col)
    diffs = differences(pd.DataFrame(results), s.baseline)
    table = points.merge(diffs, on="seed")
    table = table[["scenario", *[c for c in table.columns if c != "scenario"]]]
    table.to_parquet(outdir / "points.parquet", index=False)
    boxes = [
        find_box(
            name,
            g[inputs],
            g["pays"].to_numpy(),
            peel_alpha=s.peel_alpha,
            mass_min=s.mass_min,
            coverage_min=s.coverage_min,
        )
        for name, g in table.groupby("scenario", sort=False)
    ]
    context = {
        "organisation": f"{base.org.name} ({base.org.employees} employees, "
        f"{base.org.customers:,} {base.org.customers_called})",
        "horizon": f"{base.days} days; last-year profit over the last "
        f"{min(s.window_days, base.days)} days",
        "baseline": s.baseline,
        "points": f"{s.points} (Latin hypercube, seeded by seed={base.seed}); point i runs seed "
        f"{base.seed}+i in every arm",
        "inputs": "; ".join(f"{k} {num(lo)} .. {num(hi)}" for k, (lo, hi) in d.spans.items())
        or "none (the ensemble only)",
        "PRIM": f"peel_alpha={s.peel_alpha}, mass_min={s.mass_min}, the densest box with "
        f"coverage >= {s.coverage_min:.0%}",
    }
    note = study.check_window("discover", s.window_days, base.days)
    if note:
        context["note"] = note
    if d.draws is not None:
        context["parameters"] = f"one set per point drawn from {Path(d.draws.path).name}"
    write_report(outdir, boxes, table, context)
    return boxes


def show(boxes: list[PayBox], _d: Discovery, outdir: Path) -> None:
    """The console: the sentence per scenario and where the report is."""
    from sim.analysis.discover import sentence

    for box in boxes:
        print(sentence(box))
    print(f"\nresults in {outdir} (discover.md)")


PROGRAM = study.StudyProgram(study=STUDIES["discover"], check=check, run=run, show=show)


def main() -> None:
    """`sim-discover`: where each scenario pays (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
