"""Generate the parameter tables of docs/MODEL.md from the config schema.

`python -m sim.docs` rewrites the block between the markers in docs/MODEL.md; a test checks
that the committed document matches, so the documented defaults, units, ranges and sources
are always the code's.
"""

from __future__ import annotations

import sys
from dataclasses import MISSING, fields
from pathlib import Path

from sim.config import BehaviourConfig, ManagementConfig, OrgConfig, PolicyConfig, SimConfig

BEGIN = "<!-- BEGIN GENERATED PARAMETER TABLES (python -m sim.docs) -->"
END = "<!-- END GENERATED PARAMETER TABLES -->"
MODEL_MD = Path(__file__).resolve().parent.parent / "docs" / "MODEL.md"

SECTIONS = (
    ("Run (top level)", "", SimConfig),
    ("Organisation (`org.*`, preset `org=call_centre`)", "org.", OrgConfig),
    ("Management levers (`policy.*`, preset `scenario=baseline`)", "policy.", PolicyConfig),
    ("Behaviour (`behaviour.*`, shared by every scenario)", "behaviour.", BehaviourConfig),
    ("Management as an agent (`management.*`)", "management.", ManagementConfig),
)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parameter_tables() -> str:
    """Markdown tables: key, default, unit, range, meaning, source."""
    out = [BEGIN, ""]
    for title, prefix, cls in SECTIONS:
        out += [f"#### {title}", "", "| key | default | unit | range | meaning | source |"]
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
    out.append(END)
    return "\n".join(out)


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
