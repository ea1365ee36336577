"""One simulation run (`SimConfig`): its sections, the checks of every value, and Hydra's schema.

Hydra composes YAML values onto these dataclasses (registered in the ConfigStore under the
`schema` group: `run` for sim-run, one per study command). `validate` then checks every value
against its range and raises a `ConfigError` that names the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sim.config.behaviour import BehaviourConfig
from sim.config.errors import ASSUMPTION as A
from sim.config.errors import ConfigError, check_range, param
from sim.config.hold import HoldConfig, check_hold
from sim.config.journey import JourneyConfig, RoleConfig, StageConfig, validate_journey
from sim.config.management import ManagementConfig
from sim.config.org import OrgConfig, check_quantiles
from sim.config.policy import PolicyConfig


@dataclass
class SimConfig:
    """One simulation run."""

    org: OrgConfig = field(default_factory=OrgConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    management: ManagementConfig = field(default_factory=ManagementConfig)
    journey: JourneyConfig = field(default_factory=JourneyConfig)
    hold: HoldConfig = field(default_factory=HoldConfig)  # attribution (sim/config/hold.py)
    seed: int = param(0, 0, 2**32 - 1, "integer", "-", "random seed (same seed, same numbers)")
    days: int = param(1095, 1, 36_500, "days", "-", "simulated days (default 3 years)")
    survey_interval_days: int = param(91, 1, 3650, "days", A, "days between pulse surveys")
    progress: bool = field(default=True, metadata={"doc": "show a progress bar over days"})


@dataclass
class RunCommand(SimConfig):
    """sim-run's schema: one run, and where its behaviour parameters come from.

    `uncertainty` and `ensemble` are the command's, not the model's: sim/ensemble.py draws the
    parameter set and removes both before the run is validated as a `SimConfig`.
    """

    uncertainty: str = field(
        default="seeds",
        metadata={"doc": "seeds (the config's parameters) | parameters (a set from `ensemble`)"},
    )
    ensemble: str | None = field(
        default=None, metadata={"doc": "ensemble.parquet of sim-calibrate (uncertainty=parameters)"}
    )


def _same_store(store: ConfigStore, memo: dict[int, Any]) -> ConfigStore:
    return store


def share_store_on_copy() -> None:
    """Make a deep copy of Hydra's ConfigStore the store itself.

    Hydra 1.3 deep-copies its config repository each time it composes a config or lists a
    config group (CachingConfigRepository), and with it the process-wide ConfigStore holding
    every command's typed schema: about 25 ms of CPU a copy, some 90 copies for `--help`
    (2 of the 3 CPU-s `sim-run --help` took). The copy is never needed: the store's `load`
    already hands out a deep copy of the node it loads, and the copy only exists to keep
    the repository's list of sources apart; Hydra's own fix (facebookresearch/hydra pull
    request 2928, after 1.3) reads the live singleton instead of the copied one.
    """
    ConfigStore.__deepcopy__ = _same_store  # type: ignore[attr-defined]


def register_configs() -> None:
    """Register the schemas: `schema: run` in config.yaml, `override schema: <command>` in each
    study command's config (sim/config/studies.py adds the command's own settings node)."""
    from sim.config.studies import STUDIES

    share_store_on_copy()
    store = ConfigStore.instance()
    store.store(group="schema", name="run", node=RunCommand, package="_global_")
    for study in STUDIES.values():
        store.store(group="schema", name=study.name, node=study.config, package="_global_")


def _ranges(node: Any, prefix: str = "") -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for f in fields(node):
        key = f"{prefix}{f.name}"
        default = f.default_factory() if f.default is MISSING else f.default
        if is_dataclass(default):
            out.update(_ranges(type(default), key + "."))
        elif "range" in f.metadata:
            out[key] = f.metadata["range"]
    return out


RANGES: dict[str, tuple[Any, Any]] = _ranges(SimConfig)


def validate(cfg: DictConfig | SimConfig) -> None:
    """Check every ranged value; raise ConfigError naming the first bad key."""
    container = cfg if isinstance(cfg, DictConfig) else OmegaConf.structured(cfg)
    for key, (lo, hi) in RANGES.items():
        check_range(key, OmegaConf.select(container, key), lo, hi)
    if container.org.teams > container.org.employees:  # one-person teams, or empty ones
        raise ConfigError(
            "org.teams",
            container.org.teams,
            f"at most org.employees ({container.org.employees}): give org.teams=<n> with the size",
        )
    check_quantiles("org.start_tenure_years", container.org.start_tenure_years, 0.0, 60.0)
    check_quantiles("org.hire_age_years", container.org.hire_age_years, 14.0, 80.0)
    validate_journey(container.journey)
    check_hold(OmegaConf.to_object(container.hold))  # type: ignore[arg-type]


# A composed journey always comes from a file of configs/journey/; one without stages is an
# empty or mistyped file, which would otherwise run the single-stage day without a word.
_EMPTY_JOURNEY = (
    "a journey file with stages and roles (configs/journey/*.yaml); this one defines no stages "
    "(journey=single_stage is the one-stage day)"
)


def _journey_choice(cfg: DictConfig) -> str:
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return str(HydraConfig.get().runtime.choices.get("journey", cfg.journey.get("name")))
    return str(cfg.journey.get("name"))


def unknown_key(node: Any, schema: type, prefix: str = "") -> tuple[str, list[str]] | None:
    """The first key of a composed config that its schema does not have (a `+`-appended typo:
    Hydra's `+` adds a key even to a typed node), with the keys allowed there; None if none.

    `schema` is the dataclass the node should follow; a dict of dataclasses (the journey's
    roles and stages, named by the user) is checked entry by entry."""
    known = {f.name: f for f in fields(schema)}
    for key in node:
        name = str(key)
        if name not in known:
            return f"{prefix}{name}", sorted(known)
        default = known[name].default_factory() if known[name].default is MISSING else None
        child = node[key]
        if is_dataclass(default) and isinstance(child, DictConfig):
            found = unknown_key(child, type(default), f"{prefix}{name}.")
            if found:
                return found
        elif isinstance(child, DictConfig) and name in ("roles", "stages"):
            inner = RoleConfig if name == "roles" else StageConfig
            for entry in child:
                found = unknown_key(child[entry], inner, f"{prefix}{name}.{entry}.")
                if found:
                    return found
    return None


def refuse_unknown_keys(cfg: DictConfig, schema: type, skip: tuple[str, ...] = ()) -> None:
    """Refuse a key the schema does not have, with the nearest allowed key as a hint.

    Raises:
        ConfigError: naming the key, its value and what is allowed there.
    """
    node = {k: cfg[k] for k in cfg if str(k) not in skip and str(k) != "hydra"}
    found = unknown_key(node, schema)
    if found is None:
        return
    key, allowed = found
    near = difflib.get_close_matches(key.rsplit(".", 1)[-1], allowed, n=1)
    hint = (
        f"did you mean {key.rsplit('.', 1)[0] + '.' if '.' in key else ''}{near[0]}? "
        if near
        else ""
    )
    raise ConfigError(
        key,
        OmegaConf.select(cfg, key),
        f"{hint}not a config key; allowed here: {', '.join(allowed)}",
    )


def to_dataclass(cfg: DictConfig) -> SimConfig:
    """Validate a composed DictConfig and turn it into the typed SimConfig the model takes
    (a study command's own settings node is left out: `sim.study` reads it)."""
    schema = OmegaConf.get_type(cfg)
    refuse_unknown_keys(cfg, schema if is_dataclass(schema) else SimConfig)
    validate(cfg)
    if "journey" in cfg and not cfg.journey.get("stages"):
        raise ConfigError("journey", _journey_choice(cfg), _EMPTY_JOURNEY)
    own = {f.name: cfg[f.name] for f in fields(SimConfig) if f.name in cfg}
    merged = OmegaConf.merge(OmegaConf.structured(SimConfig), own)
    return OmegaConf.to_object(merged)  # type: ignore[return-value]


def with_values(base: SimConfig, values: dict[str, float], *, seed: int | None = None) -> SimConfig:
    """A copy of `base` with dotted keys set (integers rounded), validated against the schema.

    Raises:
        ConfigError: a value outside its key's range.
    """
    config = copy.deepcopy(base)
    for key, value in values.items():
        *path, name = key.split(".")
        node: Any = config
        for part in path:
            node = getattr(node, part)
        current = getattr(node, name)
        is_int = isinstance(current, int) and not isinstance(current, bool)
        setattr(node, name, round(float(value)) if is_int else float(value))
    if seed is not None:
        config.seed = int(seed)
    validate(config)
    return config
