"""The screens: which panels each kind of screen shows, and how they are filled.

An overview (vital signs, five domain tiles) and one screen per domain. Every screen
has a left and a right column around the shared city map; the layout is fixed per
canvas (CSS), the contents per kind (here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dash import html

from citybrain.i18n import format_number, pick, t
from citybrain.settings import DOMAINS, Settings, WallScreen
from components.citymap import GRADES, aqi_color, crowding_color, grade_color, index_color
from components.wall.fmt import hour_format, number, pct, signed_pct
from components.wall.ids import Fill
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.tile import domain_tile, tile_fill
from components.wall.trend import next_hours, trend_fill, trend_panel
from components.wall.vital import district_missing, vital_fill, vital_panel
from figures.trend import trend_data

SEGMENT_SLOTS = 5
#: the league tables' target lines: AQI 100 is the top of 良 (HJ 633 Table 1, the 达标 line of
#: GB 3095 grade II); TPI 4 is where 轻度拥堵 begins (GB/T 33171 Table 1)
AQI_TARGET, AQI_SCALE = 100, 300
TPI_TARGET = 4
CATEGORY_SLOTS = 6
MAX_SLOTS = 10

#: which query results each kind of screen reads
NEEDS: dict[str, tuple[str, ...]] = {
    "overview": ("vital", "air", "traffic", "tourism", "economy", "hotline"),
    "environment": ("air",), "traffic": ("traffic",), "tourism": ("tourism",),
    "economy": ("economy",), "hotline": ("hotline",),
}


def _slots(n: int) -> int:
    return max(1, min(n, MAX_SLOTS))


WARNING_SLOTS = 4
#: the map's theme per kind of screen: (district fill, legend) — index | calls | none
THEMES: dict[str, tuple[str, str]] = {
    "overview": ("index", "index"), "economy": ("index", "index"), "hotline": ("calls", "calls"),
    "environment": ("none", "aqi"), "traffic": ("none", "grade"), "tourism": ("none", "crowding"),
}


def warnings_panel(key: str, lang: str) -> Any:
    """Open warnings with how long each has been open and who has it (a duty leader's list)."""
    panel = ranking(key, t("wall.open_warnings", lang), WARNING_SLOTS, bars=False)
    panel.className += " cb-warn-panel"
    return panel


def warnings_fill(key: str, rows: list[dict[str, Any]], *, domain: str | None, lang: str,
                  now: dt.datetime) -> Fill:
    """The open warnings of ``domain`` (all when None), most severe first, then longest open."""
    from components.wall.fmt import age

    mine = [r for r in rows if domain is None or r.get("domain") == domain]
    order = {lvl: i for i, lvl in enumerate(("red", "orange", "yellow", "blue"))}
    mine.sort(key=lambda r: (order.get(r.get("level"), 9), r["fired_at"] or now))
    out = []
    for r in mine[:WARNING_SLOTS]:
        who = r.get("assigned_to") or r.get("acknowledged_by") or t("wall.warn.unassigned", lang)
        title = pick(r.get("title_zh") or "", r.get("title_en") or "", lang)
        opened = t("wall.warn.open_for", lang, age=age(r["fired_at"], now, lang).removesuffix("前").removesuffix(" ago")) \
            if r.get("fired_at") else ""
        out.append(Row(f"{t('wall.level.' + str(r.get('level')), lang)} {title}", f"{opened} · {who}"))
    return ranking_fill(key, out or [Row(t("wall.warn.none", lang), "")], WARNING_SLOTS)


def screen_panels(screen: WallScreen, settings: Settings, lang: str, *, font_px: int) -> tuple[list[Any], list[Any]]:
    """(left column, right column) of ``screen``, empty, ready to be filled."""
    left, right = _panels(screen, settings, lang, font_px=font_px)
    # every screen ends with its open warnings: who has what, for how long
    return left, [*right, warnings_panel(f"{screen.name}.warnings", lang)]


def _panels(screen: WallScreen, settings: Settings, lang: str, *, font_px: int) -> tuple[list[Any], list[Any]]:
    n, kind = screen.name, screen.kind
    if kind == "overview":
        return [vital_panel(f"{n}.vital", settings, lang, font_px=font_px)], \
               [domain_tile(f"{n}.{d}", d, lang) for d in DOMAINS]
    hero = domain_tile(f"{n}.hero", kind, lang, hero=True)
    if kind == "environment":
        return [hero, trend_panel(f"{n}.trend", t("wall.air_trend", lang), font_px=font_px,
                                  tick_format=hour_format(lang), color="#f08c2e",
                                  note=t("wall.next_hours", lang))], \
               [ranking(f"{n}.stations", t("wall.stations", lang), _slots(len(settings.stations)),
                        line=AQI_TARGET / AQI_SCALE, line_label=t("wall.aqi_target", lang))]
    if kind == "traffic":
        return [hero, trend_panel(f"{n}.trend", t("wall.tpi_trend", lang), font_px=font_px,
                                  tick_format=hour_format(lang), color="#f5d33d",
                                  y_range=(0, 10), note=t("wall.next_hours", lang))], \
               [ranking(f"{n}.districts", t("wall.tpi_districts", lang), _slots(len(settings.districts)),
                        line=TPI_TARGET / 10, line_label=t("wall.tpi_target", lang)),
                ranking(f"{n}.segments", t("wall.slow_segments", lang), SEGMENT_SLOTS)]
    if kind == "tourism":
        return [hero, trend_panel(f"{n}.trend", t("wall.tourism_trend", lang), font_px=font_px,
                                  tick_format=hour_format(lang), color="#2fbf71",
                                  note=t("wall.next_hours", lang))], \
               [ranking(f"{n}.sites", t("wall.sites", lang), _slots(len(settings.sites)), line=0.8,
                        line_label=t("wall.line80", lang))]
    if kind == "economy":
        return [hero, trend_panel(f"{n}.trend", t("wall.economy_trend", lang), font_px=font_px,
                                  tick_format=hour_format(lang), color="#845ef7",
                                  kind="bar", time_axis=False)], \
               [ranking(f"{n}.indicators", t("wall.economy_list", lang), _slots(len(settings.indicators)), bars=False)]
    if kind == "hotline":
        return [hero, trend_panel(f"{n}.trend", t("wall.hotline_trend", lang), font_px=font_px,
                                  tick_format=hour_format(lang), color="#22b8cf")], \
               [ranking(f"{n}.categories", t("wall.hotline_categories", lang), CATEGORY_SLOTS),
                ranking(f"{n}.districts", t("wall.hotline_districts", lang), _slots(len(settings.districts)))]
    raise ValueError(f"unknown screen kind {kind!r}")


def screen_fill(screen: WallScreen, data: Mapping[str, Any], *, settings: Settings, lang: str,
                now: dt.datetime) -> Fill:
    """Query results (``store.queries.wall``, keyed as in :data:`NEEDS`) → this screen's values."""
    n, kind, tz = screen.name, screen.kind, settings.tz
    fresh = data.get("freshness") or {}
    fill = warnings_fill(f"{n}.warnings", list(data.get("warnings") or []), domain=None if kind == "overview" else kind,
                         lang=lang, now=now)
    return fill | _screen_fill(screen, data, settings=settings, lang=lang, now=now)


def _screen_fill(screen: WallScreen, data: Mapping[str, Any], *, settings: Settings, lang: str,
                 now: dt.datetime) -> Fill:
    n, kind, tz = screen.name, screen.kind, settings.tz
    fresh = data.get("freshness") or {}
    source = {"environment": "air", "traffic": "traffic", "tourism": "tourism", "economy": "economy", "hotline": "hotline"}
    if kind == "overview":
        fill = vital_fill(f"{n}.vital", data.get("vital"), settings=settings, lang=lang, now=now,
                          missing=district_missing(settings, data))
        for d in DOMAINS:
            fill |= tile_fill(f"{n}.{d}", d, data.get(source[d]), settings=settings, asof=fresh.get(d), lang=lang, now=now)
        return fill
    d = data.get(source[kind]) or {}
    fill = tile_fill(f"{n}.hero", kind, d, settings=settings, asof=fresh.get(kind), lang=lang, now=now, hero=True)
    names = _names(settings, lang)
    if kind == "environment":
        fill |= trend_fill(f"{n}.trend", _with_next_hours(d, tz))
        rows = [Row(names["stations"].get(s["code"], s["code"]), f"{s['value']:.0f} " + t(f"wall.aqi.{s['level']}", lang),
                    min(s["value"] / AQI_SCALE, 1), s.get("color") or aqi_color(s.get("level"))) for s in d.get("stations", [])]
        fill |= ranking_fill(f"{n}.stations", rows, _slots(len(settings.stations)))
    elif kind == "traffic":
        fill |= trend_fill(f"{n}.trend", _with_next_hours(d, tz))
        rows = [Row(names["districts"].get(x["code"], x["code"]), f"{x['value']:.1f}", x["value"] / 10,
                    grade_color(x.get("grade"))) for x in d.get("districts", [])]
        fill |= ranking_fill(f"{n}.districts", rows, _slots(len(settings.districts)))
        segs = [Row(names["segments"].get(x["code"], x["code"]),
                    f"{pct(x['ratio'])} {t('wall.grade.' + str(GRADES.index(x['grade'])), lang)}", x["ratio"],
                    grade_color(x.get("grade")))
                for x in congested(d.get("segments", []))[:SEGMENT_SLOTS]]
        # nothing congested is news too: say so instead of listing the slowest free-flowing roads
        segs = segs or [Row(t("wall.no_congestion", lang), "", None)]
        fill |= ranking_fill(f"{n}.segments", segs, SEGMENT_SLOTS)
    elif kind == "tourism":
        fill |= trend_fill(f"{n}.trend", _with_next_hours(d, tz))
        rows = [Row(names["sites"].get(x["code"], x["code"]),
                    f"{pct(x['ratio'])} · {format_number(x['present'], lang)}", x["ratio"], crowding_color(x["ratio"]))
                for x in d.get("sites", [])]
        fill |= ranking_fill(f"{n}.sites", rows, _slots(len(settings.sites)))
    elif kind == "economy":
        fill |= trend_fill(f"{n}.trend", trend_data(d.get("series") or []))
        # short units only ("亿元", "元"); an index's "上年同月=100" would crowd out the name
        units = {i.code: u for i in settings.indicators if len(u := pick(i.unit_zh, i.unit_en, lang)) <= 3}
        rows = [Row(names["indicators"].get(x["code"], x["code"]),
                    f"{number(x['value'], lang)}{units.get(x['code'], '')} {t('wall.yoy', lang, value=signed_pct(x.get('yoy')))}")
                for x in d.get("indicators", [])]
        fill |= ranking_fill(f"{n}.indicators", rows, _slots(len(settings.indicators)))
    elif kind == "hotline":
        fill |= trend_fill(f"{n}.trend", trend_data(d.get("today") or [], d.get("yesterday") or [], tz=tz))
        cats = d.get("categories") or []
        top = cats[0][1] if cats else 1
        fill |= ranking_fill(f"{n}.categories", [Row(c, f"{v:.0f}", v / top if top else 0, "#22b8cf")
                                                 for c, v in cats[:CATEGORY_SLOTS]], CATEGORY_SLOTS)
        dists = d.get("districts") or []
        top = dists[0][1] if dists else 1
        fill |= ranking_fill(f"{n}.districts", [Row(names["districts"].get(c, c), f"{v:.0f}", v / top if top else 0,
                                                    "#22b8cf") for c, v in dists], _slots(len(settings.districts)))
    return fill


def _with_next_hours(data: Mapping[str, Any], tz: Any) -> list[dict[str, list[Any]]]:
    series = list(data.get("series") or [])
    return trend_data(series, next_hours(series), tz=tz)


def congested(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The segments whose GB/T 33171 grade is 轻度拥堵 or worse (speed ratio below 0.7),
    worst first — 89 % of free flow is 畅通 and does not belong in a congestion list."""
    bad = [s for s in segments if s.get("grade") in GRADES[2:]]
    return sorted(bad, key=lambda s: (-GRADES.index(s["grade"]), s.get("ratio") if s.get("ratio") is not None else 1))


def _names(settings: Settings, lang: str) -> dict[str, dict[str, str]]:
    return {kind: {x.code: pick(x.name_zh, x.name_en, lang) for x in getattr(settings, kind)}
            for kind in ("districts", "stations", "segments", "sites", "indicators")}
