"""Home — the office overview: the city's vital signs and why they moved, one card per
domain, active warnings by level and the state of the department sources, each a link
into the page that tells the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from access import declare
from sqlalchemy import Engine

from citybrain import context
from citybrain.i18n import Lang, pick, t
from citybrain.settings import Settings
from components.center.level_counts import level_counts
from components.overview.domain_card import domain_card
from components.theme.overview import theme_cards
from components.page.layout import pdf_button
from components.overview.vital_data import DOMAIN_KPI, spec_groups, summarise
from components.overview.vital_panel import sub_label, vital_panel
from components.sources.sources_table import sources_compact
from components.sources.summary import source_counts
from store.queries.overview import vital_signs_day
from store.queries.sources import source_overview
from store.queries.warnings import active_counts

dash.register_page(__name__, path="/", order=0, nav="nav.home")

REFRESH_MS = 60_000
VITAL, DOMAINS, WARNINGS, SOURCES = "home-vital", "home-domains", "home-warnings", "home-sources"
LANG, REFRESH = "home-lang", "home-refresh"


def layout(**_: Any) -> Any:
    """Cheap: settings only; every panel is filled by the callback (it queries)."""
    lang = context.lang()
    s = context.settings()
    return dmc.Stack([
        dmc.Group([
            dmc.Group([
                dmc.Title(pick(s.city.name_zh, s.city.name_en, lang), order=1, className="cb-home-city"),
                dmc.Text(t("home.overview", lang), c="dimmed", size="lg"),
            ], align="baseline"),
            pdf_button("home-pdf", "/export/pdf/overview", lang, "overview"),
        ], justify="space-between", align="center"),
        html.Div(id=VITAL, className="cb-home-vital"),
        html.Div(id=DOMAINS, className="cb-home-domains"),
        dmc.Grid([
            dmc.GridCol(dmc.Paper([
                dmc.Group([
                    dmc.Title(t("home.warnings.title", lang), order=4),
                    dcc.Link(t("home.warnings.all", lang), href="/warnings", className="cb-more"),
                ], justify="space-between", mb="sm"),
                html.Div(id=WARNINGS),
            ], p="md", withBorder=True, radius="md"), span={"base": 12, "lg": 5}, className="cb-home-warnings"),
            dmc.GridCol(dmc.Paper([
                dmc.Group([
                    dmc.Title(t("home.sources", lang), order=4),
                    dcc.Link(t("home.sources.all", lang), href="/sources", className="cb-more"),
                ], justify="space-between", mb="sm"),
                html.Div(id=SOURCES),
            ], p="md", withBorder=True, radius="md"), span={"base": 12, "lg": 7}, className="cb-home-sources"),
        ], gutter="md", className="cb-home-bottom"),
        dcc.Store(id=LANG, data=lang),
        dcc.Interval(id=REFRESH, interval=REFRESH_MS),
    ], gap="md", className="cb-home")


def overview_view(engine: Engine, settings: Settings, lang: str, *, rows: list[dict[str, Any]] | None = None,
                  now: dt.datetime | None = None) -> tuple[Any, Any, Any, Any]:
    """(vital panel, domain cards, warning tiles, sources panel). ``rows``: the index's
    last day (the callback reads the memoized query; tests pass their own)."""
    tz = settings.tz
    spec = settings.vital_signs_spec
    groups = spec_groups(spec)
    labels = {sub.name: sub_label(sub.name, lang, sub.label) for sub in spec.sub_indices}
    if rows is None:
        rows = vital_signs_day(engine)
    summary = summarise(rows, groups)
    counts = active_counts(engine)
    sources = source_overview(engine, settings, now=now)
    stale_domains = {r["domain"] for r in sources if r["stale"] and r["status"] not in ("disabled",)}
    cards = dmc.SimpleGrid([
        domain_card(domain, kpi, summary.inputs.get(kpi), summary.sub_indices.get(domain),
                    counts["domain"].get(domain, 0), domain in stale_domains, lang)
        for domain, kpi in DOMAIN_KPI.items()
    ] + theme_cards(engine, settings, lang, warnings=counts["domain"], stale=stale_domains),  # issue 20: overview = true
        cols={"base": 1, "xs": 2, "md": 3, "lg": 5}, spacing="md", className="cb-domain-cards")
    n = source_counts(sources)
    sources_panel = dmc.Stack([
        dmc.Text(t("home.sources.summary", lang, ok=n["ok"], total=n["total"],
                   stale=sum(1 for r in sources if r["stale"])), size="sm", className="cb-sources-summary"),
        sources_compact(sources, lang),
    ], gap="xs")
    return (vital_panel(summary, rows, labels, lang, tz), cards, level_counts(counts["level"], lang), sources_panel)


@declare.callback(Output(VITAL, "children"), Output(DOMAINS, "children"), Output(WARNINGS, "children"),
                  Output(SOURCES, "children"), Input(REFRESH, "n_intervals"), State(LANG, "data"), page="home")
def refresh(_n: int | None, lang: Lang) -> tuple:
    return overview_view(context.engine(), context.settings(), lang)
