"""The configuration schema: dataclasses with a unit, a valid range and a source for every number.

One module per concern: `errors` (ConfigError, `param`), `org`, `policy`, `behaviour` (one
dataclass per section of the day, composed into the flat `BehaviourConfig`), `journey`,
`management`, `run` (SimConfig, validation, Hydra's schema) and `studies` (each study command's
typed settings). Everything is re-exported here: `from sim.config import SimConfig`.
The parameter tables in docs/MODEL.md are generated from the fields' metadata
(`python -m sim.docs`), so the documentation cannot drift from the code.
"""

from sim.config.behaviour import (
    SECTIONS,
    BehaviourConfig,
    CustomerBehaviour,
    EncounterBehaviour,
    QueueBehaviour,
    RecoveryBehaviour,
    StandardsBehaviour,
    WordOfMouthBehaviour,
    WorkforceBehaviour,
)
from sim.config.calibrate import CalibrateConfig, CalibrateSettings  # registers sim-calibrate
from sim.config.errors import ASSUMPTION, ConfigError, check_range, param
from sim.config.journey import (
    JourneyConfig,
    Office,
    Provides,
    RoleConfig,
    StageConfig,
    load_journey,
    single_stage,
    validate_journey,
)
from sim.config.management import ManagementConfig, ManagementRule
from sim.config.org import OrgConfig
from sim.config.policy import PolicyConfig
from sim.config.run import (
    RANGES,
    RunCommand,
    SimConfig,
    register_configs,
    to_dataclass,
    validate,
    with_values,
)
from sim.config.studies import (
    STUDIES,
    CompareConfig,
    CompareSettings,
    DiscoverConfig,
    DiscoverSettings,
    PlanConfig,
    PlanSettings,
    SensitivityConfig,
    SensitivitySettings,
    Span,
    Study,
    UnitsConfig,
    UnitSize,
    UnitsSettings,
    check_settings,
)
from sim.config.twin import TwinConfig, TwinSettings  # registers sim-twin

__all__ = [
    "ASSUMPTION",
    "RANGES",
    "SECTIONS",
    "STUDIES",
    "BehaviourConfig",
    "CalibrateConfig",
    "CalibrateSettings",
    "CompareConfig",
    "CompareSettings",
    "DiscoverConfig",
    "DiscoverSettings",
    "ConfigError",
    "CustomerBehaviour",
    "EncounterBehaviour",
    "JourneyConfig",
    "ManagementConfig",
    "ManagementRule",
    "Office",
    "OrgConfig",
    "PlanConfig",
    "PlanSettings",
    "PolicyConfig",
    "Provides",
    "QueueBehaviour",
    "RecoveryBehaviour",
    "RoleConfig",
    "SensitivityConfig",
    "SensitivitySettings",
    "RunCommand",
    "SimConfig",
    "Span",
    "StageConfig",
    "StandardsBehaviour",
    "Study",
    "TwinConfig",
    "TwinSettings",
    "UnitSize",
    "UnitsConfig",
    "UnitsSettings",
    "WordOfMouthBehaviour",
    "WorkforceBehaviour",
    "check_range",
    "check_settings",
    "load_journey",
    "param",
    "register_configs",
    "single_stage",
    "to_dataclass",
    "validate",
    "with_values",
    "validate_journey",
]
