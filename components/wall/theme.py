"""A theme's wall screen (issue 20): ``[[wall.screens]] kind = "theme", theme = "<code>"``.

Built from the theme's spec alone, in the wall's own pieces (so its text is never below
the wall's 40 px at 1920 wide): left, the headline indicator as a hero tile — the city's
newest value in its unit, its level in the four warning colours, how old it is — and its
last 24 hours with yesterday's next hours dashed; right, the theme's places ranked by the
theme's levelled indicator and coloured by level, and the theme's other indicators' newest
city values.

On the shared map the screen shows its places coloured by the same level: its own entities
as points, or — a theme of the city's districts — the district outlines. They are features
of the map's ``theme`` layer (:func:`map_features`, one set per theme screen, ids
``<screen>:<code>``); the layer shows only the active screen's features.

Its data is its own (``read``: cached reads of ``themes.queries``); the board of open
warnings lists the theme's (``domain``: the theme's code, as its warnings carry it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from dash import html

from citybrain.cache import memoize
from citybrain.i18n import pick, t
from citybrain.settings import Settings, WallScreen
from components.theme import model
from components.wall.fmt import age, hour_format, local_hhmm
from components.wall.ids import Fill, wid
from components.wall.kind import ScreenKind
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.trend import next_hours, trend_fill, trend_panel
from figures.trend import trend_data
from themes import queries
from themes.spec import Theme, ThemeIndicator

#: places listed at most (a theme of 1,000 car parks shows its worst six)
PLACE_SLOTS = 6
#: indicators listed at most besides the headline
INDICATOR_SLOTS = 4
#: hours read for the trend: the last 24 and the 6 that "yesterday's next hours" need
TREND_HOURS = 30
#: seconds a theme's wall data is kept (every wall refreshes every few seconds)
CACHE_S = 20
#: bars of an indicator without levels (no judgement to colour by)
PLAIN = "#4dabf7"


# ------------------------------------------------------------------ what the screen shows

def _theme(settings: Settings, screen: WallScreen) -> Theme | None:
    return settings.theme(screen.theme) if screen.theme else None


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    return when.replace(tzinfo=dt.timezone.utc) if when is not None and when.tzinfo is None else when


def places_of(settings: Settings, theme: Theme) -> list[tuple[str, str, str, float | None, float | None]]:
    """The theme's places: (code, name_zh, name_en, lat, lon) of :func:`themes.queries.entity_table`
    (its own entities or one of the city's lists); none for the city as a whole."""
    if theme.entities == "city":
        return []
    table = queries.entity_table(settings, theme)
    return list(table[["code", "name_zh", "name_en", "lat", "lon"]].itertuples(index=False, name=None))


def grain(indicator: ThemeIndicator) -> str:
    """The grain a wall shows of an indicator: what adds up over a day — events (a count, a
    share of rows: one hour holds too few cases for a rate), a summed reading (hours of
    sunshine) — today so far; any other reading its newest hour."""
    adds_up = indicator.kind in ("count", "share") or (indicator.kind == "measured" and indicator.aggregation == "sum")
    return "day" if adds_up else "hour"


def level_indicator(theme: Theme) -> ThemeIndicator:
    """The indicator the screen ranks and colours the theme's places by: the first overview
    indicator with levels, else the first with levels, else the headline (then the places
    are ranked, not judged)."""
    for ind in (*theme.overview_indicators, *theme.indicators):
        if ind.levels:
            return ind
    return model.headline(theme)


def others(theme: Theme) -> list[ThemeIndicator]:
    """The indicators listed beside the hero: all but the headline, at most :data:`INDICATOR_SLOTS`."""
    head = model.headline(theme)
    return [i for i in theme.indicators if i.code != head.code][:INDICATOR_SLOTS]


def label(indicator: ThemeIndicator, lang: str) -> str:
    """An indicator's name, with "（今日）" where the wall shows today's total or rate."""
    name = pick(indicator.name_zh, indicator.name_en, lang)
    return name + (t("tpage.home.today", lang) if grain(indicator) == "day" else "")


def current(indicator: ThemeIndicator, newest: Mapping[str, Any] | None, *, stale: bool, tz: Any,
            now: dt.datetime) -> tuple[float | None, int | None]:
    """(value, level) the wall shows now of a city value ``{"time", "value", "level"}``. A day's
    value only while that day is today: past midnight, current data without a row of the new
    day means no events yet (a count's 0, no rate); stale data keeps its last value (its age
    is written beside it)."""
    newest = newest or {}
    value, level, when = newest.get("value"), newest.get("level"), _aware(newest.get("time"))
    if grain(indicator) == "day" and when is not None and not stale \
            and when.astimezone(tz).date() < now.astimezone(tz).date():
        return (0.0, queries.level_of(indicator, 0.0)) if indicator.kind == "count" else (None, None)
    return value, level


def is_stale(theme: Theme, asof: dt.datetime | None, settings: Settings, now: dt.datetime) -> bool:
    """Whether the theme's newest stored row is older than its ``max_age`` (or there is none)."""
    asof = _aware(asof)
    return asof is None or now - asof > settings.max_age(theme.code)


def level_name(level: Any) -> str | None:
    """A level int (themes.queries) → blue | yellow | orange | red; None below blue or without one."""
    if not isinstance(level, int) or not 0 <= level < len(queries.LEVEL_NAMES):
        return None
    return queries.LEVEL_NAMES[level]


def value_color(indicator: ThemeIndicator, level: Any) -> str | None:
    """The colour a value is written in: its level's (calm green below blue), none without levels."""
    return model.level_color(level) if indicator.levels and level is not None else None


def asof_text(asof: dt.datetime | None, tz: Any, now: dt.datetime, lang: str, *, clock: bool = True) -> str:
    """"15:00 · 5分钟前" as the domain tiles say it; without ``clock`` the age alone (an overview
    tile's head holds the theme's name, the age and the stale badge on one line, in English too)."""
    if asof is None:
        return t("wall.no_data", lang)
    if not clock:
        return age(asof, now, lang)
    recent = now - asof < dt.timedelta(hours=24)
    when = asof.astimezone(tz).strftime("%H:%M") if recent else local_hhmm(asof, tz, now)
    return f"{when} · {age(asof, now, lang)}"


def _place_slots(theme: Theme | None, settings: Settings) -> int:
    return max(1, min(len(places_of(settings, theme)) if theme else 0, PLACE_SLOTS))


def panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    """The screen's two columns, empty."""
    n, theme = screen.name, _theme(settings, screen)
    head = model.headline(theme) if theme else None
    head_name = pick(head.name_zh, head.name_en, lang) if head else ""
    tile = html.Div([
        html.Div([html.Span(theme.name(lang) if theme else "", className="cb-tile-title"),
                  html.Span(label(head, lang) if head else "", className="cb-tile-right")], className="cb-tile-head"),
        html.Div([html.Span("—", id=wid("text", f"{n}.value"), className="cb-tile-value"),
                  html.Span(id=wid("text", f"{n}.unit"), className="cb-tile-unit"),
                  html.Span(html.Span(id=wid("text", f"{n}.chip")), id=wid("style", f"{n}.chip"),
                            className="cb-chip", style={"display": "none"})], className="cb-tile-main"),
        html.Div([html.Span(id=wid("text", f"{n}.asof"), className="cb-tile-asof"),
                  html.Span(t("wall.stale", lang), id=wid("class", f"{n}.stale"),
                            className="cb-stale-badge cb-hidden")],
                 className="cb-tile-foot"),
    ], id=wid("class", f"{n}.tile"), className="cb-tile cb-tile-hero cb-tile-theme")
    trend = trend_panel(f"{n}.trend", t("tpage.chart.trend", lang, name=head_name), font_px=font_px,
                        tick_format=hour_format(lang), color="#4dabf7", note=t("wall.next_hours", lang))
    by = level_indicator(theme) if theme else None
    places = ranking(f"{n}.places", t("tpage.wall.places", lang, name=label(by, lang) if by else ""),
                     _place_slots(theme, settings))
    rest = others(theme) if theme else []
    indicators = ranking(f"{n}.indicators", t("tpage.wall.indicators", lang), max(1, len(rest)), bars=False)
    # one line a row (name left, value right): the wall's bar-less lists wrap the value under
    # the name, which a theme's short names do not need
    indicators.className += " cb-rank-inline"
    right = [places, indicators] if rest else [places]
    return [tile, trend], right


def _level(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# ------------------------------------------------------------------------------- reads

def _city(engine: Any, code: str, now: dt.datetime) -> dict[str, Any]:
    """Every indicator's newest city value (events: today so far, readings: the newest hour)
    and the time of the newest stored row — what a screen's hero and an overview tile show.
    Plain values: the cache may pickle them."""
    from citybrain import context

    theme = context.settings().theme(code)
    if theme is None:
        return {}
    frames = [queries.latest(engine, theme, scope_kind="city", grain=g, indicators=codes)
              for g in ("day", "hour") if (codes := [i.code for i in theme.indicators if grain(i) == g])]
    city = pd.concat(frames) if frames else pd.DataFrame(columns=["indicator", "time", "value", "level"])
    return {
        "city": {r.indicator: {"time": r.time.to_pydatetime(), "value": None if pd.isna(r.value) else float(r.value),
                               "level": _level(r.level)} for r in city.itertuples()},
        "data_time": queries.data_time(engine, theme),
    }


_cached_city = memoize(CACHE_S)(_city)


def _places(engine: Any, code: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The places' newest values of the theme's :func:`level_indicator` (plain values)."""
    from citybrain import context

    theme = context.settings().theme(code)
    if theme is None or model.place_kind(theme) == "city":
        return []
    by = level_indicator(theme)
    frame = queries.latest(engine, theme, scope_kind=model.place_kind(theme), indicators=[by.code], grain=grain(by))
    if grain(by) == "day" and not frame.empty:
        # the newest day only: a place without a row that day had no events (a rate of yesterday's
        # beside today's would rank two days as one)
        frame = frame[frame["time"] == frame["time"].max()]
    return [{"code": r.scope, "value": float(r.value), "level": _level(r.level)} for r in frame.itertuples()
            if r.value == r.value]


_cached_places = memoize(CACHE_S)(_places)


def _series(engine: Any, code: str, now: dt.datetime) -> list[tuple[dt.datetime, float | None]]:
    """The headline's last :data:`TREND_HOURS` hours for the city, in its unit."""
    from citybrain import context

    theme = context.settings().theme(code)
    if theme is None:
        return []
    head = model.headline(theme)
    series = queries.values(engine, theme, head.code, grain="hour", scope_kind="city",
                            start=now - dt.timedelta(hours=TREND_HOURS), end=now + dt.timedelta(hours=1))
    return [(r.time.to_pydatetime(), model.shown(head, r.value)) for r in series.itertuples()]


_cached_series = memoize(CACHE_S)(_series)


def _minute() -> dt.datetime:
    """Now to the minute: the cache key stays stable within it."""
    return dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)


def city_values(engine: Any, code: str) -> dict[str, Any]:
    """:func:`_city` of theme ``code``, cached for :data:`CACHE_S` (the overview's tiles read it too)."""
    return _cached_city(engine, code, _minute())


def read(settings: Settings, engine: Any, screen: WallScreen) -> dict[str, Any]:
    """The screen's own data: its city values, places and trend — and the places of every
    theme screen of the wall (``layer``), as the map's theme layer is one for all of them."""
    if not screen.theme:
        return {}
    now = _minute()
    out = dict(_cached_city(engine, screen.theme, now))
    out["places"] = _cached_places(engine, screen.theme, now)
    out["series"] = _cached_series(engine, screen.theme, now)
    out["layer"] = {s.name: (out["places"] if s.theme == screen.theme else _cached_places(engine, s.theme, now))
                    for s in settings.wall.screens if s.kind == "theme" and s.theme}
    return out


# -------------------------------------------------------------------------------- fill

def _hero_fill(n: str, theme: Theme, own: Mapping[str, Any], settings: Settings, lang: str, now: dt.datetime) -> Fill:
    head = model.headline(theme)
    asof = _aware(own.get("data_time"))
    stale = is_stale(theme, asof, settings, now)
    value, level = current(head, (own.get("city") or {}).get(head.code), stale=stale, tz=settings.tz, now=now)
    out: Fill = {}
    out[("text", f"{n}.value")] = model.value_text(head, value, lang)
    out[("text", f"{n}.unit")] = model.unit(head, lang) if value is not None else ""
    lv = level_name(level)
    out[("text", f"{n}.chip")] = t(f"tpage.level.{lv}", lang) if lv else ""
    # the level in its warning colour (white text on blue, orange and red; dark on yellow)
    chip = {"background": model.level_color(level), "color": "#111" if lv == "yellow" else "#fff"}
    out[("style", f"{n}.chip")] = chip if lv else {"display": "none"}
    out[("text", f"{n}.asof")] = asof_text(asof, settings.tz, now, lang)
    out[("class", f"{n}.stale")] = "cb-stale-badge" if stale else "cb-stale-badge cb-hidden"
    out[("class", f"{n}.tile")] = "cb-tile cb-tile-hero cb-tile-theme" + (" cb-is-stale" if stale else "")
    return out


def place_rows(theme: Theme, places: Sequence[Mapping[str, Any]], names: Mapping[str, str], lang: str) -> list[Row]:
    """The places worst first by the theme's :func:`level_indicator`, bars in their level's colour."""
    by = level_indicator(theme)
    # worst first: the lowest where higher is better, else the highest
    ordered = sorted(places, key=lambda p: p["value"], reverse=by.direction != "higher")
    top = max([p["value"] for p in ordered] + [max((by.levels or {}).values(), default=0.0)]) or 1.0
    return [Row(names.get(p["code"], p["code"]), model.with_unit(by, p["value"], lang), p["value"] / top,
                model.level_color(p["level"]) if by.levels else PLAIN) for p in ordered]


def layer_values(theme: Theme, screen: str, places: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The map's theme-layer values of one screen's places: ``{"<screen>:<code>": {"c": colour, "w": 1}}``
    in their level's colour — the no-data grey (the legend's 无等级) for an indicator without
    levels: the map judges places only where the config does."""
    by = level_indicator(theme)
    out: dict[str, dict[str, Any]] = {}
    for p in places:
        level = p["level"] if by.levels else None
        # "w": at a warning level (blue or worse) — the browser draws such a point larger
        out[f"{screen}:{p['code']}"] = {"c": model.level_color(level), **({"w": 1} if level else {})}
    return out


def fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str, now: dt.datetime) -> Fill:
    """The screen's values from ``data["own"]`` (what :func:`read` gave)."""
    n, theme = screen.name, _theme(settings, screen)
    own = data.get("own") or {}
    if theme is None:
        return {}
    out = _hero_fill(n, theme, own, settings, lang, now)
    tz = settings.tz
    series = [(x, y) for x, y in own.get("series") or [] if x >= now - dt.timedelta(hours=24)]
    out |= trend_fill(f"{n}.trend", trend_data(series, next_hours(list(own.get("series") or [])), tz=tz))
    names = {code: pick(zh, en, lang) for code, zh, en, _, _ in places_of(settings, theme)}
    rows = place_rows(theme, own.get("places") or [], names, lang)
    out |= ranking_fill(f"{n}.places", rows or [Row(t("wall.no_data", lang), "", None)], _place_slots(theme, settings))
    city = own.get("city") or {}
    stale = is_stale(theme, own.get("data_time"), settings, now)
    rest = others(theme)
    inds = [Row(label(i, lang), model.with_unit(i, current(i, city.get(i.code), stale=stale, tz=tz, now=now)[0], lang))
            for i in rest]
    out |= ranking_fill(f"{n}.indicators", inds, max(1, len(rest)))
    # the map's theme layer: every theme screen's places (one layer for all; the browser shows
    # the active screen's), so whichever screen's fill comes last, the layer is whole
    layer: dict[str, dict[str, Any]] = {}
    for other in settings.wall.screens:
        if other.kind == "theme" and other.theme and (spec := settings.theme(other.theme)) is not None:
            layer |= layer_values(spec, other.name, (own.get("layer") or {}).get(other.name) or [])
    out[("hideout", "theme")] = layer
    return out


def map_features(screen: WallScreen, settings: Settings) -> list[dict[str, Any]]:
    """The screen's places as features of the map's ``theme`` layer, ids ``<screen>:<code>``
    (two screens may show one theme): its own entities as points, or the district outlines
    of a theme of the city's districts; none for a theme of the city as a whole."""
    from store.queries.map import district_geojson

    theme = _theme(settings, screen)
    if theme is None:
        return []
    props = {"screen": screen.name}
    if model.place_kind(theme) == "district":
        return [{**f, "id": f"{screen.name}:{f['id']}", "properties": {**(f.get("properties") or {}), **props,
                                                                         "code": f["id"]}}
                for f in district_geojson(settings)["features"]]
    return [{"type": "Feature", "id": f"{screen.name}:{code}", "properties": {**props, "code": code},
             "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}}
            for code, _, _, lat, lon in places_of(settings, theme) if _number(lat) and _number(lon)]


def theme_layer(settings: Settings, screens: Sequence[WallScreen]) -> dict[str, Any]:
    """The map's ``theme`` layer for a wall of ``screens``: every theme screen's places (:func:`map_features`)."""
    return {"type": "FeatureCollection",
            "features": [f for s in screens if s.kind == "theme" for f in map_features(s, settings)]}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and value == value


def _domain(screen: WallScreen) -> str | None:
    return screen.theme


#: the districts plain (a theme of districts colours them in its own layer), the level legend
SCREEN_KIND = ScreenKind(panels, fill, read=read, map_theme=("none", "level"), domain=_domain)
