"""Surveys: eNPS, NPS and work happiness, overall and split by team, age band and tenure band.

NPS (Reichheld 2003): answers 0-10 to "how likely would you recommend ...": promoters 9-10,
passives 7-8, detractors 0-6, NPS = % promoters - % detractors, from -100 to +100. eNPS is the
same question about the employer. A survey answer is the respondent's state plus a persistent
personal offset, rounded to the 0-10 scale.

The pulse survey is a survey, not a census: employees answer with `org.survey_response_rate`,
less often the less happy they are (non-response bias), and a share
`org.customer_survey_rate` of customers answer; the work-happiness and CSAT items carry
measurement error. What a researcher could observe of a unit (sim-units' chain) is read from
these rows; the daily KPIs (kpis.py) stay the model's state.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.population import (
    AGE_BANDS,
    AGE_EDGES,
    TENURE_BANDS,
    TENURE_EDGES_YEARS,
    CustomerTable,
    EmployeeTable,
    Scratch,
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


def nps_among(
    state: np.ndarray, bias: np.ndarray, mask: np.ndarray, work: Scratch | None = None
) -> float:
    """`nps(answers(state[mask], bias[mask]))`, bit for bit, without gathering the rows (the
    daily NPS over 500,000 customers): an answer is 9-10 exactly when state + bias > 8.5 and
    0-6 exactly when it is <= 6.5 (`rint` rounds halves to even: 8.5 -> 8, 6.5 -> 6), for
    finite states and offsets; the shares are the same counts over the same total. `work`:
    the table's work arrays, for the two full-length temporaries."""
    n = int(np.count_nonzero(mask))
    if n == 0:
        return float("nan")
    size = mask.shape[0]
    x = np.add(state, bias, out=None if work is None else work("nps.answer", size))
    hit = np.greater(x, 8.5, out=None if work is None else work("nps.hit", size, bool))
    hit &= mask
    promoters = int(np.count_nonzero(hit))
    np.less_equal(x, 6.5, out=hit)
    hit &= mask
    detractors = int(np.count_nonzero(hit))
    return float(100.0 * (np.float64(promoters) / n - np.float64(detractors) / n))


def employee_answers(staff: EmployeeTable) -> np.ndarray:
    return answers(staff.engagement, staff.recommend_bias)


def customer_answers(customers: CustomerTable) -> np.ndarray:
    return answers(customers.satisfaction, customers.recommend_bias)


# Survey tools report no group smaller than this, for anonymity and because a score of a few
# people is noise (a common default reporting threshold of engagement survey platforms; an
# assumption here). The whole population (`all`) is always reported.
MIN_GROUP = 5


# Assumptions of the survey's measurement (docs/MODEL.md): the error of one answer to "how happy
# are you at work" and to "how satisfied are you" (points, before rounding to 0-10), and how much
# less the unhappy answer (log-odds of answering per point of work happiness).
HAPPINESS_ANSWER_SD = 0.5
CSAT_ANSWER_SD = 0.8
NONRESPONSE_SLOPE = 0.2


def _rows(
    day: int,
    split: str,
    labels,
    groups: np.ndarray,
    recommend: np.ndarray,
    scores: np.ndarray,
    population: str,
) -> list[dict]:
    """One row per group of respondents: (e)NPS and the mean, share 9-10 of `scores` (work
    happiness for employees, CSAT for customers)."""
    score_col = "work_happiness_mean" if population == "employees" else "csat_mean"
    out = []
    for g, label in enumerate(labels):
        sel = groups == g
        if not sel.any():
            continue
        shown = split == "all" or int(sel.sum()) >= MIN_GROUP
        values = scores[sel] if shown else None
        out.append(
            {
                "day": day,
                "population": population,
                "split": split,
                "group": str(label),
                "n": int(sel.sum()),  # respondents
                "nps": nps(recommend[sel]) if shown else np.nan,
                score_col: float(values.mean()) if values is not None else np.nan,
                "share_9_10": float((values >= 9).mean()) if values is not None else np.nan,
                "suppressed": not shown,
            }
        )
    return out


def respondents(
    rng: np.random.Generator, happiness: np.ndarray, response_rate: float
) -> np.ndarray:
    """Who answers the employee survey: `response_rate` on average at work happiness 7, less
    often below, more often above (non-response bias; assumption)."""
    if response_rate >= 1.0:
        return np.ones(happiness.size, bool)
    logit = special.logit(response_rate) + NONRESPONSE_SLOPE * (happiness - 7.0)
    return rng.random(happiness.size) < special.expit(logit)


def run_survey(
    rng: np.random.Generator,
    day: int,
    staff: EmployeeTable,
    customers: CustomerTable,
    teams: int,
    roles: tuple[str, ...] = (),
    *,
    response_rate: float = 1.0,
    customer_rate: float = 1.0,
) -> list[dict]:
    """A pulse survey of the employees (`response_rate` of them answer, the unhappy less often)
    and of a share `customer_rate` of the customers; with the journey's `roles`, the employees'
    answers are split by role too. Groups count respondents."""
    emp = np.flatnonzero(staff.active)
    emp = emp[respondents(rng, staff.engagement[emp], response_rate)]
    rec = employee_answers(staff)[emp]
    happy = np.clip(
        np.rint(staff.engagement[emp] + rng.normal(0, HAPPINESS_ANSWER_SD, emp.size)), 0, 10
    )
    rows: list[dict] = []

    def employees(split: str, labels, groups: np.ndarray) -> None:
        rows.extend(_rows(day, split, labels, groups, rec, happy, "employees"))

    employees("all", ["all"], np.zeros(emp.size, int))
    employees("team", [f"team {t + 1}" for t in range(teams)], staff.team[emp])
    if roles:
        employees("role", list(roles), staff.role[emp])
    employees("age", AGE_BANDS, band(staff.age[emp], AGE_EDGES))
    employees("tenure", TENURE_BANDS, band(staff.tenure[emp] / 365.0, TENURE_EDGES_YEARS))
    # Age x tenure: the group seed 002 singles out (50+ with more than 10 years).
    veteran = (staff.age[emp] >= 50) & (staff.tenure[emp] > 3650)
    employees("age_tenure", ["other", "50+ & >10y"], veteran.astype(int))
    cust = np.flatnonzero(customers.active)
    if customer_rate < 1.0:
        cust = cust[rng.random(cust.size) < customer_rate]
    crec = customer_answers(customers)[cust]
    csat = np.clip(
        np.rint(customers.satisfaction[cust] + rng.normal(0, CSAT_ANSWER_SD, cust.size)), 0, 10
    )
    ctenure = band(customers.tenure[cust] / 365.0, TENURE_EDGES_YEARS)
    for split, labels, groups in (
        ("all", ["all"], np.zeros(cust.size, int)),
        ("tenure", TENURE_BANDS, ctenure),
    ):
        rows.extend(_rows(day, split, labels, groups, crec, csat, "customers"))
    return rows
