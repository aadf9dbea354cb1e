"""Tomorrow's expected peaks (issue 22): each scenic site's peak count and hour, the hotline's
calls, the TPI's peak — the day after the briefing's period (the day its reader is in),
read from the forecast helper's published functions (``forecast.read``).

Every number is a stored forecast with its 80 % interval and says whether a model or the
seasonal-naive baseline made it; a series with no forecast for that day is left out, and
when there is none at all the section says so in one line — no number is made up.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from briefings.document import Note, Section, Table
from citybrain.i18n import format_number, pick, t

log = logging.getLogger(__name__)
DAY = dt.timedelta(days=1)


def _hh(ts: dt.datetime, lang: str) -> str:
    return t("brief.sum.hour", lang, h=f"{ts.hour:02d}")


def _basis(row: dict[str, Any], lang: str) -> str:
    return t("brief.outlook.baseline" if row.get("fallback") else "brief.outlook.model", lang)


def _range(lo: float, hi: float, fmt: Any) -> str:
    return f"{fmt(lo)}–{fmt(hi)}"


def sections(ctx: Any) -> list[Section]:
    lang = ctx.lang
    day = ctx.day + DAY  # the day after the period: the day the morning briefing is read
    sec = Section("outlook", t("brief.outlook", lang))
    try:
        from forecast.read import accuracy_label, forecasts, tomorrow_peaks
    except ImportError:
        sec.blocks.append(Note(t("brief.outlook.none", lang), "info"))
        return [sec]
    # tomorrow_peaks' "tomorrow" is the day after ``now``: the period's last instant gives day+1
    last = ctx.end - dt.timedelta(seconds=1)
    try:
        sites = tomorrow_peaks(ctx.settings, ctx.engine, "tourism_present", scope_kind="site", now=last)
        tpi = tomorrow_peaks(ctx.settings, ctx.engine, "tpi", scope_kind="city", now=last) + \
            tomorrow_peaks(ctx.settings, ctx.engine, "tpi", scope_kind="district", now=last)
        calls_hour = tomorrow_peaks(ctx.settings, ctx.engine, "hotline_calls", scope_kind="city", now=last)
        calls_day = forecasts(ctx.settings, ctx.engine, "hotline_calls", grain="day", scope_kind="city")
    except Exception as exc:  # noqa: BLE001 — a store without the forecast tables: say so, do not fail the briefing
        log.warning("briefing: no forecast section data (%s)", exc)
        sites, tpi, calls_hour, calls_day = [], [], [], []
    start = dt.datetime.combine(day, dt.time(0), ctx.tz)
    day_calls = None
    for f in calls_day:
        pts = f.points[f.points["time"] == start.astimezone(dt.timezone.utc)] if not f.points.empty else f.points
        if not pts.empty:
            day_calls = (f, pts.iloc[0])
    if not (sites or tpi or calls_hour or day_calls):
        sec.blocks.append(Note(t("brief.outlook.none", lang), "info"))
        return [sec]
    date_text = f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%b %-d")
    intro = t("brief.outlook.intro", lang, date=date_text)
    # hours of that day already observed when the forecasts were made are not forecast: say from when
    try:
        firsts = [f.points["time"].min() for kind, name in (("site", "tourism_present"), ("city", "tpi"),
                                                             ("city", "hotline_calls"))
                  for f in forecasts(ctx.settings, ctx.engine, name, grain="hour", scope_kind=kind)
                  if not f.points.empty]
    except Exception:  # noqa: BLE001 — read above already; the sentence is optional
        firsts = []
    first = max(firsts).to_pydatetime().astimezone(ctx.tz) if firsts else None
    if first is not None and first > start:
        intro += t("brief.outlook.from", lang, hour=_hh(first, lang))
    sec.blocks.append(Note(intro))
    if sites:
        rows = []
        for r in sites:
            share = f"{r['share'] * 100:.1f}%" if r.get("share") is not None else "—"
            rows.append([pick(r["name_zh"], r["name_en"], lang), format_number(round(r["peak"]), lang), _hh(r["time"], lang),
                         _range(r["lo80"], r["hi80"], lambda v: format_number(round(max(v, 0)), lang)), share,
                         _basis(r, lang)])
        sec.blocks.append(Table(t("brief.outlook.sites", lang),
                                [t("brief.outlook.col.site", lang), t("brief.outlook.col.peak_present", lang),
                                 t("brief.outlook.col.hour", lang), t("brief.outlook.col.range80", lang),
                                 t("brief.outlook.col.share", lang), t("brief.outlook.col.basis", lang)],
                                rows, numeric=(1, 3, 4)))
    rows = []
    if day_calls is not None:
        f, p = day_calls
        rows.append([t("brief.outlook.calls_day", lang), format_number(round(p["value"]), lang), "—",
                     _range(p["lo80"], p["hi80"], lambda v: format_number(round(max(v, 0)), lang)),
                     t("brief.outlook.baseline" if f.fallback else "brief.outlook.model", lang)])
    for r in calls_hour:
        rows.append([t("brief.outlook.calls_hour", lang), format_number(round(r["peak"]), lang), _hh(r["time"], lang),
                     _range(r["lo80"], r["hi80"], lambda v: format_number(round(max(v, 0)), lang)), _basis(r, lang)])
    for r in tpi:
        where = pick(r["name_zh"], r["name_en"], lang) if r["scope"] else t("brief.outlook.city", lang)
        rows.append([t("brief.outlook.tpi", lang, where=where), f"{r['peak']:.1f}", _hh(r["time"], lang),
                     _range(r["lo80"], r["hi80"], lambda v: f"{max(v, 0):.1f}"), _basis(r, lang)])
    if rows:
        sec.blocks.append(Table(t("brief.outlook.city_table", lang),
                                [t("brief.outlook.col.what", lang), t("brief.outlook.col.expected", lang),
                                 t("brief.outlook.col.hour", lang), t("brief.outlook.col.range80", lang),
                                 t("brief.outlook.col.basis", lang)], rows, numeric=(1, 3)))
    note = t("brief.outlook.note", lang)
    if day_calls is not None:  # the backtest's word on the one series the leader reads first
        note += t("brief.outlook.accuracy", lang, what=t("brief.outlook.calls_day", lang),
                  text=accuracy_label(day_calls[0], lang))
    sec.blocks.append(Note(note))
    return [sec]
