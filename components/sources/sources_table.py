"""Every configured source: owner department, status, freshness, counts, last error in plain words."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import format_age, format_number, pick, t
from components.badges import stale_badge, status_badge
from components.center.fmt import local_time
from components.table import table


def span_text(seconds: float | None, lang: str) -> str:
    """A lag as a length of time (not "ago"): ``6分钟`` / ``6 min``."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return t(f"sources.span.{unit}", lang, n=s // size)
    return t("sources.span.seconds", lang, n=s)


def _age(r: dict[str, Any], lang: str) -> Any:
    age = html.Span(format_age(r["age_seconds"], lang))
    if r["stale"] and r["status"] != "never":
        return dmc.Group([age, stale_badge(lang)], gap=6, wrap="nowrap")
    return age


def _domain(r: dict[str, Any], lang: str) -> str:
    """The source's domain, or its theme's name (issue 20)."""
    return pick(r["domain_zh"], r["domain_en"], lang) if r.get("domain_zh") else t(f"domain.{r['domain']}", lang)


def sources_table(rows: list[dict[str, Any]], lang: str, tz: ZoneInfo, *, selected: str | None = None) -> dmc.Table:
    """The full catalogue (数据共享交换目录); the ``selected`` source's name is emphasised."""
    head = [t(k, lang) for k in ("source.name", "source.owner", "source.domain", "source.status", "source.last_success",
                                 "sources.col.data_time", "sources.col.age", "source.lag", "source.rows",
                                 "source.quarantined", "source.error")]
    body = []
    for r in rows:
        lag = r.get("lag_seconds")
        body.append([
            html.Span(r["name"], className="cb-mono" + (" cb-selected-source" if r["name"] == selected else "")),
            pick(r["owner_zh"], r["owner_en"], lang),
            _domain(r, lang),
            status_badge(r["status"], lang),
            local_time(r.get("last_success"), tz),
            local_time(r.get("data_time"), tz),
            _age(r, lang),
            span_text(lag, lang),
            format_number(r["rows_written_total"], lang),
            format_number(r["rows_quarantined_total"], lang),
            r["last_error"] or "",
        ])
    return table(head, body, className="cb-sources-table cb-sources-full", fz="sm")


def sources_compact(rows: list[dict[str, Any]], lang: str) -> dmc.Table:
    """The home page's short version: who owns it, is it OK, how old is its data."""
    head = [t(k, lang) for k in ("source.name", "source.owner", "source.domain", "source.status", "source.lag")]
    body = [[r["name"], pick(r["owner_zh"], r["owner_en"], lang), _domain(r, lang),
             status_badge(r["status"], lang), _age(r, lang)] for r in rows]
    return table(head, body, className="cb-sources-table cb-sources-compact", fz="sm")
