"""The daily briefing's sections as a list of kinds, in print order.

A *section kind* is a function ``build(ctx) -> list[Section]`` named by its import path.
It returns zero sections (nothing to say: the kind leaves no empty heading), one, or
several (the themes give one section each). :func:`briefings.daily.build_daily` calls every
kind in :data:`SECTION_KINDS` order and numbers the headings (一、二、… / 1. 2. …) of the
sections marked ``numbered`` afterwards, so a kind never knows its number.

Adding a kind is one line in :data:`SECTION_KINDS`. Kinds
are named by ``"module:function"`` and imported when a briefing is built, so a kind's
module may import the page modules (which need Dash set up) and nothing here is cyclic.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from briefings.document import Section
from citybrain.settings import Settings


@dataclass(frozen=True)
class BriefContext:
    """Everything a section kind may need about the briefing it is part of.

    ``start``/``end`` are the period (the local day) as UTC instants. ``as_of`` is the
    instant the briefing describes — the period's end (or ``now`` while the day is still
    running): a report about yesterday shows yesterday as it ended, never "current" values.
    ``sources`` is :func:`store.queries.sources.source_overview` at ``now`` (data as-of and
    staleness per source).
    """

    settings: Settings
    engine: Engine
    day: dt.date
    lang: str
    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime
    now: dt.datetime
    sources: list[dict[str, Any]]

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def local(self, ts: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """An instant in the city's zone ("—" for none)."""
        return ts.astimezone(self.tz).strftime(fmt) if ts else "—"


@dataclass(frozen=True)
class SectionKind:
    """One entry of the briefing's section list: ``build`` is ``"module:function"``."""

    key: str
    build: str

    def function(self) -> Callable[[BriefContext], list[Section]]:
        module, _, name = self.build.partition(":")
        return getattr(importlib.import_module(module), name)


#: The daily briefing's sections in print order. One line per kind.
SECTION_KINDS: tuple[SectionKind, ...] = (
    SectionKind("summary", "briefings.summary:sections"),        # page 1: 要情摘要 (unnumbered)
    SectionKind("index", "briefings.daily:index_sections"),      # 城市生命体征指数
    SectionKind("domains", "briefings.daily:domain_sections"),   # traffic, environment, tourism, hotline, economy
    SectionKind("themes", "briefings.theme_section:sections"),   # one per theme of the city config (issue 20)
    SectionKind("outlook", "briefings.outlook:sections"),        # tomorrow's expected peaks (issue 22)
    SectionKind("dispatch", "briefings.dispatch_section:sections"),  # overdue orders, scorecard (issue 21)
    SectionKind("warnings", "briefings.daily:warnings_sections"),  # 预警情况
    SectionKind("quality", "briefings.daily:quality_sections"),  # 数据质量 (last)
)


def build_sections(ctx: BriefContext, kinds: tuple[SectionKind, ...] | None = None) -> list[Section]:
    """Every kind's sections in order (not yet numbered); the list is read at call time."""
    out: list[Section] = []
    for kind in SECTION_KINDS if kinds is None else kinds:
        out.extend(kind.function()(ctx))
    return out
