"""The forecast band (issue 22): added to any time-series figure of pages, wall and briefing.

:func:`add_band` appends three traces — the 95 % and the 80 % interval as filled bands
and the point forecast as a dashed line — starting where the observed series ends, and
labels the figure with the series' accuracy ("近4周预测误差 MASE 0.52，优于基线 23%") and,
when its last observation is old, the age. Pure: data in, figure out. The traces carry
``meta = "forecast"`` so a test (or a Patch) can find them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from citybrain.i18n import t
from figures import FONT

BAND95 = "rgba(64, 128, 255, 0.12)"
BAND80 = "rgba(64, 128, 255, 0.24)"
LINE = "rgba(40, 90, 220, 0.95)"
#: the label's line width: fits the narrowest page chart (a phone's, ~290 px of plot)
WRAP_PX = 250


def _x(times: Any, tz: ZoneInfo | None, as_text: bool, fmt: str = "%Y-%m-%d %H:%M") -> list[Any]:
    out = []
    for v in times:
        v = v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
        local = v.astimezone(tz) if tz and isinstance(v, dt.datetime) else v
        out.append(local.strftime(fmt) if as_text and isinstance(local, dt.datetime) else local)
    return out


def add_band(fig: go.Figure, forecast: Any, *, lang: str = "zh", tz: ZoneInfo | None = None,
             text_times: bool = True, label: bool = True, now: dt.datetime | None = None) -> go.Figure:
    """Append ``forecast``'s band (a :class:`forecast.read.Forecast`; None adds nothing).

    ``text_times``: x as local "YYYY-MM-DD HH:MM" strings, as :mod:`figures.trend` plots
    the observed series; False keeps aware datetimes (for figures with a date axis)."""
    if forecast is None or forecast.points.empty:
        return fig
    p = forecast.points
    # a daily series' points are local dates ("YYYY-MM-DD"), as a page's daily buckets are
    x = _x(p["time"], tz, text_times, "%Y-%m-%d" if forecast.grain == "day" else "%Y-%m-%d %H:%M")
    name = t("fc.band", lang)
    digits = ".1f" if float(p["hi95"].max()) < 20 else ".0f"  # TPI 1.2–1.6, not "1–2"
    # legend: the observed series, then the dashed forecast, then one entry for both bands
    # (the legend grows the chart's top margin: a phone's chart keeps its plot)
    fig.add_trace(go.Scatter(x=x + x[::-1], y=list(p["hi95"]) + list(p["lo95"])[::-1], fill="toself", mode="lines",
                             fillcolor=BAND95, line={"width": 0}, hoverinfo="skip", name=t("fc.band95", lang),
                             showlegend=False, meta="forecast", legendgroup="forecast-band"))
    fig.add_trace(go.Scatter(x=x + x[::-1], y=list(p["hi80"]) + list(p["lo80"])[::-1], fill="toself", mode="lines",
                             fillcolor=BAND80, line={"width": 0}, hoverinfo="skip", name=t("fc.bands", lang),
                             legendrank=1002, meta="forecast", legendgroup="forecast-band"))
    fig.add_trace(go.Scatter(x=x, y=list(p["value"]), mode="lines", line={"color": LINE, "dash": "dash", "width": 2},
                             name=name, legendrank=1001, meta="forecast",
                             customdata=list(zip(p["lo80"], p["hi80"])),
                             hovertemplate="%{x}<br>" + name + " %{y:" + digits + "} (80%: %{customdata[0]:" + digits
                                           + "}–%{customdata[1]:" + digits + "})<extra></extra>"))
    # The legend says what the dashed line and the bands are; its title (above the entries)
    # carries the accuracy and the age. A legend grows the top margin to fit itself, wrapped
    # lines included — an annotation inside the plot hid the band's top and was cut at the
    # left edge on a phone.
    legend: dict[str, Any] = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom",
                              "font": {"size": 11}} if fig.layout.legend.orientation is None else {}
    if label:
        legend["title"] = {"text": "<br>".join(label_lines(forecast, lang, tz=tz, now=now)), "side": "top",
                           "font": {"family": FONT, "size": 11, "color": "#5b6b80"}}
    fig.update_layout(showlegend=True, legend=legend)
    return fig


def label_lines(forecast: Any, lang: str = "zh", *, tz: ZoneInfo | None = None, now: dt.datetime | None = None,
                width: float = WRAP_PX) -> list[str]:
    """The accuracy label and, when the last observation is a whole period old, its age —
    wrapped to lines of about ``width`` px at 11 px (a phone's chart is ~290 px wide)."""
    from forecast.read import accuracy_label

    lines = wrap(accuracy_label(forecast, lang), width, lang)
    if now is not None:
        period = dt.timedelta(hours=1) if forecast.grain == "hour" else dt.timedelta(days=1)
        age = forecast.age(now, period)
        if age > period:  # a whole period missing (a daily series is not old at 10:00 today)
            when = forecast.last_obs.astimezone(tz) if tz else forecast.last_obs
            fmt = "%m-%d %H:%M" if forecast.grain == "hour" else "%m-%d"
            lines += wrap(t("fc.age", lang, time=f"{when:{fmt}}", age=_age(age, lang)), width, lang)
    return lines


def wrap(text: str, width: float = WRAP_PX, lang: str = "zh") -> list[str]:
    """Greedy lines of at most ``width`` px (CJK ~11 px, other ~6.2 px a character), broken
    after a full-width comma or semicolon — and in English after any space."""
    parts = re.split(r"(?<=[，；])" if lang == "zh" else r"(?<= )", text)
    lines: list[str] = []
    for part in (p for p in parts if p):
        if lines and _px(lines[-1] + part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return [ln.strip() for ln in lines]


def _px(text: str) -> float:
    return sum(11 if ord(ch) > 0x2E80 else 6.2 for ch in text)


def _age(age: dt.timedelta, lang: str) -> str:
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} 小时" if lang == "zh" else f"{hours:.0f} h"
    return f"{hours / 24:.0f} 天" if lang == "zh" else f"{hours / 24:.0f} days"
