"""The example organisation: a SYNTHETIC data folder made by the model at a hidden parameter set.

    python -m sim.twin.example --out experiments/example_twin

The twin's own test of honesty (docs/TWIN.md): run the simulator at parameters sim-twin is not
told (HIDDEN below), export what a real firm would hold (a roster with hires and leavers,
quarterly engagement surveys, monthly customer surveys, daily contact-centre statistics and
monthly customer counts) for the last `--days` days of the run, and keep the hidden parameters
and the figures they produce in `hidden.yaml` beside the data. `sim-twin data=<out>/data` must
then recover those figures within stated tolerances (tests/test_twin.py).

Every file says it is synthetic: the people are invented (ids E0001...), nobody in it exists.
The hidden figures are the mean over `--truth-seeds` extra runs at the hidden parameters (the
expected value, not the one realised history the data show), so the recovery test compares the
twin with what the hidden organisation is, not with one seed's luck.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibration import statistics
from sim.calibration.settings import with_parameters

WARM_DAYS = 90  # the model's start is a made-up state: the data begin after it settles
END = dt.date(2026, 6, 30)  # last day of the example's data
# The hidden organisation: a small insurer's service desk. sim-twin never reads this.
HIDDEN_ORG: dict[str, Any] = {
    "employees": 20,
    "customers": 6000,
    "teams": 3,
    "contacts_per_customer_year": 26.0,
    "handle_minutes": 5.0,
    "patience_seconds": 150.0,
    "acquisition_rate": 0.16,
}
# engagement_base sits 0.45 above the model's default (1.1 since 726b79f's concave driver index;
# 3.95 + 0.45 = 4.4 before it), so the hidden organisation stays a somewhat happier one.
HIDDEN: dict[str, float] = {
    "behaviour.engagement_base": 1.55,
    "behaviour.quit_rate_annual": 0.55,
    "behaviour.churn_rate_annual": 0.13,
}
FIGURES = ("employee_turnover_annual", "work_happiness_mean", "service_level")
CUSTOMER_SURVEY_PER_MONTH = 60
# The share of staff who agreed to answer the pulse survey under their employee id (the rest
# answer anonymously): their answers let sim-twin fit how quitting depends on work happiness.
ID_SHARE = 0.7
TEAM_NAMES = ("Team North", "Team South", "Team East", "Team West", "Team Central")


def hidden_config(seed: int, days: int) -> Any:
    """The hidden organisation's run config (call-centre journey and baseline levers)."""
    from hydra import compose, initialize_config_dir

    from sim.cli import CONFIG_DIR
    from sim.config import to_dataclass

    overrides = [f"org.{k}={v}" for k, v in HIDDEN_ORG.items()]
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = to_dataclass(compose("config", [*overrides, f"days={days}", "progress=false"]))
    return with_parameters(dataclasses.replace(cfg, seed=seed), HIDDEN)


def stage_of(tenure_days: np.ndarray) -> np.ndarray:
    """The journey stage a surveyed customer is in, by tenure (the call-centre journey's open
    windows: onboarding the first 60 days, renewal the last five weeks of each year)."""
    in_year = tenure_days % 365
    return np.where(tenure_days < 60, "onboarding", np.where(in_year >= 330, "renewal", "everyday"))


def simulate(seed: int, days: int) -> dict[str, pd.DataFrame]:
    """One history of the hidden organisation, exported as the data files (last `days` days)."""
    from sim.model import ServiceModel
    from sim.survey import answers

    config = hidden_config(seed, WARM_DAYS + days)
    model = ServiceModel(config)
    start = END - dt.timedelta(days=days - 1)
    rng = np.random.default_rng([seed, 7])
    roles = model.journey.roles
    people: dict[tuple[int, int], dict[str, Any]] = {}  # (seat, occupant number) -> row

    def date_of(day: int) -> dt.date:  # model day d (1-based, after step d) -> calendar date
        return start + dt.timedelta(days=day - WARM_DAYS - 1)

    def seen(day: int) -> None:
        s = model.staff
        for seat in np.flatnonzero(s.active).tolist():
            key = (seat, int(s.occupants[seat]))
            if key not in people:
                hired = date_of(day) - dt.timedelta(days=int(s.tenure[seat]))
                people[key] = {
                    "key": key,
                    "team": TEAM_NAMES[int(s.team[seat]) % len(TEAM_NAMES)],
                    "role": roles[int(s.role[seat])],
                    "birth_year": int(date_of(day).year - s.age[seat]),
                    "hire_date": hired,
                    "leave_date": None,
                }
        for (seat, occ), row in people.items():
            gone = not s.active[seat] or int(s.occupants[seat]) != occ
            if gone and row["leave_date"] is None:
                row["leave_date"] = date_of(day)

    engagement, survey = [], []
    seen(0)
    for day in range(1, WARM_DAYS + days + 1):
        model.step()
        seen(day)
        if day <= WARM_DAYS:
            continue
        s, c = model.staff, model.customers
        if (day - WARM_DAYS) % 91 == 1:  # a quarterly pulse survey, anonymous
            emp = np.flatnonzero(s.active)
            happy = np.clip(np.rint(s.engagement[emp] + rng.normal(0, 0.5, emp.size)), 0, 10)
            enps = answers(s.engagement, s.recommend_bias)[emp]
            for i, seat in enumerate(emp.tolist()):
                engagement.append(
                    {
                        "person": (seat, int(s.occupants[seat])),
                        "date": date_of(day),
                        "team": TEAM_NAMES[int(s.team[seat]) % len(TEAM_NAMES)],
                        "role": roles[int(s.role[seat])],
                        "work_happiness": int(happy[i]),
                        "enps": int(enps[i]),
                    }
                )
        if date_of(day).day == 15:  # a monthly customer survey of a random sample
            active = np.flatnonzero(c.active)
            pick = rng.choice(
                active, size=min(CUSTOMER_SURVEY_PER_MONTH, active.size), replace=False
            )
            nps = answers(c.satisfaction, c.recommend_bias)[pick]
            for stage, score in zip(stage_of(c.tenure[pick]), nps, strict=True):
                survey.append({"date": date_of(day), "stage": str(stage), "nps": int(score)})
    ts = model.timeseries().tail(days).reset_index(drop=True)
    ts["date"] = [date_of(WARM_DAYS + 1 + i) for i in range(days)]
    staff, ids = roster(people, start)
    return {
        "employees": staff,
        "engagement": with_ids(pd.DataFrame(engagement), ids, seed),
        "customer_survey": pd.DataFrame(survey),
        "operations": operations(ts),
        "customers": customers(ts),
    }


def roster(
    people: dict[tuple[int, int], dict[str, Any]], start: dt.date
) -> tuple[pd.DataFrame, dict[tuple[int, int], str]]:
    """Everyone employed at some time in the data's period, with invented ids; and the id of
    each (seat, occupant)."""
    rows = [r for r in people.values() if r["leave_date"] is None or r["leave_date"] >= start]
    rows.sort(key=lambda r: (r["hire_date"], r["team"], r["birth_year"]))
    out = pd.DataFrame(rows)
    out.insert(0, "employee_id", [f"E{i + 1:04d}" for i in range(len(out))])
    ids = dict(zip(out["key"], out["employee_id"], strict=True))
    return out[["employee_id", "team", "role", "birth_year", "hire_date", "leave_date"]], ids


def with_ids(answers: pd.DataFrame, ids: dict[tuple[int, int], str], seed: int) -> pd.DataFrame:
    """The pulse survey with an employee_id column: filled for the ID_SHARE of people who agreed
    to it (drawn once per person, from a stream of its own so the other files do not change),
    empty for the anonymous rest."""
    people = sorted(ids)
    agreed = np.random.default_rng([seed, 11]).random(len(people)) < ID_SHARE
    named = {p: ids[p] for p, yes in zip(people, agreed, strict=True) if yes}
    answers.insert(1, "employee_id", [named.get(p, "") for p in answers["person"]])
    return answers.drop(columns="person")


def operations(ts: pd.DataFrame) -> pd.DataFrame:
    """Daily contact-centre statistics (service level over offered contacts, as the model's)."""
    return pd.DataFrame(
        {
            "date": ts["date"],
            "contacts": ts["contacts"].astype(int),
            "answered": ts["answered"].astype(int),
            "abandoned": ts["abandoned"].astype(int),
            "answered_within_target": np.rint(ts["service_level"] * ts["contacts"]).astype(int),
            "handle_seconds_mean": ts["handle_seconds"].round(1),
            "first_contact_resolution": ts["first_contact_resolution"].round(4),
        }
    )


def customers(ts: pd.DataFrame) -> pd.DataFrame:
    """Monthly customer counts: customers at the month's end, acquired, churned, revenue."""
    month = pd.to_datetime(ts["date"]).dt.strftime("%Y-%m")
    g = ts.groupby(month, sort=True)
    return pd.DataFrame(
        {
            "month": g.size().index,
            "customers": g["customers"].last().astype(int).to_numpy(),
            "acquired": g["acquired"].sum().astype(int).to_numpy(),
            "churned": g["churned"].sum().astype(int).to_numpy(),
            "revenue": g["revenue"].sum().round(0).to_numpy(),
        }
    )


def truth(seeds: list[int], days: int) -> dict[str, dict[str, float]]:
    """The hidden figures: each statistic over the data's period, mean and sd over `seeds`."""
    from sim.runner import run_model

    out: dict[str, list[float]] = {k: [] for k in (*FIGURES, "customer_churn_annual")}
    for seed in seeds:
        ts = run_model(hidden_config(seed, WARM_DAYS + days), progress=False).timeseries()
        for name in out:
            out[name].append(statistics.value(name, ts.tail(days)))
    return {k: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1))} for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("experiments/example_twin"))
    parser.add_argument("--days", type=int, default=730, help="days of data (default 2 years)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--truth-seeds", type=int, default=8)
    args = parser.parse_args(argv)
    from sim.cli import quiet_libraries

    quiet_libraries()
    data = args.out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, frame in simulate(args.seed, args.days).items():
        frame.to_csv(data / f"{name}.csv", index=False)
    (data / "organisation.yaml").write_text(
        "# SYNTHETIC example (sim/twin/example.py): a made-up service desk, no real people.\n"
        + yaml.safe_dump(
            {"name": "example", "currency": "EUR", "open_hours": 10.0, "target_wait_seconds": 20},
            sort_keys=False,
        )
    )
    seeds = list(range(args.seed + 1, args.seed + 1 + args.truth_seeds))
    hidden = {
        "synthetic": True,
        "made_by": "python -m sim.twin.example " + " ".join(argv or []),
        "data_seed": args.seed,
        "days": args.days,
        "warm_days": WARM_DAYS,
        "org": HIDDEN_ORG,
        "behaviour": HIDDEN,
        "figures": truth(seeds, args.days),
        "figures_seeds": seeds,
    }
    (args.out / "hidden.yaml").write_text(
        "# The hidden parameter set behind the SYNTHETIC example data; sim-twin never reads it.\n"
        + yaml.safe_dump(hidden, sort_keys=False)
    )
    print(yaml.safe_dump(hidden, sort_keys=False))


if __name__ == "__main__":
    main()
