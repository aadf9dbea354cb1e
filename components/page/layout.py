"""The skeleton every themed page shares: header with as-of, filter bar, drill-down panel,
KPI row, charts, map and warnings, the exportable table.

Cheap and query-free (Dash calls layouts at start-up): it only places empty containers
with ids derived from the page's ``prefix``; the page's callbacks fill them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

import access

from citybrain.i18n import t
from citybrain.settings import Settings
from components.citymap import city_map, legend_for
from components.grid import data_grid
from components.page.chart import chart_card
from components.page.filters import filter_bar
from components.page.view import RANGES, View

REFRESH_MS = 60_000


@dataclass(frozen=True)
class ChartSpec:
    """One chart card: ``key`` (id suffix), catalogue keys of title and hint, width, height."""

    key: str
    title: str
    hint: str = ""
    span: int = 6
    height: int = 300


@dataclass(frozen=True)
class PageSpec:
    """What distinguishes one themed page from another, for the skeleton and its callbacks."""

    prefix: str
    domain: str
    charts: Sequence[ChartSpec]
    columns: Sequence[dict[str, Any]]  # ag-grid columnDefs with catalogue keys in headerName
    row_id: str
    map_layers: Sequence[str]
    drill_charts: Sequence[str] = ()
    ranges: tuple[str, ...] = RANGES
    default_range: str = "24h"
    table_title: str = "page.table"
    districts: Sequence[str] | None = None
    extra: Sequence[Any] = field(default_factory=tuple)

    def id(self, part: str) -> str:
        return f"{self.prefix}-{part}"

    def chart_id(self, key: str) -> str:
        return f"{self.prefix}-chart-{key}"

    def chart_col_id(self, key: str) -> str:
        return f"{self.prefix}-col-{key}"

    def map_id(self) -> str:
        return f"{self.prefix}-map"


def pdf_button(component_id: str, href: str, lang: str, resource: str) -> Any:
    """"导出简报 / Export PDF": a form that POSTs the print of the current view (printing
    writes a file, an archive row and an audit row: a state change, so not a GET a link
    on another site could trigger). The page keeps its ``action`` in step with its filters.

    A role without ``print`` on ``resource`` sees the button disabled, with the reason."""
    refused = access.offer("print", resource)
    return html.Form(html.Button(t("brief.export", lang), type="submit", className="cb-pdf-button",
                                 disabled=bool(refused), title=t(refused, lang) if refused else None),
                     id=component_id, action=href, method="post", target="_blank", className="cb-pdf-link")


#: the narrowest a column may get before the grid scrolls sideways (px): a date-time, a
#: ticket number or a place name squeezed below it was clipped on a phone ("2026-12-0…")
MIN_WIDTHS = {"created": 150, "due": 150, "start": 150, "end": 150, "time": 120, "ticket": 150, "name": 170,
              "segment": 110, "category": 110, "revision": 120}
#: English names run about twice as long as the Chinese ones
MIN_WIDTHS_EN = {**MIN_WIDTHS, "name": 200, "category": 150, "district": 110, "worst": 150, "grade": 110}


def translated_columns(columns: Sequence[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Column headers in ``lang``, wrapping onto a second line rather than clipping to "景区…"."""
    widths = MIN_WIDTHS_EN if lang == "en" else MIN_WIDTHS
    return [{"wrapHeaderText": True, "autoHeaderHeight": True,
             **({"minWidth": widths[c["field"]]} if c.get("field") in widths else {}),
             **c, "headerName": t(c["headerName"], lang)} for c in columns]


def domain_layout(spec: PageSpec, settings: Settings, view: View, lang: str) -> Any:
    """The page; every data-bearing element is empty until the callbacks run."""
    section = lambda key: dmc.Text(t(key, lang), fw=700, size="lg", className="cb-section-title")  # noqa: E731
    return html.Div([
        dcc.Store(id=spec.id("view"), data=view.to_data()),
        dcc.Store(id=spec.id("url-sink")),
        dcc.Interval(id=spec.id("refresh"), interval=REFRESH_MS),
        dmc.Group([
            dmc.Group([dmc.Title(t(f"domain.{spec.domain}", lang), order=2, className="cb-page-title"),
                       html.Div(id=spec.id("badges"), className="cb-page-badges")], gap="sm", align="center"),
            dmc.Group([html.Div(id=spec.id("asof"), className="cb-page-asof"),
                       pdf_button(spec.id("pdf"), f"/export/pdf/{spec.domain}{view.to_query()}", lang, spec.domain)],
                      gap="sm", align="center"),
        ], justify="space-between", align="center"),
        filter_bar(spec.prefix, settings, view, lang, ranges=spec.ranges,
                   districts=list(spec.districts) if spec.districts is not None else None,
                   fixed_district=getattr(access.current_principal(), "district", None)),
        dmc.Paper([
            dmc.Group([html.Div(id=spec.id("detail-title"), className="cb-detail-title"),
                       dmc.Button(t("page.close", lang), id=spec.id("detail-close"), size="xs", variant="subtle")],
                      justify="space-between"),
            html.Div(id=spec.id("detail-body"), className="cb-detail-body"),
        ], id=spec.id("detail-box"), withBorder=True, p="md", radius="md", className="cb-detail",
            style={"display": "none"}),
        html.Div(id=spec.id("kpis"), className="cb-kpis"),
        dmc.Grid([chart_card(spec.chart_id(c.key), t(c.title, lang), hint=t(c.hint, lang) if c.hint else "",
                             span=c.span, height=c.height, lang=lang, col_id=spec.chart_col_id(c.key))
                  for c in spec.charts], gutter="sm"),
        *spec.extra,
        dmc.Grid([
            dmc.GridCol(dmc.Paper([section("page.map"),
                                   html.Div(city_map(spec.map_id(), settings, layers=list(spec.map_layers), lang=lang,
                                                     interactive=True, className="cb-page-map",
                                                     legend=legend_for(spec.map_layers)),
                                            className="cb-page-map-box")],
                                  withBorder=True, p="sm", radius="md"), span={"base": 12, "lg": 7}),
            dmc.GridCol(dmc.Paper([section("page.warnings"), html.Div(id=spec.id("warnings"))],
                                  withBorder=True, p="sm", radius="md", className="cb-warnings-card"),
                        span={"base": 12, "lg": 5}),
        ], gutter="sm"),
        dmc.Paper([section(spec.table_title),
                   data_grid(spec.prefix, translated_columns(spec.columns, lang), lang, row_id=spec.row_id,
                             resource=spec.domain)],
                  withBorder=True, p="sm", radius="md"),
    ], className=f"cb-page cb-page-{spec.domain}")
