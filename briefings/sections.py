"""Blocks shared by the daily briefing and the page exports.

A themed page's ``render`` (the function its Dash callback calls) already returns the
KPIs, the figures — built by ``figures.page_charts`` — and the table rows of a view; here
they become briefing blocks, so a PDF shows what the screen shows, drawn by the same
builders. A figure with nothing in it is not printed: a note says which chart had no
data (and a stale source gets its own data-quality note) — never an empty box.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import plotly.io as pio

from figures.page_charts import localize_dates

from briefings.document import Figure, Kpi, Note, Table
from citybrain.i18n import format_age, pick, t
from citybrain.settings import Settings
from components.page.kpi import change_text

#: the themed pages in briefing order: domain → page module
DOMAIN_PAGES: dict[str, str] = {"traffic": "pages.traffic", "environment": "pages.environment",
                                "tourism": "pages.tourism", "hotline": "pages.hotline", "economy": "pages.economy"}


def page_module(name: str) -> ModuleType:
    """A page module by import name; Dash must have been set up (``create_app``) first,
    because page modules register themselves with it on import."""
    return importlib.import_module(name)


def figure_dict(fig: Any) -> dict[str, Any]:
    """A plotly figure as plain JSON data (numpy arrays and dates made portable)."""
    if isinstance(fig, dict):
        return json.loads(json.dumps(fig, default=str))
    return json.loads(pio.to_json(fig, validate=False))


def figure_points(fig: dict[str, Any]) -> int:
    """Data points a figure would draw (x, y, values, lat…), ignoring blanks."""
    n = 0
    for trace in fig.get("data") or []:
        for key in ("x", "y", "values", "lat", "z"):
            arr = trace.get(key)
            if isinstance(arr, dict) and "bdata" in arr:  # plotly's typed-array encoding
                n += int(arr.get("shape", "1").split(",")[0]) if arr.get("shape") else 1
                break
            if isinstance(arr, list):
                n += sum(1 for v in arr if v is not None)
                break
    return n


def kpi_blocks(kpis: Sequence[Any], lang: str) -> list[Kpi]:
    """The page's KPI cards as briefing KPIs, comparisons written out."""
    out = []
    for k in kpis:
        parts = []
        for key, change in zip(k.compare_keys, (k.wow, k.yoy), strict=True):
            parts.append(f"{t(key, lang)} {change_text(change, k.is_pp)}")
        tone = ""
        if k.wow is not None and abs(k.wow) >= 0.0005 and k.better:
            tone = "good" if (k.wow > 0) == (k.better == "up") else "bad"
        note = "　".join(parts) + (f"　{k.note}" if k.note else "")
        out.append(Kpi(k.label, k.value, k.unit, note=note, tone=tone))
    return out


def figure_blocks(prefix: str, spec: Any, figures: dict[str, Any], lang: str, *,
                  keys: Sequence[str] | None = None) -> tuple[list[Figure], list[Note]]:
    """The page's charts (those in ``keys``, else all) and a note for each one left empty."""
    figs, notes = [], []
    charts = [c for c in spec.charts if keys is None or c.key in keys]
    for c in charts:
        fig = figures.get(c.key)
        data = figure_dict(localize_dates(fig, lang)) if fig is not None else {"data": []}
        title = t(c.title, lang)
        if figure_points(data) == 0:
            notes.append(Note(t("brief.no_figure", lang, chart=title), "info"))
            continue
        figs.append(Figure(f"{prefix}-{c.key}", title, data, wide=c.span >= 8 or len(charts) == 1,
                           height=min(max(c.height - 40, 200), 300)))
    # two half-width charts pair up; an odd one out takes the whole width
    half = [f for f in figs if not f.wide]
    if len(half) % 2 == 1:
        last = half[-1]
        figs = [Figure(f.id, f.title, f.figure, True, f.height) if f is last else f for f in figs]
    return figs, notes


def table_block(title: str, spec: Any, rows: Sequence[dict[str, Any]], lang: str, *, limit: int | None = None,
                empty: str = "") -> list[Any]:
    """The page's grid as a printed table (columns and headers from the page's spec)."""
    cols = [c for c in spec.columns if not c.get("hide")]
    shown = list(rows) if limit is None else list(rows)[:limit]
    numeric = tuple(i for i, c in enumerate(cols) if c.get("type") == "numericColumn")
    body = [[_cell(r.get(c["field"])) for c in cols] for r in shown]
    out: list[Any] = [Table(title, [t(c["headerName"], lang) for c in cols], body, numeric=numeric,
                            empty=empty or t("page.no_data", lang))]
    if limit is not None and len(rows) > limit:
        out.append(Note(t("brief.more_rows", lang, n=len(rows) - limit)))
    return out


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e15 else str(v)
    return str(v)


def stale_notes(sources: Sequence[dict[str, Any]], domain: str, settings: Settings, lang: str,
                now: dt.datetime) -> list[Note]:
    """A data-quality note for each late or silent source of ``domain``."""
    notes = []
    for s in sources:
        if s["domain"] != domain or s["status"] == "disabled" or not s["stale"]:
            continue
        owner = pick(s.get("owner_zh") or "", s.get("owner_en") or "", lang) or s["name"]
        if s["data_time"] is None:
            notes.append(Note(t("brief.never_note", lang, source=s["name"], owner=owner), "quality"))
        else:
            local = s["data_time"].astimezone(settings.tz).strftime("%m-%d %H:%M")
            age = format_age((now - s["data_time"]).total_seconds(), lang)
            notes.append(Note(t("brief.stale_note", lang, source=s["name"], owner=owner, time=local, age=age),
                              "quality"))
    return notes


def heading(n: int, title: str, lang: str) -> str:
    """"一、交通运行" / "1. Traffic"."""
    numerals = t("brief.numeral", lang).split(",")
    return t("brief.heading", lang, n=numerals[n - 1] if n <= len(numerals) else str(n), title=title)
