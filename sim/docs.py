"""Generate the parameter tables of docs/MODEL.md from the config schema.

`python -m sim.docs` rewrites the block between the markers in docs/MODEL.md; a test checks
that the committed document matches, so the documented defaults, units, ranges and sources
are always the code's.
"""

from __future__ import annotations

import sys
from dataclasses import MISSING, fields
from pathlib import Path

from sim.config import (
    CustomerBehaviour,
    EncounterBehaviour,
    ManagementConfig,
    OrgConfig,
    PolicyConfig,
    QueueBehaviour,
    RecoveryBehaviour,
    RoleConfig,
    SimConfig,
    StageConfig,
    StandardsBehaviour,
    WordOfMouthBehaviour,
    WorkforceBehaviour,
)

BEGIN = "<!-- BEGIN GENERATED PARAMETER TABLES (python -m sim.docs) -->"
END = "<!-- END GENERATED PARAMETER TABLES -->"
MODEL_MD = Path(__file__).resolve().parent.parent / "docs" / "MODEL.md"

SECTIONS = (
    ("Run (top level)", "", SimConfig),
    ("Organisation (`org.*`, preset `org=call_centre`)", "org.", OrgConfig),
    ("Management levers (`policy.*`, preset `scenario=baseline`)", "policy.", PolicyConfig),
    # Behaviour (`behaviour.*`, shared by every scenario), one table per section of the day.
    ("Behaviour: employees (`behaviour.*`, WorkforceBehaviour)", "behaviour.", WorkforceBehaviour),
    ("Behaviour: the queue (`behaviour.*`, QueueBehaviour)", "behaviour.", QueueBehaviour),
    (
        "Behaviour: the service standard (`behaviour.*`, StandardsBehaviour)",
        "behaviour.",
        StandardsBehaviour,
    ),
    ("Behaviour: encounters (`behaviour.*`, EncounterBehaviour)", "behaviour.", EncounterBehaviour),
    (
        "Behaviour: failure and recovery (`behaviour.*`, RecoveryBehaviour)",
        "behaviour.",
        RecoveryBehaviour,
    ),
    ("Behaviour: customers (`behaviour.*`, CustomerBehaviour)", "behaviour.", CustomerBehaviour),
    (
        "Behaviour: word of mouth (`behaviour.*`, WordOfMouthBehaviour)",
        "behaviour.",
        WordOfMouthBehaviour,
    ),
    ("Management as an agent (`management.*`)", "management.", ManagementConfig),
    (
        "Journey stages (`journey.stages.<stage>.*`; values per stage in configs/journey/)",
        "journey.stages.<stage>.",
        StageConfig,
    ),
    (
        "Journey roles (`journey.roles.<role>.*`; values per role in configs/journey/)",
        "journey.roles.<role>.",
        RoleConfig,
    ),
)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parameter_tables() -> str:
    """Markdown tables: key, default, unit, range, meaning, source."""
    out = [BEGIN, ""]
    for title, prefix, cls in SECTIONS:
        where = cls.__module__.replace(".", "/") + ".py"  # the module that defines them
        out += [f"#### {title}", "", f"Defined in `{where}`.", ""]
        out += ["| key | default | unit | range | meaning | source |"]
        out.append("|---|---|---|---|---|---|")
        for f in fields(cls):
            if "range" not in f.metadata:
                continue
            default = f.default if f.default is not MISSING else f.default_factory()
            lo, hi = f.metadata["range"]
            row = (
                f"`{prefix}{f.name}`",
                _fmt(default),
                f.metadata["unit"],
                f"[{_fmt(lo)}, {_fmt(hi)}]",
                f.metadata["doc"],
                f.metadata["source"],
            )
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    out += journey_tables()
    out.append(END)
    return "\n".join(out)


def journey_tables() -> list[str]:
    """The values of every journey preset (configs/journey/*.yaml), stage by stage and role by
    role. Unless a stage or role row names a source, each value is an assumption."""
    from sim.config import load_journey

    out = []
    presets = sorted((MODEL_MD.parent.parent / "configs" / "journey").glob("*.yaml"))
    stage_cols = [f.name for f in fields(StageConfig) if "range" in f.metadata]
    role_cols = [f.name for f in fields(RoleConfig) if "range" in f.metadata]
    for path in presets:
        j = load_journey(path.stem)
        out += [f"#### Journey preset `journey={path.stem}` (every value an assumption)", ""]
        out += ["| stage | " + " | ".join(stage_cols) + " | touchpoints | contact reasons |"]
        out.append("|---" * (len(stage_cols) + 3) + "|")
        for name, st in j.stages.items():
            values = [_fmt(getattr(st, c)) for c in stage_cols]
            row = [f"`{name}`", *values, ", ".join(st.touchpoints), ", ".join(st.contact_reasons)]
            out.append("| " + " | ".join(row) + " |")
        out += [
            "",
            "| role | office | stages | depends on | provides | " + " | ".join(role_cols) + " |",
        ]
        out.append("|---" * (len(role_cols) + 5) + "|")
        for name, ro in j.roles.items():
            row = [
                f"`{name}`",
                str(ro.office),
                ", ".join(ro.stages) or "-",
                ", ".join(ro.depends_on) or "-",
                str(ro.provides),
                *[_fmt(getattr(ro, c)) for c in role_cols],
            ]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return out


def render(text: str) -> str:
    """The document with its generated block replaced by the current tables."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + parameter_tables() + text[end:]


def main() -> None:
    text = MODEL_MD.read_text()
    new = render(text)
    if new != text:
        MODEL_MD.write_text(new)
        print(f"updated {MODEL_MD}")
    else:
        print(f"{MODEL_MD} is up to date")
    sys.exit(0)


if __name__ == "__main__":
    main()
