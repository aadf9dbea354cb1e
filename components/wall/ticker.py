"""The warning ticker: active warnings in the four national level colours, scrolling.

A fixed number of slots, each restyled by a refresh; the scrolling is a CSS animation,
so the browser moves pixels, not nodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from dash import html

from citybrain.i18n import pick, t
from components.wall.fmt import local_hhmm
from components.wall.ids import Fill, wid

SLOTS = 8


def ticker(lang: str) -> html.Div:
    items = [html.Span([html.Span(id=wid("text", f"ticker.{i}.level"), className="cb-tick-level"),
                        html.Span(id=wid("text", f"ticker.{i}.title"), className="cb-tick-title")],
                       id=wid("class", f"ticker.{i}"), className="cb-tick cb-empty") for i in range(SLOTS)]
    return html.Div([
        html.Div(t("wall.ticker", lang), className="cb-ticker-label"),
        html.Div(html.Div(items, id=wid("class", "ticker.track"), className="cb-ticker-track"),
                 className="cb-ticker-window"),
    ], className="cb-wall-ticker")


def ticker_fill(rows: Sequence[dict[str, Any]], lang: str, tz: ZoneInfo, now: dt.datetime) -> Fill:
    fill: Fill = {}
    for i in range(SLOTS):
        r = rows[i] if i < len(rows) else None
        if r is None and i == 0:  # nothing active: say so, calmly
            fill[("text", "ticker.0.level")] = ""
            fill[("text", "ticker.0.title")] = t("wall.ticker_none", lang)
            fill[("class", "ticker.0")] = "cb-tick cb-tick-none"
            continue
        level = r["level"] if r else ""
        title = pick(r["title_zh"], r["title_en"], lang) if r else ""
        if r and r["state"] == "recovering":
            title += f"（{t('wall.state.recovering', lang)}）" if lang != "en" else f" ({t('wall.state.recovering', lang)})"
        if r and r.get("fired_at"):
            title += f" · {local_hhmm(r['fired_at'], tz, now)}"
        fill[("text", f"ticker.{i}.level")] = t(f"wall.level.{level}", lang) if r else ""
        fill[("text", f"ticker.{i}.title")] = title
        fill[("class", f"ticker.{i}")] = f"cb-tick cb-level-{level}" if r else "cb-tick cb-empty"
    # scroll only when there is something to read; a calm wall stands still
    fill[("class", "ticker.track")] = "cb-ticker-track cb-scrolling" if rows else "cb-ticker-track"
    return fill
