"""The large-population shortcuts change no number: Mesa agents registered in bulk, the NPS
counted without gathering, the work arrays reused from day to day, each against the plain
computation it replaces (the whole-run check across versions is benchmarks/identity.py)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from sim import agents as agents_module
from sim import loyalty
from sim.agents import Customer, Employee
from sim.config import SimConfig, load_journey
from sim.journey import Journey
from sim.model import ServiceModel
from sim.population import CustomerTable
from sim.survey import answers, nps, nps_among


def _registry(model: ServiceModel) -> list[tuple]:
    """Every agent of the model in Mesa's own order: class, id, row."""
    return [(type(a).__name__, a.unique_id, getattr(a, "row", None)) for a in model.agents]


def test_bulk_registration_is_agent_by_agent(small_config, monkeypatch):
    cfg = small_config("days=30")
    bulk = ServiceModel(cfg)
    with monkeypatch.context() as m:
        m.setattr(agents_module, "_quiet", lambda *_: False)
        plain = ServiceModel(cfg)
        for _ in range(30):
            plain.step()
        plain_registry = _registry(plain)
    for _ in range(30):
        bulk.step()
    assert bulk.totals["churned"] > 0 and bulk.totals["acquired"] > 0  # both paths exercised
    assert _registry(bulk) == plain_registry
    assert [a.unique_id for a in bulk.agents_by_type[Customer]] == [
        a.unique_id for a in plain.agents_by_type[Customer]
    ]
    assert bulk.agent_id_counter == plain.agent_id_counter
    np.testing.assert_array_equal(bulk.customers.agent_id, plain.customers.agent_id)
    live = np.flatnonzero(bulk.customers.active)
    assert sorted(a.row for a in bulk.agents_by_type[Customer]) == live.tolist()
    assert len(bulk.agents_by_type[Employee]) == int(np.count_nonzero(bulk.staff.active))


def test_a_watched_model_registers_agent_by_agent(small_config):
    model = ServiceModel(small_config("org.customers=50"))

    class Watcher:
        seen: list = []

        def added(self, signal) -> None:
            self.seen.append(signal)

    watcher = Watcher()  # Mesa keeps a weak reference to the bound method
    model.observe("agents", "agent_added", watcher.added)
    rows = [3, 7]
    made = agents_module.row_agents(model, Customer, rows)
    assert [a.row for a in made] == rows and len(watcher.seen) == 2


@pytest.mark.parametrize("seed", range(5))
def test_nps_without_gathering_is_the_plain_nps(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    state = np.clip(rng.normal(7.0, 2.0, n), 0.0, 10.0)
    bias = rng.normal(0.0, 1.0, n)
    # Answers that sit exactly on a rounding edge (x.5 rounds to even) and on the clip.
    state[:8] = [8.5, 6.5, 9.5, 7.5, 0.0, 10.0, 8.5, 6.5]
    bias[:8] = [0.0, 0.0, 0.0, 0.0, -1.0, 2.0, 1e-12, -1e-12]
    mask = rng.random(n) < 0.8
    got = nps_among(state, bias, mask)
    assert nps_among(state, bias, mask, CustomerTable.empty(1, 1).scratch) == got
    want = nps(answers(state[mask], bias[mask]))
    assert np.float64(got).tobytes() == np.float64(want).tobytes()
    assert np.isnan(nps_among(state, bias, np.zeros(n, bool)))


def test_work_arrays_are_kept_by_name_and_not_copied():
    table = CustomerTable.empty(100, 3)
    table.value[:] = np.random.default_rng(1).random(100)
    kept = table.scratch("t", 100, np.float64)
    assert np.shares_memory(kept, table.scratch("t", 90, np.float64))  # the first 90 of it
    assert kept.shape == (100,) and table.scratch("t", 90, np.float64).shape == (90,)
    assert CustomerTable.empty(0, 1).end() == 0
    assert table.scratch("t", 120, np.float64).shape == (120,)  # a new length, a new array
    for other in (copy.deepcopy(table), pickle.loads(pickle.dumps(table))):
        assert other.scratch._arrays == {}
        np.testing.assert_array_equal(other.value, table.value)


def _plain_draw_stages(jn: Journey, u: np.ndarray, tenure: np.ndarray) -> np.ndarray:
    """`Journey.draw_stages` as it was written over (n, S) rows."""
    w = jn.open_stages(tenure) * jn.need_share
    total = w.sum(axis=1)
    w[total <= 0, int(np.argmax(jn.need_share))] = 1.0
    cum = np.cumsum(w, axis=1)
    point = u * cum[:, -1]
    return np.minimum((cum <= point[:, None]).sum(axis=1), jn.n_stages - 1)


@pytest.mark.parametrize("name", ["call_centre", "hotel"])
def test_stage_draws_stage_by_stage_are_the_plain_draws(name):
    jn = Journey.from_config(load_journey(name))
    rng = np.random.default_rng(7)
    tenure = np.floor(rng.random(20_000) * 3000.0)
    u = rng.random(20_000)
    u[:3] = [0.0, 0.5, np.nextafter(1.0, 0.0)]
    got = jn.draw_stages(u, tenure)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, _plain_draw_stages(jn, u, tenure))


def test_stage_draws_with_no_stage_open_go_where_most_needs_are():
    jn = Journey.from_config(load_journey("call_centre"))
    jn.from_day[:] = 5.0  # nothing is open before day 5
    jn.until_day[:] = np.maximum(jn.until_day, 6.0)
    tenure = np.array([0.0, 1.0, 4.0, 5.0, 10.0, 400.0])
    u = np.linspace(0.0, 0.99, tenure.size)
    got = jn.draw_stages(u, tenure)
    np.testing.assert_array_equal(got, _plain_draw_stages(jn, u, tenure))
    assert (got[:3] == int(np.argmax(jn.need_share))).all()


def _plain_drift_and_defect(rng, table, b) -> np.ndarray:
    """`loyalty.drift_and_defect` as it was written, over every row of the table."""
    act, sat = table.active, table.satisfaction
    step = np.subtract(table.baseline, sat)
    step *= 1.0 / b.satisfaction_memory_days
    sat += step
    np.clip(sat, 0.0, 10.0, out=sat)
    table.failures *= np.exp(-1.0 / b.failure_memory_days)
    table.tenure += act
    hazard = np.multiply(sat, -b.churn_satisfaction_slope, out=step)
    hazard += 7.0 * b.churn_satisfaction_slope
    np.exp(hazard, out=hazard)
    hazard *= b.churn_rate_annual / 365.0
    memory = np.multiply(table.failures, b.failure_memory_effect)
    memory += 1.0
    hazard *= memory
    return np.flatnonzero(act & (rng.random(table.size, dtype=np.float32) < hazard))


@pytest.mark.parametrize("tail", [0, 1, 333, 1000])
def test_drift_stops_at_the_last_customer_and_changes_no_customer(tail):
    rng = np.random.default_rng(tail)
    table = CustomerTable.empty(1000, 3)
    table.active[:] = rng.random(1000) < 0.8
    table.active[table.size - tail :] = False
    table.satisfaction[:] = rng.random(1000) * 10.0
    table.baseline[:] = rng.random(1000) * 10.0
    table.failures[:] = np.where(rng.random(1000) < 0.3, rng.random(1000) * 3.0, 0.0)
    table.tenure[:] = np.floor(rng.random(1000) * 2000.0)
    expect = np.flatnonzero(table.active)
    assert table.end() == (expect[-1] + 1 if expect.size else 0)
    plain = copy.deepcopy(table)
    b = SimConfig().behaviour
    b.churn_rate_annual = 40.0  # enough leavers to compare
    for day in range(5):
        got = loyalty.drift_and_defect(np.random.default_rng(day), table, b)
        want = _plain_drift_and_defect(np.random.default_rng(day), plain, b)
        np.testing.assert_array_equal(got, want)
        live = plain.active
        for name in ("satisfaction", "failures", "tenure"):
            assert getattr(table, name)[live].tobytes() == getattr(plain, name)[live].tobytes()
