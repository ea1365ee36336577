"""What a check is: its published figure, the runs it needs and the judge that reads them.

A check is declared where its judge is written, with the figure it is judged against:

    @ENVELOPE.check(
        "turnover",
        Published("annual agent turnover", "25% to over 50% (in-house 20-35%)",
                  "Holman, Batt & Holtgrewe 2007; ICMI 2016-17", band=(0.25, 0.50)),
        runs=org_runs,
    )
    def turnover(size: Size, get: Get, pub: Published) -> Judgement: ...

The judge receives the `Published` record and reads its pass range from it (`pub.band`,
`pub.bands[...]`), so the number a verdict rests on is written once, next to its source.

Every figure also says what it can prove (`role`): a check the model could have failed
(`VALIDATED`), one a parameter was set from (`CALIBRATED`), or one that reads an input back
(`CONSTRUCTION`). Only the first kind counts in the report's summary (issue 13 item 7): a pass
of the other two is expected, not evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.validation.runs import RunSpec, Size

Get = Callable[[RunSpec], dict[str, Any]]  # a run's outputs (time series and probes)
Band = tuple[float, float]

VALIDATED = "validated"  # the model could have missed it, and no parameter was set from it
CALIBRATED = "calibrated"  # a parameter was set or fitted from this very figure
CONSTRUCTION = "construction"  # the figure restates an input (the check reads it back)
ROLES = (VALIDATED, CALIBRATED, CONSTRUCTION)


@dataclass(frozen=True)
class Published:
    """A published figure (a row of docs/TARGETS.md) and how a check reads it.

    Attributes:
        figure: what is measured, as targets.md names it.
        claim: the published figure, in words, as the report quotes it.
        source: where it was published.
        band: the range of the model's figure that counts as the published one (its units are
            the judge's: a share, points, a ratio); None when the source gives a direction.
        bands: several named ranges, for checks that judge several figures at once.
        sign: the published direction of an effect (+1 up, -1 down), 0 when none is judged.
        added: not a row of targets.md but a dynamic pattern of the model's purpose.
        role: what a verdict on this figure can prove, one of ROLES; no default, so that every
            check states it.
        basis: for CALIBRATED, the parameter set from the figure; for CONSTRUCTION, the input
            the figure restates, and why; for VALIDATED, any caveat (a link whose direction is
            assumed from the same source), else empty.
    """

    figure: str
    claim: str
    source: str
    band: Band | None = None
    bands: Mapping[str, Band] = field(default_factory=dict)
    sign: int = 0
    added: bool = False
    role: str = ""
    basis: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            allowed = ", ".join(ROLES)
            raise ValueError(f"{self.figure!r}: role={self.role!r} is not one of {allowed}")
        if self.role != VALIDATED and not self.basis:
            raise ValueError(f"{self.figure!r}: a {self.role} figure must name its parameter")


@dataclass
class Judgement:
    model: str  # the model's figure, with its interval
    verdict: str
    note: str = ""  # why it misses, or what the figure means
    details: list[str] = field(default_factory=list)  # extra markdown lines
    plot: Callable[[Path], None] | None = None
    values: dict[str, Any] = field(default_factory=dict)  # the key numbers, for tests


Judge = Callable[[Size, Get, Published], Judgement]
Runs = Callable[[Size], list[RunSpec]]


@dataclass(frozen=True)
class Check:
    name: str
    section: str
    published: Published
    runs: Runs
    judge: Judge

    @property
    def figure(self) -> str:
        return self.published.figure

    def judgement(self, size: Size, get: Get) -> Judgement:
        return self.judge(size, get, self.published)


class Section:
    """The checks of one section of the report, in the order they are declared."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.checks: list[Check] = []

    def check(self, name: str, published: Published, *, runs: Runs) -> Callable[[Judge], Judge]:
        """Declare the decorated judge as check `name`, judged against `published` on `runs`."""

        def register(judge: Judge) -> Judge:
            if any(c.name == name for c in self.checks):
                raise ValueError(f"check {name!r} is declared twice in {self.title!r}")
            self.checks.append(Check(name, self.title, published, runs, judge))
            return judge

        return register
