"""The "as of" line: when the shown data was last observed, its age, and a stale badge."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import format_age, t
from components.badges import stale_badge


def is_stale(data_time: dt.datetime | None, max_age: dt.timedelta, now: dt.datetime) -> bool:
    """Older than the domain allows (``settings.max_age``), or never delivered."""
    return data_time is None or now - data_time > max_age


def as_of(data_time: dt.datetime | None, max_age: dt.timedelta, tz: ZoneInfo, lang: str,
          now: dt.datetime | None = None) -> Any:
    now = now or dt.datetime.now(dt.timezone.utc)
    if data_time is None:
        return dmc.Group([html.Span(t("page.as_of_none", lang), className="cb-asof-text"), stale_badge(lang)], gap=6)
    local = data_time.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    text = t("page.as_of", lang, time=local, age=format_age((now - data_time).total_seconds(), lang))
    parts: list[Any] = [html.Span(text, className="cb-asof-text")]
    if is_stale(data_time, max_age, now):
        parts.append(stale_badge(lang))
    return dmc.Group(parts, gap=6, className="cb-asof")
