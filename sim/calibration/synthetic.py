"""Synthetic targets: the model's own statistics at a known parameter vector, as a target file.

The recipe of a parameter-recovery run (docs/CALIBRATION.md): write targets from known values
on seeds the fit does not use, then calibrate against them and compare what comes back.

    python -m sim.calibration.synthetic --out /tmp/synthetic.yaml --seeds 1000 1009 \\
        behaviour.engagement_base=4.3 behaviour.quit_rate_annual=0.5

Each target's sd is the standard error of its mean over those seeds, or --min-sd times the
value if that is larger (a floor, so a nearly deterministic statistic does not demand an exact
hit). The statistics and the design are those of a base target set (default: configs/targets/
default.yaml), every target with role calibrate.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np
import yaml

from sim.calibration import statistics, targets
from sim.calibration.settings import with_parameters
from sim.cli import CONFIG_DIR


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("values", nargs="+", help="behaviour.<key>=<value> (the true vector)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--base", default=str(CONFIG_DIR / "targets" / "default.yaml"))
    parser.add_argument("--ids", nargs="*", default=None, help="targets of the base to keep")
    parser.add_argument("--seeds", nargs=2, type=int, default=(1000, 1009), metavar=("A", "B"))
    parser.add_argument("--min-sd", type=float, default=0.01)
    parser.add_argument("--employees", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--window", type=int)
    args = parser.parse_args(argv)

    from hydra import compose, initialize_config_dir

    from sim.config import to_dataclass
    from sim.runner import run_model

    true = {k: float(v) for k, v in (a.split("=", 1) for a in args.values)}
    found = targets.load(Path(args.base), "--base")
    if args.ids:
        found = [t for t in found if t.id in args.ids]
    resized = {k: getattr(args, k) for k in ("employees", "customers", "days", "window")}
    resized = {k: v for k, v in resized.items() if v is not None}
    found = [dataclasses.replace(t, design=dataclasses.replace(t.design, **resized)) for t in found]
    samples: dict[str, list[float]] = {t.id: [] for t in found}
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        for design in dict.fromkeys(t.design for t in found):
            config = with_parameters(to_dataclass(compose("config", design.overrides())), true)
            for seed in range(args.seeds[0], args.seeds[1] + 1):
                ts = run_model(dataclasses.replace(config, seed=seed)).timeseries()
                for t in (t for t in found if t.design == design):
                    samples[t.id].append(statistics.of(t.how, ts.tail(design.window)))
    entries = []
    for t in found:
        x = np.asarray(samples[t.id])
        se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
        entries.append(
            {
                "id": t.id,
                "statistic": t.statistic
                if t.statistic in statistics.NAMES
                else {k: getattr(t.how, k) for k in ("kind", "column", "over", "empty")},
                "design": dataclasses.asdict(t.design),
                "value": float(x.mean()),
                "sd": max(se, args.min_sd * abs(float(x.mean()))),
                "source": f"synthetic: the model at {true}, seeds {args.seeds[0]}..{args.seeds[1]}",
                "role": "calibrate",
            }
        )
    args.out.write_text(yaml.safe_dump({"targets": entries}, sort_keys=False))
    print(yaml.safe_dump({"true": true, "targets": entries}, sort_keys=False))


if __name__ == "__main__":
    main()
