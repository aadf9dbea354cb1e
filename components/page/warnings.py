"""The page's active warnings: level colour and label (alerts.levels), title, since when."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from alerts.levels import level as level_info
from citybrain.i18n import pick, t
from components.center.fmt import warning_title


def warnings_list(rows: list[dict[str, Any]], tz: ZoneInfo, lang: str) -> Any:
    """One line per open warning; a quiet sentence when there are none (an empty box reads as broken)."""
    if not rows:
        return dmc.Text(t("page.no_warnings", lang), c="dimmed", size="sm", className="cb-warnings-none")
    items = []
    for r in rows:
        lv = level_info(r["level"])
        started = r["started_at"]
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=dt.timezone.utc)
        since = started.astimezone(tz).strftime("%m-%d %H:%M") if started else ""
        items.append(html.Div([
            dmc.Badge(pick(lv.label_zh, lv.label_en, lang), color=lv.colour, variant="filled", size="sm",
                      className=f"cb-warn-level cb-warn-{lv.name}"),
            html.Span(warning_title(r, lang), className="cb-warn-title"),
            html.Span(t("page.warning_since", lang, time=since), className="cb-warn-since"),
            html.A(t("page.warning_open", lang), href=f"/warnings?id={r['id']}", className="cb-warn-link"),
        ], className="cb-warn-item"))
    return html.Div(items, className="cb-warnings-list")
