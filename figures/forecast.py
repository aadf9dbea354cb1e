"""The forecast band (issue 22): added to any time-series figure of pages, wall and briefing.

:func:`add_band` appends three traces — the 95 % and the 80 % interval as filled bands
and the point forecast as a dashed line — starting where the observed series ends, and
labels the figure with the series' accuracy ("近4周预测误差 MASE 0.52，优于基线 23%") and,
when its last observation is old, the age. Pure: data in, figure out. The traces carry
``meta = "forecast"`` so a test (or a Patch) can find them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from citybrain.i18n import t
from figures import FONT

BAND95 = "rgba(64, 128, 255, 0.12)"
BAND80 = "rgba(64, 128, 255, 0.24)"
LINE = "rgba(40, 90, 220, 0.95)"


def _x(times: Any, tz: ZoneInfo | None, as_text: bool) -> list[Any]:
    out = []
    for v in times:
        v = v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
        local = v.astimezone(tz) if tz and isinstance(v, dt.datetime) else v
        out.append(local.strftime("%Y-%m-%d %H:%M") if as_text and isinstance(local, dt.datetime) else local)
    return out


def add_band(fig: go.Figure, forecast: Any, *, lang: str = "zh", tz: ZoneInfo | None = None,
             text_times: bool = True, label: bool = True, now: dt.datetime | None = None) -> go.Figure:
    """Append ``forecast``'s band (a :class:`forecast.read.Forecast`; None adds nothing).

    ``text_times``: x as local "YYYY-MM-DD HH:MM" strings, as :mod:`figures.trend` plots
    the observed series; False keeps aware datetimes (for figures with a date axis)."""
    if forecast is None or forecast.points.empty:
        return fig
    p = forecast.points
    x = _x(p["time"], tz, text_times)
    name = t("fc.band", lang)
    fig.add_trace(go.Scatter(x=x + x[::-1], y=list(p["hi95"]) + list(p["lo95"])[::-1], fill="toself",
                             fillcolor=BAND95, line={"width": 0}, hoverinfo="skip", name=t("fc.band95", lang),
                             showlegend=False, meta="forecast"))
    fig.add_trace(go.Scatter(x=x + x[::-1], y=list(p["hi80"]) + list(p["lo80"])[::-1], fill="toself",
                             fillcolor=BAND80, line={"width": 0}, hoverinfo="skip", name=t("fc.band80", lang),
                             showlegend=False, meta="forecast"))
    fig.add_trace(go.Scatter(x=x, y=list(p["value"]), mode="lines", line={"color": LINE, "dash": "dash", "width": 2},
                             name=name, showlegend=False, meta="forecast",
                             customdata=list(zip(p["lo80"], p["hi80"])),
                             hovertemplate="%{x}<br>" + name + " %{y:.1f} (80%: %{customdata[0]:.0f}–"
                                           "%{customdata[1]:.0f})<extra></extra>"))
    if label:
        from forecast.read import accuracy_label

        text = accuracy_label(forecast, lang)
        if now is not None:
            period = dt.timedelta(hours=1) if forecast.grain == "hour" else dt.timedelta(days=1)
            age = forecast.age(now, period)
            if age > dt.timedelta(hours=1):
                when = forecast.last_obs.astimezone(tz) if tz else forecast.last_obs
                text += " · " + t("fc.age", lang, time=f"{when:%m-%d %H:%M}", age=_age(age, lang))
        fig.add_annotation(text=text, xref="paper", yref="paper", x=1, y=1, xanchor="right", yanchor="top",
                           bgcolor="rgba(255, 255, 255, 0.8)",
                           showarrow=False, font={"family": FONT, "size": 11, "color": "#5b6b80"},
                           name="forecast-accuracy")
    return fig


def _age(age: dt.timedelta, lang: str) -> str:
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} 小时" if lang == "zh" else f"{hours:.0f} h"
    return f"{hours / 24:.0f} 天" if lang == "zh" else f"{hours / 24:.0f} days"
