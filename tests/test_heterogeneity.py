"""People, teams and units that differ in what management does not set; surveys that sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_study

from sim import survey
from sim.encounter import displayed_positivity, effort_factor
from sim.model import ServiceModel
from sim.population import CustomerTable, EmployeeTable
from sim.workforce import quit_hazard


def test_people_with_the_same_work_happiness_show_their_own_positivity(small_config):
    b = small_config().behaviour
    engagement = np.full(3, 7.0)
    stress = np.full(3, 0.3)
    shown = displayed_positivity(engagement, stress, 0.8, b, np.array([-0.1, 0.0, 0.1]))
    assert shown == pytest.approx([0.4, 0.5, 0.6])
    # Work happiness still counts, a little: display_slope per point.
    happier = displayed_positivity(np.full(1, 9.0), stress[:1], 0.8, b)
    assert happier[0] - 0.5 == pytest.approx(2 * b.display_slope)


def test_engaged_agents_resolve_more_through_effort(small_config):
    b = small_config().behaviour
    factor = effort_factor(np.array([4.0, 7.0, 10.0]), b)
    assert factor[1] == 1.0
    assert factor[0] == pytest.approx(1 - 3 * b.engagement_effort)
    assert factor[2] == pytest.approx(1 + 3 * b.engagement_effort)


def test_a_starting_workforce_has_a_spread_of_dispositions_and_one_manager_per_team(
    small_config,
):
    model = ServiceModel(small_config("org.teams=2"))
    staff = model.staff
    at_work = staff.active
    assert staff.disposition[at_work].std() > 0.03
    # Everyone in a team has the same manager; the two teams' managers differ.
    managers = {t: np.unique(staff.manager[at_work & (staff.team == t)]) for t in (0, 1)}
    assert all(m.size == 1 for m in managers.values())
    assert managers[0][0] != managers[1][0]


def test_a_lever_leaves_the_people_and_their_managers_as_they_were(small_config):
    base = ServiceModel(small_config()).staff
    other = ServiceModel(small_config("policy.training=1.4")).staff
    assert np.array_equal(base.manager, other.manager)
    assert np.array_equal(base.disposition, other.disposition)


def test_a_tight_labour_market_multiplies_every_quit_hazard(small_config):
    staff = ServiceModel(small_config()).staff
    b = small_config().behaviour
    usual = quit_hazard(staff, b)
    assert quit_hazard(staff, b, 1.5)[staff.active] == pytest.approx(1.5 * usual[staff.active])


def test_demanding_local_customers_start_with_higher_expectations(small_config):
    usual = ServiceModel(small_config()).customers
    demanding = ServiceModel(small_config("org.market_expectation=0.5")).customers
    rise = demanding.expectation[demanding.active].mean() - usual.expectation[usual.active].mean()
    assert rise == pytest.approx(0.5, abs=1e-9)


def test_a_better_manager_makes_the_whole_unit_happier(small_config):
    def happiness(*o: str) -> float:
        model = ServiceModel(small_config("days=120", *o))
        for _ in range(120):
            model.step()
        return float(model.staff.engagement[model.staff.active].mean())

    assert happiness("org.manager_skill=1.0") - happiness() > 0.5


def _workforce(n: int, engagement: np.ndarray) -> EmployeeTable:
    staff = EmployeeTable.empty(n)
    staff.active[:] = True
    staff.engagement[:] = engagement
    staff.age[:] = 35.0
    staff.tenure[:] = 700.0
    return staff


def test_the_survey_samples_and_the_unhappy_answer_less_often():
    n = 20_000
    rng = np.random.default_rng(1)
    engagement = np.where(np.arange(n) % 2 == 0, 5.0, 9.0)
    staff = _workforce(n, engagement)
    customers = CustomerTable.empty(n, 1)
    customers.active[:] = True
    customers.satisfaction[:] = 7.0
    rows = pd.DataFrame(
        survey.run_survey(rng, 91, staff, customers, 1, response_rate=0.7, customer_rate=0.05)
    )
    whole = rows[rows.split == "all"].set_index("population")
    # Respondents, not headcount: about 0.7 of the staff, 5% of the customers.
    assert whole.loc["employees", "n"] / n == pytest.approx(0.7, abs=0.02)
    assert whole.loc["customers", "n"] / n == pytest.approx(0.05, abs=0.005)
    # Non-response bias: the survey's mean work happiness is above the population's 7.0.
    assert whole.loc["employees", "work_happiness_mean"] > 7.2
    assert whole.loc["customers", "csat_mean"] == pytest.approx(7.0, abs=0.1)


def test_a_census_survey_asks_everyone():
    n = 50
    staff = _workforce(n, np.full(n, 7.0))
    customers = CustomerTable.empty(n, 1)
    customers.active[:] = True
    rows = pd.DataFrame(survey.run_survey(np.random.default_rng(0), 1, staff, customers, 1))
    assert rows[rows.split == "all"].n.tolist() == [n, n]


def test_sim_units_refuses_an_unknown_context_key(tmp_path):
    out = tmp_path / "units"
    result = run_study("sim-units", ["units=5", "+units.context.weather={min:0,max:1}"], out)
    assert result.returncode == 2
    assert "weather" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_a_rival_raises_the_expectations_of_customers_now_and_to_come(small_config):
    model = ServiceModel(small_config())
    before = model.customers.expectation[model.customers.active].mean()
    model.raise_expectations(0.5)
    after = model.customers.expectation[model.customers.active].mean()
    assert after - before == pytest.approx(0.5)
    assert model.org.market_expectation == 0.5  # newcomers are drawn with it


def test_sim_units_refuses_periods_shorter_than_the_survey_interval(tmp_path):
    out = tmp_path / "units"
    result = run_study("sim-units", ["units=5", "days=120", "period_days=60"], out)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "period_days=60" in line and "survey_interval_days (91)" in line
    assert len(line.splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())
