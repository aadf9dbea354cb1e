"""The theme page's callbacks — one set for every theme: the code arrives in the
``theme-code`` store, declared as a ``theme`` scope, so the gate checks the reader may view
(or export) that theme before the function runs.

Thin by rule: view → :func:`render` (queries of ``themes.queries`` → :mod:`.model` →
figure builders) → outputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, Patch, State, ctx, dcc, no_update

from access import declare
from citybrain import context
from citybrain.i18n import pick, t
from components.citymap import layer_id
from components.grid import export_table, grid_id, grid_part
from components.page.asof import as_of
# the themed pages' URL and custom-date scripts: the theme page's view lives in its URL the same way
from components.page.callbacks import _DATES_JS, _URL_JS, next_view
from components.page.chart import graph_config
from components.page.kpi import Kpi, kpi_row
from components.page.view import View, resolve
from components.page.warnings import warnings_list
from components.table import table
from components.theme import model
from components.theme.layout import CHARTS, DRILL_CHARTS, MAP_ID, PREFIX, chart_id, pid
from figures.page_charts import bar_figure, line_figure, localize_dates
from store.queries.domains import active_warnings
from themes import queries
from themes.spec import LEVEL_ORDER, Theme

PAGE = "theme"


@dataclass
class ThemeView:
    """Everything the page shows for one view, ready for Dash."""

    kpis: list[Kpi]
    figures: dict[str, Any]
    rows: list[dict[str, Any]]
    map_values: dict[str, dict[str, str]]  # the places' layer: the theme's points, or the districts


def _grain(window_grain: str) -> str:
    return "hour" if window_grain == "hour" else "day"


def _frames(engine: Any, theme: Theme, grain: str, kind: str, scopes: list[str] | None,
            start: dt.datetime, end: dt.datetime) -> dict[str, pd.DataFrame]:
    return {i.code: queries.values(engine, theme, i.code, grain=grain, scope_kind=kind, scopes=scopes,
                                   start=start, end=end) for i in theme.indicators}


def render(engine: Any, settings: Any, theme: Theme, view: View, lang: str, now: dt.datetime) -> ThemeView:
    """The view's content: queries → model → figures."""
    tz = settings.tz
    w = resolve(view, tz, now)
    grain = _grain(w.grain)
    kind, scopes = ("district", [view.district]) if view.district else ("city", None)
    current = _frames(engine, theme, grain, kind, scopes, w.start, w.end)
    earlier = {d: _frames(engine, theme, grain, kind, scopes, w.shifted(d).start, w.shifted(d).end)
               for d in model.COMPARE_DAYS}
    notes = {"count_note": t("tpage.kpi.total", lang), "latest_note": t("tpage.kpi.latest", lang)}
    kpis = model.kpis(theme, current, earlier, lang, notes)
    head = model.headline(theme)
    name = pick(head.name_zh, head.name_en, lang)
    empty = t("page.no_data", lang)
    x, y = model.series(current[head.code], head, tz, grain)
    # the thresholds as dashed lines in their colours; only the lowest and highest named (they sit close)
    levels = [(i, lv) for i, lv in enumerate(LEVEL_ORDER) if lv in (head.levels or {})]
    refs = [(model.shown(head, head.levels[lv]), t(f"tpage.level.{lv}", lang) if k in (0, len(levels) - 1) else "",
             model.LEVEL_COLORS[i + 1]) for k, (i, lv) in enumerate(levels)]
    figures: dict[str, Any] = {"trend": line_figure([(name, x, y)], y_title=model.unit(head, lang), refs=refs,
                                                    empty_text=empty, markers=grain != "hour")}
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    by_district = queries.values(engine, theme, head.code, grain=grain, scope_kind="district",
                                 start=w.start, end=w.end)
    shown_d = [d for d in settings.districts if not view.district or d.code == view.district]
    stats = {d.code: model.statistic(head, by_district[by_district["scope"] == d.code]) for d in shown_d}
    stats = {c: v for c, v in stats.items() if v is not None}
    figures["districts"] = bar_figure([dnames[c] for c in stats], [model.shown(head, v) for v in stats.values()],
                                      colors="#4263eb", y_title=model.unit(head, lang), empty_text=empty)
    entities = queries.entity_table(settings, theme)
    if view.district and not entities.empty:
        entities = entities[entities["district"] == view.district]
    names = {e.code: pick(e.name_zh, e.name_en, lang) for e in entities.itertuples()}
    latest = queries.latest(engine, theme, scope_kind=model.place_kind(theme))
    if not latest.empty:
        latest = latest[latest["scope"].isin(list(names))]
    ranked = latest
    if head.kind == "count":  # cases are ranked by the period's total, readings by their newest value
        period = queries.values(engine, theme, head.code, grain=grain, scope_kind=model.place_kind(theme),
                                scopes=list(names), start=w.start, end=w.end)
        ranked = period.groupby("scope", as_index=False)["value"].sum().assign(indicator=head.code, level=pd.NA)
    rank = model.ranking(head, ranked, names, codes=list(names))
    figures["ranking"] = bar_figure(rank.labels, rank.values, codes=rank.codes, horizontal=True, colors=rank.colors,
                                    text=[model.with_unit(head, v / head.display_factor, lang) for v in rank.values],
                                    empty_text=empty)
    rows = model.entity_rows(theme, entities, latest, dnames, lang, tz)
    return ThemeView(kpis, figures, rows, model.map_values(head, latest, lang))


def detail(engine: Any, settings: Any, theme: Theme, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """An entity's drill-down: each indicator over the window, and its newest values."""
    entities = queries.entity_table(settings, theme)
    hit = entities[entities["code"] == view.detail] if not entities.empty else entities
    if hit.empty:
        return t("page.detail_unknown", lang, code=view.detail), None
    e = hit.iloc[0]
    tz = settings.tz
    w = resolve(view, tz, now)
    grain = _grain(w.grain)
    head = model.headline(theme)
    kind = model.place_kind(theme)
    frame = queries.values(engine, theme, head.code, grain=grain, scope_kind=kind, scopes=[e["code"]],
                           start=w.start, end=w.end)
    x, y = model.series(frame, head, tz, grain)
    fig = line_figure([(pick(head.name_zh, head.name_en, lang), x, y)], y_title=model.unit(head, lang),
                      empty_text=t("page.no_data", lang), markers=grain != "hour")
    latest = queries.latest(engine, theme, scope_kind=kind)
    latest = latest[latest["scope"] == e["code"]] if not latest.empty else latest
    values = {r.indicator: r.value for r in latest.itertuples()}
    tbl = table([t("tpage.col.indicator", lang), t("tpage.col.value", lang)],
                [[pick(i.name_zh, i.name_en, lang), model.with_unit(i, values.get(i.code), lang)]
                 for i in theme.indicators], className="cb-detail-table")
    title = dmc.Group([dmc.Text(pick(e["name_zh"], e["name_en"], lang), fw=700, size="lg"),
                       dmc.Badge(str(e["code"]), variant="outline")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang),
                                                  style={"height": "300px"}), span={"base": 12, "lg": 8}),
                            dmc.GridCol(tbl, span={"base": 12, "lg": 4})])


def _theme(code: Any) -> Theme | None:
    return context.settings().theme(code) if isinstance(code, str) else None


@declare.callback(Output(pid("view"), "data"),
                  Input(pid("district"), "value"), Input(pid("range"), "value"), Input(pid("dates"), "value"),
                  Input(grid_id(PREFIX), "cellClicked"), Input(pid("detail-close"), "n_clicks"),
                  Input(chart_id("ranking"), "clickData"), State(pid("view"), "data"), State(pid("code"), "data"),
                  page=PAGE, scope={"code": "theme", "district": "district"}, prevent_initial_call=True)
def update_view(district: str | None, rng: str | None, dates: list[str | None] | None, cell: dict | None,
                _close: int | None, click: dict | None, current: dict | None, code: str | None) -> dict:
    trigger = ctx.triggered_id
    trig = "cb-grid" if isinstance(trigger, dict) else trigger
    new = next_view(current, trig, district, rng, dates, cell if trig == "cb-grid" else None,
                    click if trig == chart_id("ranking") else None)
    return no_update if new == current else new


declare.clientside(_URL_JS, Output(pid("url-sink"), "data"), Input(pid("view"), "data"), page=PAGE)
declare.clientside(_DATES_JS, Output(pid("dates"), "style"), Input(pid("range"), "value"), page=PAGE)


@declare.callback(Output(pid("kpis"), "children"), Output(pid("asof"), "children"), Output(pid("warnings"), "children"),
                  Output(grid_id(PREFIX), "rowData"), *[Output(chart_id(c.key), "figure") for c in CHARTS],
                  Output(layer_id(MAP_ID, "theme"), "hideout"), Output(layer_id(MAP_ID, "districts"), "hideout"),
                  Input(pid("view"), "data"), Input(pid("refresh"), "n_intervals"), State(pid("code"), "data"),
                  page=PAGE, scope={"code": "theme", "view_data": "view"})
def render_view(view_data: dict | None, _n: int | None, code: str | None) -> tuple:
    settings, engine, lang = context.settings(), context.engine(), context.lang()
    theme = _theme(code)
    if theme is None:
        return (no_update,) * (6 + len(CHARTS))
    view = View.from_data(view_data)
    now = dt.datetime.now(dt.timezone.utc)
    out = render(engine, settings, theme, view, lang, now)
    on_districts = model.place_kind(theme) == "district"
    points, districts = Patch(), Patch()
    points["values"] = {} if on_districts else out.map_values
    districts["values"] = out.map_values if on_districts else {}
    return (kpi_row(out.kpis, lang), as_of(queries.data_time(engine, theme), settings.max_age(theme.code), settings.tz,
                                          lang, now),
            warnings_list(active_warnings(engine, theme.code, view.district), settings.tz, lang), out.rows,
            *[localize_dates(out.figures.get(c.key), lang) or {} for c in CHARTS], points, districts)


@declare.callback(Output(pid("detail-box"), "style"), Output(pid("detail-title"), "children"),
                  Output(pid("detail-body"), "children"), Input(pid("view"), "data"), State(pid("code"), "data"),
                  page=PAGE, scope={"code": "theme", "view_data": "view"})
def render_detail(view_data: dict | None, code: str | None) -> tuple:
    view = View.from_data(view_data)
    theme = _theme(code)
    if not view.detail or theme is None:
        return {"display": "none"}, None, None
    title, body = detail(context.engine(), context.settings(), theme, view, context.lang(),
                         dt.datetime.now(dt.timezone.utc))
    return {"display": "block"}, title, body


@declare.callback(Output(grid_part("cb-download", PREFIX), "data"),
                  Input(grid_part("cb-export-csv", PREFIX), "n_clicks"),
                  Input(grid_part("cb-export-xlsx", PREFIX), "n_clicks"),
                  State(grid_id(PREFIX), "virtualRowData"), State(grid_id(PREFIX), "rowData"),
                  State(grid_id(PREFIX), "columnDefs"), State(pid("code"), "data"),
                  page=PAGE, action="export", scope={"code": "theme"}, prevent_initial_call=True)
def export_grid(_csv: int | None, _xlsx: int | None, shown: list[dict] | None, data: list[dict] | None,
                columns: list[dict] | None, code: str | None) -> Any:
    """Thin: which button → the rows shown → :func:`components.grid.export_table` (checks the reader again)."""
    if _theme(code) is None:
        return no_update
    return export_table(ctx.triggered_id, shown, data, columns, code)
