"""What a briefing says, as plain data: cover, sections, and the blocks inside them.

Builders (:mod:`briefings.daily`, :mod:`briefings.pages`) fill a :class:`Document`;
:mod:`briefings.layout` turns it into the print layout; :mod:`briefings.checks` knows
from it which headings and how many figures the PDF must show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    unit: str = ""
    note: str = ""  # e.g. "较昨日 +3.2%　较上周 −1.0%"
    tone: str = ""  # "", "good", "bad"


@dataclass(frozen=True)
class Figure:
    """A plotly figure (as a dict) drawn from the same builders as the screens."""

    id: str
    title: str
    figure: dict[str, Any]
    wide: bool = True
    height: int = 260


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    #: columns to right-align (numbers)
    numeric: tuple[int, ...] = ()
    empty: str = ""


@dataclass(frozen=True)
class Note:
    """A sentence in a box: ``kind`` "quality" (data-quality), "info" or "alert"."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class Bullets:
    """Sentences led by a bold topic ("指数：…"), one per line — the 要情摘要."""

    items: list[tuple[str, str]]


@dataclass(frozen=True)
class Row:
    """Blocks side by side in equal columns (two short tables share a line)."""

    blocks: list[Any]


Block = Kpi | Figure | Table | Note | Bullets | Row | list


@dataclass
class Section:
    id: str
    heading: str
    blocks: list[Any] = field(default_factory=list)
    #: the daily briefing numbers the headings of numbered sections (一、二、…) once all are built
    numbered: bool = True
    #: the next section starts on a new page (the 要情摘要 has page 1 to itself)
    ends_page: bool = False

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]


@dataclass
class Document:
    """A whole briefing or page export."""

    kind: str  # "daily" | "page"
    title: str
    subtitle: str
    lang: str
    #: (label, value) lines on the cover: city, date, period, generated at, data as-of…
    cover: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    header: str = ""
    footer: str = ""
    #: fewest pages a complete print can have (a check)
    min_pages: int = 1

    @property
    def headings(self) -> list[str]:
        return [s.heading for s in self.sections]

    @property
    def figure_ids(self) -> list[str]:
        return [f.id for s in self.sections for f in s.figures()]
