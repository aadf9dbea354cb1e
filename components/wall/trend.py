"""A titled trend chart whose figure is built once and then patched with new x/y arrays."""

from __future__ import annotations

from typing import Any

from dash import Patch, dcc, html

from components.wall.ids import Fill, wid
from figures.trend import trend_figure


def trend_panel(key: str, title: str, *, font_px: int, note: str = "", **figure_options: Any) -> html.Div:
    """A titled chart; ``note`` (e.g. what the dashed line is) sits right of the title."""
    graph = dcc.Graph(id=wid("fig", key), figure=trend_figure(font_px=font_px, **figure_options),
                      config={"staticPlot": True, "displayModeBar": False, "responsive": True},
                      className="cb-trend-graph")
    head = [html.Span(title, className="cb-panel-title")]
    if note:
        head.append(html.Span(note, className="cb-trend-note"))
    return html.Div([html.Div(head, className="cb-panel-head"), graph], className="cb-trend")


def next_hours(series: list[tuple[Any, float]], hours: int = 6) -> list[tuple[Any, float]]:
    """Yesterday's values for the ``hours`` after the newest point, moved onto today: the
    dashed "what the next hours usually bring" beside the last 24 hours (a daily profile —
    traffic peaks, visitors, calls — repeats far better than any trend line extrapolates)."""
    import datetime as dt

    if not series:
        return []
    last = series[-1][0]
    day, ahead = dt.timedelta(days=1), dt.timedelta(hours=hours)
    return [(t + day, v) for t, v in series if last - day <= t <= last - day + ahead]


def trend_fill(key: str, data: list[dict[str, list[Any]]]) -> Fill:
    """``data`` from :func:`figures.trend.trend_data`; the callback turns it into a Patch."""
    return {("fig", key): data}


def trend_patch(data: list[dict[str, list[Any]]]) -> Patch:
    """Only the traces' x/y change: the figure's layout stays as built."""
    p = Patch()
    for i, trace in enumerate(data):
        p["data"][i]["x"] = trace["x"]
        p["data"][i]["y"] = trace["y"]
    return p


def trend_with(figure: Any, data: list[dict[str, list[Any]]]) -> dict[str, Any]:
    """``figure`` with the traces' x/y of ``data`` — what :func:`trend_patch` makes of it in
    the browser, for a figure sent already filled."""
    fig = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    traces = [dict(t) for t in fig.get("data", [])]
    for i, trace in enumerate(data[:len(traces)]):
        traces[i]["x"], traces[i]["y"] = trace["x"], trace["y"]
    return {**fig, "data": traces}
