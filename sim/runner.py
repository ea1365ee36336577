"""Run one simulation from a typed config and write its results: the API under every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sim.config import SimConfig
from sim.model import ServiceModel
from sim.outputs import write_outputs


def run_model(
    config: SimConfig, *, progress: bool | None = None, desc: str = "days"
) -> ServiceModel:
    """Build the model and run it for `config.days` days, with a progress bar over days."""
    model = ServiceModel(config)
    show = config.progress if progress is None else progress
    days = tqdm(
        range(config.days), desc=desc, unit="day", disable=not show, leave=False, mininterval=0.5
    )
    for _ in days:
        model.step()
    return model


def simulate(config: SimConfig, outdir: Path, labels: dict[str, Any]) -> dict[str, Any]:
    """Run and write every output into `outdir`; return the summary."""
    model = run_model(config)
    return write_outputs(model, Path(outdir), {**labels, "seed": config.seed})
