"""A trend: one series (line or bars), an optional dashed comparison, an optional reference line.

Used for the wall's 24-hour trends (index, AQI, TPI, visitors, calls) and the economy's
last periods. The figure's *structure* is fixed — trace 0 is the series, trace 1 the
comparison (possibly empty) — so a refresh can patch only ``data[i].x/y`` (see
:func:`trend_data`) instead of shipping and redrawing a whole figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from figures import FONT

Series = Sequence[tuple[Any, float | None]]



def _x(value: Any, tz: ZoneInfo | None) -> Any:
    """Datetimes become local wall-clock strings: the reader's axis is city time, not UTC."""
    if isinstance(value, dt.datetime):
        local = value.astimezone(tz) if tz else value
        return local.strftime("%Y-%m-%d %H:%M")
    return value


def trend_data(series: Series, comparison: Series = (), *, tz: ZoneInfo | None = None) -> list[dict[str, list[Any]]]:
    """The x/y arrays of trace 0 and trace 1 — what a refresh patches into the figure."""
    return [
        {"x": [_x(x, tz) for x, _ in series], "y": [y for _, y in series]},
        {"x": [_x(x, tz) for x, _ in comparison], "y": [y for _, y in comparison]},
    ]


def trend_figure(series: Series = (), comparison: Series = (), *, tz: ZoneInfo | None = None,
                 kind: str = "line", color: str = "#4dabf7", font_px: int = 24,
                 reference: float | None = None, reference_color: str = "#ffa94d",
                 y_range: tuple[float, float] | None = None, time_axis: bool = True,
                 tick_format: str = "%H时", dark: bool = True) -> go.Figure:
    """A compact, chrome-free trend readable from across a room.

    ``font_px`` is the smallest text on the wall (tick labels); the canvas scale is folded
    into it by the caller. Transparent background so the panel's colour shows through.
    """
    data = trend_data(series, comparison, tz=tz)
    ink = "#c9d4e3" if dark else "#333"
    grid = "rgba(201,212,227,0.15)" if dark else "rgba(0,0,0,0.1)"
    main: go.BaseTraceType
    if kind == "bar":
        main = go.Bar(x=data[0]["x"], y=data[0]["y"], marker={"color": color}, hoverinfo="skip")
    else:
        main = go.Scatter(x=data[0]["x"], y=data[0]["y"], mode="lines", line={"color": color, "width": font_px / 6},
                          fill="tozeroy", fillcolor=_fade(color), hoverinfo="skip")
    second = go.Scatter(x=data[1]["x"], y=data[1]["y"], mode="lines",
                        line={"color": ink, "width": font_px / 10, "dash": "dash"}, hoverinfo="skip")
    fig = go.Figure([main, second])
    xaxis: dict[str, Any] = {"showgrid": False, "tickfont": {"size": font_px, "color": ink}, "fixedrange": True,
                             "nticks": 6, "automargin": True}
    if time_axis and kind != "bar":
        xaxis |= {"type": "date", "tickformat": tick_format}
    else:
        xaxis |= {"type": "category"}
    yaxis: dict[str, Any] = {"gridcolor": grid, "tickfont": {"size": font_px, "color": ink}, "fixedrange": True,
                             "nticks": 4, "zeroline": False, "automargin": True}
    if y_range:
        yaxis["range"] = list(y_range)
    fig.update_layout(
        template=None, showlegend=False, autosize=True,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "size": font_px, "color": ink},
        xaxis=xaxis, yaxis=yaxis, bargap=0.25,
    )
    if reference is not None:
        fig.add_hline(y=reference, line={"color": reference_color, "width": font_px / 10, "dash": "dot"})
    return fig


def _fade(color: str, alpha: float = 0.18) -> str:
    """``#rrggbb`` → the same colour at ``alpha`` (area fill under a line)."""
    if color.startswith("#") and len(color) == 7:
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        return f"rgba({r},{g},{b},{alpha})"
    return color
