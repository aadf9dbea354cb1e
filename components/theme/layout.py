"""The skeleton of a theme's page: the themed pages' skeleton with the theme's name,
filters, KPI cards, trend and ranking charts, the map of its entities, its warnings and
the exportable table of its entities — empty containers the callbacks fill.

Ids are fixed (prefix ``theme``) whatever the theme: one set of callbacks serves every
theme, and the theme's code travels in the ``theme-code`` store (a scope the gate checks).
"""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

import access
from citybrain.i18n import pick, t
from citybrain.settings import Settings
from components.citymap import city_map
from components.grid import data_grid
from components.page.chart import chart_card
from components.page.filters import filter_bar
from components.page.layout import REFRESH_MS, ChartSpec, translated_columns
from components.page.view import View
from components.theme import model
from themes.queries import entity_table
from themes.spec import Theme

PREFIX = "theme"
MAP_ID = "theme-map"
CHARTS = (ChartSpec("trend", "tpage.chart.trend", "tpage.hint.trend", span=8),
          ChartSpec("districts", "tpage.chart.districts", span=4),
          ChartSpec("ranking", "tpage.chart.ranking", "page.hint.drill", span=12, height=340))
DRILL_CHARTS = ("ranking",)


def pid(part: str) -> str:
    return f"{PREFIX}-{part}"


def chart_id(key: str) -> str:
    return f"{PREFIX}-chart-{key}"


def theme_features(settings: Settings, theme: Theme, lang: str) -> dict[str, Any]:
    """The theme's entities that have a place, as GeoJSON points keyed by code."""
    if model.place_kind(theme) != "entity":  # districts are drawn as districts, the city needs no point
        return {"type": "FeatureCollection", "features": []}
    table = entity_table(settings, theme)
    feats = [{"type": "Feature", "id": e.code,
              "properties": {"code": e.code, "name_zh": e.name_zh, "name_en": e.name_en},
              "geometry": {"type": "Point", "coordinates": [float(e.lon), float(e.lat)]}}
             for e in table.itertuples() if e.lat == e.lat and e.lon == e.lon and e.lat is not None]
    return {"type": "FeatureCollection", "features": feats}


def theme_layout(theme: Theme, settings: Settings, view: View, lang: str) -> Any:
    """The page of ``theme`` as ``view`` shows it."""
    section = lambda key: dmc.Text(t(key, lang), fw=700, size="lg", className="cb-section-title")  # noqa: E731
    owner = pick(theme.owner_zh, theme.owner_en or theme.owner_zh, lang)
    head = model.headline(theme)
    return html.Div([
        dcc.Store(id=pid("code"), data=theme.code),
        dcc.Store(id=pid("view"), data=view.to_data()),
        dcc.Store(id=pid("url-sink")),
        dcc.Interval(id=pid("refresh"), interval=REFRESH_MS),
        dmc.Group([
            dmc.Group([dmc.Title(theme.name(lang), order=2, className="cb-page-title"),
                       dmc.Badge(owner, variant="outline", color="teal", className="cb-standard-badge")],
                      gap="sm", align="center"),
            html.Div(id=pid("asof"), className="cb-page-asof"),
        ], justify="space-between", align="center"),
        filter_bar(PREFIX, settings, view, lang,
                   fixed_district=getattr(access.current_principal(), "district", None)),
        dmc.Paper([
            dmc.Group([html.Div(id=pid("detail-title"), className="cb-detail-title"),
                       dmc.Button(t("page.close", lang), id=pid("detail-close"), size="xs", variant="subtle")],
                      justify="space-between"),
            html.Div(id=pid("detail-body"), className="cb-detail-body"),
        ], id=pid("detail-box"), withBorder=True, p="md", radius="md", className="cb-detail",
            style={"display": "none"}),
        html.Div(id=pid("kpis"), className="cb-kpis"),
        dmc.Grid([chart_card(chart_id(c.key), t(c.title, lang, name=pick(head.name_zh, head.name_en, lang)),
                             hint=t(c.hint, lang) if c.hint else "", span=c.span, height=c.height, lang=lang)
                  for c in CHARTS], gutter="sm"),
        dmc.Grid([
            dmc.GridCol(dmc.Paper([section("page.map"),
                                   html.Div(city_map(MAP_ID, settings, layers=["districts", "labels", "theme"],
                                                     lang=lang, interactive=True, className="cb-page-map",
                                                     theme=theme_features(settings, theme, lang)),
                                            className="cb-page-map-box")],
                                  withBorder=True, p="sm", radius="md"), span={"base": 12, "lg": 7}),
            dmc.GridCol(dmc.Paper([section("page.warnings"), html.Div(id=pid("warnings"))],
                                  withBorder=True, p="sm", radius="md", className="cb-warnings-card"),
                        span={"base": 12, "lg": 5}),
        ], gutter="sm"),
        dmc.Paper([section("tpage.table"),
                   data_grid(PREFIX, translated_columns(model.columns(theme, lang), lang), lang, row_id="code",
                             resource=theme.code)],
                  withBorder=True, p="sm", radius="md"),
    ], className=f"cb-page cb-page-theme cb-page-theme-{theme.code}")


def unknown_theme(code: str, lang: str) -> Any:
    """What ``/t/<code>`` shows for a code the city has no theme for."""
    return html.Div(dmc.Alert(t("tpage.unknown", lang, code=code[:40]), color="gray"), className="cb-page")
