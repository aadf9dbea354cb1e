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


#: a chart's height in the daily briefing (two charts side by side)
DENSE_HEIGHT = 205


def figure_blocks(prefix: str, spec: Any, figures: dict[str, Any], lang: str, *,
                  keys: Sequence[str] | None = None, dense: bool = False) -> tuple[list[Figure], list[Note]]:
    """The page's charts (those in ``keys``, else all) and a note for each one left empty.

    ``dense`` (the daily briefing): every chart half the width and :data:`DENSE_HEIGHT` high,
    two to a row — a briefing is read, not explored, and a page of two full-width charts
    was half the briefing's length."""
    figs, notes = [], []
    charts = [c for c in spec.charts if keys is None or c.key in keys]
    for c in charts:
        fig = figures.get(c.key)
        data = figure_dict(localize_dates(fig, lang)) if fig is not None else {"data": []}
        title = t(c.title, lang)
        if figure_points(data) == 0:
            notes.append(Note(t("brief.no_figure", lang, chart=title), "info"))
            continue
        if dense:
            figs.append(Figure(f"{prefix}-{c.key}", title, data, wide=False, height=DENSE_HEIGHT))
            continue
        figs.append(Figure(f"{prefix}-{c.key}", title, data, wide=c.span >= 8 or len(charts) == 1,
                           height=min(max(c.height - 40, 200), 300)))
    # two half-width charts pair up; an odd one out takes the whole width
    half = [f for f in figs if not f.wide]
    if len(half) % 2 == 1:
        last = half[-1]
        figs = [Figure(f.id, f.title, f.figure, True, f.height) if f is last else f for f in figs]
    return figs, notes


def tidy_for_print(fig: dict[str, Any], lang: str) -> dict[str, Any]:
    """A page's figure made legible at half a printed page's width (the screen's builders
    assume a card on a wide screen):

    * a date axis spanning one day ticks hours only ("08时" / "08:00"), horizontally — the
      date is the briefing's own, "12月4日 08时" five times over only slanted across the plot;
    * labels of reference lines close to each other no longer print on top of one another
      (预警 80% / 停止入园 100%): horizontal lines' labels alternate left and right, vertical
      lines' labels sit on the outer side of their line;
    * the legend in a smaller type.
    """
    fig = json.loads(json.dumps(fig))
    layout = fig.setdefault("layout", {})
    xs = [str(v) for tr in fig.get("data") or [] if tr.get("orientation") != "h"
          for v in (tr.get("x") if isinstance(tr.get("x"), list) else []) if v is not None]
    axis = layout.get("xaxis") or {}
    if axis.get("type") == "date" and xs and len({v[:10] for v in xs}) == 1:
        axis.pop("tickformatstops", None)
        axis.update({"tickformat": "%H:00" if lang == "en" else "%H时", "tickangle": 0, "dtick": 3 * 3600 * 1000,
                     "tick0": xs[0][:10] + " 00:00"})
        layout["xaxis"] = axis
    notes = layout.get("annotations") or []
    bars = any(tr.get("type") == "bar" for tr in fig.get("data") or [])
    flat = sorted((a for a in notes if a.get("yref") == "y" and str(a.get("xref", "")).endswith(("domain", "paper"))),
                  key=lambda a: a.get("y") or 0)
    for i, a in enumerate(flat):  # lowest line's label on one side, the next on the other, …
        # bar charts start on the right: the first bar stands at the left, under a left label
        a.update({"x": 0, "xanchor": "left"} if (i + bars) % 2 == 0 else {"x": 1, "xanchor": "right"})
    upright = sorted((a for a in notes if a.get("xref") == "x" and str(a.get("yref", "")).endswith(("domain", "paper"))),
                     key=lambda a: a.get("x") or 0)
    for i, a in enumerate(upright):
        # above the plot, not over the bars: the leftmost line's label ends at its line, the others start at theirs
        a.update({"y": 1, "yanchor": "bottom", "xanchor": "right" if i == 0 and len(upright) > 1 else "left"})
    if upright:
        layout["margin"] = {**(layout.get("margin") or {}), "t": max((layout.get("margin") or {}).get("t", 0), 22)}
    for tr in fig.get("data") or []:
        if tr.get("type") == "bar" and tr.get("orientation") == "h" and tr.get("text") is not None:
            # a value written beside a short bar ran off the half-width plot: keep it inside its bar
            tr.update({"textposition": "inside", "insidetextanchor": "end"})
    if axis.get("type") == "date" and str(axis.get("dtick", "")).startswith("M") and len({v[:7] for v in xs}) > 6:
        # a year of months at half width: a label every third month, level (slanted labels collided)
        axis.update({"dtick": "M3", "tickangle": 0})
        layout["xaxis"] = axis
    if layout.get("legend") is not None:
        layout["legend"] = {**layout["legend"], "font": {**(layout["legend"].get("font") or {}), "size": 9}}
    return fig


def legend_rows(fig: dict[str, Any], *, width: int = 300) -> int:
    """Rows a horizontal legend takes in a half-width chart (0 when none is shown): entries
    packed greedily by an estimate of their printed width (9 pt: ~5.5 px a Latin letter,
    ~9.5 px a Chinese character, 40 px of symbol and gap)."""
    layout = fig.get("layout") or {}
    if layout.get("showlegend") is False:
        return 0
    names = [str(tr["name"]) for tr in fig.get("data") or [] if tr.get("name") and tr.get("showlegend", True) is not False]
    if len(names) < 2 and layout.get("showlegend") is not True:
        return 0
    rows, used = 1, 0.0
    for name in names:
        w = 40 + sum(9.5 if ord(ch) > 0x2E80 else 5.5 for ch in name)
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


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
                now: dt.datetime, *, period_end: dt.datetime | None = None) -> list[Note]:
    """A data-quality note for each late or silent source of ``domain``. With ``period_end``
    (a report about a past period) only sources whose data stops before that end: one that
    is late now but delivered the whole period does not make the period's numbers doubtful."""
    notes = []
    for s in sources:
        if s["domain"] != domain or s["status"] == "disabled" or not s["stale"]:
            continue
        if period_end is not None and s["data_time"] is not None and s["data_time"] >= period_end:
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
