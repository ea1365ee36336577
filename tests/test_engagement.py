"""The driver index (diminishing returns, complementarity) and the recovery budget's share in
the "can" driver (docs/MODEL.md, workforce: work happiness; recovery)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.config import BehaviourConfig, PolicyConfig
from sim.recovery import NEED_SIGMA, empowerment, need_covered
from sim.workforce import driver_index

B = BehaviourConfig()
LINEAR = dataclasses.replace(B, driver_curvature=0.0, driver_complementarity=1.0)


def test_a_linear_index_is_the_old_equal_weight_mean():
    values = [
        np.array([0.1, 0.9]),
        np.array([0.5, 0.2]),
        np.array([0.3, 0.3]),
        np.array([0.7, 1.0]),
    ]
    assert driver_index(values, LINEAR) == pytest.approx(np.mean(values, axis=0))


def test_the_index_spans_zero_to_one():
    assert float(driver_index([0.0] * 4, B)) == pytest.approx(0.0)
    assert float(driver_index([1.0] * 4, B)) == pytest.approx(1.0)


def test_a_driver_helps_less_the_more_of_it_there_is():
    def gain(at: float) -> float:
        return float(
            driver_index([at + 0.1, 0.5, 0.5, 0.5], B) - driver_index([at, 0.5, 0.5, 0.5], B)
        )

    assert gain(0.1) > 2.0 * gain(0.8)


def test_one_weak_driver_holds_the_index_back_more_than_the_mean_would():
    balanced = float(driver_index([0.6, 0.6, 0.6, 0.6], B))
    lopsided = float(driver_index([0.9, 0.9, 0.6, 0.0], B))  # the same mean
    assert lopsided < balanced - 0.1
    assert float(driver_index([0.9, 0.9, 0.6, 0.0], LINEAR)) == pytest.approx(0.6)


def test_the_budget_share_matches_the_recovery_stage_draws():
    rng = np.random.default_rng(7)
    need = 40.0 * np.exp(NEED_SIGMA * rng.standard_normal(1_000_000) - 0.5 * NEED_SIGMA**2)
    for budget in (10.0, 25.0, 100.0):
        paid = np.minimum(need, budget) / need
        assert need_covered(budget, 40.0) == pytest.approx(paid.mean(), abs=0.002)


def test_an_unused_recovery_cap_adds_nothing_to_can():
    def can(budget: float) -> float:
        return empowerment(PolicyConfig(recovery_budget=budget, recovery_authority=1.0), B)

    assert can(2000.0) - can(500.0) < 0.001  # the Ritz cap above what failures need
    assert can(100.0) - can(25.0) > 0.15  # a cap below the typical need does bind
    assert can(0.0) == 0.0
