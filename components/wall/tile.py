"""A domain tile: title, the headline number with its category, "as of" and the stale badge.

Five domains, one builder: what differs per domain is only the fill. The tile says how
old its number is and turns its badge amber when the domain's data is older than the
domain's ``max_age`` — a stale panel must never look current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from dash import html

from citybrain.i18n import format_number, pick, t
from citybrain.settings import Settings
from components.citymap import GRADES, crowding_color
from components.wall.fmt import age, local_hhmm, number, pct, signed_pct
from components.wall.ids import Fill, wid
from components.wall.ranking import Row, ranking, ranking_fill

TOURISM_BARS = 2


def domain_tile(key: str, domain: str, lang: str, *, hero: bool = False) -> html.Div:
    """An empty tile for ``domain`` (environment, traffic, tourism, economy, hotline).

    ``hero`` is the large version a domain screen leads with; the overview's tourism tile
    shows the most crowded sites against their 80% line instead of one number.
    """
    head = html.Div([html.Span(t(f"wall.tile.{domain}", lang), className="cb-tile-title"),
                     html.Span(id=wid("text", f"{key}.right"), className="cb-tile-right")], className="cb-tile-head")
    if domain == "tourism" and not hero:
        middle: Any = ranking(f"{key}.sites", "", TOURISM_BARS, line=0.8)
    else:
        parts = [html.Span("—", id=wid("text", f"{key}.value"), className="cb-tile-value"),
                 html.Span(id=wid("text", f"{key}.unit"), className="cb-tile-unit")]
        if domain != "tourism":
            parts.append(html.Span(html.Span(id=wid("text", f"{key}.chip")),
                                   id=wid("class", f"{key}.chip"), className="cb-chip cb-empty"))
        middle = html.Div(parts, className="cb-tile-main")
    foot = html.Div([html.Span(id=wid("text", f"{key}.asof"), className="cb-tile-asof"),
                     html.Span(t("wall.stale", lang), id=wid("class", f"{key}.stale"),
                               className="cb-stale-badge cb-hidden")],
                    className="cb-tile-foot")
    return html.Div([head, middle, foot], id=wid("class", f"{key}.tile"),
                    className=f"cb-tile cb-tile-{domain}" + (" cb-tile-hero" if hero else ""))


def tile_fill(key: str, domain: str, data: Mapping[str, Any] | None, *, settings: Settings, asof: dt.datetime | None,
              lang: str, now: dt.datetime, hero: bool = False) -> Fill:
    """Data of ``domain`` (a ``store.queries.wall`` result) → the tile's texts and classes."""
    tz = settings.tz
    data = data or {}
    stale = asof is None or (now - asof) > settings.max_age(domain)
    fill: Fill = {}
    value, unit, chip, chip_class, right = "—", "", "", "cb-chip cb-empty", ""
    label = None
    if domain == "environment" and data.get("value") is not None:
        value, unit = f"{data['value']:.0f}", t("wall.aqi", lang)
        level = data.get("level")
        chip, chip_class = t(f"wall.aqi.{level}", lang), f"cb-chip cb-aqi-{level}"
        primary = "、".join(data.get("primary") or [])
        right = t("wall.primary", lang, name=primary) if primary and (level or 0) > 1 else t("wall.primary_none", lang)
    elif domain == "traffic" and data.get("value") is not None:
        value, unit = f"{data['value']:.1f}", "TPI"
        grade = data.get("grade")
        gi = GRADES.index(grade) if grade in GRADES else None
        chip, chip_class = (t(f"wall.grade.{gi}", lang), f"cb-chip cb-grade-{gi}") if gi is not None else ("", chip_class)
        if data.get("districts"):
            top = data["districts"][0]
            right = t("wall.top_district", lang, name=_district(settings, top["code"], lang), value=f"{top['value']:.1f}")
    elif domain == "tourism":
        sites = data.get("sites") or []
        if data.get("present") is not None:
            right = t("wall.present", lang, n=format_number(data["present"], lang))
            value, unit = format_number(data["present"], lang), t("wall.people", lang)
        if not hero:
            rows = [Row(_site(settings, s["code"], lang), pct(s["ratio"]), s["ratio"], crowding_color(s["ratio"]))
                    for s in sites[:TOURISM_BARS]]
            fill |= ranking_fill(f"{key}.sites", rows, TOURISM_BARS)
        elif sites:
            right = t("wall.top_site", lang, name=_site(settings, sites[0]["code"], lang), value=pct(sites[0]["ratio"]))
    elif domain == "economy" and data.get("headline"):
        h = data["headline"]
        ind = next((i for i in settings.indicators if i.code == h["code"]), None)
        value = number(h["value"], lang)
        unit = pick(ind.unit_zh, ind.unit_en, lang) if ind else ""
        right = pick(ind.name_zh, ind.name_en, lang) if ind else h["code"]
        chip, chip_class = t("wall.yoy", lang, value=signed_pct(h.get("yoy"))), "cb-chip cb-chip-neutral"
        label = h.get("period") or None
    elif domain == "hotline" and data.get("calls") is not None:
        value, unit = format_number(data["calls"], lang, digits=1), t("wall.calls_unit", lang)
        right = t("wall.answer_rate", lang, value=pct(data.get("answer_rate"), 1))
        if data.get("categories"):
            name, n = data["categories"][0]
            chip, chip_class = t("wall.top_category", lang, name=name, n=f"{n:.0f}"), "cb-chip cb-chip-neutral"
    fill[("text", f"{key}.right")] = right
    if not (domain == "tourism" and not hero):
        fill[("text", f"{key}.value")] = value
        fill[("text", f"{key}.unit")] = unit
        if domain != "tourism":
            fill[("text", f"{key}.chip")] = chip
            fill[("class", f"{key}.chip")] = chip_class
    # within a day the age beside it says which day a clock time is ("23:45 · 40分钟前" just
    # after midnight); the date is added only for older data, whose age is in days and short
    # — date + time + minutes overflowed the tile
    recent = asof is not None and now - asof < dt.timedelta(hours=24)
    when = label or (asof.astimezone(tz).strftime("%H:%M") if recent else local_hhmm(asof, tz, now))
    # "01:25 · 20分钟前": a tile 600 px wide at 40 px type keeps to the time and the age (the
    # header banner names every late domain in words)
    fill[("text", f"{key}.asof")] = when + (f" · {age(asof, now, lang)}" if asof else "")
    fill[("class", f"{key}.stale")] = "cb-stale-badge" if stale else "cb-stale-badge cb-hidden"
    fill[("class", f"{key}.tile")] = (f"cb-tile cb-tile-{domain}" + (" cb-tile-hero" if hero else "")
                                      + (" cb-is-stale" if stale else ""))
    return fill


def _district(settings: Settings, code: str, lang: str) -> str:
    d = next((d for d in settings.districts if d.code == code), None)
    return pick(d.name_zh, d.name_en, lang) if d else code


def _site(settings: Settings, code: str, lang: str) -> str:
    s = next((s for s in settings.sites if s.code == code), None)
    return pick(s.name_zh, s.name_en, lang) if s else code
