"""Channels of the chain, and holding them at another policy (`hold.*`): the attribution of a
scenario's effect (issue 13 item 8; sim/analysis/attribution.py, docs/EXPERIMENTS.md).

A *stage* of the day reads levers of the policy (sim/model.py passes each stage its policy by
name). A *channel* is a set of (stage, lever) cells: a channel with `levers` (staffing) claims
those levers wherever they are read, and every other lever read at a stage belongs to the
channel that lists the stage, so every cell belongs to exactly one channel. "Holding" a channel
runs the model with its cells reading `hold.policy` (by default the schema's defaults, which are
the baseline preset) instead of the run's own policy; every other cell reads the run's. The run
is otherwise a normal run: same seed, same streams, and its recorded config says what was held
(`.hydra/config.yaml`; the config hash in summary.json covers it). Management's rule moves the
held policy too, on the run's own books (sim/model.py), so a run with every channel held is the
baseline's run number for number.

Why staffing is its own channel: headcount is set in three places (the seats at the start, the
planners' budget every survey cycle, how soon a leaver is replaced inside the workforce stage),
and it reaches customers (waits), employees (workload) and the books (wages) alike. Splitting
it across those stages would credit a smaller staff's cheaper wage bill to "morale"; as one
channel the user reads "this effect comes from having fewer people".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from sim.config.errors import ConfigError, check_range
from sim.config.policy import PolicyConfig

# Every lever of the policy, in the schema's order.
LEVERS: tuple[str, ...] = tuple(f.name for f in fields(PolicyConfig))

# Where the model reads levers (sim/model.py): the day's stages in chain order, plus the seats
# at the start of a run and the planners' review each survey cycle (workforce.review_headcount).
STAGES: tuple[str, ...] = (
    "start",
    "roles",
    "queue",
    "encounters",
    "recovery",
    "back_office",
    "customers",
    "workforce",
    "planning",
    "money",
)

# The levers each stage reads (tests/test_attribution.py checks it against what a run reads).
# sim-compare skips the held run of a channel none of whose levers a scenario changes: that run
# is the scenario's own run number for number, so its effect through the channel is exactly 0.
_RECOVERY = ("recovery_budget", "recovery_authority", "approval_days")
STAGE_READS: dict[str, tuple[str, ...]] = {
    "start": ("staffing_level",),
    "roles": ("internal_service",),
    "queue": ("productivity_pressure", "hold_standards"),
    "encounters": ("script_strictness", "productivity_pressure"),
    "recovery": _RECOVERY,
    "back_office": _RECOVERY,
    "customers": (),
    "workforce": (
        "script_strictness",
        "recovery_budget",  # the "can" driver's empowerment (recovery.empowerment)
        "recovery_authority",
        "hiring_lag_days",
        "onboarding_days",
        "training",
        "pay_level",
        "feedback_sharing",
        "leadership_consistency",
        "development",
        "productivity_pressure",
    ),
    "planning": ("staffing_level", "hiring_lag_days"),
    "money": ("pay_level", "training", "feedback_sharing", "leadership_consistency", "development"),
}


@dataclass(frozen=True)
class Channel:
    """A path by which the levers reach the outcomes: stages, optionally only some levers."""

    stages: tuple[str, ...]  # every lever read at these stages (but those another one claims)
    meaning: str
    levers: tuple[str, ...] = ()  # and these levers, at whatever stage reads them


# The one table of channels (docs/EXPERIMENTS.md repeats it). Order: the report's.
CHANNELS: dict[str, Channel] = {
    "staffing": Channel(
        ("start", "planning"),
        "headcount: the seats at the start and each planning review, how soon leavers are replaced",
        levers=("staffing_level", "hiring_lag_days"),
    ),
    "morale": Channel(
        ("workforce",),
        "employees: drivers (want, know, can, feel), stress, work happiness, quits, learning",
    ),
    "encounters": Channel(
        ("roles", "queue", "encounters"),
        "encounter quality: internal service, handle time and standards, resolution, emotion",
    ),
    "recovery": Channel(
        ("recovery", "back_office"),
        "putting failures right: spend, on-the-spot authority, approval delays",
    ),
    "costs": Channel(("money",), "prices on the books: wages, trainers, people programmes"),
    "acquisition": Channel(("customers",), "word of mouth, defection and new customers"),
}


def channel_of(stage: str, lever: str) -> str:
    """The channel a lever read at a stage belongs to."""
    for name, ch in CHANNELS.items():
        if lever in ch.levers:
            return name
    for name, ch in CHANNELS.items():
        if stage in ch.stages:
            return name
    raise KeyError(f"stage {stage!r} is in no channel")


def channel_cells(channel: str) -> tuple[tuple[str, str], ...]:
    """The (stage, lever) reads that belong to `channel`."""
    return tuple(
        (stage, lever)
        for stage in STAGES
        for lever in STAGE_READS[stage]
        if channel_of(stage, lever) == channel
    )


def channel_levers(channel: str) -> tuple[str, ...]:
    """The levers `channel` reads somewhere, in the schema's order."""
    read = {lever for _, lever in channel_cells(channel)}
    return tuple(lv for lv in LEVERS if lv in read)


@dataclass
class HoldConfig:
    """Channels of the chain held at another policy (attribution; sim-compare sets them)."""

    channels: list[str] = field(
        default_factory=list,
        metadata={"doc": f"channels whose stages read `hold.policy`: {', '.join(CHANNELS)}"},
    )
    policy: dict[str, float] = field(
        default_factory=dict,
        metadata={
            "doc": "lever values the held channels read ({lever: value}); a lever not given "
            "takes the schema default (the baseline preset)"
        },
    )


def check_hold(hold: HoldConfig) -> None:
    """Refuse an unknown channel, an unknown lever or a lever value outside its range.

    Raises:
        ConfigError: naming `hold.channels` or `hold.policy.<lever>`, the value and what is
            allowed.
    """
    for name in hold.channels:
        if name not in CHANNELS:
            raise ConfigError("hold.channels", name, f"one of {', '.join(CHANNELS)}")
    ranges = {f.name: f.metadata["range"] for f in fields(PolicyConfig)}
    for lever, value in hold.policy.items():
        if lever not in ranges:
            raise ConfigError(f"hold.policy.{lever}", value, f"a lever: {', '.join(LEVERS)}")
        check_range(f"hold.policy.{lever}", value, *ranges[lever])


def held_policy(hold: HoldConfig) -> PolicyConfig:
    """The policy held channels read: the schema's defaults with `hold.policy` over them."""
    values = {
        k: round(v) if isinstance(getattr(PolicyConfig, k, 0.0), int) else float(v)
        for k, v in hold.policy.items()
    }
    return replace(PolicyConfig(), **values)


def held_levers(channels: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Per stage, the levers that read the held policy when `channels` are held."""
    held = set(channels)
    return {s: tuple(lv for lv in LEVERS if channel_of(s, lv) in held) for s in STAGES}


def stage_policy(own: PolicyConfig, held: PolicyConfig, levers: tuple[str, ...]) -> PolicyConfig:
    """`own` with `levers` taken from `held`: what one stage reads in a held run."""
    if not levers:
        return own
    return replace(own, **{lv: getattr(held, lv) for lv in levers})
