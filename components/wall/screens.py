"""The screens: which panels each kind of screen shows, and how they are filled.

The built-in kinds — an overview (vital signs, five domain tiles, a tile per theme marked
``overview = true``) and one screen per domain — each a :class:`components.wall.kind.ScreenKind`
in :data:`BUILTIN_KINDS`; the registry (``components.wall.registry``) adds others (a theme's
screen). Every screen has a left and a right column around the shared city map and ends with
its board (open warnings and work orders); the layout follows the screen's shape (CSS), the
contents its kind (here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dash import html

from citybrain.i18n import format_number, pick, t
from citybrain.settings import DOMAINS, Settings, WallScreen
from components.citymap import GRADES, aqi_color, crowding_color, grade_color
from components.wall.fmt import hour_format, number, pct, signed_pct
from components.wall.board import board_fill, board_panel
from components.wall.forecast import forecast_fill, forecast_panel
from components.wall.ids import Fill
from components.wall.kind import ScreenKind
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.theme import city_values
from components.wall.tile import domain_tile, theme_tile, theme_tile_fill, tile_fill
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

def _slots(n: int) -> int:
    return max(1, min(n, MAX_SLOTS))


def screen_panels(screen: WallScreen, settings: Settings, lang: str, *, font_px: int) -> tuple[list[Any], list[Any]]:
    """(left column, right column) of ``screen``, empty, ready to be filled; every screen ends
    with its board (open warnings and work orders: who has what, for how long)."""
    from components.wall.registry import kind_of

    left, right = kind_of(screen).panels(screen, settings, lang, font_px)
    return left, [*right, board_panel(f"{screen.name}.board", lang)]


def screen_fill(screen: WallScreen, data: Mapping[str, Any], *, settings: Settings, lang: str,
                now: dt.datetime) -> Fill:
    """Query results (``store.queries.wall``, keyed as in each kind's ``needs``) → this screen's values."""
    from components.wall.registry import kind_of

    kind = kind_of(screen)
    domain = kind.domain(screen)
    counts = (data.get("warning_counts") or {}).get(domain or "*") or {}
    fill = board_fill(f"{screen.name}.board", list(data.get("warnings") or []), counts, data.get("board"),
                      domain=domain, departments=data.get("departments") or {}, lang=lang, now=now)
    return fill | kind.fill(screen, data, settings, lang, now)


# ----------------------------------------------------------------- the built-in kinds

def overview_themes(settings: Settings) -> list[Any]:
    """The themes with a tile on the overview: those marked ``overview = true``, in config order."""
    return [theme for theme in settings.themes if theme.overview]


def _overview_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    left = [vital_panel(f"{n}.vital", settings, lang, font_px=font_px)]
    themes = overview_themes(settings)
    if themes:
        # under the vital signs (single panel: its districts in two columns make the room), or
        # beside them (three panels): the five domain tiles and the board keep their column
        left.append(html.Div([theme_tile(f"{n}.th.{theme.code}", theme, lang) for theme in themes],
                             className="cb-th-tiles"))
    return left, [domain_tile(f"{n}.{d}", d, lang) for d in DOMAINS]


def _overview_read(settings: Settings, engine: Any, screen: WallScreen) -> dict[str, Any]:
    """The overview's own data: each tiled theme's city values (cached per theme)."""
    return {theme.code: city_values(engine, theme.code) for theme in overview_themes(settings)}


def _overview_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                   now: dt.datetime) -> Fill:
    n, fresh = screen.name, data.get("freshness") or {}
    fill = vital_fill(f"{n}.vital", data.get("vital"), settings=settings, lang=lang, now=now,
                      missing=district_missing(settings, data))
    for d in DOMAINS:
        fill |= tile_fill(f"{n}.{d}", d, data.get(SOURCE[d]), settings=settings, asof=fresh.get(d), lang=lang, now=now)
    own = data.get("own") or {}
    for theme in overview_themes(settings):
        fill |= theme_tile_fill(f"{n}.th.{theme.code}", theme, own.get(theme.code), settings=settings, lang=lang,
                                now=now)
    return fill


def _hero(screen: WallScreen, lang: str) -> Any:
    return domain_tile(f"{screen.name}.hero", screen.kind, lang, hero=True)


def _hero_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str, now: dt.datetime) -> Fill:
    fresh = data.get("freshness") or {}
    return tile_fill(f"{screen.name}.hero", screen.kind, data.get(SOURCE[screen.kind]) or {}, settings=settings,
                     asof=fresh.get(screen.kind), lang=lang, now=now, hero=True)


def _environment_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    return [_hero(screen, lang), trend_panel(f"{n}.trend", t("wall.air_trend", lang), font_px=font_px,
                                             tick_format=hour_format(lang), color="#f08c2e",
                                             note=t("wall.next_hours", lang))], \
           [ranking(f"{n}.stations", t("wall.stations", lang), _slots(len(settings.stations)),
                    line=AQI_TARGET / AQI_SCALE, line_label=t("wall.aqi_target", lang))]


def _environment_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                      now: dt.datetime) -> Fill:
    n, d, names = screen.name, data.get("air") or {}, _names(settings, lang)
    fill = _hero_fill(screen, data, settings, lang, now) | trend_fill(f"{n}.trend", _with_next_hours(d, settings.tz))
    rows = [Row(names["stations"].get(s["code"], s["code"]), f"{s['value']:.0f} " + t(f"wall.aqi.{s['level']}", lang),
                min(s["value"] / AQI_SCALE, 1), s.get("color") or aqi_color(s.get("level"))) for s in d.get("stations", [])]
    return fill | ranking_fill(f"{n}.stations", rows, _slots(len(settings.stations)))


def _traffic_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    return [_hero(screen, lang), forecast_panel(f"{n}.forecast", lang),
            trend_panel(f"{n}.trend", t("wall.tpi_trend", lang), font_px=font_px, tick_format=hour_format(lang),
                        color="#f5d33d", y_range=(0, 10), note=t("wall.next_hours", lang))], \
           [ranking(f"{n}.districts", t("wall.tpi_districts", lang), _slots(len(settings.districts)),
                    line=TPI_TARGET / 10, line_label=t("wall.tpi_target", lang)),
            ranking(f"{n}.segments", t("wall.slow_segments", lang), SEGMENT_SLOTS)]


def _traffic_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                  now: dt.datetime) -> Fill:
    n, d, names, tz = screen.name, data.get("traffic") or {}, _names(settings, lang), settings.tz
    fill = _hero_fill(screen, data, settings, lang, now) | trend_fill(f"{n}.trend", _with_next_hours(d, tz))
    fill |= forecast_fill(f"{n}.forecast", (data.get("forecast") or {}).get("traffic"), tz=tz, lang=lang, digits=1)
    rows = [Row(names["districts"].get(x["code"], x["code"]), f"{x['value']:.1f}", x["value"] / 10,
                grade_color(x.get("grade"))) for x in d.get("districts", [])]
    # the league table lists every district: one without monitored roads says so (not left out)
    have = {x["code"] for x in d.get("districts", [])}
    rows += [Row(names["districts"][c.code], t("wall.no_segments", lang), None) for c in settings.districts
             if c.code not in have]
    fill |= ranking_fill(f"{n}.districts", rows, _slots(len(settings.districts)))
    segs = [Row(names["segments"].get(x["code"], x["code"]),
                f"{pct(x['ratio'])} {t('wall.grade.' + str(GRADES.index(x['grade'])), lang)}", x["ratio"],
                grade_color(x.get("grade")))
            for x in congested(d.get("segments", []))[:SEGMENT_SLOTS]]
    # nothing congested is news too: say so instead of listing the slowest free-flowing roads
    segs = segs or [Row(t("wall.no_congestion", lang), "", None)]
    return fill | ranking_fill(f"{n}.segments", segs, SEGMENT_SLOTS)


def _tourism_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    return [_hero(screen, lang), forecast_panel(f"{n}.forecast", lang, alerts=True),
            trend_panel(f"{n}.trend", t("wall.tourism_trend", lang), font_px=font_px, tick_format=hour_format(lang),
                        color="#2fbf71", note=t("wall.next_hours", lang))], \
           [ranking(f"{n}.sites", t("wall.sites", lang), _slots(len(settings.sites)), line=0.8,
                    line_label=t("wall.line80", lang))]


def _tourism_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                  now: dt.datetime) -> Fill:
    n, d, names, tz = screen.name, data.get("tourism") or {}, _names(settings, lang), settings.tz
    fill = _hero_fill(screen, data, settings, lang, now) | trend_fill(f"{n}.trend", _with_next_hours(d, tz))
    fill |= forecast_fill(f"{n}.forecast", (data.get("forecast") or {}).get("tourism"), tz=tz, lang=lang, digits=0,
                          names=names["sites"], alerts=True)
    rows = [Row(names["sites"].get(x["code"], x["code"]),
                f"{pct(x['ratio'])} · {format_number(x['present'], lang)}", x["ratio"], crowding_color(x["ratio"]))
            for x in d.get("sites", [])]
    return fill | ranking_fill(f"{n}.sites", rows, _slots(len(settings.sites)))


def _economy_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    return [_hero(screen, lang), trend_panel(f"{n}.trend", t("wall.economy_trend", lang), font_px=font_px,
                                             tick_format=hour_format(lang), color="#845ef7", kind="bar",
                                             time_axis=False)], \
           [ranking(f"{n}.indicators", t("wall.economy_list", lang), _slots(len(settings.indicators)), bars=False)]


def _economy_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                  now: dt.datetime) -> Fill:
    n, d, names = screen.name, data.get("economy") or {}, _names(settings, lang)
    fill = _hero_fill(screen, data, settings, lang, now) | trend_fill(f"{n}.trend", trend_data(d.get("series") or []))
    # short units only ("亿元", "元"); an index's "上年同月=100" would crowd out the name
    units = {i.code: u for i in settings.indicators if len(u := pick(i.unit_zh, i.unit_en, lang)) <= 3}
    rows = [Row(names["indicators"].get(x["code"], x["code"]),
                f"{number(x['value'], lang)}{units.get(x['code'], '')} {t('wall.yoy', lang, value=signed_pct(x.get('yoy')))}")
            for x in d.get("indicators", [])]
    return fill | ranking_fill(f"{n}.indicators", rows, _slots(len(settings.indicators)))


def _hotline_panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    n = screen.name
    return [_hero(screen, lang), trend_panel(f"{n}.trend", t("wall.hotline_trend", lang), font_px=font_px,
                                             tick_format=hour_format(lang), color="#22b8cf")], \
           [ranking(f"{n}.categories", t("wall.hotline_categories", lang), CATEGORY_SLOTS),
            ranking(f"{n}.districts", t("wall.hotline_districts", lang), _slots(len(settings.districts)))]


def _hotline_fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str,
                  now: dt.datetime) -> Fill:
    n, d, names, tz = screen.name, data.get("hotline") or {}, _names(settings, lang), settings.tz
    fill = _hero_fill(screen, data, settings, lang, now)
    fill |= trend_fill(f"{n}.trend", trend_data(d.get("today") or [], d.get("yesterday") or [], tz=tz))
    cats = d.get("categories") or []
    top = cats[0][1] if cats else 1
    fill |= ranking_fill(f"{n}.categories", [Row(c, f"{v:.0f}", v / top if top else 0, "#22b8cf")
                                             for c, v in cats[:CATEGORY_SLOTS]], CATEGORY_SLOTS)
    dists = d.get("districts") or []
    top = dists[0][1] if dists else 1
    return fill | ranking_fill(f"{n}.districts", [Row(names["districts"].get(c, c), f"{v:.0f}", v / top if top else 0,
                                                      "#22b8cf") for c, v in dists], _slots(len(settings.districts)))


def _own_domain(screen: WallScreen) -> str | None:
    return screen.kind


#: the built-in kinds; ``components.wall.registry`` adds any others
BUILTIN_KINDS: Mapping[str, ScreenKind] = MappingProxyType({
    "overview": ScreenKind(_overview_panels, _overview_fill, read=_overview_read,
                           needs=("vital", "air", "traffic", "tourism", "economy", "hotline")),
    "environment": ScreenKind(_environment_panels, _environment_fill, needs=("air",), map_theme=("none", "aqi"),
                              domain=_own_domain),
    "traffic": ScreenKind(_traffic_panels, _traffic_fill, needs=("traffic", "forecast"), map_theme=("none", "grade"),
                          domain=_own_domain),
    "tourism": ScreenKind(_tourism_panels, _tourism_fill, needs=("tourism", "forecast"),
                          map_theme=("none", "crowding"), domain=_own_domain),
    "economy": ScreenKind(_economy_panels, _economy_fill, needs=("economy",), domain=_own_domain),
    "hotline": ScreenKind(_hotline_panels, _hotline_fill, needs=("hotline",), map_theme=("calls", "calls"),
                          domain=_own_domain),
})
#: the query results each screen's fill reads (SOURCE: a domain's key in them)
SOURCE = {"environment": "air", "traffic": "traffic", "tourism": "tourism", "economy": "economy", "hotline": "hotline"}


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
