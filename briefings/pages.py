"""A page's current view as a PDF: the "导出简报 / Export PDF" action.

The themed pages export what their screen shows for the view in the URL — the same
``render`` (KPIs, figures from the same builders, table rows) — with the filters used
printed on the first page and in the running header, so a printed page can never be
mistaken for another district or period. The home page exports the city's index and
data quality so far today, built by the daily briefing's own sections.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from briefings.daily import index_section, quality_section
from briefings.document import Document, Section
from briefings.sections import DOMAIN_PAGES, figure_blocks, heading, kpi_blocks, page_module, stale_notes, table_block
from citybrain.i18n import pick, t
from citybrain.settings import Settings
from components.page.printing import map_block, shown_charts
from components.page.view import ECONOMY_RANGES, RANGES, View, resolve
from store.queries.sources import source_overview

UTC = dt.timezone.utc
#: pages that can be exported: name → resource for access checks
EXPORTABLE: tuple[str, ...] = ("overview", *DOMAIN_PAGES)
#: rows of a page's table printed at most (the CSV/XLSX export has them all)
TABLE_LIMIT = 1000


def view_from_query(page: str, params: dict[str, Any]) -> View:
    if page == "economy":
        return View.from_query(params, ranges=ECONOMY_RANGES, default_range="2y")
    return View.from_query(params, ranges=RANGES, default_range="24h")


def filters_text(settings: Settings, page: str, view: View, lang: str, now: dt.datetime) -> list[tuple[str, str]]:
    """The filters of ``view`` as (label, value) lines, in words (not codes)."""
    district = next((pick(d.name_zh, d.name_en, lang) for d in settings.districts if d.code == view.district),
                    t("page.all_districts", lang))
    window = resolve(view, settings.tz, now)
    fmt = "%Y-%m-%d %H:%M"
    lines = [(t("brief.cover.district", lang), district),
             (t("brief.cover.range", lang), t(f"range.{view.range}", lang)),
             (t("brief.cover.window", lang), t("brief.period", lang, start=window.start.astimezone(settings.tz).strftime(fmt),
                                               end=window.end.astimezone(settings.tz).strftime(fmt)))]
    if view.detail:
        lines.append((t("brief.col.object", lang), view.detail))
    return lines


def build_page(settings: Settings, engine: Engine, page: str, view: View, lang: str = "zh", *,
               now: dt.datetime | None = None, user: str = "") -> Document:
    """The export of ``page`` (one of :data:`EXPORTABLE`) for ``view``. Needs an app context."""
    if page not in EXPORTABLE:
        raise ValueError(f"{page!r} cannot be exported; use one of {', '.join(EXPORTABLE)}")
    now = now or dt.datetime.now(UTC)
    tz = settings.tz
    city = pick(settings.city.name_zh, settings.city.name_en, lang)
    page_title = t("nav.home", lang) if page == "overview" else t(f"domain.{page}", lang)
    filters = filters_text(settings, page, view, lang, now) if page != "overview" else []
    subtitle = " · ".join(v for _, v in filters[:2]) or now.astimezone(tz).strftime("%Y-%m-%d")
    doc = Document(kind="page", title=t("brief.page.title", lang, page=page_title), subtitle=subtitle, lang=lang,
                   header=t("brief.org", lang, city=city), footer=t("brief.footer_page", lang), min_pages=2)
    doc.cover = [(t("brief.cover.city", lang), city), (t("brief.cover.page", lang), page_title), *filters,
                 (t("brief.cover.generated", lang), now.astimezone(tz).strftime("%Y-%m-%d %H:%M"))]
    if user:
        doc.cover.append((t("brief.cover.user", lang), user))
    sources = source_overview(engine, settings, now=now)
    if page == "overview":
        today = now.astimezone(tz).date()
        doc.sections.append(index_section(settings, engine, today, lang, heading(1, t("brief.index", lang), lang)))
        start = dt.datetime.combine(today, dt.time(0), tz).astimezone(UTC)
        doc.sections.append(quality_section(settings, engine, start, now, lang, now, sources,
                                            heading(2, t("brief.quality", lang), lang)))
        return doc
    module = page_module(DOMAIN_PAGES[page])
    out = module.render(engine, settings, view, lang, now)
    sec = Section(f"domain-{page}", heading(1, t("brief.page.view", lang), lang))
    sec.blocks.extend(stale_notes(sources, page, settings, lang, now))
    sec.blocks.append(kpi_blocks(out.kpis, lang))
    figs, empty = figure_blocks(page, module.SPEC, out.figures, lang, keys=shown_charts(module.SPEC, view))
    if figs:
        sec.blocks.append(figs)
    sec.blocks.extend(empty)
    shown_map = map_block(page, module.SPEC, out.map_values, settings, view, lang)  # the map the page shows
    if shown_map is not None:
        sec.blocks.append([shown_map])
    doc.sections.append(sec)
    doc.sections.append(Section("table", heading(2, t(module.SPEC.table_title, lang), lang),
                                table_block("", module.SPEC, out.rows, lang, limit=TABLE_LIMIT)))
    return doc
