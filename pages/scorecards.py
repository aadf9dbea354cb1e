"""监督考核 — department and district scorecards over a period (issue 21).

A league table (orders received, 签收及时率, 按期办结率, mean and 90th-percentile hours to
resolve, 返工率, 退单率, overdue open now) per department or district, the city's daily
trend, and CSV/XLSX export of the table through :mod:`components.export` (the reader's
``export`` right on ``warnings`` checked again there, and audited). The figures are
:func:`dispatch.scorecard.scorecards`' — the API's — so the page and the API never differ.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc

import access
from access import declare
from citybrain import context
from citybrain.i18n import Lang, pick, t
from components.grid import data_grid, export_table, grid_id, grid_part
from components.page.chart import graph_config
from dispatch.scorecard import daily_trend, scorecards

dash.register_page(__name__, path="/scorecards", nav="scorecards.nav", order=64, title="监督考核", access="warnings")

P = "cb-score-"
GRID = "scorecards"
RESOURCE = "warnings"
PERIODS = (7, 30, 90)
COLUMNS = ("orders", "accepted_on_time_rate", "resolved_on_time_rate", "mean_hours_to_resolve",
           "p90_hours_to_resolve", "reopened_rate", "returned_rate", "overdue_open")
RATES = ("accepted_on_time_rate", "resolved_on_time_rate", "reopened_rate", "returned_rate")


def layout(days: str | None = None, by: str | None = None, **_kwargs: Any) -> Any:
    lang = context.lang()
    period = days if days in {str(d) for d in PERIODS} else "30"
    group = by if by in ("department", "district") else "department"
    return dmc.Stack([
        dmc.Stack([dmc.Title(t("scorecards.title", lang), order=2),
                   dmc.Text(t("scorecards.subtitle", lang), c="dimmed", size="sm")], gap=0),
        dmc.Group([
            dmc.SegmentedControl(id=P + "days", value=period, size="xs",
                                 data=[{"value": str(d), "label": t(f"scorecards.days.{d}", lang)} for d in PERIODS]),
            dmc.SegmentedControl(id=P + "by", value=group, size="xs",
                                 data=[{"value": g, "label": t(f"scorecards.by.{g}", lang)}
                                       for g in ("department", "district")]),
        ], gap="sm", wrap="wrap"),
        dmc.Paper(league_table(lang), withBorder=True, p="sm"),
        dmc.Text(t("scorecards.note", lang), size="xs", c="dimmed"),
        dmc.Paper([dmc.Text(t("scorecards.trend", lang), fw=600),
                   dcc.Graph(id=P + "trend", config=graph_config(lang), style={"height": "280px"})],
                  withBorder=True, p="sm", className="cb-score-trend"),
        dcc.Store(id=P + "lang", data=lang),
    ], gap="md", className="cb-scorecards-page")


def league_table(lang: str) -> Any:
    """The grid with its export buttons, as tall as its rows (a department per row, a few of
    them: a fixed height either left a blank box or hid the last row behind a scroll bar once a
    header or a name wrapped on a phone)."""
    box = data_grid(GRID, columns(lang), lang, resource=RESOURCE)
    for child in box.children:
        if getattr(child, "id", None) == grid_id(GRID):
            child.dashGridOptions = {**child.dashGridOptions, "domLayout": "autoHeight"}
            child.style = {"width": "100%"}
    return box


#: AG Grid comparator: cells by their leading number ("73.7%" → 73.7), a "—" below every number
NUMERIC_ORDER = ("(isNaN(parseFloat(valueA)) ? -Infinity : parseFloat(valueA)) > "
                 "(isNaN(parseFloat(valueB)) ? -Infinity : parseFloat(valueB)) ? 1 : "
                 "((isNaN(parseFloat(valueA)) ? -Infinity : parseFloat(valueA)) < "
                 "(isNaN(parseFloat(valueB)) ? -Infinity : parseFloat(valueB)) ? -1 : 0)")


def columns(lang: str) -> list[dict[str, Any]]:
    """The league table's columns. Headers wrap onto a second line rather than clip ("受理…" at
    390 px); the name wraps too, so a long department name is read whole on a phone. The
    figures sort but have no filter button: a table of a few departments needs none, and the
    button took the header's room."""
    cols: list[dict[str, Any]] = [{"field": "name", "headerName": t("scorecards.col.name", lang), "pinned": "left",
                                   "minWidth": 200 if lang == "en" else 170, "wrapText": True, "autoHeight": True,
                                   "wrapHeaderText": True, "autoHeaderHeight": True,
                                   # a wrapped name's lines at text spacing, not the row's
                                   "cellStyle": {"lineHeight": "1.4", "paddingTop": "10px", "paddingBottom": "10px"}}]
    # text cells ("73.7%", "—" for a department without orders: as a number column AG Grid
    # inferred from the first row, "—" read "Invalid Number"), sorted by their number
    cols += [{"field": c, "headerName": t(f"scorecards.col.{c}", lang), "minWidth": 110, "type": "rightAligned",
              "cellDataType": "text", "comparator": {"function": NUMERIC_ORDER},
              "filter": False, "wrapHeaderText": True, "autoHeaderHeight": True} for c in COLUMNS]
    return cols


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    return value


def table_rows(items: list[dict[str, Any]], by: str, lang: str) -> list[dict[str, Any]]:
    return [{"key": i[by], "name": pick(i["name_zh"], i["name_en"], lang), **{c: _cell(c, i[c]) for c in COLUMNS}}
            for i in items]


def period(days: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last ``days`` whole local days and today so far: [local midnight − days + 1, now)."""
    tz = context.settings().tz
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - dt.timedelta(days=days - 1)).astimezone(dt.timezone.utc), now


def trend_figure(points: list[dict[str, Any]], lang: str) -> go.Figure:
    days = [p["day"].isoformat() for p in points]
    rate = [None if p["resolved_on_time_rate"] is None else round(p["resolved_on_time_rate"] * 100, 1) for p in points]
    fig = go.Figure([
        go.Bar(x=days, y=[p["orders"] for p in points], name=t("scorecards.trend.orders", lang), yaxis="y2",
               marker_color="rgba(99,102,241,0.25)", hovertemplate="%{y}<extra></extra>"),
        go.Scatter(x=days, y=rate, name=t("scorecards.col.resolved_on_time_rate", lang), mode="lines+markers",
                   line={"color": "#2f9e44", "width": 2}, connectgaps=False, hovertemplate="%{y}%<extra></extra>"),
    ])
    # orders per day on the right, in whole numbers on the left axis' five gridlines (its own
    # ticks fell between them at 1.6, 3.21, 4.81 …)
    step = max(1, math.ceil(max([p["orders"] for p in points] or [0]) / 5))
    fig.update_layout(margin={"l": 40, "r": 40, "t": 10, "b": 30}, legend={"orientation": "h", "y": -0.2},
                      yaxis={"range": [0, 105], "tickmode": "array", "tickvals": [0, 20, 40, 60, 80, 100],
                             "ticktext": [f"{v}%" for v in (0, 20, 40, 60, 80, 100)]},
                      paper_bgcolor="white", plot_bgcolor="white",
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "range": [0, step * 5 * 1.05],
                              "tickvals": [step * i for i in range(6)]},
                      xaxis={"type": "date", "tickformat": "%-m月%-d日" if lang == "zh" else "%b %-d"})
    return fig


@declare.callback(Output(grid_id(GRID), "rowData"), Output(P + "trend", "figure"),
                  Input(P + "days", "value"), Input(P + "by", "value"), State(P + "lang", "data"),
                  page="scorecards")
def refresh(days: str | None, by: str | None, lang: Lang) -> tuple:
    now = dt.datetime.now(dt.timezone.utc)
    n = int(days) if days in {str(d) for d in PERIODS} else 30
    group = by if by in ("department", "district") else "department"
    start, end = period(n, now)
    p = access.current_principal()
    engine, s = context.engine(), context.settings()
    items = scorecards(engine, s, start, end, by=group, principal=p, now=now)
    if p is not None and p.district and group == "district":
        items = [i for i in items if i["district"] == p.district]
    return table_rows(items, group, lang), trend_figure(daily_trend(engine, s, start, end, principal=p, now=now), lang)


@declare.callback(Output(grid_part("cb-download", GRID), "data"),
                  Input(grid_part("cb-export-csv", GRID), "n_clicks"),
                  Input(grid_part("cb-export-xlsx", GRID), "n_clicks"),
                  State(grid_id(GRID), "virtualRowData"), State(grid_id(GRID), "rowData"),
                  State(grid_id(GRID), "columnDefs"), page="scorecards", action="export", prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, shown: list[dict] | None, data: list[dict] | None,
           cols: list[dict] | None) -> Any:
    """Thin: which button → the rows shown → :func:`components.grid.export_table`."""
    return export_table(ctx.triggered_id, shown, data, cols, RESOURCE)

