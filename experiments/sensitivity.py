"""`sim-sensitivity`: global sensitivity (SALib Morris or Sobol) of KPIs to levers and behaviour.

    sim-sensitivity                               # Morris screening, a few minutes on 2 cores
    sim-sensitivity method=sobol samples=32 \
        'parameters=[policy.pay_level,policy.script_strictness]'

The settings are `sensitivity.*` (configs/sensitivity.yaml); `method=` is short for
`sensitivity.method=`, and so for every setting. Writes indices.csv, runs.parquet,
parameters.csv and sensitivity_<kpi>.png into Hydra's run directory. The work is done by
sim/analysis/sensitivity.py; the protocol (command line, refusals, whole outputs) by sim/study.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from sim import study
from sim.config import STUDIES, SensitivitySettings, SimConfig

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    import pandas as pd

STUDY = STUDIES["sensitivity"]


def check(settings: SensitivitySettings, base: SimConfig, cfg: DictConfig) -> Any:
    """The parameters resolved to bounds, the KPIs and the design checked (sim/analysis)."""
    from sim.analysis.sensitivity import settings_from

    return study.read_with(settings_from, STUDY, settings, base)


def run(settings: Any, base: SimConfig, folder: Path) -> pd.DataFrame:
    from sim.analysis.sensitivity import run_study

    return run_study(settings, base, folder, progress=True)


def show(indices: pd.DataFrame, settings: Any, outdir: Path) -> None:
    """The top parameters per KPI."""
    import pandas as pd

    from sim.analysis.sensitivity import top_rows

    top = top_rows(indices, settings.top)
    with pd.option_context("display.width", 120, "display.float_format", "{:,.4g}".format):
        print(top.to_string(index=False))
    print(f"results in {outdir}")


PROGRAM = study.StudyProgram(study=STUDY, check=check, run=run, show=show)


def main() -> None:
    """`sim-sensitivity` (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
