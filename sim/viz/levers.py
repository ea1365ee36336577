"""Scenario presets and lever sliders, from the same sources as the CLI.

Presets are composed with Hydra from `configs/` (`org=<org>`, `scenario=<preset>`), exactly as
`sim-run` composes them, so the dashboard and the CLI cannot disagree about what a preset means.
Slider ranges come from the `range` metadata of `sim.config.PolicyConfig`. Two levers have a
schema range far wider than a workshop needs (a recovery budget up to 1,000,000; staffing from
0.05x to 5x), so their slider shows a window inside that range, widened to include every
preset's value; the CLI still accepts the full range.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass, fields
from functools import cache

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from sim.cli import CONFIG_DIR, group_options
from sim.config import PolicyConfig, SimConfig, register_configs, to_dataclass, validate
from sim.study import default_org

# The levers on screen, in the order of the sidebar.
LEVERS = (
    "script_strictness",
    "recovery_budget",
    "recovery_authority",
    "staffing_level",
    "feedback_sharing",
    "leadership_consistency",
    "training",
    "productivity_pressure",
)
# Slider step per lever; and, where the schema range is too wide for a slider, a window inside it.
STEPS = {
    "script_strictness": 0.05,
    "recovery_budget": 25.0,
    "recovery_authority": 0.05,
    "staffing_level": 0.02,
    "feedback_sharing": 0.5,
    "leadership_consistency": 0.05,
    "training": 0.1,
    "productivity_pressure": 0.05,
}
WINDOWS = {"recovery_budget": (0.0, 2500.0), "staffing_level": (0.5, 1.5)}

WORKSHOP_EMPLOYEES = 20  # desks on the floor: readable on a projector, a step in milliseconds
# The organisation preset configs/config.yaml picks: the dashboard opens on what sim-run runs.
DEFAULT_ORG = default_org()
CONFIG_DIR_ENV = "SIM_VIZ_CONFIG_DIR"  # an extra config folder (sim-viz --config-dir)
BASELINE = "baseline"

_HYDRA_LOCK = threading.Lock()


@dataclass(frozen=True)
class LeverSpec:
    """One slider: the lever's key under `policy`, its slider range, step, unit and meaning."""

    name: str
    lo: float
    hi: float
    step: float
    unit: str
    doc: str
    schema_range: tuple[float, float]


def _policy_meta() -> dict[str, dict]:
    return {f.name: dict(f.metadata) for f in fields(PolicyConfig)}


def policy_range(name: str) -> tuple[float, float]:
    """The schema's valid range of the policy value `name` (KeyError for a non-policy name)."""
    lo, hi = _policy_meta()[name]["range"]
    return float(lo), float(hi)


def compose_config(overrides: list[str]) -> DictConfig:
    """Compose `configs/config.yaml` with Hydra overrides, as `sim-run` would (thread-safe).

    Hydra keeps one global instance; a server composes from several session threads, and a test
    process may already hold one. The lock serialises us, and any instance found is put back.
    """
    register_configs()
    with _HYDRA_LOCK:
        gh = GlobalHydra.instance()
        saved = gh.hydra if gh.is_initialized() else None
        gh.clear()
        try:
            with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
                return compose("config", overrides=[*overrides, *search_path()])
        finally:
            if saved is not None:
                GlobalHydra.instance().hydra = saved


def search_path() -> list[str]:
    """`sim-viz --config-dir DIR` (a twin's RUN/configs): Hydra's search path gains DIR after
    configs/, as `--config-dir` does for the other commands (through the environment, since
    Solara imports the app itself)."""
    extra = os.environ.get(CONFIG_DIR_ENV)
    return [f"hydra.searchpath=['file://{extra}']"] if extra else []


def preset_names() -> list[str]:
    """The scenario presets: the YAML files in configs/scenario/, baseline first."""
    names = group_options("scenario")
    return sorted(names, key=lambda n: (n != BASELINE, n))


def org_names() -> list[str]:
    return group_options("org")


@cache
def preset_config(preset: str, org: str = DEFAULT_ORG) -> SimConfig:
    """The validated config of one preset for one organisation (cached: YAML does not change
    while the server runs). Callers get a copy they may change."""
    return to_dataclass(compose_config([f"scenario={preset}", f"org={org}", "progress=false"]))


def preset_levers(preset: str, org: str = DEFAULT_ORG) -> dict[str, float]:
    """The lever values a preset sets (the sliders jump to these when it is picked)."""
    policy = preset_config(preset, org).policy
    return {name: float(getattr(policy, name)) for name in LEVERS}


@cache
def lever_specs(org: str = DEFAULT_ORG) -> tuple[LeverSpec, ...]:
    """Slider specs from the schema metadata; windows include every preset's value."""
    meta = _policy_meta()
    values = [preset_levers(p, org) for p in preset_names()]
    specs = []
    for name in LEVERS:
        lo, hi = meta[name]["range"]
        wlo, whi = WINDOWS.get(name, (lo, hi))
        seen = [v[name] for v in values] + [float(getattr(PolicyConfig(), name))]
        wlo, whi = max(lo, min(wlo, *seen)), min(hi, max(whi, *seen))
        specs.append(
            LeverSpec(
                name=name,
                lo=float(wlo),
                hi=float(whi),
                step=STEPS[name],
                unit=meta[name]["unit"],
                doc=meta[name]["doc"],
                schema_range=(float(lo), float(hi)),
            )
        )
    return tuple(specs)


def workshop_config(
    preset: str,
    levers: dict[str, float] | None = None,
    *,
    seed: int = 0,
    org: str = DEFAULT_ORG,
    employees: int = WORKSHOP_EMPLOYEES,
) -> SimConfig:
    """A preset scaled to a workshop: `employees` desks and the org's customers per employee.

    The customer base scales with the headcount so that the load per agent (occupancy, stress)
    stays what the organisation preset was calibrated for: 20 agents with 5,000 customers would
    sit idle at about 20% occupancy, and the chain would not react the way it does at full size.
    """
    config = copy.deepcopy(preset_config(preset, org))
    ratio = config.org.customers / config.org.employees
    config.org.employees = int(employees)
    config.org.customers = max(1, int(round(employees * ratio)))
    config.org.teams = max(1, min(config.org.teams, int(employees)))
    config.seed = int(seed)
    policy_names = {f.name for f in fields(PolicyConfig)}
    for name, value in (levers or {}).items():
        if name not in policy_names:
            raise KeyError(f"{name} is not a dashboard lever: {', '.join(LEVERS)}")
        setattr(config.policy, name, type(getattr(config.policy, name))(value))
    validate(config)
    return config
