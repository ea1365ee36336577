"""Surveys: eNPS, NPS and work happiness, overall and split by team, age band and tenure band.

NPS (Reichheld 2003): answers 0-10 to "how likely would you recommend ...": promoters 9-10,
passives 7-8, detractors 0-6, NPS = % promoters - % detractors, from -100 to +100. eNPS is the
same question about the employer. A survey answer is the respondent's state plus a persistent
personal offset, rounded to the 0-10 scale.
"""

from __future__ import annotations

import numpy as np

from sim.population import (
    AGE_BANDS,
    AGE_EDGES,
    TENURE_BANDS,
    TENURE_EDGES_YEARS,
    CustomerTable,
    EmployeeTable,
    band,
)


def answers(state: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """0..10 integer answers from a 0..10 state and personal offsets."""
    return np.clip(np.rint(state + bias), 0, 10).astype(np.int8)


def nps(scores: np.ndarray) -> float:
    """Net Promoter Score of 0-10 answers: % of 9-10 minus % of 0-6 (NaN for no answers)."""
    scores = np.asarray(scores)
    if scores.size == 0:
        return float("nan")
    return float(100.0 * ((scores >= 9).mean() - (scores <= 6).mean()))


def employee_answers(staff: EmployeeTable) -> np.ndarray:
    return answers(staff.engagement, staff.recommend_bias)


def customer_answers(customers: CustomerTable) -> np.ndarray:
    return answers(customers.satisfaction, customers.recommend_bias)


# Survey tools report no group smaller than this, for anonymity and because a score of a few
# people is noise (a common default reporting threshold of engagement survey platforms; an
# assumption here). The whole population (`all`) is always reported.
MIN_GROUP = 5


def _rows(day: int, split: str, labels, groups: np.ndarray, recommend, happiness) -> list[dict]:
    out = []
    for g, label in enumerate(labels):
        sel = groups == g
        if not sel.any():
            continue
        shown = split == "all" or int(sel.sum()) >= MIN_GROUP
        happy = happiness[sel] if happiness is not None and shown else None
        out.append(
            {
                "day": day,
                "population": "employees" if happiness is not None else "customers",
                "split": split,
                "group": str(label),
                "n": int(sel.sum()),
                "nps": nps(recommend[sel]) if shown else np.nan,
                "work_happiness_mean": float(happy.mean()) if happy is not None else np.nan,
                "share_9_10": float((happy >= 9).mean()) if happy is not None else np.nan,
                "suppressed": not shown,
            }
        )
    return out


def run_survey(
    rng: np.random.Generator,
    day: int,
    staff: EmployeeTable,
    customers: CustomerTable,
    teams: int,
    roles: tuple[str, ...] = (),
) -> list[dict]:
    """A pulse survey of every employee (not in training excluded) and every customer; with the
    journey's `roles`, the employees' answers are split by role too."""
    emp = np.flatnonzero(staff.active)
    rec = employee_answers(staff)[emp]
    # Work happiness asked on 0-10: the state with a little answer noise (assumption: sd 0.5).
    happy = np.clip(np.rint(staff.engagement[emp] + rng.normal(0, 0.5, emp.size)), 0, 10)
    rows: list[dict] = []
    rows += _rows(day, "all", ["all"], np.zeros(emp.size, int), rec, happy)
    rows += _rows(day, "team", [f"team {t + 1}" for t in range(teams)], staff.team[emp], rec, happy)
    if roles:
        rows += _rows(day, "role", list(roles), staff.role[emp], rec, happy)
    rows += _rows(day, "age", AGE_BANDS, band(staff.age[emp], AGE_EDGES), rec, happy)
    tenure_band = band(staff.tenure[emp] / 365.0, TENURE_EDGES_YEARS)
    rows += _rows(day, "tenure", TENURE_BANDS, tenure_band, rec, happy)
    # Age x tenure: the group seed 002 singles out (50+ with more than 10 years).
    veteran = (staff.age[emp] >= 50) & (staff.tenure[emp] > 3650)
    rows += _rows(day, "age_tenure", ["other", "50+ & >10y"], veteran.astype(int), rec, happy)
    cust = np.flatnonzero(customers.active)
    crec = customer_answers(customers)[cust]
    rows += _rows(day, "all", ["all"], np.zeros(cust.size, int), crec, None)
    ctenure = band(customers.tenure[cust] / 365.0, TENURE_EDGES_YEARS)
    rows += _rows(day, "tenure", TENURE_BANDS, ctenure, crec, None)
    return rows
