"""A domain tile: title, the headline number with its category, "as of" and the stale badge.

Five domains, one builder: what differs per domain is only the fill. The tile says how
old its number is and turns its badge amber when the domain's data is older than the
domain's ``max_age`` — a stale panel must never look current.

A theme marked ``overview = true`` has a tile of its own on the overview (:func:`theme_tile`,
issue 20): its overview indicators' city values, one a line, each in its unit and its
level's colour, with the same "as of", age and stale badge.
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
from components.theme import model
from components.wall.fmt import age, local_hhmm, number, pct, signed_pct
from components.wall.ids import Fill, wid
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.theme import asof_text, current, is_stale, label, level_name, value_color
from themes.spec import Theme

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


# ------------------------------------------------------------------------- theme tiles

def theme_tile(key: str, theme: Theme, lang: str) -> html.Div:
    """An empty tile of ``theme``: its name, "as of" and stale badge, and a line per overview
    indicator — name, value (in its level's colour), unit and, at a warning level, the level."""
    lines = [html.Div([html.Span(label(ind, lang), className="cb-th-name"),
                       html.Span("—", id=wid("text", f"{key}.{ind.code}.value"), className="cb-th-value"),
                       html.Span(id=wid("text", f"{key}.{ind.code}.unit"), className="cb-th-unit"),
                       html.Span(html.Span(id=wid("text", f"{key}.{ind.code}.chip")),
                                 id=wid("class", f"{key}.{ind.code}.chip"), className="cb-chip cb-empty")],
                      id=wid("style", f"{key}.{ind.code}.line"), className="cb-th-line")
             for ind in theme.overview_indicators]
    head = html.Div([html.Span(theme.name(lang), className="cb-tile-title"),
                     html.Span(id=wid("text", f"{key}.asof"), className="cb-tile-asof"),
                     html.Span(t("wall.stale", lang), id=wid("class", f"{key}.stale"),
                               className="cb-stale-badge cb-hidden")], className="cb-tile-head")
    return html.Div([head, html.Div(lines, className="cb-th-lines")], id=wid("class", f"{key}.tile"),
                    className=f"cb-tile cb-tile-th cb-tile-th-{theme.code}")


def theme_tile_fill(key: str, theme: Theme, data: Mapping[str, Any] | None, *, settings: Settings, lang: str,
                    now: dt.datetime) -> Fill:
    """A theme's city values (``components.wall.theme.city_values``) → its tile's texts, colours
    and classes: how old its newest row is, and — older than the theme's ``max_age`` — the
    last values it has, greyed, with the stale badge, as a domain tile does."""
    data = data or {}
    asof = data.get("data_time")
    if asof is not None and asof.tzinfo is None:
        asof = asof.replace(tzinfo=dt.timezone.utc)
    stale = is_stale(theme, asof, settings, now)
    city = data.get("city") or {}
    fill: Fill = {("text", f"{key}.asof"): asof_text(asof, settings.tz, now, lang, clock=False),
                  ("class", f"{key}.stale"): "cb-stale-badge" if stale else "cb-stale-badge cb-hidden",
                  ("class", f"{key}.tile"): (f"cb-tile cb-tile-th cb-tile-th-{theme.code}"
                                             + (" cb-is-stale" if stale else ""))}
    for ind in theme.overview_indicators:
        k = f"{key}.{ind.code}"
        value, level = current(ind, city.get(ind.code), stale=stale, tz=settings.tz, now=now)
        fill[("text", f"{k}.value")] = model.value_text(ind, value, lang)
        fill[("text", f"{k}.unit")] = model.unit(ind, lang) if value is not None else ""
        # the line carries the level's colour (its value is written in it; greyed when stale, as
        # a domain tile's value is — the level word stays, as a domain tile's category does)
        colour = value_color(ind, level) if value is not None else None
        fill[("style", f"{k}.line")] = {"--level": colour} if colour else {}
        lv = level_name(level) if value is not None else None
        fill[("text", f"{k}.chip")] = t(f"wall.level_short.{lv}", lang) if lv else ""
        fill[("class", f"{k}.chip")] = f"cb-chip cb-th-chip cb-level-{lv}" if lv else "cb-chip cb-empty"
    return fill
