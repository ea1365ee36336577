"""A calibrated parameter ensemble: loading, validating and drawing one set per replication.

`ensemble.parquet` (written by sim-calibrate) has one row per parameter set: a `weight` column
(non-negative, summing to a positive total; normalised here), one column per parameter named by
its dotted config key (any key of `sim.config.RANGES`), a `loss` column and `sim.<target>`
columns, which are ignored. Every refusal is a ConfigError naming the file or key, the value and
what is allowed, so the CLIs can exit 2 before writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config import RANGES, ConfigError, SimConfig, check_range, with_values

IGNORED_COLUMNS = ("loss",)


@dataclass(frozen=True)
class Ensemble:
    """Validated parameter sets with normalised weights."""

    parameters: pd.DataFrame  # one row per set, one column per dotted config key
    weights: np.ndarray  # sums to 1

    def draw(self, seed: int, replications: int) -> list[int]:
        """The set index each replication uses: weighted, reproducible from `seed`."""
        rng = np.random.default_rng([seed, 0xE5E])  # own stream: does not shift the run seeds
        return [int(i) for i in rng.choice(len(self.weights), size=replications, p=self.weights)]

    def set_for(self, seed: int) -> int:
        """The set a run with this seed draws (what `sim-run seed=S uncertainty=parameters`
        runs)."""
        return self.draw(seed, 1)[0]

    def overrides(self, index: int) -> dict[str, float]:
        """The dotted-key values of parameter set `index`."""
        return {key: float(v) for key, v in self.parameters.iloc[index].items()}


def load_ensemble(path: str | Path) -> Ensemble:
    """Read and validate an ensemble file.

    Raises:
        ConfigError: missing/unreadable file, unknown parameter column, out-of-range value,
            or negative/zero-sum weights.
    """
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - any read failure is one user-facing refusal
        raise ConfigError(
            "ensemble", str(path), f"a readable parquet file ({err.__class__.__name__})"
        ) from err
    if "weight" not in table.columns:
        raise ConfigError("ensemble", str(path), "a file with a `weight` column")
    if len(table) == 0:
        raise ConfigError("ensemble", str(path), "at least one parameter set")
    keys = [c for c in table.columns if c != "weight" and c not in IGNORED_COLUMNS]
    keys = [c for c in keys if not c.startswith("sim.")]
    for key in keys:
        if key not in RANGES:
            raise ConfigError(
                f"ensemble column {key}", str(path), "a dotted key of sim.config.RANGES"
            )
        lo, hi = RANGES[key]
        for value in table[key]:
            check_range(key, value.item() if hasattr(value, "item") else value, lo, hi)
    weights = table["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        bad = weights[~np.isfinite(weights) | (weights < 0)][0]
        raise ConfigError("ensemble weight", float(bad), "finite, non-negative weights")
    if weights.sum() <= 0:
        raise ConfigError("ensemble weight", float(weights.sum()), "weights summing to > 0")
    return Ensemble(table[keys].reset_index(drop=True), weights / weights.sum())


def apply_to_run(cfg: DictConfig) -> dict[str, str]:
    """sim-run: take `uncertainty=parameters ensemble=PATH` off the composed config, draw the
    set from the run's seed, write its values into `cfg`; return labels recording the choice.

    Both keys are the command's (sim/config/run.py RunCommand), not the model's: removing them
    here leaves a plain SimConfig to validate.

    Raises:
        ConfigError: an ensemble without `uncertainty=parameters` or vice versa, a bad file, or
            a parameter set both on the command line and by the ensemble.
    """
    with open_dict(cfg):
        uncertainty = cfg.pop("uncertainty", "seeds")
        path = cfg.pop("ensemble", None)
    if uncertainty not in ("seeds", "parameters"):
        raise ConfigError("uncertainty", uncertainty, "seeds or parameters")
    if uncertainty == "seeds":
        if path is not None:
            raise ConfigError("ensemble", path, "only with uncertainty=parameters")
        return {}
    if path is None:
        raise ConfigError("uncertainty", uncertainty, "parameters needs ensemble=PATH")
    ensemble = load_ensemble(path)
    _refuse_command_line_values(ensemble, _command_line())
    index = ensemble.set_for(int(cfg.seed))
    for key, value in ensemble.overrides(index).items():
        OmegaConf.update(cfg, key, value)
    return {"ensemble": str(path), "parameter_set": str(index)}


def _command_line() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def _refuse_command_line_values(ensemble: Ensemble, overrides: Sequence[str]) -> None:
    """A parameter given on the command line and by the ensemble: one of them would be ignored."""
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    for key in ensemble.parameters.columns:
        if key in given:
            raise ConfigError(
                key, "given on the command line", "no value: the ensemble sets it, set by set"
            )


@dataclass(frozen=True)
class StudyDraws:
    """Which parameter set each seed of a study runs.

    Consecutive seeds form groups of `seeds_per_set`; a group runs the set its first seed draws
    (`Ensemble.set_for`, as `sim-run seed=S uncertainty=parameters` would), and every arm of the
    study runs the same set on the same seed, so the pairing by seed survives. The groups are
    the independent replications: seeds within a group share their parameters.
    """

    ensemble: Ensemble
    path: str
    seeds_per_set: int

    def group_of(self, seeds: Sequence[int]) -> dict[int, int]:
        """Each seed's group, named by the group's first seed."""
        m = self.seeds_per_set
        return {s: seeds[(i // m) * m] for i, s in enumerate(seeds)}

    def set_of(self, seeds: Sequence[int]) -> dict[int, int]:
        """Each seed's parameter set (row of the ensemble)."""
        return {s: self.ensemble.set_for(g) for s, g in self.group_of(seeds).items()}

    def configs(self, config: SimConfig, seeds: Sequence[int]) -> list[SimConfig]:
        """`config` on each seed, with that seed's parameter set written over it."""
        sets = self.set_of(seeds)
        return [with_values(config, self.ensemble.overrides(sets[s]), seed=s) for s in seeds]


def study_draws(
    command: str, uncertainty: str, path: str | None, seeds_per_set: int, replications: int
) -> StudyDraws | None:
    """A study's `uncertainty`, `ensemble` and `seeds_per_set` settings, checked; None when the
    study runs on seeds only.

    Raises:
        ConfigError: an unknown uncertainty, one setting without the other, a bad file, or a
            number of replications that is not at least two whole groups.
    """
    if uncertainty not in ("seeds", "parameters"):
        raise ConfigError(f"{command}.uncertainty", uncertainty, "seeds or parameters")
    if uncertainty == "seeds":
        if path is not None:
            raise ConfigError(f"{command}.ensemble", path, "only with uncertainty=parameters")
        return None
    if path is None:
        raise ConfigError(f"{command}.uncertainty", uncertainty, "parameters needs ensemble=PATH")
    if replications % seeds_per_set or replications < 2 * seeds_per_set:
        raise ConfigError(
            f"{command}.replications",
            replications,
            f"a multiple of seeds_per_set ({seeds_per_set}), at least two sets' worth",
        )
    ensemble = load_ensemble(path)
    _refuse_command_line_values(ensemble, _command_line())
    return StudyDraws(ensemble, str(path), seeds_per_set)


def check_arms(draws: StudyDraws, arms: Mapping[str, SimConfig], command: str) -> None:
    """Refuse an ensemble that sets a parameter the arms differ in: it would erase the very
    difference the study measures."""
    first, *others = arms.values()
    for key in draws.ensemble.parameters.columns:
        value = _get(first, key)
        for name, config in zip(list(arms)[1:], others, strict=True):
            if _get(config, key) != value:
                raise ConfigError(
                    f"{command}.ensemble column {key}",
                    draws.path,
                    f"parameters the arms share ({name} changes {key})",
                )


def _get(config: SimConfig, key: str) -> object:
    node: object = config
    for part in key.split("."):
        node = getattr(node, part)
    return node
