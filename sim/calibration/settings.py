"""sim-calibrate's checked settings: targets, free parameters with their priors, designs.

What the types and ranges of `CalibrateSettings` cannot check is checked here, before anything
is written: the target set parses and its ids exist, every free parameter is a ranged
`behaviour.*` key of the schema, every prior lies inside that range, the designs' presets exist.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from sim.calibration import targets as target_sets
from sim.calibration.targets import Design, Target
from sim.config import RANGES, CalibrateSettings, ConfigError, SimConfig

PARAMETER_PREFIX = "behaviour."


@dataclass(frozen=True)
class Prior:
    """A uniform prior on one free parameter."""

    key: str
    lo: float
    hi: float

    @property
    def sd(self) -> float:
        return (self.hi - self.lo) / math.sqrt(12.0)


@dataclass(frozen=True)
class Plan:
    """Everything a calibration runs: checked, with every design's run config composed."""

    name: str
    run_dir: Path
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]
    configs: dict[Design, SimConfig]  # one run config per design (seed = the first seed)
    base_behaviour: dict[str, float]  # the behaviour calibrated.yaml starts from
    trials: int
    replications: int
    startup_trials: int
    sampler_seed: int
    batch: int
    workers: int
    ensemble_level: float
    unidentified_ratio: float
    install: bool

    @property
    def calibrate_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.role == "calibrate")

    @property
    def preset(self) -> str:
        """The behaviour preset `install` writes: configs/behaviour/<preset>.yaml."""
        return f"calibrated_{self.name}"

    def fingerprint(self) -> str:
        """What a resumed study must share with the stored one: targets, priors, seeds."""
        text = json.dumps(
            {
                "targets": [
                    [t.id, t.statistic, t.mean, t.sd, t.role, dataclasses.astuple(t.design)]
                    for t in self.targets
                ],
                "priors": [dataclasses.astuple(p) for p in self.priors],
                "replications": self.replications,
                "seeds": sorted({c.seed for c in self.configs.values()}),
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_name(name: str) -> str:
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError("calibrate.name", name, "a name of letters, digits, _ and -")
    return name


def priors_from(settings: CalibrateSettings) -> tuple[Prior, ...]:
    """The free parameters and their uniform priors (default: the schema's range).

    Raises:
        ConfigError: an unknown or unranged parameter, a prior for a parameter that is not
            free, a prior that is not [lo, hi] with lo < hi inside the schema's range.
    """
    allowed = [k for k in RANGES if k.startswith(PARAMETER_PREFIX)]
    if not settings.parameters:
        raise ConfigError("calibrate.parameters", [], "one or more behaviour.* keys")
    for key in settings.priors:  # a prior of a parameter not free now is kept for later
        if key not in allowed:
            raise ConfigError(
                f"calibrate.priors.{key}",
                settings.priors[key],
                f"a prior of a ranged behaviour parameter: {', '.join(allowed)}",
            )
    out = []
    for key in dict.fromkeys(settings.parameters):
        if key not in RANGES or not key.startswith(PARAMETER_PREFIX):
            raise ConfigError(
                "calibrate.parameters", key, f"a ranged behaviour parameter: {', '.join(allowed)}"
            )
        lo_s, hi_s = RANGES[key]
        prior = settings.priors.get(key, [lo_s, hi_s])
        where = f"calibrate.priors.{key}"
        if prior is None or len(prior) != 2 or None in prior or not prior[0] < prior[1]:
            raise ConfigError(where, prior, f"[lo, hi] with lo < hi inside [{lo_s}, {hi_s}]")
        lo, hi = float(prior[0]), float(prior[1])
        if (lo_s is not None and lo < lo_s) or (hi_s is not None and hi > hi_s):
            raise ConfigError(where, prior, f"inside the schema's range [{lo_s}, {hi_s}]")
        out.append(Prior(key, lo, hi))
    return tuple(out)


def load_targets(settings: CalibrateSettings, targets_dir: Path) -> tuple[Target, ...]:
    path = target_sets.resolve_path(settings.target_set, targets_dir)
    return tuple(target_sets.select(target_sets.load(path), settings.target_ids))


def check_presets(found: tuple[Target, ...], options: dict[str, list[str]]) -> None:
    """Refuse a design whose org or scenario preset does not exist."""
    for t in found:
        for group in ("org", "scenario"):
            name = getattr(t.design, group)
            if name not in options[group]:
                raise ConfigError(
                    f"{t.id}.design.{group}", name, f"one of {', '.join(options[group])}"
                )


def with_parameters(config: SimConfig, values: dict[str, float]) -> SimConfig:
    """`config` with the free parameters (dotted behaviour.* keys) set to `values`."""
    behaviour = dataclasses.replace(
        config.behaviour, **{k.removeprefix(PARAMETER_PREFIX): v for k, v in values.items()}
    )
    return dataclasses.replace(config, behaviour=behaviour)
