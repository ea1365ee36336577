"""`sim-sensitivity`: global sensitivity (SALib Morris or Sobol) of KPIs to levers and behaviour.

    sim-sensitivity                               # Morris screening, a few minutes on 2 cores
    sim-sensitivity method=sobol experiment.samples=32 \
        'experiment.parameters=[policy.pay_level,policy.script_strictness]'

Writes indices.csv, runs.parquet, parameters.csv and sensitivity_<kpi>.png into Hydra's run
directory. The work is done by sim/analysis/sensitivity.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.cli import CONFIG_DIR, expand_shortcuts, guarded, quiet_libraries, refuse
from sim.config import ConfigError, to_dataclass

# Top-level shortcuts for experiment settings: `method=sobol` means `experiment.method=sobol`.
SHORTCUTS = ("method", "trajectories", "samples", "workers")


@hydra.main(config_path=str(CONFIG_DIR), config_name="sensitivity", version_base="1.3")
def _main(cfg: DictConfig) -> None:
    import pandas as pd

    from sim.analysis.sensitivity import run_study, settings_from, top_rows

    quiet_libraries()
    try:  # bad input: one line and exit 2, before any run starts
        base = to_dataclass(cfg)
        settings = settings_from(cfg, base)
    except ConfigError as ex:
        refuse(ex)
    outdir = Path(HydraConfig.get().runtime.output_dir)
    indices = run_study(settings, base, outdir, progress=True)
    top = top_rows(indices, int(cfg.experiment.top))
    with pd.option_context("display.width", 120, "display.float_format", "{:,.4g}".format):
        print(top.to_string(index=False))
    print(f"results in {outdir}")


def main() -> None:
    sys.argv[1:] = expand_shortcuts(sys.argv[1:], SHORTCUTS)
    guarded(_main)


if __name__ == "__main__":
    main()
