"""`sim-units`: the Sears / Gallup design, many small units under varied management.

    sim-units                   # 200 units, 2 years each
    sim-units units=40 seed=1   # `units=` is short for `experiment.units=`

Writes units.parquet (one row per unit), chain.md (the lagged regressions along the chain and
the comparison with Rucci, Kirn & Quinn 1998), chain_regressions.csv, correlations.csv/.png and
chain.png into Hydra's run directory. The work is done by sim/analysis/chain.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.cli import CONFIG_DIR, expand_shortcuts, guarded, quiet_libraries, refuse
from sim.config import ConfigError, to_dataclass

SHORTCUTS = ("units", "workers")


@hydra.main(config_path=str(CONFIG_DIR), config_name="units", version_base="1.3")
def _main(cfg: DictConfig) -> None:
    from sim.analysis.chain import run_study, sears_sentence, settings_from

    quiet_libraries()
    try:  # bad input: one line and exit 2, before any run starts
        base = to_dataclass(cfg)
        settings = settings_from(cfg, base)
    except ConfigError as ex:
        refuse(ex)
    outdir = Path(HydraConfig.get().runtime.output_dir)
    table = run_study(settings, base, outdir, progress=True)
    for row in table.itertuples():
        print(f"{row.link:<40} slope {row.slope:9.4g}  [{row.ci_low:.4g}, {row.ci_high:.4g}]"
              f"  r {row.r:+.2f}  Sears {row.sears_slope:.3g}")  # fmt: skip
    print(sears_sentence(table))
    print(f"results in {outdir}")


def main() -> None:
    sys.argv[1:] = expand_shortcuts(sys.argv[1:], SHORTCUTS)
    guarded(_main)


if __name__ == "__main__":
    main()
