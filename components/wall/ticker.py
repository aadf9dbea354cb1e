"""The warning ticker along the wall's foot (issue 18): open warnings counted by level in the
four national colours, then the longest-open red and orange ones — how long each has been
open (a clock counting up in the browser) and who has it — scrolling.

A fixed number of slots, each restyled by a refresh; the scrolling is a CSS animation and
the clocks tick in ``assets/wall.js``, so the browser moves pixels, not nodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from citybrain.i18n import t
from components.wall.board import board_items, clock, clock_style, count_chips, count_chips_fill
from components.wall.ids import Fill, wid

SLOTS = 6
#: the levels the ticker names one by one (yellow and blue are counted only)
NAMED = ("red", "orange")


def ticker(lang: str) -> html.Div:
    items = [html.Span([html.Span(id=wid("text", f"ticker.{i}.level"), className="cb-tick-level"),
                        html.Span(id=wid("text", f"ticker.{i}.title"), className="cb-tick-title"),
                        html.Span(id=wid("text", f"ticker.{i}.open"), className="cb-tick-open"),
                        clock(f"ticker.{i}.clock", "cb-tick-clock"),
                        html.Span(id=wid("text", f"ticker.{i}.who"), className="cb-tick-who")],
                       id=wid("class", f"ticker.{i}"), className="cb-tick cb-empty") for i in range(SLOTS)]
    return html.Div([
        html.Div(t("wall.ticker", lang), className="cb-ticker-label"),
        html.Div(count_chips("ticker.count", lang), className="cb-counts cb-ticker-counts"),
        html.Div(html.Div(items, id=wid("class", "ticker.track"), className="cb-ticker-track"),
                 className="cb-ticker-window"),
    ], className="cb-wall-ticker")


def ticker_fill(rows: Sequence[Mapping[str, Any]], counts: Mapping[str, int], board: Mapping[str, Any] | None,
                departments: Mapping[str, Any], lang: str, now: dt.datetime) -> Fill:
    """``rows``: open warnings (``store.queries.wall.active_warnings``); ``counts``: open
    warnings by level, city-wide; ``board``: the dispatch read (who holds a warning's event)."""
    fill: Fill = count_chips_fill("ticker.count", counts)
    named = board_items(rows, board, domain=None, departments=departments, lang=lang, levels=NAMED,
                        with_events=False, now=now)
    for i in range(SLOTS):
        item = named[i] if i < len(named) else None
        if item is None and i == 0:  # no red or orange warning open: say so, calmly
            fill[("text", "ticker.0.level")] = ""
            fill[("text", "ticker.0.title")] = t("wall.ticker_none", lang) if not any(counts.values()) \
                else t("wall.ticker_no_red", lang)
            fill[("text", "ticker.0.open")] = fill[("text", "ticker.0.who")] = ""
            fill[("style", "ticker.0.clock")] = {}
            fill[("class", "ticker.0")] = "cb-tick cb-tick-none"
            continue
        fill[("text", f"ticker.{i}.level")] = t(f"wall.level.{item['level']}", lang) if item else ""
        fill[("text", f"ticker.{i}.title")] = item["title"] if item else ""
        fill[("text", f"ticker.{i}.open")] = t("wall.tick.open", lang) if item and item["since"] else ""
        fill[("style", f"ticker.{i}.clock")] = clock_style(item["since"]) if item else {}
        fill[("text", f"ticker.{i}.who")] = item["who"] if item else ""
        fill[("class", f"ticker.{i}")] = f"cb-tick cb-level-{item['level']}" if item else "cb-tick cb-empty"
    # scroll only when there is something to read; a calm wall stands still
    fill[("class", "ticker.track")] = "cb-ticker-track cb-scrolling" if len(named) > 1 else "cb-ticker-track"
    return fill
