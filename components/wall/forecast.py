"""The "未来4小时" panel of the traffic and tourism screens (issue 22): the next four hours of
the screen's headline series as forecast, each hour with its 80 % interval, and for the
scenic sites which are expected to pass their 80 % line and when.

Honest by construction: with no stored forecast (the forecast job has not run, the series
is too short, the package is not installed) the panel says "暂无预测" and shows no number —
never yesterday's values dressed up as a forecast (the trend chart's dashed line, labelled
"虚线=昨日", is the only place yesterday stands in). Data come from
``store.queries.wall_forecast`` (the forecast helper's read function, cached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from dash import html

from citybrain.i18n import format_number, t
from components.wall.fmt import hour_format
from components.wall.ids import Fill, wid

HOURS = 4
ALERT_SLOTS = 2


def forecast_panel(key: str, lang: str, *, alerts: bool = False) -> html.Div:
    """Empty: title, note, four hour cells, ("alerts") the sites expected past their line."""
    cells = [html.Div([html.Span(id=wid("text", f"{key}.{i}.hour"), className="cb-fc-hour"),
                       html.Span(id=wid("text", f"{key}.{i}.value"), className="cb-fc-value"),
                       html.Span(id=wid("text", f"{key}.{i}.range"), className="cb-fc-range")],
                      className="cb-fc-cell") for i in range(HOURS)]
    parts: list[Any] = [
        html.Div([html.Span(t("wall.fc.title", lang), className="cb-panel-title"),
                  html.Span(id=wid("text", f"{key}.note"), className="cb-fc-note")], className="cb-panel-head"),
        html.Div(t("wall.fc.none", lang), id=wid("class", f"{key}.none"), className="cb-fc-none"),
        html.Div(cells, id=wid("class", f"{key}.cells"), className="cb-fc-cells cb-hidden"),
    ]
    if alerts:
        parts.append(html.Div([html.Div(id=wid("text", f"{key}.alert.{i}"), className="cb-fc-alert")
                               for i in range(ALERT_SLOTS)], className="cb-fc-alerts"))
    return html.Div(parts, className="cb-fc")


def _value(v: float | None, lang: str, digits: int) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}f}" if digits else format_number(round(v), lang)


def forecast_fill(key: str, fc: Mapping[str, Any] | None, *, tz: ZoneInfo, lang: str, digits: int = 1,
                  names: Mapping[str, str] | None = None, alerts: bool = False) -> Fill:
    """``fc``: ``{"points": [{time, value, lo80, hi80}], "note": str, "alerts": [{code, time, ratio}]}``
    (``store.queries.wall_forecast``) or None — no stored forecast: "暂无预测"."""
    points = list((fc or {}).get("points") or [])[:HOURS]
    fill: Fill = {}
    have = bool(points)
    fill[("class", f"{key}.none")] = "cb-fc-none cb-hidden" if have else "cb-fc-none"
    fill[("class", f"{key}.cells")] = "cb-fc-cells" if have else "cb-fc-cells cb-hidden"
    fill[("text", f"{key}.note")] = standing_text(fc, lang) if have else ""
    fmt = hour_format(lang)
    for i in range(HOURS):
        p = points[i] if i < len(points) else None
        when = p["time"].astimezone(tz).strftime(fmt) if p else ""
        fill[("text", f"{key}.{i}.hour")] = when
        fill[("text", f"{key}.{i}.value")] = _value(p.get("value"), lang, digits) if p else ""
        lo, hi = (p.get("lo80"), p.get("hi80")) if p else (None, None)
        fill[("text", f"{key}.{i}.range")] = (f"{_value(lo, lang, digits)}–{_value(hi, lang, digits)}"
                                              if lo is not None and hi is not None else "")
    if alerts:
        rows = list((fc or {}).get("alerts") or [])[:ALERT_SLOTS] if have else []
        for i in range(ALERT_SLOTS):
            a = rows[i] if i < len(rows) else None
            fill[("text", f"{key}.alert.{i}")] = t(
                "wall.fc.alert", lang, name=(names or {}).get(a["code"], a["code"]),
                time=a["time"].astimezone(tz).strftime(fmt), value=f"{a['ratio'] * 100:.0f}%") if a else ""
    return fill


def standing_text(fc: Mapping[str, Any] | None, lang: str) -> str:
    """The forecast's standing in its backtest, in the panel's head: 优于基线23% — or, when no
    model beat the seasonal-naive baseline, that the baseline is what is shown."""
    fc = fc or {}
    if fc.get("fallback", True) or fc.get("better") is None:
        return t("wall.fc.baseline", lang)
    return t("wall.fc.better", lang, value=f"{round(100 * fc['better'])}%")
