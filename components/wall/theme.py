"""A theme's wall screen (issue 20): ``[[wall.screens]] kind = "theme", theme = "<code>"``.

Built from the theme's spec alone, in the wall's own pieces (so its text is never below
the wall's 40 px at 1920 wide): left, the headline indicator as a hero tile — the city's
newest value in its unit, its level in the four warning colours, how old it is — and its
last 24 hours with yesterday's next hours dashed; right, the theme's places ranked by the
headline indicator coloured by level, and every indicator's newest city value.

Its data is its own (``read``: a cached read of ``themes.queries``); the board of open
warnings lists the theme's (``domain``: the theme's code, as its warnings carry it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from dash import html

from citybrain.cache import memoize
from citybrain.i18n import pick, t
from citybrain.settings import Settings, WallScreen
from components.theme import model
from components.wall.fmt import hour_format, local_hhmm
from components.wall.ids import Fill, wid
from components.wall.kind import ScreenKind
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.trend import next_hours, trend_fill, trend_panel
from figures.trend import trend_data
from themes import queries
from themes.spec import Theme

#: places listed at most (a theme of 1,000 car parks shows its worst eight)
PLACE_SLOTS = 6
#: indicators listed at most
INDICATOR_SLOTS = 4
#: hours read for the trend: the last 24 and the 6 that "yesterday's next hours" need
TREND_HOURS = 30
#: seconds a theme's wall data is kept (every wall refreshes every few seconds)
CACHE_S = 20


def _theme(settings: Settings, screen: WallScreen) -> Theme | None:
    return settings.theme(screen.theme) if screen.theme else None


def _place_slots(theme: Theme | None, settings: Settings) -> int:
    if theme is None:
        return 1
    n = len(theme.entities) if isinstance(theme.entities, list) else len(queries.entity_table(settings, theme))
    return max(1, min(n, PLACE_SLOTS))


def panels(screen: WallScreen, settings: Settings, lang: str, font_px: int) -> tuple[list[Any], list[Any]]:
    """The screen's two columns, empty."""
    n, theme = screen.name, _theme(settings, screen)
    head = model.headline(theme) if theme else None
    head_name = pick(head.name_zh, head.name_en, lang) if head else ""
    tile = html.Div([
        html.Div([html.Span(theme.name(lang) if theme else "", className="cb-tile-title"),
                  html.Span(head_name, className="cb-tile-right")], className="cb-tile-head"),
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
    places = ranking(f"{n}.places", t("tpage.wall.places", lang, name=head_name), _place_slots(theme, settings))
    indicators = ranking(f"{n}.indicators", t("tpage.wall.indicators", lang),
                         max(1, min(len(theme.indicators) if theme else 1, INDICATOR_SLOTS)))
    return [tile, trend], [places, indicators]


def _level(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _read(engine: Any, code: str, tz: str, now: dt.datetime) -> dict[str, Any]:
    """The screen's numbers for theme ``code`` (plain values: the cache may pickle them)."""
    from citybrain import context

    theme = context.settings().theme(code)
    if theme is None:
        return {}
    head = model.headline(theme)
    # a count (cases) is today's total so far, a reading its newest hour
    counts = [i.code for i in theme.indicators if i.kind == "count"]
    readings = [i.code for i in theme.indicators if i.kind != "count"]
    city = pd.concat([queries.latest(engine, theme, scope_kind="city", grain=grain, indicators=codes)
                      for grain, codes in (("day", counts), ("hour", readings)) if codes])
    places = queries.latest(engine, theme, scope_kind=model.place_kind(theme), indicators=[head.code],
                            grain="day" if head.kind == "count" else "hour")
    series = queries.values(engine, theme, head.code, grain="hour", scope_kind="city",
                            start=now - dt.timedelta(hours=TREND_HOURS), end=now + dt.timedelta(hours=1))
    return {
        "city": {r.indicator: {"time": r.time.to_pydatetime(), "value": r.value, "level": _level(r.level)}
                 for r in city.itertuples()},
        "places": [{"code": r.scope, "value": r.value, "level": _level(r.level)} for r in places.itertuples()
                   if r.value == r.value],
        "series": [(r.time.to_pydatetime(), model.shown(head, r.value)) for r in series.itertuples()],
        "data_time": queries.data_time(engine, theme),
    }


_cached_read = memoize(CACHE_S)(_read)


def read(settings: Settings, engine: Any, screen: WallScreen) -> dict[str, Any]:
    """The screen's own data, cached per theme for :data:`CACHE_S` (the minute keeps the key stable)."""
    if not screen.theme:
        return {}
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    return _cached_read(engine, screen.theme, settings.city.timezone, now)


def fill(screen: WallScreen, data: Mapping[str, Any], settings: Settings, lang: str, now: dt.datetime) -> Fill:
    """The screen's values from ``data["own"]`` (what :func:`read` gave)."""
    n, theme = screen.name, _theme(settings, screen)
    own = data.get("own") or {}
    out: Fill = {}
    if theme is None:
        return out
    tz = settings.tz
    head = model.headline(theme)
    newest = (own.get("city") or {}).get(head.code) or {}
    level = newest.get("level")
    asof = own.get("data_time")
    if asof is not None and asof.tzinfo is None:
        asof = asof.replace(tzinfo=dt.timezone.utc)
    stale = asof is None or now - asof > settings.max_age(theme.code)
    out[("text", f"{n}.value")] = model.value_text(head, newest.get("value"), lang)
    out[("text", f"{n}.unit")] = model.unit(head, lang) if newest.get("value") is not None else ""
    lv = queries.LEVEL_NAMES[level] if isinstance(level, int) and 0 <= level < len(queries.LEVEL_NAMES) else None
    out[("text", f"{n}.chip")] = t(f"tpage.level.{lv}", lang) if lv else ""
    # the level in its warning colour (white text on blue, orange and red; dark on yellow)
    chip = {"background": model.level_color(level), "color": "#111" if lv == "yellow" else "#fff"}
    out[("style", f"{n}.chip")] = chip if lv else {"display": "none"}
    out[("text", f"{n}.asof")] = t("tpage.wall.today" if head.kind == "count" else "wall.asof", lang,
                                   time=local_hhmm(asof, tz, now))
    out[("class", f"{n}.stale")] = "cb-stale-badge" if stale else "cb-stale-badge cb-hidden"
    out[("class", f"{n}.tile")] = "cb-tile cb-tile-hero cb-tile-theme" + (" cb-is-stale" if stale else "")
    series = [(x, y) for x, y in own.get("series") or [] if x >= now - dt.timedelta(hours=24)]
    out |= trend_fill(f"{n}.trend", trend_data(series, next_hours(list(own.get("series") or [])), tz=tz))
    names = {e.code: pick(e.name_zh, e.name_en, lang) for e in queries.entity_table(settings, theme).itertuples()}
    places = sorted(own.get("places") or [], key=lambda p: p["value"], reverse=head.direction != "higher")
    top = max([p["value"] for p in places] + [max((head.levels or {}).values(), default=0.0)]) or 1.0
    rows = [Row(names.get(p["code"], p["code"]), model.with_unit(head, p["value"], lang), p["value"] / top,
                model.level_color(p["level"]) if head.levels else "#4dabf7") for p in places]
    out |= ranking_fill(f"{n}.places", rows or [Row(t("wall.no_data", lang), "", None)], _place_slots(theme, settings))
    city = own.get("city") or {}
    inds = [Row(pick(i.name_zh, i.name_en, lang), model.with_unit(i, (city.get(i.code) or {}).get("value"), lang))
            for i in theme.indicators[:INDICATOR_SLOTS]]
    return out | ranking_fill(f"{n}.indicators", inds, max(1, min(len(theme.indicators), INDICATOR_SLOTS)))


def _domain(screen: WallScreen) -> str | None:
    return screen.theme


SCREEN_KIND = ScreenKind(panels, fill, read=read, map_theme=("none", "none"), domain=_domain)
