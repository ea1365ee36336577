"""`sim-units`: the Sears / Gallup design, many small units under varied management.

    sim-units                   # 200 units, 2 years each
    sim-units units=40 seed=1   # `units=` is short for `units.units=`

The settings are `units.*` (configs/units.yaml); each can be given as `<setting>=`. Writes
units.parquet (one row per unit), chain.md (the lagged regressions along the chain and the
comparison with Rucci, Kirn & Quinn 1998), chain_regressions.csv, correlations.csv/.png and
chain.png into Hydra's run directory. The work is done by sim/analysis/chain.py; the protocol
(command line, refusals, whole outputs) by sim/study.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from sim import study
from sim.config import STUDIES, SimConfig, UnitsSettings

if TYPE_CHECKING:  # annotations only: imported where used, for a quick start-up
    import pandas as pd

STUDY = STUDIES["units"]


def check(settings: UnitsSettings, base: SimConfig, cfg: DictConfig) -> Any:
    """The levers, unit size and periods checked against the schema (sim/analysis/chain.py)."""
    from sim.analysis.chain import settings_from

    return study.read_with(settings_from, STUDY, settings, base)


def run(settings: Any, base: SimConfig, folder: Path) -> pd.DataFrame:
    from sim.analysis.chain import run_study

    return run_study(settings, base, folder, progress=True)


def show(table: pd.DataFrame, settings: Any, outdir: Path) -> None:
    """One line per link of the chain, beside Sears' slope."""
    from sim.analysis.chain import sears_sentence

    for row in table.itertuples():
        print(f"{row.link:<40} slope {row.slope:9.4g}  [{row.ci_low:.4g}, {row.ci_high:.4g}]"
              f"  r {row.r:+.2f}  Sears {row.sears_slope:.3g}")  # fmt: skip
    print(sears_sentence(table))
    print(f"results in {outdir}")


PROGRAM = study.StudyProgram(study=STUDY, check=check, run=run, show=show)


def main() -> None:
    """`sim-units` (see the module docstring)."""
    study.main(PROGRAM)


if __name__ == "__main__":
    main()
