"""The KPI registry (sim/kpis.py): it measures what summarise always measured, one definition
serves one window, a trailing window and groups of days, and bad names are refused by key."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import kpis
from sim.config import ConfigError
from sim.outputs import summarise
from tests.conftest import make_config


def summarise_before_the_registry(ts: pd.DataFrame, *, window: int = 365) -> dict[str, float]:
    """The oracle: sim.outputs.summarise as it was before the registry (commit e1dffd3)."""
    last = ts.tail(window)
    n = len(last)
    per_year = 365.0 / n
    contacts = last["contacts"].sum()
    first = last["first_contacts"].sum()
    incidents = last["complaints"].sum()
    out = {
        "enps": last["enps"].mean(),
        "nps": last["nps"].mean(),
        "work_happiness_mean": last["work_happiness_mean"].mean(),
        "employee_turnover_annual": last["quits"].sum() * per_year / last["headcount"].mean(),
        "expected_turnover_annual": last["quit_hazard_annual"].mean()
        if "quit_hazard_annual" in last
        else np.nan,
        "customer_churn_annual": last["churned"].sum() * per_year / last["customers"].mean(),
        "csat_mean": last["csat_mean"].mean(),
        "service_level": (last["service_level"] * last["contacts"]).sum() / contacts
        if contacts
        else 1.0,
        "abandon_rate": last["abandoned"].sum() / contacts if contacts else 0.0,
        "first_contact_resolution": last["resolved_first"].sum() / first if first else np.nan,
        "encounter_quality": last["encounter_quality"].mean(),
        "stress_mean": last["stress_mean"].mean(),
        "occupancy": last["occupancy"].mean(),
        "handle_seconds": last["handle_seconds"].mean(),
        "revenue": last["revenue"].sum() * per_year,
        "costs": last["costs"].sum() * per_year,
        "profit": last["profit"].sum() * per_year,
        "recovery_spend": last["recovery_spend"].sum() * per_year,
        "recovery_spend_per_incident": last["recovery_spend"].sum() / incidents
        if incidents
        else 0.0,
        "headcount": int(last["headcount"].iloc[-1]),
        "customers": int(last["customers"].iloc[-1]),
    }
    return {k: (float(v) if isinstance(v, float | np.floating) else v) for k, v in out.items()}


@pytest.fixture(scope="module")
def ts() -> pd.DataFrame:
    from sim.runner import run_model

    config = make_config("org.employees=8", "org.customers=2000", "days=120", "progress=false")
    return run_model(config, progress=False).timeseries()


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("window", [365, 91, 7])
def test_registry_summary_is_exactly_the_summary_before_it(ts, window):
    want = summarise_before_the_registry(ts, window=window)
    got = summarise(ts, window=window)
    assert list(got) == list(want)  # the keys, in order: a table of runs keeps its columns
    for key, value in want.items():
        assert type(got[key]) is type(value), key
        assert same(got[key], value), (key, got[key], value)


def test_registry_summary_holds_on_edge_windows():
    """No contacts, no first contacts, no incidents and no quit hazard column, as in a table
    from the benchmark's reference model on a quiet day."""
    quiet = pd.DataFrame(
        {
            "day": [1, 2],
            "contacts": [0, 0],
            "first_contacts": [0, 0],
            "resolved_first": [0, 0],
            "complaints": [0, 0],
            "abandoned": [0, 0],
            "service_level": [1.0, 1.0],
            **{c: [1.0, 3.0] for c in ("enps", "nps", "work_happiness_mean", "csat_mean")},
            **{c: [0.5, 0.7] for c in ("encounter_quality", "stress_mean", "occupancy")},
            "handle_seconds": [300.0, 310.0],
            **{c: [100.0, 50.0] for c in ("revenue", "costs", "profit", "recovery_spend")},
            "quits": [1, 0],
            "churned": [2, 2],
            "headcount": [10, 9],
            "customers": [100, 98],
        }
    )
    want = summarise_before_the_registry(quiet)
    got = summarise(quiet)
    assert all(same(got[k], v) for k, v in want.items()), (got, want)
    assert got["service_level"] == 1.0 and got["abandon_rate"] == 0.0
    assert math.isnan(got["first_contact_resolution"])
    assert math.isnan(got["expected_turnover_annual"])
    assert got["headcount"] == 9 and isinstance(got["headcount"], int)
    with pytest.raises(ValueError, match="no days"):
        summarise(quiet.head(0))


@pytest.mark.parametrize("name", kpis.NAMES)
def test_a_trailing_window_is_the_window_on_each_day(ts, name):
    rolled = kpis.rolling(name, ts, 30)
    for day in (1, 2, 29, 30, 31, 77, len(ts)):
        want = kpis.value(name, ts.head(day).tail(30))
        assert rolled.iloc[day - 1] == pytest.approx(want, rel=1e-9, nan_ok=True), day


@pytest.mark.parametrize("name", kpis.NAMES)
def test_a_group_of_days_is_the_window_of_those_days(ts, name):
    month = (ts["day"].to_numpy() - 1) // 30
    grouped = kpis.by_group(name, ts, month)
    assert list(grouped.index) == sorted(set(month))
    for m in grouped.index:
        want = kpis.value(name, ts[month == m])
        assert grouped.loc[m] == pytest.approx(want, rel=1e-12, nan_ok=True), m


def test_check_refuses_an_unknown_kpi_in_one_line_naming_key_value_and_allowed():
    assert kpis.check("experiment.rank_by", "nps").better == 1
    with pytest.raises(ConfigError) as err:
        kpis.check("experiment.kpis", "happiness")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("experiment.kpis='happiness' is not allowed: one of enps, nps,")
    assert all(name in text for name in kpis.NAMES)
    assert kpis.check_names("experiment.kpis", "profit") == ("profit",)
    assert kpis.check_names("experiment.kpis", ["nps", "profit", "nps"]) == ("nps", "profit")
    with pytest.raises(ConfigError, match=r"experiment.kpis=\[\] is not allowed: one or more"):
        kpis.check_names("experiment.kpis", [])
    with pytest.raises(ConfigError, match="experiment.kpis=3 is not allowed"):
        kpis.check_names("experiment.kpis", ["nps", 3])


def test_views_choose_their_kpis_from_the_registry():
    from sim.analysis import plan, report, sensitivity  # noqa: F401  (their subsets load)
    from sim.outputs import SUMMARY_KEYS
    from sim.viz import data

    for chosen in (SUMMARY_KEYS, report.HEADLINE, plan.PLAN_KPIS, plan.RANK_KPIS, data.KPI_KEYS):
        assert set(chosen) <= set(kpis.NAMES)
    assert set(plan.RANK_KPIS) <= set(plan.PLAN_KPIS)
    with pytest.raises(KeyError, match="not in the KPI registry"):
        kpis.subset("profit", "happiness")


def test_every_kpi_is_labelled_in_both_languages_with_a_unit():
    for k in kpis.REGISTRY.values():
        assert k.label_en and k.label_nl and k.unit, k.name
        assert k.better_if in ("higher", "lower", "either")
    assert kpis.get("nps").title("nl") == "NPS" and kpis.get("enps").title() == "eNPS"
    assert kpis.get("work_happiness_mean").title("nl") == "Werkgeluk"
    assert kpis.get("profit").short_unit("nl") == "per jaar"


def test_sensitivity_accepts_every_kpi_compare_accepts():
    """expected_turnover_annual was in sim-compare's list and refused by sim-sensitivity."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from experiments import sensitivity
    from sim.analysis.stats import DIRECTION
    from sim.cli import CONFIG_DIR
    from sim.study import checked_settings

    def settings(names: list[str]):
        GlobalHydra.instance().clear()
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("sensitivity", overrides=[f"sensitivity.kpis=[{','.join(names)}]"])
        return checked_settings(sensitivity.PROGRAM, cfg)[1]

    assert settings(list(DIRECTION)).kpis == tuple(DIRECTION)
    assert settings(list(kpis.NAMES)).kpis == kpis.NAMES
    with pytest.raises(ConfigError, match="sensitivity.kpis='happiness'"):
        settings(["expected_turnover_annual", "happiness"])


def test_report_says_what_pairing_bought_when_the_table_has_the_ratio():
    from sim.analysis.report import comparison_markdown, pairing_lines

    rows = [
        (scenario, kpi, ratio)
        for scenario, ratios in (("loose_scripts", (0.31, 0.9)), ("cost_cutting", (0.41, 1.2)))
        for kpi, ratio in zip(("profit", "nps"), ratios, strict=True)
    ]
    table = pd.DataFrame(
        {
            "scenario": [r[0] for r in rows],
            "kpi": [r[1] for r in rows],
            "better_if": "higher",
            **{c: 1.0 for c in ("mean", "ci_low", "ci_high", "diff", "diff_ci_low")},
            "diff_ci_high": 2.0,
            "beats_baseline_share": 0.5,
            "n_seeds": 4,
            "verdict": "better",
            "pairing_width_ratio": [r[2] for r in rows],
        }
    )
    lines = pairing_lines(table, ["profit", "nps", "csat_mean"])
    assert lines == [
        "- profit: pairing narrowed the interval to 0.36x (0.31x to 0.41x over scenarios)",
        "- NPS: pairing did not narrow the interval: 1.05x (0.90x to 1.20x over scenarios)",
    ]
    assert "| 0.31x | 2 of 4 |" in comparison_markdown(table, ["profit"])
    # A comparison table without the column (written before it existed) still reports.
    older = table.drop(columns="pairing_width_ratio")
    assert pairing_lines(older, ["profit"]) == []
    assert "paired / unpaired" not in comparison_markdown(older, ["profit"])
