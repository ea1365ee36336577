"""Typed settings of sim-calibrate (configs/calibrate.yaml), registered as a study command.

The command's schema is a run's (`SimConfig`) plus the `calibrate` node, like every study
command's (sim/config/studies.py). Registering it in `STUDIES` here, when sim.config loads,
gives it sim/study.py's protocol: short spellings (`trials=40`), refusal of another command's
settings, Hydra's ConfigStore schema. What a type or range cannot check (targets that exist,
parameters of the schema, priors inside their range) is checked by sim/calibration/settings.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.errors import param
from sim.config.run import SimConfig
from sim.config.studies import STUDIES, WORKERS, Study


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass
class CalibrateSettings:
    """sim-calibrate: Optuna TPE over behaviour parameters against published targets."""

    name: str = field(
        default="call_centre",
        metadata=_doc("the study: run dir experiments/outputs/calibrate/<name>, resumed by name"),
    )
    target_set: str = field(
        default="default", metadata=_doc("a file of configs/targets/ (no .yaml), or a YAML path")
    )
    target_ids: list[str] | None = field(
        default=None, metadata=_doc("ids of the set's targets to use; null = every target")
    )
    parameters: list[str] = field(
        default_factory=lambda: [
            "behaviour.engagement_base",
            "behaviour.quit_rate_annual",
            "behaviour.complaint_share",
        ],
        metadata=_doc("free parameters: dotted behaviour.* keys of the schema"),
    )
    priors: dict[str, list[float]] = field(
        default_factory=lambda: {
            "behaviour.engagement_base": [0.0, 3.0],
            "behaviour.quit_rate_annual": [0.1, 1.0],
            "behaviour.complaint_share": [0.2, 0.8],
        },
        metadata=_doc("uniform prior [lo, hi] per free parameter; default its schema range"),
    )
    trials: int = param(40, 1, 1_000_000, "trials", "-", "budget: completed trials in the study")
    replications: int = param(2, 1, 10_000, "seeds", "-", "seeds per parameter set")
    startup_trials: int = param(10, 1, 10_000, "trials", "-", "random trials before TPE models")
    sampler_seed: int = param(0, 0, 2**32 - 1, "integer", "-", "seed of the TPE sampler")
    batch: int | None = field(
        default=None,
        metadata=_doc("trials evaluated at once (ask/tell); null = 2 x workers (a pool per batch)"),
    )
    workers: int | None = field(default=None, metadata=WORKERS)
    ensemble_level: float = param(
        0.95, 0.5, 0.9999, "probability", "-", "chi-square quantile of the ensemble's loss cut"
    )
    unidentified_ratio: float = param(
        0.7, 0.0, 10.0, "ratio", "-", "ensemble sd / prior sd above this: not identified"
    )
    install: bool = field(
        default=False,
        metadata=_doc("copy calibrated.yaml to configs/behaviour/<name>.yaml (never silently)"),
    )


@dataclass
class CalibrateConfig(SimConfig):
    """The config sim-calibrate composes: a run's, plus its settings under `calibrate`."""

    calibrate: CalibrateSettings = field(default_factory=CalibrateSettings)


STUDIES["calibrate"] = Study("calibrate", "sim-calibrate", CalibrateSettings, CalibrateConfig)
