"""Target sets as data: configs/targets/<set>.yaml, loaded and checked.

A target is a published figure with its uncertainty, the statistic that shows it in the model
and the experimental design it is measured on. A band [lo, hi] is read as a normal target with
mean = the midpoint and sd = half-width / 1.96 (the band as a 95% interval). The role says
whether the calibration fits it (`calibrate`) or only reports it beside the fit (`validate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim import kpis
from sim.calibration import statistics
from sim.config import ConfigError

ROLES = ("calibrate", "validate")
TARGET_KEYS = ("id", "statistic", "design", "value", "sd", "band", "source", "role")
DESIGN_KEYS = ("org", "scenario", "employees", "customers", "days", "window")
Z95 = 1.96


@dataclass(frozen=True)
class Design:
    """Where a statistic is measured: an organisation and scenario preset, a size, a horizon,
    and the window of last days the statistic covers."""

    org: str
    scenario: str
    employees: int
    customers: int
    days: int
    window: int

    @property
    def label(self) -> str:
        return (
            f"{self.org}/{self.scenario}, {self.employees} employees, {self.customers:,} "
            f"customers, {self.days} days (last {self.window})"
        )

    def overrides(self) -> list[str]:
        """Hydra overrides that compose this design's run config."""
        return [
            f"org={self.org}",
            f"scenario={self.scenario}",
            f"org.employees={self.employees}",
            f"org.customers={self.customers}",
            f"days={self.days}",
            "progress=false",
        ]


@dataclass(frozen=True)
class Target:
    """One published figure: mean and sd (a band converted), statistic, design, role."""

    id: str
    statistic: str  # as written (a name, or the spec's repr) for tables
    how: kpis.Aggregation
    design: Design
    mean: float
    sd: float
    source: str
    role: str
    band: tuple[float, float] | None = None

    @property
    def interval(self) -> tuple[float, float]:
        """The published band, or mean +- 1.96 sd."""
        return self.band or (self.mean - Z95 * self.sd, self.mean + Z95 * self.sd)


def resolve_path(target_set: str, targets_dir: Path) -> Path:
    """`default` -> configs/targets/default.yaml; a path ending in .yaml/.yml is taken as is.

    Raises:
        ConfigError: no such set (naming the sets there are).
    """
    if target_set.endswith((".yaml", ".yml")):
        path = Path(target_set).expanduser().resolve()
    else:
        path = targets_dir / f"{target_set}.yaml"
    if not path.is_file():
        sets = ", ".join(sorted(p.stem for p in targets_dir.glob("*.yaml")))
        raise ConfigError("calibrate.target_set", target_set, f"one of {sets}, or a YAML path")
    return path


def load(path: Path, key: str = "calibrate.target_set") -> list[Target]:
    """Read and check a target file.

    Raises:
        ConfigError: a file that does not parse, or a bad entry (named `targets[i].field`).
    """
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(key, str(path), f"a YAML file that parses{where}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("targets"), list):
        raise ConfigError(key, str(path), "a mapping with a list `targets:` (and `design:`)")
    shared = data.get("design") or {}
    if not isinstance(shared, Mapping):
        raise ConfigError("design", shared, f"a mapping of {', '.join(DESIGN_KEYS)}")
    out = [_target(f"targets[{i}]", entry, shared) for i, entry in enumerate(data["targets"])]
    ids = [t.id for t in out]
    for i, name in enumerate(ids):
        if name in ids[:i]:
            raise ConfigError(f"targets[{i}].id", name, "an id not used by another target")
    if not out:
        raise ConfigError(key, str(path), "at least one target")
    return out


def _target(key: str, entry: Any, shared: Mapping) -> Target:
    if not isinstance(entry, Mapping):
        raise ConfigError(key, entry, f"a mapping of {', '.join(TARGET_KEYS)}")
    for k in entry:
        if k not in TARGET_KEYS:
            raise ConfigError(f"{key}.{k}", entry[k], f"one of {', '.join(TARGET_KEYS)}")
    tid = entry.get("id")
    if not isinstance(tid, str) or not tid.replace("_", "").isalnum():
        raise ConfigError(f"{key}.id", tid, "a name of letters, digits and _")
    spec = entry.get("statistic")
    how = statistics.aggregation(f"{key}.statistic", spec)
    role = entry.get("role")
    if role not in ROLES:
        raise ConfigError(f"{key}.role", role, " or ".join(ROLES))
    mean, sd, band = _value(key, entry)
    design = _design(f"{key}.design", {**shared, **(entry.get("design") or {})})
    return Target(
        id=tid,
        statistic=spec if isinstance(spec, str) else f"{how.kind}({', '.join(how.columns)})",
        how=how,
        design=design,
        mean=mean,
        sd=sd,
        source=str(entry.get("source", "")),
        role=role,
        band=band,
    )


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, value, "a number")
    return float(value)


def _value(key: str, entry: Mapping) -> tuple[float, float, tuple[float, float] | None]:
    """(mean, sd, band) from `value` + `sd` or from `band: [lo, hi]` (one of the two)."""
    if "band" in entry:
        if "value" in entry or "sd" in entry:
            raise ConfigError(f"{key}.band", entry["band"], "either band or value with sd")
        band = entry["band"]
        if not isinstance(band, list) or len(band) != 2:
            raise ConfigError(f"{key}.band", band, "[lo, hi] with lo < hi")
        lo, hi = (_number(f"{key}.band", b) for b in band)
        if not lo < hi:
            raise ConfigError(f"{key}.band", band, "[lo, hi] with lo < hi")
        return (lo + hi) / 2, (hi - lo) / 2 / Z95, (lo, hi)
    if "value" not in entry or "sd" not in entry:
        raise ConfigError(key, entry.get("id"), "a band [lo, hi] or a value with an sd")
    sd = _number(f"{key}.sd", entry["sd"])
    if sd <= 0:
        raise ConfigError(f"{key}.sd", sd, "a number > 0")
    return _number(f"{key}.value", entry["value"]), sd, None


def _design(key: str, raw: Mapping) -> Design:
    for k in raw:
        if k not in DESIGN_KEYS:
            raise ConfigError(f"{key}.{k}", raw[k], f"one of {', '.join(DESIGN_KEYS)}")
    missing = [k for k in DESIGN_KEYS if k not in raw]
    if missing:
        raise ConfigError(f"{key}.{missing[0]}", None, "given in the target or in `design:`")
    for k in ("org", "scenario"):
        if not isinstance(raw[k], str):
            raise ConfigError(f"{key}.{k}", raw[k], "a preset name")
    for k in ("employees", "customers", "days", "window"):
        if isinstance(raw[k], bool) or not isinstance(raw[k], int) or raw[k] < 1:
            raise ConfigError(f"{key}.{k}", raw[k], "an integer >= 1")
    if raw["window"] > raw["days"]:
        raise ConfigError(f"{key}.window", raw["window"], f"at most days ({raw['days']})")
    return Design(**{k: raw[k] for k in DESIGN_KEYS})


def select(targets: list[Target], ids: list[str] | None) -> list[Target]:
    """The targets named by `calibrate.target_ids` (all when null), in the file's order.

    Raises:
        ConfigError: an unknown id, or no calibrate-role target left.
    """
    known = [t.id for t in targets]
    if ids is not None:
        for name in ids:
            if name not in known:
                raise ConfigError("calibrate.target_ids", name, f"one of {', '.join(known)}")
        targets = [t for t in targets if t.id in ids]
    if not any(t.role == "calibrate" for t in targets):
        raise ConfigError(
            "calibrate.target_ids", ids, "a choice with at least one calibrate-role target"
        )
    return targets
