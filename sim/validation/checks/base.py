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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.validation.runs import RunSpec, Size

Get = Callable[[RunSpec], dict[str, Any]]  # a run's outputs (time series and probes)
Band = tuple[float, float]


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
    """

    figure: str
    claim: str
    source: str
    band: Band | None = None
    bands: Mapping[str, Band] = field(default_factory=dict)
    sign: int = 0
    added: bool = False


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
