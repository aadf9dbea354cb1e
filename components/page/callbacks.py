"""The standard callbacks of a themed page, registered once per page module.

Thin by rule: unpack the view → the page's ``render`` (queries + figure builders) →
outputs. The decision functions (:func:`next_view`) are plain functions so tests call
them without a browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dash import Input, Output, Patch, State, ctx, no_update

from access import declare
from citybrain import context
from components.citymap import layer_id
from components.grid import export_table, grid_id, grid_part
from components.page.asof import as_of
from components.page.kpi import Kpi, kpi_row
from components.page.layout import PageSpec
from components.page.printing import chart_spans
from components.page.view import View
from components.page.warnings import warnings_list
from figures.page_charts import localize_dates
from store.queries.domains import active_warnings, domain_freshness


@dataclass
class Rendered:
    """What a page's ``render`` returns: everything the view shows except the shared parts."""

    kpis: list[Kpi]
    figures: dict[str, Any]
    rows: list[dict[str, Any]]
    map_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    badges: Any = None


Render = Callable[[Any, Any, View, str, dt.datetime], Rendered]
Detail = Callable[[Any, Any, View, str, dt.datetime], tuple[Any, Any]]

_URL_JS = """
function (v) {
    if (!v) { return window.dash_clientside.no_update; }
    const p = new URLSearchParams();
    ["district", "range", "start", "end", "detail"].forEach(function (k) {
        if (v[k] && !((k === "start" || k === "end") && v.range !== "custom")) { p.set(k, v[k]); }
    });
    const q = p.toString();
    const url = window.location.pathname + (q ? "?" + q : "");
    if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
    }
    return q;
}
"""

#: the PDF form's action follows the view (the query string ``_URL_JS`` just wrote)
_PDF_JS = "function (q) { return '%(base)s' + (q ? '?' + q : ''); }"

_DATES_JS = "function (r) { return {display: r === 'custom' ? 'block' : 'none'}; }"


def drill_code(trigger: Any, cell: dict | None, click: dict | None) -> str | None:
    """The code a grid click (row id ``code`` or ``code|…``) or a chart click (customdata) opens."""
    if cell and cell.get("rowId"):
        return str(cell["rowId"]).split("|")[0]
    if click and click.get("points"):
        custom = click["points"][0].get("customdata")
        if isinstance(custom, list):
            custom = custom[0] if custom else None
        return str(custom) if custom else None
    return None


def next_view(current: dict | None, trigger: Any, district: str | None, rng: str | None, dates: list | None,
              cell: dict | None = None, click: dict | None = None) -> dict:
    """The view after one control changed (``trigger``: the id that fired).

    A custom range with both dates picked applies; picking "custom" without dates keeps
    the previous window until the reader picks them.
    """
    view = View.from_data(current)
    trig = trigger if isinstance(trigger, str) else ""
    if trig.endswith("-detail-close"):
        return view.with_detail(None).to_data()
    if isinstance(trigger, dict) or trig.startswith(("cb-grid",)) or "-chart-" in trig:
        code = drill_code(trigger, cell, click)
        return view.with_detail(code).to_data() if code else view.to_data()
    start, end = (list(dates or []) + [None, None])[:2]
    new = View(district=district or None, range=rng or view.range,
               start=(start or "")[:10] or None, end=(end or "")[:10] or None, detail=view.detail)
    if new.range == "custom" and not (new.start and new.end):
        new = View(district=new.district, range=view.range if view.range != "custom" else "24h",
                   start=view.start, end=view.end, detail=view.detail)
    return new.to_data()


def register(spec: PageSpec, render: Render, detail: Detail) -> None:
    """Wire ``spec``'s skeleton to ``render`` (the view's content) and ``detail`` (drill-down).

    Declared for the page module ``pages.<domain>``: the view's district and drill-down
    entity are its scope (a district-level reader's own district only), the table export
    needs ``export`` on the domain.
    """
    p = spec.id
    page = spec.domain
    drill_inputs = [Input(spec.chart_id(k), "clickData") for k in spec.drill_charts]

    @declare.callback(Output(p("view"), "data"),
                      Input(p("district"), "value"), Input(p("range"), "value"), Input(p("dates"), "value"),
                      Input(grid_id(spec.prefix), "cellClicked"), Input(p("detail-close"), "n_clicks"),
                      *drill_inputs, State(p("view"), "data"), page=page, scope={"district": "district"},
                      prevent_initial_call=True)
    def update_view(district: str | None, rng: str | None, dates: list[str | None] | None, cell: dict | None,
                    _close: int | None, *rest: dict | None) -> dict:
        *clicks, current = rest
        trigger = ctx.triggered_id
        trig = "cb-grid" if isinstance(trigger, dict) else trigger
        click = None
        if isinstance(trig, str) and "-chart-" in trig:
            click = clicks[[spec.chart_id(k) for k in spec.drill_charts].index(trig)]
        new = next_view(current, trig, district, rng, dates, cell if trig == "cb-grid" else None, click)
        return no_update if new == current else new

    declare.clientside(_URL_JS, Output(p("url-sink"), "data"), Input(p("view"), "data"), page=page)
    declare.clientside(_DATES_JS, Output(p("dates"), "style"), Input(p("range"), "value"), page=page)
    declare.clientside(_PDF_JS % {"base": f"/export/pdf/{spec.domain}"}, Output(p("pdf"), "action"),
                       Input(p("url-sink"), "data"), page=page)

    outputs = [Output(p("kpis"), "children"), Output(p("asof"), "children"), Output(p("badges"), "children"),
               Output(p("warnings"), "children"), Output(grid_id(spec.prefix), "rowData"),
               *[Output(spec.chart_id(c.key), "figure") for c in spec.charts],
               *[Output(layer_id(spec.map_id(), layer), "hideout") for layer in spec.map_layers],
               *[Output(spec.chart_col_id(c.key), prop) for c in spec.charts for prop in ("span", "style")]]

    @declare.callback(*outputs, Input(p("view"), "data"), Input(p("refresh"), "n_intervals"), page=page,
                      scope={"view_data": "view"})
    def render_view(view_data: dict | None, _n: int | None) -> tuple:
        settings, engine, lang = context.settings(), context.engine(), context.lang()
        view = View.from_data(view_data)
        now = dt.datetime.now(dt.timezone.utc)
        out = render(engine, settings, view, lang, now)
        data_time = domain_freshness(engine, spec.domain)
        warn = active_warnings(engine, spec.domain, view.district)
        hideouts = []
        for layer in spec.map_layers:
            patch = Patch()
            patch["values"] = out.map_values.get(layer, {})
            hideouts.append(patch)
        spans = chart_spans(spec, view)  # one district: no districts chart, its neighbour widens
        return (kpi_row(out.kpis, lang), as_of(data_time, settings.max_age(spec.domain), settings.tz, lang, now),
                out.badges, warnings_list(warn, settings.tz, lang), out.rows,
                *[localize_dates(out.figures.get(c.key), lang) or {} if spans[c.key] else {} for c in spec.charts],
                *hideouts,
                *[v for c in spec.charts for v in ({"base": 12, "lg": spans[c.key] or c.span},
                                                   {} if spans[c.key] else {"display": "none"})])

    @declare.callback(Output(p("detail-box"), "style"), Output(p("detail-title"), "children"),
                      Output(p("detail-body"), "children"), Input(p("view"), "data"), page=page,
                      scope={"view_data": "view"})
    def render_detail(view_data: dict | None) -> tuple:
        view = View.from_data(view_data)
        if not view.detail:
            return {"display": "none"}, None, None
        title, body = detail(context.engine(), context.settings(), view, context.lang(),
                             dt.datetime.now(dt.timezone.utc))
        return {"display": "block"}, title, body

    @declare.callback(Output(grid_part("cb-download", spec.prefix), "data"),
                      Input(grid_part("cb-export-csv", spec.prefix), "n_clicks"),
                      Input(grid_part("cb-export-xlsx", spec.prefix), "n_clicks"),
                      State(grid_id(spec.prefix), "virtualRowData"), State(grid_id(spec.prefix), "rowData"),
                      State(grid_id(spec.prefix), "columnDefs"),
                      page=page, action="export", prevent_initial_call=True)
    def export_grid(_csv: int | None, _xlsx: int | None, shown: list[dict] | None, data: list[dict] | None,
                    columns: list[dict] | None) -> Any:
        """Thin: which button → the rows shown → :func:`components.grid.export_table`."""
        return export_table(ctx.triggered_id, shown, data, columns, spec.domain)

