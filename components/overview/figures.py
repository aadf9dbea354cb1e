"""The overview's two small figures: the index over 24 hours, and why it moved."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from figures import FONT

INDIGO, UP, DOWN = "#4c6ef5", "#2b8a3e", "#c92a2a"


def _base(height: int) -> dict[str, Any]:
    return {"height": height, "margin": {"l": 40, "r": 12, "t": 8, "b": 28}, "font": {"family": FONT, "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "showlegend": False}


def trend_figure(rows: list[dict[str, Any]], tz: ZoneInfo, *, height: int = 200) -> go.Figure:
    """Hourly index, local time on the x axis, a fixed 0–100 scale so small moves are not exaggerated."""
    x = [r["time"].astimezone(tz).replace(tzinfo=None) for r in rows]
    y = [r["value"] for r in rows]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", line={"color": INDIGO, "width": 2},
                               marker={"size": 4}, fill="tozeroy", fillcolor="rgba(76,110,245,0.08)",
                               hovertemplate="%{x|%m-%d %H:%M}<br>%{y:.1f}<extra></extra>"))
    fig.update_layout(**_base(height))
    fig.update_xaxes(tickformat="%H:%M", showgrid=False)
    fig.update_yaxes(range=[0, 100], gridcolor="#eceff3", dtick=25)
    return fig


def why_figure(moves: list[tuple[str, float]], labels: dict[str, str], *, height: int = 180) -> go.Figure:
    """One bar per sub-index: how many points its contribution added (green) or took away (red)."""
    ordered = list(reversed(moves))  # largest move on top
    fig = go.Figure(go.Bar(
        x=[v for _, v in ordered], y=[labels.get(k, k) for k, _ in ordered], orientation="h",
        marker={"color": [UP if v >= 0 else DOWN for _, v in ordered]},
        text=[f"{v:+.1f}" for _, v in ordered], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:+.2f}<extra></extra>"))
    span = max([abs(v) for _, v in moves] + [1.0]) * 1.35
    fig.update_layout(**_base(height) | {"margin": {"l": 90, "r": 24, "t": 4, "b": 24}})
    fig.update_xaxes(range=[-span, span], zeroline=True, zerolinecolor="#adb5bd", gridcolor="#f1f3f5")
    fig.update_yaxes(showgrid=False)
    return fig
