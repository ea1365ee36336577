"""Journeys and roles (issue 7): stages and roles from YAML, back-office roles that reach
customers only through their outputs, internal service between roles, the journey outputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.config import ConfigError, SimConfig, load_journey, single_stage, validate
from sim.journey import Journey, internal_service, roster_fit
from sim.model import ServiceModel
from tests.conftest import SMALL, make_config, run_cli


def test_call_centre_journey_loads_stages_and_roles():
    cfg = make_config(*SMALL)
    assert cfg.journey.name == "call_centre"
    assert list(cfg.journey.stages) == ["onboarding", "everyday", "billing", "complaint", "renewal"]
    assert cfg.journey.roles["billing_office"].office == "back"
    assert cfg.journey.roles["service_agents"].office == "front"
    assert sum(s.weight for s in cfg.journey.stages.values()) == pytest.approx(1.0)
    model = ServiceModel(cfg)
    j = model.journey
    # Every role has its seats, in proportion to its headcount share of org.employees.
    seats = np.bincount(model.staff.role[model.staff.active], minlength=j.n_roles)
    assert seats.tolist() == j.seat_budgets(10, 1.0, 1.0).tolist()
    assert seats[j.roles.index("service_agents")] == 10


def test_hotel_org_gets_the_hotel_journey():
    cfg = make_config(*SMALL, "org=hotel")
    assert cfg.journey.name == "hotel"
    assert {"front_desk", "housekeeping"} <= set(cfg.journey.roles)


def test_single_stage_yaml_equals_the_schema_default():
    """journey=single_stage and an empty journey are the same day, number for number."""
    a = make_config(*SMALL, "journey=single_stage", "days=60")
    b = dataclasses.replace(a, journey=SimConfig().journey)
    ts = []
    for cfg in (a, b):
        m = ServiceModel(cfg)
        for _ in range(cfg.days):
            m.step()
        ts.append(m.timeseries())
    pd.testing.assert_frame_equal(ts[0], ts[1])


def test_new_needs_arise_only_at_open_stages():
    j = Journey.from_config(load_journey("call_centre"))
    rng = np.random.default_rng(1)
    stage = np.array(j.stages)
    new = stage[j.draw_stages(rng.random(5000), np.full(5000, 10.0))]  # 10 days in
    mid = stage[j.draw_stages(rng.random(5000), np.full(5000, 200.0))]  # mid contract year
    late = stage[
        j.draw_stages(rng.random(5000), np.full(5000, 365.0 + 340.0))
    ]  # second renewal window
    assert "onboarding" in set(new) and "renewal" not in set(new)
    assert not {"onboarding", "renewal"} & set(mid)
    assert "renewal" in set(late) and "onboarding" not in set(late)
    # Within a window the draw follows the need shares.
    expected = j.need_share[[1, 2, 3]] / j.need_share[[1, 2, 3]].sum()
    observed = [np.mean(mid == s) for s in ("everyday", "billing", "complaint")]
    assert observed == pytest.approx(expected.tolist(), abs=0.02)


def test_stage_weights_set_each_stages_share_of_the_judgement():
    j = Journey.from_config(load_journey("call_centre"))
    counts = np.array([100.0, 6000.0, 2500.0, 900.0, 400.0])
    prior = j.need_mix(np.linspace(0, 3 * 365, 1000))  # customers of every tenure
    assert prior[0] < 0.1 and prior[1] > 0.5  # onboarding is open for few, everyday for all
    impact = j.impact(counts, prior)
    share = (counts + 1000 * prior) / (counts.sum() + 1000)
    assert impact * share == pytest.approx(j.weight)
    assert float(impact @ share) == pytest.approx(1.0)  # the average contact counts as before


def test_internal_service_follows_the_suppliers_quality():
    j = Journey.from_config(load_journey("call_centre"))
    policy = SimConfig().policy
    it, agents = j.roles.index("it_support"), j.roles.index("service_agents")
    planning = j.roles.index("workforce_planning")
    good = np.ones(j.n_roles)
    poor = good.copy()
    poor[it] = 0.5
    assert internal_service(j, poor, policy)[agents] < internal_service(j, good, policy)[agents]
    # IT serves no one's rosters; a poor roster from the planners leaves the agents short.
    assert roster_fit(j, poor)[agents] == 1.0
    poor[planning] = 0.5
    assert roster_fit(j, poor)[agents] < 1.0
    assert roster_fit(j, poor)[it] == 1.0  # IT does not depend on the planners


def _billing_run(seed: int, *, poor: bool) -> tuple[pd.DataFrame, ServiceModel]:
    people = (
        ["autonomy=0.0", "feedback_reach=0.0", "tools=0.2", "training=0.0"]
        if poor
        else ["autonomy=1.0", "feedback_reach=1.0", "tools=1.6", "training=2.0"]
    )
    cfg = make_config(
        "org.employees=12",
        "org.customers=5000",
        "progress=false",
        "days=300",
        f"seed={seed}",
        "journey.stages.billing.delivery_error=0.02",  # both arms: more bills to get wrong
        *[f"journey.roles.billing_office.{p}" for p in people],
    )
    model = ServiceModel(cfg)
    billing = model.journey.roles.index("billing_office")
    for _ in range(cfg.days):
        model.step()
        billing_seats = model.staff.role == billing
        assert model.staff.contacts_today[billing_seats].sum() == 0  # never on the phones
    from sim.outputs import journey_frame

    return journey_frame(model, window=240), model


def test_back_office_with_poor_ex_raises_failures_and_lowers_cx_at_its_stage():
    poor, good = [], []
    for seed in (0, 1):
        poor.append(_billing_run(seed, poor=True))
        good.append(_billing_run(seed, poor=False))

    def stage(frames, name, col):
        return np.mean([f[0].loc[f[0].stage == name, col].iloc[0] for f in frames])

    def role(frames, col):
        return np.mean([f[0].loc[f[0].role == "billing_office", col].iloc[0] for f in frames])

    # The billing office's EX is worse ...
    assert role(poor, "role_work_happiness") < role(good, "role_work_happiness") - 0.5
    assert role(poor, "role_output_quality") < role(good, "role_output_quality")
    # ... so more bills are wrong, and customers rate the billing stage lower,
    wrong_poor = stage(poor, "billing", "stage_delivery_errors")
    wrong_good = stage(good, "billing", "stage_delivery_errors")
    assert wrong_poor > 1.3 * wrong_good
    assert stage(poor, "billing", "stage_failure_rate") > stage(
        good, "billing", "stage_failure_rate"
    )
    assert stage(poor, "billing", "stage_cx") < stage(good, "billing", "stage_cx")
    # ... while a stage the billing office has no part in barely moves. (Everyday service: the
    # stage with most touchpoints, so that its mean is measured as finely as billing's;
    # onboarding sees only ~2,000 ratings in the window, too few to tell 0.03 from noise.)
    assert "everyday" not in model_stages_of(good[0][1], "billing_office")
    drop_billing = stage(good, "billing", "stage_cx") - stage(poor, "billing", "stage_cx")
    drop_everyday = abs(stage(good, "everyday", "stage_cx") - stage(poor, "everyday", "stage_cx"))
    assert drop_billing > drop_everyday


def model_stages_of(model: ServiceModel, role: str) -> list[str]:
    """The stages a role works at, in a model's journey."""
    jn = model.journey
    return [s for i, s in enumerate(jn.stages) if jn.covers[jn.roles.index(role), i]]


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("journey.stages.billing.weight=0.5", "journey.stages.*.weight"),
        ("journey.roles.billing_office.stages=[invoicing]", "journey.roles.billing_office.stages"),
        ("journey.roles.it_support.depends_on=[hr]", "journey.roles.it_support.depends_on"),
        ("journey.stages.renewal.until_day=100", "journey.stages.renewal.until_day"),
        ("journey.stages.billing.complex_share=1.5", "journey.stages.billing.complex_share"),
        ("journey=shop", "journey='shop' is not a known journey: allowed call_centre, hotel"),
        ("journey.roles.it_support.office=middle", "journey.roles.it_support.office"),
        ("+journey.stages.loyalty.weight=0.1", "journey stages and roles are added in a journey"),
    ],
)
def test_bad_journeys_are_refused_by_name(tmp_path, override, key):
    res = run_cli("sim-run", *SMALL, "days=5", override, f"hydra.run.dir={tmp_path}")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], res.stderr
    assert not (tmp_path / "summary.json").exists()


def test_a_journey_file_with_a_stage_no_role_serves_is_refused_by_name(tmp_path):
    (tmp_path / "conf" / "journey").mkdir(parents=True)
    orphan = SHOP.replace("    stages: [buying, returns]", "    stages: [buying]")
    orphan = orphan.replace("    stages: [returns]\n", "    stages: []\n")
    (tmp_path / "conf" / "journey" / "orphan.yaml").write_text(orphan)
    res = run_cli(
        "sim-run",
        *SMALL,
        "days=5",
        "journey=orphan",
        f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "error: journey.stages.returns='no role' is not allowed: "
        "a stage needs a role that works at it"
    ]


def test_a_stage_without_a_role_is_refused_in_code():
    j = load_journey("call_centre")
    j.roles["billing_office"].stages = ["renewal"]
    j.roles["service_agents"].stages.remove("billing")
    cfg = SimConfig(journey=j)
    with pytest.raises(ConfigError, match=r"journey\.stages\.billing"):
        validate(cfg)
    assert single_stage().stages["service"].weight == 1.0


SHOP = """
name: shop
stages:
  buying:
    touchpoints: [shop floor]
    contact_reasons: [advice]
    need_share: 1.0
    complex_share: 0.2
    weight: 0.7
  returns:
    touchpoints: [service desk]
    contact_reasons: [refund]
    need_share: 0.2
    complex_share: 0.5
    weight: 0.3
    deliveries_per_year: 2.0
    delivery_error: 0.05
roles:
  sales:
    office: front
    stages: [buying, returns]
    depends_on: [stockroom]
  stockroom:
    office: back
    stages: [returns]
    headcount: 0.2
"""


def test_a_users_own_journey_runs_and_writes_the_heatmap(tmp_path):
    (tmp_path / "conf" / "journey").mkdir(parents=True)
    (tmp_path / "conf" / "journey" / "shop.yaml").write_text(SHOP)
    out = tmp_path / "run"
    res = run_cli(
        "sim-run",
        *SMALL,
        "days=60",
        "journey=shop",
        f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
        f"hydra.run.dir={out}",
    )
    assert res.returncode == 0, res.stderr
    journey = pd.read_parquet(out / "journey.parquet")
    assert set(journey.stage) == {"buying", "returns"}
    assert set(journey.role) == {"sales", "stockroom"}
    cell = journey[(journey.stage == "buying") & (journey.role == "stockroom")].iloc[0]
    assert not cell.works_here and cell.serves_here  # through internal service to sales
    returns = journey[journey.stage == "returns"].iloc[0]
    assert returns.stage_deliveries > 0
    assert returns.touchpoints == "service desk" and returns.contact_reasons == "refund"
    assert journey[["want", "know", "can", "feel"]].notna().all(axis=None)
    assert (out / "journey.png").stat().st_size > 10_000
