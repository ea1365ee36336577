"""Property-based: any valid configuration gives finite numbers on their scales."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import SimConfig, validate
from sim.model import ServiceModel

LEVERS = {
    "script_strictness": st.floats(0, 1),
    "recovery_budget": st.floats(0, 5000),
    "recovery_authority": st.floats(0, 1),
    "approval_days": st.floats(0, 30),
    "staffing_level": st.floats(0.05, 2.0),
    "hiring_lag_days": st.integers(0, 120),
    "onboarding_days": st.integers(0, 60),
    "training": st.floats(0, 3),
    "pay_level": st.floats(0.5, 3),
    "feedback_sharing": st.floats(1, 7),
    "leadership_consistency": st.floats(0, 1),
    "development": st.floats(0, 1),
    "productivity_pressure": st.floats(0, 1),
    "internal_service": st.floats(0, 1),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    levers=st.fixed_dictionaries(LEVERS),
    employees=st.integers(1, 12),
    customers=st.integers(1, 3000),
    contacts=st.floats(0, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_valid_configs_stay_finite_and_on_scale(
    levers, employees, customers, contacts, seed
):
    cfg = SimConfig(seed=seed, days=25, progress=False)
    for k, v in levers.items():
        setattr(cfg.policy, k, v)
    cfg.org.employees, cfg.org.customers = employees, customers
    cfg.org.teams = min(cfg.org.teams, employees)  # valid: no team without a member
    cfg.org.contacts_per_customer_year = contacts
    validate(cfg)
    model = ServiceModel(cfg)
    for _ in range(cfg.days):
        model.step()
    ts = model.timeseries()
    counts = ["contacts", "answered", "abandoned", "quits", "hires", "churned", "acquired"]
    counts += ["headcount", "customers", "failures", "complaints"]
    assert (ts[counts] >= 0).all().all()
    for col in ("service_level", "abandon_rate", "occupancy"):
        assert ts[col].between(0, 1).all(), col
    # Means over the staff are undefined only on a day with nobody employed.
    staffed = ts.headcount > 0
    for col in ("stress_mean", "skill_mean"):
        assert ts.loc[staffed, col].between(0, 1).all(), col
        assert ts.loc[~staffed, col].isna().all(), col
    for col in ("work_happiness_mean", "csat_mean"):
        assert ts[col].dropna().between(0, 10).all(), col
    for col in ("enps", "nps"):
        assert ts[col].dropna().between(-100, 100).all(), col
    money = ["revenue", "costs", "profit", "wages", "recovery_spend"]
    assert np.isfinite(ts[money].to_numpy()).all()
    s, c = model.staff, model.customers
    assert np.isfinite(s.engagement).all() and ((s.engagement >= 0) & (s.engagement <= 10)).all()
    sat = c.satisfaction[c.active]
    assert np.isfinite(sat).all() and ((sat >= 0) & (sat <= 10)).all()
