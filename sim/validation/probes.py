"""Validation probes: the model's observers that record what validation checks need.

Each probe watches one thing (the queue, the encounters, recoveries, hires, word of mouth,
loyalty, the surveys) through the model's observer hook (sim/daily.py): a stage's result as it
passes along the day's chain, or the whole day at its end. Probes never change the model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.daily import Observer
from sim.loyalty import ANGER, DELIGHT

if TYPE_CHECKING:
    from sim.validation.runs import RunSpec


# ---- probes ---------------------------------------------------------------------------------
class Probe(Observer, ABC):
    """Watches a run as one of the model's observers; `result` returns what it saw."""

    @abstractmethod
    def result(self) -> Any:
        """What the probe saw."""


class QueueProbe(Probe):
    """The day's Erlang A inputs and outputs, and what the callers really got (waits drawn)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.rows: list[dict[str, float]] = []

    def stage(self, model: Any, name: str, result: Any) -> None:
        if name != "queue":
            return
        org, q = model.org, result.queue
        self.rows.append(
            {
                "contacts": result.answered.count + result.abandoned.count,
                "answered": result.answered.count,
                "in_time": int((result.waits <= org.target_wait_seconds).sum()),
                "servers": result.on_duty * org.productive_hours / org.open_hours
                + result.overtime_hours / org.open_hours,
                "arrival": q.arrival_rate,
                "handle": q.handle_seconds,
                "patience": result.patience
                if result.answered.count + result.abandoned.count
                else np.nan,
                "sl_formula": q.stats.service_level,
                "abandon_formula": q.stats.abandon_rate,
                "mean_wait_formula": q.stats.mean_wait,
            }
        )

    def result(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class _AfterEncounters(Probe):
    """A probe that looks at each day's answered contacts once the encounters are played."""

    def stage(self, model: Any, name: str, result: Any) -> None:
        if name == "queue":
            self._calls = result
        elif name == "encounters":
            c = self._calls
            self.encounters(model, c.answered, result.outcomes, c.waits, c.queue.stats.occupancy)

    def encounters(self, model: Any, answered: Any, out: Any, waits: Any, occ: float) -> None:
        """The day's answered contacts (`model.day` is the 0-based day being played)."""


class EncounterProbe(_AfterEncounters):
    """Per day: answered contacts, resolutions and experience split by complexity; a sample of
    single encounters (agent state, positivity, outcome) for the contagion and burnout checks;
    the day's occupancy and mean displayed positivity."""

    SAMPLE_PER_DAY = 60

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.daily: list[dict[str, float]] = []
        self.sample: list[np.ndarray] = []
        self.rng = np.random.default_rng([spec.seed, 7])

    def encounters(self, model: Any, answered: Any, out: Any, waits: Any, occ: float) -> None:
        cx, first = answered.complex, answered.attempts == 0
        row: dict[str, float] = {"day": model.day, "occupancy": occ}
        for label, sel in (("std", ~cx), ("cx", cx)):
            row[f"n_{label}"] = int(sel.sum())
            row[f"resolved_{label}"] = int(out.resolved[sel].sum())
            row[f"first_{label}"] = int((sel & first).sum())
            row[f"fcr_{label}"] = int((sel & first & out.resolved).sum())
            row[f"exp_{label}"] = float(out.experience[sel].sum())
        row["positivity"] = float(out.positivity.mean()) if answered.count else np.nan
        self.daily.append(row)
        if answered.count:
            k = min(self.SAMPLE_PER_DAY, answered.count)
            pick = self.rng.choice(answered.count, k, replace=False)
            s = model.staff
            seat = out.employee[pick]
            self.sample.append(
                np.column_stack(
                    [
                        np.full(k, model.day),
                        np.full(k, occ),
                        s.engagement[seat],
                        s.stress[seat],
                        s.skill[seat],
                        out.positivity[pick],
                        out.resolved[pick],
                        out.failure[pick],
                        out.experience[pick],
                        waits[pick],
                        answered.complex[pick],
                        answered.attempts[pick],
                    ]
                )
            )

    SAMPLE_COLUMNS = (
        "day",
        "occupancy",
        "engagement",
        "stress",
        "skill",
        "positivity",
        "resolved",
        "failure",
        "experience",
        "wait",
        "complex",
        "attempts",
    )

    def result(self) -> dict[str, pd.DataFrame]:
        rows = np.concatenate(self.sample) if self.sample else np.zeros((0, 12))
        sample = pd.DataFrame(rows, columns=list(self.SAMPLE_COLUMNS))
        return {"daily": pd.DataFrame(self.daily), "sample": sample}


class AgentProbe(_AfterEncounters):
    """Per employee over the last `window` days: contacts, resolutions, failures, experience
    given, and mean stress and work happiness (for burnout vs performance)."""

    WINDOW = 182

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.start = max(0, spec.days - self.WINDOW)
        self.acc: dict[int, np.ndarray] = {}

    def encounters(self, model: Any, answered: Any, out: Any, waits: Any, occ: float) -> None:
        if model.day < self.start:
            return
        s = model.staff
        n = s.size
        served = np.bincount(out.employee, minlength=n)
        resolved = np.bincount(out.employee, weights=out.resolved, minlength=n)
        failed = np.bincount(out.employee, weights=out.failure, minlength=n)
        exp = np.bincount(out.employee, weights=out.experience, minlength=n)
        ready = np.flatnonzero(s.active & (s.training_left <= 0))
        for seat in ready.tolist():
            a = self.acc.setdefault(int(s.agent_id[seat]), np.zeros(8))
            a += (
                served[seat],
                resolved[seat],
                failed[seat],
                exp[seat],
                s.stress[seat],
                s.engagement[seat],
                s.skill[seat],
                1.0,
            )

    def result(self) -> pd.DataFrame:
        cols = [
            "contacts",
            "resolved",
            "failures",
            "experience_sum",
            "stress_sum",
            "eng_sum",
            "skill_sum",
        ]
        rows = [dict(zip([*cols, "days"], v, strict=True), agent=k) for k, v in self.acc.items()]
        df = pd.DataFrame(rows)
        if df.empty:
            return df
        df["stress"] = df.stress_sum / df.days
        df["work_happiness"] = df.eng_sum / df.days
        df["skill"] = df.skill_sum / df.days
        with np.errstate(invalid="ignore", divide="ignore"):
            df["resolution"] = df.resolved / df.contacts
            df["experience"] = df.experience_sum / df.contacts
            df["failure_rate"] = df.failures / df.contacts
        return df


class RecoveryProbe(Probe):
    """Customers after a service failure, by failure number and by what the firm did (put right
    on the spot, after approval, never heard), with no-failure controls from the same day's
    callers: satisfaction change 7 days later, still a customer a year later."""

    FOLLOW = 365
    CHECK = 7
    WINDOW = 330
    CONTROLS_PER_DAY = 30
    GROUPS = ("control", "spot", "delayed", "silent")

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.end = spec.days - self.FOLLOW - 1
        self.start = max(120, self.end - self.WINDOW)
        self.chunks: dict[int, dict[str, np.ndarray]] = {}
        self.rng = np.random.default_rng([spec.seed, 11])

    def stage(self, model: Any, name: str, result: Any) -> None:
        if not (self.start <= model.day < self.end):
            return
        if name == "queue":
            self._rows = result.answered.customer
        elif name == "encounters":
            self._encounters = result
        elif name == "recovery":
            self._group(model, self._rows, self._encounters, result.failures)

    def _group(self, model: Any, rows: np.ndarray, enc: Any, rec: Any) -> None:
        failed = enc.outcomes.failure
        ever = enc.failures_before
        # The recovery's entries follow the failed contacts in order.
        group = np.full(rows.size, -1)
        where = np.flatnonzero(failed)
        group[where[rec.on_the_spot]] = 1
        group[where[rec.heard & ~rec.on_the_spot]] = 2
        group[where[~rec.heard]] = 3
        calm = np.flatnonzero(~failed & (ever == 0))
        pick = self.rng.choice(calm, min(self.CONTROLS_PER_DAY, calm.size), replace=False)
        group[pick] = 0
        keep = group >= 0
        c = model.customers
        self.chunks[model.day] = {
            "row": rows[keep],
            "id": c.agent_id[rows[keep]].copy(),
            "group": group[keep],
            "nth": ever[keep] + failed[keep].astype(int),  # 0 for controls, 1 = first failure
            "sat0": enc.satisfaction_before[keep],
        }

    def day(self, model: Any, day: Any) -> None:
        c = model.customers
        for lag, name in ((self.CHECK, "sat7"), (self.FOLLOW, "kept")):
            chunk = self.chunks.get(model.day - 1 - lag)
            if chunk is None:
                continue
            same = c.active[chunk["row"]] & (c.agent_id[chunk["row"]] == chunk["id"])
            if name == "sat7":
                chunk[name] = np.where(same, c.satisfaction[chunk["row"]], np.nan)
            else:
                chunk[name] = same

    def result(self) -> pd.DataFrame:
        done = [ch for ch in self.chunks.values() if "kept" in ch]
        if not done:
            return pd.DataFrame(columns=["group", "nth", "sat0", "sat7", "kept"])
        df = pd.DataFrame(
            {k: np.concatenate([ch[k] for ch in done]) for k in ("group", "nth", "sat0", "sat7")}
        )
        df["kept"] = np.concatenate([ch["kept"] for ch in done])
        df["group"] = np.asarray(self.GROUPS)[df["group"].to_numpy()]
        return df


class HireProbe(Probe):
    """Every hire of the run: days from hire to the first contact taken, and skill (= efficiency:
    handle time is the standard time / skill) by day of tenure."""

    TRACK = 28 + 400

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.known = set(model.staff.agent_id[model.staff.active].tolist())
        self.hires: dict[int, dict[str, Any]] = {}

    def day(self, model: Any, day: Any) -> None:
        s, today = model.staff, model.day - 1
        for seat in np.flatnonzero(s.active).tolist():
            aid = int(s.agent_id[seat])
            if aid not in self.known:
                self.known.add(aid)
                self.hires[aid] = {
                    "seat": seat,
                    "day": today,
                    "first_contact": -1,
                    "skill": np.full(self.TRACK, np.nan),
                }
        for aid, h in self.hires.items():
            seat = h["seat"]
            if not (s.active[seat] and s.agent_id[seat] == aid):
                continue
            tenure = today - h["day"]
            if tenure < self.TRACK:
                h["skill"][tenure] = s.skill[seat]
            if h["first_contact"] < 0 and s.contacts_today[seat] > 0:
                h["first_contact"] = today

    def result(self) -> dict[str, np.ndarray]:
        hires = list(self.hires.values())
        skill = np.array([h["skill"] for h in hires]).reshape(len(hires), self.TRACK)
        lag = np.array([h["first_contact"] - h["day"] for h in hires if h["first_contact"] >= 0])
        return {
            "skill": skill,
            "first_contact_lag": lag,
            "hire_day": np.array([h["day"] for h in hires]),
        }


class WomProbe(Probe):
    """Tellers per day: delighted customers and angry (or unrepaired) ones, and their tellings."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.rows: list[dict[str, int]] = []

    def day(self, model: Any, day: Any) -> None:
        answered, exp = day.calls.answered, day.encounters.outcomes.experience
        good = answered.customer[exp >= DELIGHT]
        bad = np.union1d(answered.customer[exp <= ANGER], day.unrepaired)
        wom = day.customers.word_of_mouth
        self.rows.append(
            {
                "good_tellers": int(good.size),
                "bad_tellers": int(bad.size),
                "positive": int(wom.positive),
                "negative": int(wom.negative),
            }
        )

    def result(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class LoyaltyProbe(Probe):
    """Snapshot of every customer's satisfaction 18 months (or what the run allows) before the
    end; at the end, who is still a customer (Xerox: repurchase over 18 months)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.horizon = min(548, spec.days - 365)
        self.snap_day = spec.days - self.horizon
        self.snap: dict[str, np.ndarray] | None = None
        self.model = model

    def day(self, model: Any, day: Any) -> None:
        if model.day == self.snap_day:
            c = model.customers
            rows = np.flatnonzero(c.active)
            self.snap = {
                "row": rows,
                "id": c.agent_id[rows].copy(),
                "sat": c.satisfaction[rows].copy(),
            }

    def result(self) -> pd.DataFrame:
        if self.snap is None:
            return pd.DataFrame(columns=["sat", "kept"])
        c, rows = self.model.customers, self.snap["row"]
        kept = c.active[rows] & (c.agent_id[rows] == self.snap["id"])
        return pd.DataFrame({"sat": self.snap["sat"], "kept": kept, "horizon": self.horizon})


class NpsProbe(Probe):
    """On the last day: every active customer's and employee's 0-10 answer, and the NPS and
    eNPS the model reported for that day (to check the reporting against the definition)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        self.last = spec.days
        self.out: dict[str, Any] = {}

    def day(self, model: Any, day: Any) -> None:
        if model.day == self.last:
            c, s = model.customers, model.staff
            self.out = {
                "customer_answers": model.survey_answers_customers()[c.active],
                "employee_answers": model.survey_answers_employees()[s.active],
                "nps_reported": model.today["nps"],
                "enps_reported": model.today["enps"],
            }

    def result(self) -> dict[str, Any]:
        return self.out


class ValueProbe(Probe):
    """The starting customers followed to the end of the run: the revenue each paid while still
    a customer, and the referrals each won (a telling that brought a prospect in)."""

    def __init__(self, model: Any, spec: RunSpec) -> None:
        c = model.customers
        self.rows = np.flatnonzero(c.active)
        self.id = c.agent_id[self.rows].copy()
        self.alive = np.ones(self.rows.size, bool)
        self.revenue = np.zeros(self.rows.size)
        self.referrals = np.zeros(self.rows.size, np.int64)
        self.member = np.full(c.size, -1, np.int64)  # row -> place in the cohort
        self.member[self.rows] = np.arange(self.rows.size)

    def day(self, model: Any, day: Any) -> None:
        c = model.customers
        # A row keeps its customer while they stay; a referrer who left today still won the
        # referral before leaving (word of mouth comes before defection in the day).
        by = day.customers.word_of_mouth.referrers
        k = self.member[by[by < self.member.size]]
        k = k[k >= 0]
        np.add.at(self.referrals, k[self.alive[k]], 1)
        self.alive &= c.active[self.rows] & (c.agent_id[self.rows] == self.id)
        self.revenue += np.where(self.alive, c.value[self.rows], 0.0) / 365.0

    def result(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"revenue": self.revenue, "referrals": self.referrals, "kept": self.alive}
        )


PROBE_TYPES: dict[str, type[Probe]] = {
    "nps": NpsProbe,
    "queue": QueueProbe,
    "encounters": EncounterProbe,
    "agents": AgentProbe,
    "recovery": RecoveryProbe,
    "hires": HireProbe,
    "wom": WomProbe,
    "loyalty": LoyaltyProbe,
    "value": ValueProbe,
}
