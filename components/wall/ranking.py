"""A ranked list with a fixed number of slots: label, value, bar (optionally an 80% line).

Slots are rendered once; a refresh rewrites their text and bar width. The list never
grows — a wall running for days must not accumulate nodes — and unused slots hide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dash import html

from components.wall.ids import Fill, wid


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    share: float | None = None  # 0..1 of the bar's full width; None = no bar
    color: str = "#4dabf7"


def ranking(key: str, title: str, slots: int, *, bars: bool = True, line: float | None = None,
            line_label: str = "") -> html.Div:
    """``slots`` empty rows under ``title``; ``line`` draws a marker at that share (e.g. 0.8)."""
    rows = []
    for i in range(slots):
        k = f"{key}.{i}"
        parts = [html.Div([html.Span(id=wid("text", f"{k}.label"), className="cb-rank-label"),
                           html.Span(id=wid("text", f"{k}.value"), className="cb-rank-value")],
                          className="cb-rank-line")]
        if bars:
            track = [html.Div(id=wid("style", f"{k}.bar"), className="cb-rank-bar")]
            if line is not None:
                track.append(html.Div(className="cb-rank-mark", style={"left": f"{line * 100:.0f}%"}))
            parts.append(html.Div(track, className="cb-rank-track"))
        rows.append(html.Div(parts, id=wid("class", f"{k}.row"), className="cb-rank-row cb-empty"))
    head = [html.Span(title, className="cb-panel-title")]
    if line is not None and line_label:
        head.append(html.Span(line_label, className="cb-rank-legend"))
    return html.Div([html.Div(head, className="cb-panel-head"), html.Div(rows, className="cb-rank-rows")],
                    className="cb-rank")


def ranking_fill(key: str, rows: Sequence[Row], slots: int) -> Fill:
    fill: Fill = {}
    for i in range(slots):
        k = f"{key}.{i}"
        row = rows[i] if i < len(rows) else None
        fill[("text", f"{k}.label")] = row.label if row else ""
        fill[("text", f"{k}.value")] = row.value if row else ""
        fill[("class", f"{k}.row")] = "cb-rank-row" if row else "cb-rank-row cb-empty"
        share = 0.0 if row is None or row.share is None else max(0.0, min(row.share, 1.0))
        fill[("style", f"{k}.bar")] = {"width": f"{share * 100:.1f}%", "background": row.color if row else "transparent"}
    return fill
