"""sim-discover: PRIM finds where a scenario pays; the command writes its outputs or refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_study

from sim.analysis.discover import differences, draw_points, find_box, sentence


def synthetic(n: int = 200, threshold: float = 400.0, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "org.revenue_per_customer_year": rng.uniform(250.0, 470.0, n),
            "org.wage_annual": rng.uniform(30_600.0, 41_400.0, n),
            "org.acquisition_rate": rng.uniform(0.07, 0.22, n),
        }
    )
    x["pays"] = x["org.revenue_per_customer_year"] > threshold
    return x


def test_prim_finds_the_revenue_threshold_where_a_scenario_pays():
    data = synthetic()
    box = find_box("s", data.drop(columns="pays"), data["pays"].to_numpy())
    assert box.status == "box"
    limits = box.limits.set_index("input")
    assert list(limits.index[limits["restricted"]]) == ["org.revenue_per_customer_year"]
    rev = limits.loc["org.revenue_per_customer_year"]
    # The box's lower edge sits just above the threshold: PRIM's last peel (5% of the box)
    # may trim a few paying points next to it to reach a box where every point pays.
    assert 400.0 < rev["min"] <= 405.0
    assert rev["max"] == pytest.approx(data["org.revenue_per_customer_year"].max())
    assert box.density == 1.0 and box.coverage >= 0.9
    assert box.share_pays == pytest.approx(data["pays"].mean())
    text = sentence(box)
    assert f"org.revenue_per_customer_year >= {rev['min']:,.0f} (" in text, text
    inside = int(data["pays"].sum() * box.coverage)
    assert f"(coverage {box.coverage:.0%}, density 100%: {inside} of the {inside} points" in text
    assert "wage" not in text and "hint" not in text  # a clear threshold is significant


def test_a_noisy_threshold_keeps_the_coverage_asked_for():
    data = synthetic(n=300, seed=5)
    flip = np.random.default_rng(9).random(len(data)) < 0.1  # 10% of the verdicts wrong
    pays = data["pays"].to_numpy() ^ flip
    box = find_box("s", data.drop(columns="pays"), pays, coverage_min=0.8)
    assert box.status == "box" and box.coverage >= 0.8
    assert box.density > pays.mean() + 0.3  # far denser than the share that pays overall
    rev = box.limits.set_index("input").loc["org.revenue_per_customer_year"]
    assert 360.0 <= rev["min"] <= 410.0


def test_a_box_fitted_to_noise_is_called_a_hint():
    x = synthetic(n=40, seed=11).drop(columns="pays")
    for seed in range(10):  # verdicts with no relation to the inputs, ~10% paying
        pays = np.random.default_rng(seed).random(40) < 0.1
        if pays.sum() < 2:
            continue
        box = find_box("s", x, pays)
        assert box.status == "box" and "read it as a hint" in sentence(box), (seed, sentence(box))


def test_pays_everywhere_or_nowhere_is_said_plainly_without_a_box():
    data = synthetic(n=40)
    x = data.drop(columns="pays")
    everywhere = find_box("a", x, np.ones(40, dtype=bool))
    nowhere = find_box("b", x, np.zeros(40, dtype=bool))
    assert everywhere.status == "everywhere" and everywhere.limits is None
    assert nowhere.status == "nowhere" and nowhere.share_pays == 0.0
    assert "pays everywhere" in sentence(everywhere) and "100%" in sentence(everywhere)
    assert "pays nowhere" in sentence(nowhere)


def test_points_are_a_seeded_latin_hypercube_inside_their_spans():
    spans = {"org.wage_annual": (30_000.0, 40_000.0), "org.acquisition_rate": (0.1, 0.2)}
    a = draw_points(spans, 20, seed=7)
    assert a.equals(draw_points(spans, 20, seed=7))
    assert not a.equals(draw_points(spans, 20, seed=8))
    # One point in each of the 20 equal strata of every input.
    for key, (lo, hi) in spans.items():
        strata = np.floor((a[key] - lo) / (hi - lo) * 20).astype(int)
        assert sorted(strata) == list(range(20)), key


def test_differences_are_paired_by_seed():
    runs = pd.DataFrame(
        {
            "arm": ["baseline", "x", "baseline", "x"],
            "seed": [0, 0, 1, 1],
            "profit_year": [10.0, 12.0, 20.0, 15.0],
            "profit_total": [100.0, 130.0, 200.0, 190.0],
        }
    )
    d = differences(runs, "baseline").set_index("seed")
    assert d.loc[0, "profit_diff_total"] == 30.0 and d.loc[1, "profit_diff_year"] == -5.0
    assert list(d["pays"]) == [True, False]


TINY = ["org.employees=4", "org.teams=2", "org.customers=3000", "days=28", "workers=2"]


@pytest.mark.slow
def test_sim_discover_writes_its_outputs_with_a_parameter_set_per_point(tmp_path):
    ensemble = tmp_path / "ensemble.parquet"
    sets = {"weight": [1.0, 1.0, 1.0], "behaviour.engagement_base": [3.0, 4.0, 5.0]}
    pd.DataFrame({**sets, "loss": [0.1, 0.2, 0.3]}).to_parquet(ensemble)
    out = tmp_path / "run"
    args = [*TINY, "points=10", "scenarios=[cost_cutting,loose_scripts]"]
    res = run_study("sim-discover", [*args, "uncertainty=parameters", f"ensemble={ensemble}"], out)
    assert res.returncode == 0, res.stderr[-2000:]
    assert {p.name for p in out.iterdir()} >= {"discover.md", "points.parquet", "boxes.csv"}
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 20 and set(points["scenario"]) == {"cost_cutting", "loose_scripts"}
    assert sorted(points["seed"].unique()) == list(range(10))
    rev = points["org.revenue_per_customer_year"]
    assert rev.min() >= 0.7 * 360 and rev.max() <= 1.3 * 360 and rev.nunique() == 10
    assert (points["pays"] == (points["profit_diff_total"] > 0)).all()
    # Each point ran the set its seed draws, in both scenarios (and the baseline).
    drawn = points.groupby("seed")["parameter_set"].nunique()
    assert (drawn == 1).all() and points["parameter_set"].nunique() > 1
    expected = points["parameter_set"].map(dict(enumerate(sets["behaviour.engagement_base"])))
    assert (points["behaviour.engagement_base"] == expected).all()
    boxes = pd.read_csv(out / "boxes.csv")
    assert set(boxes["scenario"]) == {"cost_cutting", "loose_scripts"}
    report = (out / "discover.md").read_text()
    assert "shorter than the measurement window" in report  # 28 days against 365
    for name in ("cost_cutting", "loose_scripts"):
        assert f"- {name} pays in " in report
        status = boxes.loc[boxes["scenario"] == name, "status"].iloc[0]
        figure = out / "figures" / f"tradeoff_{name}.png"
        assert figure.exists() == (status in ("box", "no_box")), status
    assert "pays in" in res.stdout


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        (["scenarios=[no_such_preset]"], ["discover.scenarios", "no_such_preset", "one of"]),
        (["points=5"], ["discover.points", "[10"]),
        (["inputs.acquisition_rate.max=100"], ["discover.inputs.acquisition_rate.max", "[0.0"]),
        (["inputs.wage_annual.min=-0.5"], ["discover.inputs.wage_annual.min", "schema"]),
        (["+inputs.name={min:0.9,max:1.1}"], ["discover.inputs.name", "a number of the org"]),
        (["inputs.wage_annual.min=1.2"], ["discover.inputs.wage_annual", "min <= max"]),
        (["org=hotel"], ["org", "hotel", "org.employees"]),
        (["uncertainty=parameters"], ["discover.uncertainty", "ensemble=PATH"]),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(tmp_path, args, must_say):
    out = tmp_path / "run"
    res = run_study("sim-discover", args, out)
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for word in must_say:
        assert word in lines[0], lines[0]
    assert not out.exists()
