"""Home: the city, what it monitors, and the state of its department sources."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback, dcc, html

from citybrain import context
from citybrain.i18n import format_age, format_number, pick, t
from components.badges import stale_badge, status_badge
from components.table import table
from store.queries.sources import source_overview

dash.register_page(__name__, path="/", order=0, nav="nav.home")

REFRESH_MS = 30_000


def layout(**_: Any) -> Any:
    """Cheap: config only. The sources table is filled by a callback (it queries)."""
    lang = context.lang()
    s = context.settings()
    counts = [
        ("home.districts", len(s.districts)),
        ("home.stations", len(s.stations)),
        ("home.segments", len(s.segments)),
        ("home.sites", len(s.sites)),
        ("home.indicators", len(s.indicators)),
    ]
    return dmc.Stack([
        dmc.Group([
            dmc.Title(pick(s.city.name_zh, s.city.name_en, lang), order=1, className="cb-home-city"),
            dmc.Text(t("app.tagline", lang), c="dimmed", size="lg"),
        ], align="baseline"),
        dmc.SimpleGrid([
            dmc.Paper([dmc.Text(t(key, lang), c="dimmed", size="sm"),
                       dmc.Text(format_number(n, lang), fw=700, size="xl", className="cb-count")],
                      p="md", withBorder=True, radius="md")
            for key, n in counts
        ], cols={"base": 2, "sm": 3, "lg": 5}),
        dmc.Group([dmc.Badge(pick(d.name_zh, d.name_en, lang), variant="outline", size="lg") for d in s.districts],
                  gap="xs"),
        html.Div(id="sources"),
        dmc.Title(t("home.sources", lang), order=3),
        html.Div(id="home-sources"),
        dcc.Interval(id="home-refresh", interval=REFRESH_MS),
    ], gap="lg")


@callback(Output("home-sources", "children"), Input("home-refresh", "n_intervals"))
def refresh_sources(_n: int | None) -> Any:
    lang = context.lang()
    return sources_table(source_overview(context.engine(), context.settings()), lang)


def sources_table(rows: list[dict[str, Any]], lang: str) -> dmc.Table:
    """The sources as a table: owner, status, freshness, counts, last error in plain words."""
    head = [t(k, lang) for k in ("source.name", "source.owner", "source.domain", "source.status", "source.lag",
                                 "source.rows", "source.quarantined", "source.error")]
    body = []
    for r in rows:
        age = html.Span(format_age(r["age_seconds"], lang))
        stale = r["stale"] and r["status"] != "never"
        body.append([
            r["name"],
            pick(r["owner_zh"], r["owner_en"], lang),
            t(f"domain.{r['domain']}", lang),
            status_badge(r["status"], lang),
            dmc.Group([age, stale_badge(lang)], gap=6) if stale else age,
            format_number(r["rows_written_total"], lang),
            format_number(r["rows_quarantined_total"], lang),
            r["last_error"] or "",
        ])
    return table(head, body, className="cb-sources-table")
