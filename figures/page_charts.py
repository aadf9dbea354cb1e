"""Figure builders of the themed office pages (light theme): data in, figure out.

Pure functions of plain data — no store, no Dash — so the PDF briefings reuse them and
tests check them without a browser. Times arrive already in the city's zone (or as
labels); the builders never convert. The wall's dark builders live in ``figures.trend``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from citybrain.i18n import PERCENT_AXIS, POINTS_AXIS
from figures import FONT

INK = "#343a40"
GRID = "rgba(0,0,0,0.08)"
PALETTE = ("#4263eb", "#f08c00", "#2f9e44", "#c2255c", "#1098ad", "#7048e8", "#e8590c", "#5c940d", "#868e96")


def _base(fig: go.Figure, *, y_title: str = "", legend: bool = False, empty_text: str = "") -> go.Figure:
    fig.update_layout(
        template=None, autosize=True, showlegend=legend, margin={"l": 8, "r": 8, "t": 8, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "size": 12, "color": INK}, hovermode="closest",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
        xaxis={"showgrid": False, "automargin": True, "linecolor": "#ced4da", "zeroline": False},
        yaxis={"gridcolor": GRID, "automargin": True, "zeroline": False, "title": {"text": y_title}},
    )
    if empty_text and not any(len(getattr(tr, "x", None) or getattr(tr, "y", None) or []) for tr in fig.data):
        fig.add_annotation(text=empty_text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font={"size": 14, "color": "#868e96"})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def _reference(fig: go.Figure, refs: Sequence[tuple[float, str, str]]) -> None:
    for y, label, color in refs:
        fig.add_hline(y=y, line={"color": color, "width": 1.5, "dash": "dash"},
                      annotation={"text": label, "font": {"size": 11, "color": color}, "xanchor": "left",
                                  "x": 0, "yanchor": "bottom"})


def line_figure(series: Sequence[tuple[str, Sequence[Any], Sequence[float | None]]], *,
                refs: Sequence[tuple[float, str, str]] = (), y_title: str = "", percent: bool = False,
                colors: Sequence[str] = PALETTE, empty_text: str = "", markers: bool = False,
                y_range: tuple[float, float] | None = None, points: bool = False) -> go.Figure:
    """Several named series (name, x, y) on one time axis, with dashed reference lines.

    ``percent``: y holds ratios (0.95 → "95%"); ``points``: y holds percentage points
    (同比 2.3 → "2.3%") — both in the one percent format of :mod:`citybrain.i18n`."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers" if markers else "lines",
                                line={"color": colors[i % len(colors)], "width": 2}, connectgaps=False)
                     for i, (name, x, y) in enumerate(series)])
    _reference(fig, refs)
    _base(fig, y_title=y_title, legend=len(series) > 1, empty_text=empty_text)
    if percent:
        fig.update_yaxes(**PERCENT_AXIS)
    elif points:
        fig.update_yaxes(**POINTS_AXIS)
    if y_range:
        fig.update_yaxes(range=list(y_range))
    return fig


def bar_figure(labels: Sequence[str], values: Sequence[float | None], *, codes: Sequence[str] | None = None,
               colors: Sequence[str] | str = PALETTE[0], horizontal: bool = False, text: Sequence[str] | None = None,
               refs: Sequence[tuple[float, str, str]] = (), y_title: str = "", percent: bool = False,
               empty_text: str = "") -> go.Figure:
    """Bars per entity or category; ``codes`` go into customdata so a click can drill down."""
    kw: dict[str, Any] = {"x": list(values), "y": list(labels), "orientation": "h"} if horizontal else \
        {"x": list(labels), "y": list(values)}
    fig = go.Figure(go.Bar(**kw, marker={"color": list(colors) if not isinstance(colors, str) else colors},
                           customdata=list(codes) if codes is not None else None,
                           text=list(text) if text is not None else None, textposition="auto",
                           hovertemplate="%{" + ("y" if horizontal else "x") + "}: %{" +
                           ("x" if horizontal else "y") + "}<extra></extra>"))
    if horizontal:
        for y, label, color in refs:
            fig.add_vline(x=y, line={"color": color, "width": 1.5, "dash": "dash"},
                          annotation={"text": label, "font": {"size": 11, "color": color}})
    else:
        _reference(fig, refs)
    _base(fig, y_title=y_title, empty_text=empty_text)
    if horizontal:
        fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    _few_bars(fig, len(labels), horizontal)
    if horizontal:
        fig.update_xaxes(gridcolor=GRID, showgrid=True)
        if percent:
            fig.update_xaxes(**PERCENT_AXIS)
    elif percent:
        fig.update_yaxes(**PERCENT_AXIS)
    return fig


#: a chart of fewer bars keeps room for this many, centred: one district's two road
#: segments drew two bars as wide as the card (issue 18)
MIN_BAR_SLOTS = 6


def _few_bars(fig: go.Figure, n: int, horizontal: bool) -> None:
    """Bars as thick as in a chart of :data:`MIN_BAR_SLOTS` categories, the few centred."""
    if not 0 < n < MIN_BAR_SLOTS:
        return
    pad = (MIN_BAR_SLOTS - n) / 2
    low, high = -0.5 - pad, n - 0.5 + pad
    if horizontal:  # read top-down: the first category on top
        fig.update_yaxes(range=[high, low], autorange=False)
    else:
        fig.update_xaxes(range=[low, high], autorange=False)


def stacked_bar_figure(x: Sequence[Any], stacks: Sequence[tuple[str, Sequence[float]]], *,
                       colors: Sequence[str] = PALETTE, y_title: str = "", empty_text: str = "") -> go.Figure:
    """Stacked bars (e.g. calls per day by category, IAQI per pollutant)."""
    fig = go.Figure([go.Bar(x=list(x), y=list(y), name=name, marker={"color": colors[i % len(colors)]})
                     for i, (name, y) in enumerate(stacks)])
    fig.update_layout(barmode="stack")
    return _base(fig, y_title=y_title, legend=True, empty_text=empty_text)


def hour_profile_figure(values: Sequence[float | None], peaks: Sequence[int], *, peak_label: str,
                        hour_suffix: str = "时", color: str = PALETTE[0], peak_color: str = "#e03131",
                        y_title: str = "", empty_text: str = "") -> go.Figure:
    """Mean value per hour of day (0–23) with the peak hours marked (早高峰/晚高峰)."""
    labels = [f"{h}{hour_suffix}" for h in range(24)]
    colors = [peak_color if h in peaks else color for h in range(24)]
    fig = go.Figure(go.Bar(x=labels, y=list(values), marker={"color": colors},
                           hovertemplate="%{x}: %{y:.2f}<extra></extra>"))
    for h in peaks:
        v = values[h] if h < len(values) else None
        if v is not None:
            fig.add_annotation(x=labels[h], y=v, text=peak_label, showarrow=True, arrowhead=2, ay=-24,
                               font={"size": 11, "color": peak_color})
    return _base(fig, y_title=y_title, empty_text=empty_text if not any(v is not None for v in values) else "")


def calendar_figure(days: Sequence[tuple[dt.date, float | None, str | None]], *, weekday_labels: Sequence[str],
                    week_label: str = "", empty_text: str = "", lang: str = "zh") -> go.Figure:
    """A calendar heatmap: one square per day (columns = weeks, rows = weekdays), coloured
    by its own colour (the HJ 633 level colour for AQI) and labelled with the value."""
    if not days:
        return _base(go.Figure(go.Scatter(x=[], y=[])), empty_text=empty_text)
    first = min(d for d, _, _ in days)
    monday = first - dt.timedelta(days=first.weekday())
    xs = [((d - monday).days // 7) for d, _, _ in days]
    ys = [weekday_labels[d.weekday()] for d, _, _ in days]
    weeks = sorted(set(xs))
    tick = [_day_label((monday + dt.timedelta(weeks=w)).isoformat(), lang) for w in weeks]  # 11月2日 / Nov 2
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=[f"{v:.0f}" if v is not None else "" for _, v, _ in days],
        textfont={"size": 10, "color": [text_color(c or "#dee2e6") for _, _, c in days]},
        marker={"symbol": "square", "size": 26, "color": [c or "#dee2e6" for _, _, c in days],
                "line": {"color": "#ffffff", "width": 1}},
        customdata=[d.isoformat() for d, _, _ in days],
        hovertemplate="%{customdata}: %{text}<extra></extra>"))
    _base(fig)
    fig.update_xaxes(tickvals=weeks, ticktext=tick, title={"text": week_label}, range=[min(weeks) - 0.7,
                                                                                        max(weeks) + 0.7])
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(weekday_labels)), gridcolor="rgba(0,0,0,0)")
    return fig


def dual_axis_figure(x: Sequence[Any], bars: Sequence[float | None], line: Sequence[float | None], *,
                     bar_name: str, line_name: str, revised: Sequence[bool] = (), revised_label: str = "",
                     y_title: str = "", y2_title: str = "", empty_text: str = "") -> go.Figure:
    """Values as bars and a growth rate (同比 %) as a line on a second axis; revised periods
    get a ring marker so the reader sees which numbers changed since first published."""
    fig = go.Figure([
        go.Bar(x=list(x), y=list(bars), name=bar_name, marker={"color": PALETTE[0]}),
        go.Scatter(x=list(x), y=list(line), name=line_name, yaxis="y2", mode="lines+markers",
                   line={"color": PALETTE[1], "width": 2}),
    ])
    if revised and any(revised):
        rx = [xi for xi, r in zip(x, revised, strict=False) if r]
        ry = [bi for bi, r in zip(bars, revised, strict=False) if r]
        fig.add_trace(go.Scatter(x=rx, y=ry, name=revised_label, mode="markers",
                                 marker={"symbol": "diamond-open", "size": 11, "color": "#c92a2a",
                                         "line": {"width": 2}}))
    _base(fig, y_title=y_title, legend=True, empty_text=empty_text)
    # the growth line is in percentage points: a linear axis in the one percent format (left to
    # guess, plotly typed it as categories when values repeated, ticks read 2.32/3.16/4.83)
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": y2_title},
                              "automargin": True, "zeroline": True, "zerolinecolor": "#ced4da", "type": "linear",
                              # its own round ticks: synced to the bars' grid they read 2.3/3.2/4.0/4.8%
                              "tickmode": "auto", "nticks": 6, **POINTS_AXIS})
    fig.update_xaxes(type="category")
    return fig


def _luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb`` (or ``rgb(r,g,b)``)."""
    if color.startswith("#") and len(color) == 7:
        rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        nums = [float(n) for n in color[color.find("(") + 1:color.find(")")].split(",")[:3]]
        rgb = [int(n) for n in nums] if len(nums) == 3 else [255, 255, 255]
    lin = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two colours (1 … 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color(background: str, dark: str = "#212529", light: str = "#ffffff") -> str:
    """The text colour that reads best on ``background`` (WCAG 2.1 §1.4.3 contrast): dark ink
    on the light AQI levels, white on 重度/严重 (purple, maroon)."""
    return dark if contrast(dark, background) >= contrast(light, background) else light


#: tick labels of date axes per language, by the spacing plotly picks (tickformatstops, d3
#: time formats): Chinese readers get 12月4日, never "Dec 4"; the hover shows the full date
DATE_TICKS: dict[str, list[tuple[Any, Any, str]]] = {
    "zh": [(None, 3_600_000, "%H:%M"), (3_600_000, 86_400_000, "%-m月%-d日 %H时"),
           (86_400_000, "M1", "%-m月%-d日"), ("M1", "M12", "%Y年%-m月"), ("M12", None, "%Y年")],
    "en": [(None, 3_600_000, "%H:%M"), (3_600_000, 86_400_000, "%b %-d %H:%M"),
           (86_400_000, "M1", "%b %-d"), ("M1", "M12", "%b %Y"), ("M12", None, "%Y")],
}
MONTH_TICK = {"zh": "%Y年%-m月", "en": "%b %Y"}
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def _date_kind(values: Sequence[Any]) -> str | None:
    """"day" when every value is a date, "time" when they carry a time of day, else None."""
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, dt.datetime) or (isinstance(v, str) and _TIME.match(v)):
            kinds.add("time")
        elif isinstance(v, dt.date) or (isinstance(v, str) and _DAY.match(v)):
            kinds.add("day")
        elif isinstance(v, str) and _MONTH.match(v):  # statistics periods "2026-11"
            kinds.add("month")
        elif hasattr(v, "to_pydatetime"):  # a pandas Timestamp
            kinds.add("time")
        else:
            return None
    if not kinds or ("month" in kinds and len(kinds) > 1):
        return None
    return "time" if "time" in kinds else kinds.pop()


def localize_dates(fig: Any, lang: str) -> Any:
    """Every date x-axis of ``fig`` in ``lang``: Chinese or English tick labels at each zoom
    level, full dates on hover, and for a few days one tick per day (never the same date
    repeated at 12-hour ticks). Axes of categories and numbers are left alone."""
    if not isinstance(fig, go.Figure):
        return fig
    by_axis: dict[str, list[Any]] = {}
    for tr in fig.data:
        if getattr(tr, "orientation", None) == "h":
            continue
        axis = (getattr(tr, "xaxis", None) or "x").replace("x", "xaxis", 1)
        by_axis.setdefault(axis, []).extend(list(getattr(tr, "x", None) or []))
    stops = DATE_TICKS["en" if lang == "en" else "zh"]
    for axis, values in by_axis.items():
        current = getattr(fig.layout, axis, None)
        if current is not None and current.type not in (None, "date", "-"):
            continue
        kind = _date_kind(values)
        if kind is None:
            continue
        hover = {"day": "%Y-%m-%d", "month": "%Y-%m", "time": "%Y-%m-%d %H:%M"}[kind]
        settings: dict[str, Any] = {
            "type": "date", "hoverformat": hover,
            "tickformatstops": [{"dtickrange": [lo, hi], "value": fmt} for lo, hi, fmt in stops]}
        if kind == "month":  # monthly periods: never a day tick between two months
            settings |= {"tickformatstops": [], "tickformat": MONTH_TICK["en" if lang == "en" else "zh"],
                         "dtick": "M1" if len(set(values)) <= 12 else "M3"}
        days = sorted({str(v)[:10] for v in values if v is not None})
        if kind == "day" and 0 < len(days) <= 10:
            settings |= {"tickmode": "array", "tickvals": days,
                         "ticktext": [_day_label(d, lang) for d in days]}
        fig.update_layout({axis: settings})
    return fig


def _day_label(day: str, lang: str) -> str:
    d = dt.date.fromisoformat(day)
    return d.strftime("%b ") + str(d.day) if lang == "en" else f"{d.month}月{d.day}日"
