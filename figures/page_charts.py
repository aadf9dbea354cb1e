"""Figure builders of the themed office pages (light theme): data in, figure out.

Pure functions of plain data — no store, no Dash — so the PDF briefings reuse them and
tests check them without a browser. Times arrive already in the city's zone (or as
labels); the builders never convert. The wall's dark builders live in ``figures.trend``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
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
                y_range: tuple[float, float] | None = None) -> go.Figure:
    """Several named series (name, x, y) on one time axis, with dashed reference lines."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers" if markers else "lines",
                                line={"color": colors[i % len(colors)], "width": 2}, connectgaps=False)
                     for i, (name, x, y) in enumerate(series)])
    _reference(fig, refs)
    _base(fig, y_title=y_title, legend=len(series) > 1, empty_text=empty_text)
    if percent:
        fig.update_yaxes(tickformat=".0%")
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
        fig.update_xaxes(gridcolor=GRID, showgrid=True)
        if percent:
            fig.update_xaxes(tickformat=".0%")
    elif percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


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
                    week_label: str = "", empty_text: str = "") -> go.Figure:
    """A calendar heatmap: one square per day (columns = weeks, rows = weekdays), coloured
    by its own colour (the HJ 633 level colour for AQI) and labelled with the value."""
    if not days:
        return _base(go.Figure(go.Scatter(x=[], y=[])), empty_text=empty_text)
    first = min(d for d, _, _ in days)
    monday = first - dt.timedelta(days=first.weekday())
    xs = [((d - monday).days // 7) for d, _, _ in days]
    ys = [weekday_labels[d.weekday()] for d, _, _ in days]
    weeks = sorted(set(xs))
    tick = [(monday + dt.timedelta(weeks=w)).strftime("%m-%d") for w in weeks]
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=[f"{v:.0f}" if v is not None else "" for _, v, _ in days],
        textfont={"size": 10, "color": "#212529"},
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
                     y_title: str = "", y2_title: str = "%", empty_text: str = "") -> go.Figure:
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
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": y2_title},
                              "automargin": True, "zeroline": True, "zerolinecolor": "#ced4da"})
    return fig
