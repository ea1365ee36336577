"""A calibrated parameter ensemble: loading, validating and drawing one set per replication.

`ensemble.parquet` (written by sim-calibrate) has one row per parameter set: a `weight` column
(non-negative, summing to a positive total; normalised here), one column per parameter named by
its dotted config key (any key of `sim.config.RANGES`), a `loss` column and `sim.<target>`
columns, which are ignored. Every refusal is a ConfigError naming the file or key, the value and
what is allowed, so the CLIs can exit 2 before writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config import RANGES, ConfigError, check_range

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
    """sim-run: take `+uncertainty=parameters +ensemble=PATH` off the composed config, draw the
    set from the run's seed, write its values into `cfg`; return labels recording the choice.

    They are appended keys (`+`) because SimConfig, the run schema, is not this module's to
    widen; removing them here keeps the validated SimConfig unchanged.

    Raises:
        ConfigError: an ensemble without `uncertainty=parameters` or vice versa, or a bad file.
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
    index = ensemble.draw(int(cfg.seed), 1)[0]
    for key, value in ensemble.overrides(index).items():
        OmegaConf.update(cfg, key, value)
    return {"ensemble": str(path), "parameter_set": str(index)}
