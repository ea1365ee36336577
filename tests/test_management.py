"""Management as an agent: each rule acts on what it reads, with its lag, inside its budget."""

from __future__ import annotations

import pytest
from conftest import make_config, run_cli

from sim.config import ManagementConfig, OrgConfig, PolicyConfig, SimConfig
from sim.management import Reading, decide
from sim.model import ServiceModel

DRIVERS = {"want": 0.5, "know": 0.6, "can": 0.4, "feel": 0.2}


def reading(**kw) -> Reading:
    base = dict(
        day=182,
        profit=100.0,
        profit_before=100.0,
        enps=-20.0,
        enps_before=-20.0,
        nps=0.0,
        nps_before=0.0,
        drivers=DRIVERS,
    )
    return Reading(**{**base, **kw})


def rule(name: str, **kw) -> ManagementConfig:
    return ManagementConfig(rule=name, **kw)


def test_cost_focused_cuts_only_when_profit_dips():
    policy, org = PolicyConfig(), OrgConfig()
    reason, changes = decide(reading(profit=90.0), policy, org, rule("cost_focused"))
    assert changes["staffing_level"] < policy.staffing_level
    assert changes["training"] < policy.training
    assert changes["productivity_pressure"] > policy.productivity_pressure
    assert "profit fell" in reason
    assert decide(reading(profit=110.0), policy, org, rule("cost_focused"))[1] == {}


def test_people_driven_fixes_the_weakest_driver_first():
    policy, org = PolicyConfig(), OrgConfig()
    reason, changes = decide(reading(), policy, org, rule("people_driven"))
    assert changes == {"leadership_consistency": pytest.approx(0.6)}  # feel is weakest
    assert "feel" in reason
    # A lever at the end of its range gives way to the driver's next lever.
    policy.leadership_consistency = 1.0
    _, changes = decide(reading(), policy, org, rule("people_driven"))
    assert changes == {"development": pytest.approx(policy.development + 0.1)}


def test_people_driven_stays_inside_the_budget():
    policy, org = PolicyConfig(), OrgConfig()
    tight = rule("people_driven", budget_per_employee_year=1.0)
    reason, changes = decide(reading(), policy, org, tight)
    # Loosening scripts costs no programme money; it is the one measure that fits.
    assert set(changes) <= {"script_strictness", "recovery_authority", "internal_service"}
    assert not {"leadership_consistency", "development", "training"} & set(changes)


def test_balanced_acts_on_the_measure_that_fell_most():
    policy, org = PolicyConfig(), OrgConfig()
    cfg = rule("balanced")
    _, money = decide(reading(profit=50.0), policy, org, cfg)
    assert set(money) == {"productivity_pressure"}  # no layoffs under a balanced rule
    reason, people = decide(reading(enps=-40.0), policy, org, cfg)
    assert "employee" in reason and people
    assert decide(reading(profit=120.0, nps=5.0), policy, org, cfg)[1] == {}


@pytest.mark.parametrize("name", ["cost_focused", "people_driven", "balanced"])
def test_decisions_take_effect_after_the_lag(name):
    cfg = SimConfig(days=500, progress=False)
    cfg.org.employees, cfg.org.customers = 10, 8000
    cfg.management.rule, cfg.management.lag_days = name, 45
    model = ServiceModel(cfg)
    for day in range(cfg.days):
        if day == 200:
            model.policy.pay_level = 1.3  # a pay rise: profit dips, so every rule has a reason
        model.step()
    ts = model.timeseries().set_index("day")
    decided = [d for d in model.manager.decisions if d.effective_day < cfg.days]
    assert decided, f"{name} made no decision in {cfg.days} days"
    for d in decided:
        assert d.effective_day == d.day + 45
        for lever, value in d.changes.items():
            col = ts[f"lever_{lever}"]
            # Unchanged through the lag (reviews are 91 days apart, the lag 45), then the new value.
            before = col.loc[d.day]
            assert value != pytest.approx(before)
            assert col.loc[d.effective_day] == pytest.approx(before)
            assert col.loc[d.effective_day + 1] == pytest.approx(value)
    assert model.config.policy is not cfg.policy  # the caller's config is never changed
    assert cfg.policy.script_strictness == SimConfig().policy.script_strictness


def test_without_a_rule_the_levers_never_move():
    cfg = SimConfig(days=400, progress=False)
    cfg.org.employees, cfg.org.customers = 8, 6000
    model = ServiceModel(cfg)
    for _ in range(cfg.days):
        model.step()
    levers = model.timeseries().filter(like="lever_")
    assert (levers.nunique() == 1).all()
    assert model.manager.decisions == []


def test_unknown_rule_is_refused_in_one_line(tmp_path):
    res = run_cli("sim-run", "management.rule=chaos", "days=5", f"hydra.run.dir={tmp_path}")
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "management.rule" in lines[0] and "chaos" in lines[0]
    assert "people_driven" in lines[0]


def _managed(rule: str, seed: int) -> ServiceModel:
    """A small call centre with its journey, three years, a demand surge in the first spring:
    what management reads after it is up to its rule."""
    cfg = make_config(
        "org.employees=15",
        "org.customers=12000",
        "days=1095",
        "progress=false",
        f"seed={seed}",
        f"management.rule={rule}",
    )
    model = ServiceModel(cfg)
    for day in range(cfg.days):
        model.demand_factor = 1.3 if 120 <= day < 180 else 1.0
        model.step()
    return model


@pytest.mark.slow
def test_cycles_of_failure_and_success_arise_from_the_rules_alone():
    """No scenario changes a lever: cost-focused management ratchets staffing and training down
    after each dip in profit and ends with worse service and customers; people-driven management
    raises the weakest drivers and ends with happier staff. Same seeds, same surge."""
    last = {}
    for rule in ("none", "cost_focused", "people_driven"):
        runs = [_managed(rule, seed) for seed in (0, 1)]
        tail = [m.timeseries().tail(365) for m in runs]
        last[rule] = {
            "staffing": min(t["lever_staffing_level"].iloc[-1] for t in tail),
            "cuts": min(
                sum(1 for d in m.manager.decisions if "staffing_level" in d.changes) for m in runs
            ),
            "csat": sum(t["csat_mean"].mean() for t in tail) / 2,
            "fcr": sum(t["resolved_first"].sum() / t["first_contacts"].sum() for t in tail) / 2,
            "happiness": sum(t["work_happiness_mean"].mean() for t in tail) / 2,
        }
    cost, people, none = last["cost_focused"], last["people_driven"], last["none"]
    assert cost["cuts"] >= 2  # not one decision: a ratchet, dip after dip
    assert cost["staffing"] < 0.95
    assert cost["csat"] < none["csat"] and cost["fcr"] < none["fcr"]
    assert people["happiness"] > none["happiness"] + 0.2
    assert people["csat"] > cost["csat"]
