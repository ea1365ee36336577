"""Typed settings of sim-twin (configs/twin.yaml), registered as a study command.

Like sim-calibrate's (sim/config/calibrate.py): the schema is a run's (`SimConfig`) plus the
`twin` node, and registering it in `STUDIES` gives it sim/study.py's protocol (short spellings
`data=DIR name=NAME`, refusals in one line, outputs written whole). What a type or range cannot
check (the data folder, its files and cells) is checked by sim/twin/data.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.errors import param
from sim.config.run import SimConfig
from sim.config.studies import STUDIES, WORKERS, Study


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass
class TwinSettings:
    """sim-twin: a twin of a real organisation from its own HR, survey and operations data."""

    data: str = field(
        default="", metadata=_doc("the data folder (employees.csv, engagement.csv, ...)")
    )
    name: str = field(
        default="twin",
        metadata=_doc("the twin: preset org=<name>, run dir experiments/outputs/twin/<name>"),
    )
    base_journey: str | None = field(
        default=None,
        metadata=_doc("base journey (configs/journey/); null = organisation.yaml's or call_centre"),
    )
    warm_days: int = param(
        90, 0, 3650, "days", "-", "simulated days before the data's period (the start settles)"
    )
    moment_rounds: int = param(2, 1, 20, "rounds", "-", "fixed-point rounds of the moment fit")
    trials: int = param(24, 1, 100_000, "trials", "-", "calibration budget: complete trials")
    replications: int = param(2, 1, 1_000, "seeds", "-", "seeds per parameter set")
    backtest: bool = field(
        default=True, metadata=_doc("fit on the first 2/3 of the period, predict the last third")
    )
    backtest_trials: int = param(16, 1, 100_000, "trials", "-", "the backtest fit's budget")
    backtest_runs: int = param(16, 2, 10_000, "runs", "-", "runs behind the backtest's intervals")
    sampler_seed: int = param(0, 0, 2**32 - 1, "integer", "-", "seed of the TPE sampler")
    workers: int | None = field(default=None, metadata=WORKERS)
    install: bool = field(
        default=False,
        metadata=_doc("copy configs/org/<name>.yaml and journey/<name>.yaml into configs/"),
    )
    install_dir: str | None = field(
        default=None,
        metadata=_doc("the config folder install=true copies into; null = the repository's"),
    )


@dataclass
class TwinConfig(SimConfig):
    """The config sim-twin composes: a run's, plus its settings under `twin`."""

    twin: TwinSettings = field(default_factory=TwinSettings)


STUDIES["twin"] = Study("twin", "sim-twin", TwinSettings, TwinConfig)
