"""Themes (专题) on the wall (issue 20): the shipped walls' screens, the overview's theme tiles
and the theme screens' places on the map — content built from specs, no browser, no store.

Which themes there are is read from the shipped configs (by what they are: a theme of the
city's districts, a theme with entities of its own): no Python outside simulator/ names the
demo's themes (tests/themes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from citybrain.settings import PROJECT_ROOT, Wall, load_settings

NOW = dt.datetime(2026, 12, 4, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in the demo cities
CITIES = sorted(p for p in (PROJECT_ROOT / "config").glob("*.toml") if not p.name.endswith(".warnings.toml"))


def _walk(component: Any) -> Iterator[Any]:
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def _classed(component: Any, name: str) -> list[Any]:
    return [c for c in _walk(component) if name in (getattr(c, "className", None) or "").split()]


def _text(component: Any) -> str:
    return " ".join(c.children for c in _walk(component) if isinstance(getattr(c, "children", None), str))


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The demo city as shipped (its [wall] included)."""
    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("wall-themes"), cache_url="null")


def _of_districts(settings):
    return next(t for t in settings.themes if t.entities == "districts")


def _own(settings):
    return next(t for t in settings.themes if isinstance(t.entities, list))


def _screen(settings, theme):
    return next(s for s in settings.wall.screens if s.kind == "theme" and s.theme == theme.code)


def _city_values(theme, values: dict[str, tuple[float, int | None]], *, when: dt.datetime = NOW,
                 asof: dt.datetime | None = NOW - dt.timedelta(minutes=5)) -> dict[str, Any]:
    """What ``components.wall.theme.city_values`` reads: ``{indicator: (value, level)}`` at ``when``."""
    return {"city": {code: {"time": when, "value": v, "level": lv} for code, (v, lv) in values.items()},
            "data_time": asof}


# ---------------------------------------------------------------------- the shipped walls

@pytest.mark.parametrize("path", CITIES, ids=lambda p: p.stem)
def test_a_shipped_wall_rotates_through_the_six_screens_and_every_theme(path, tmp_path):
    """config/<city>.toml's [wall]: the six built-in screens as the defaults have them, then a
    screen per theme showing its places, every screen of a registered kind."""
    from components.wall.registry import SCREEN_KINDS

    settings = load_settings(path, env={}, data_dir=tmp_path)
    screens = settings.wall.screens
    defaults = Wall().screens  # the defaults a city without [wall] gets
    assert [s.model_dump() for s in screens[:len(defaults)]] == [s.model_dump() for s in defaults]
    themed = screens[len(defaults):]
    assert [s.theme for s in themed] == [t.code for t in settings.themes]
    assert all(s.kind == "theme" and "theme" in s.layers and "districts" in s.layers for s in themed)
    assert [(s.title_zh, s.title_en) for s in themed] == [(t.name_zh, t.name_en) for t in settings.themes]
    assert {s.kind for s in screens} <= set(SCREEN_KINDS)


# ------------------------------------------------------------------------ overview tiles

def test_the_overview_has_a_tile_per_overview_theme_beside_the_five_domains(city):
    from citybrain.settings import DOMAINS
    from components.wall.screens import overview_themes, screen_panels

    overview = next(s for s in city.wall.screens if s.kind == "overview")
    left, right = screen_panels(overview, city, "zh", font_px=40)
    tiled = [t for t in city.themes if t.overview]
    assert overview_themes(city) == tiled and len(tiled) >= 2
    # the five domain tiles and the board keep the right column; the themes' tiles sit under
    # (single panel) or beside (three panels) the vital signs, one line per overview indicator
    assert [c.className.split()[1] for c in right if "cb-tile" in c.className] == [f"cb-tile-{d}" for d in DOMAINS]
    [box] = [c for c in left if c.className == "cb-th-tiles"]
    tiles = _classed(box, "cb-tile-th")
    assert [t.className for t in tiles] == [f"cb-tile cb-tile-th cb-tile-th-{t.code}" for t in tiled]
    for tile, theme in zip(tiles, tiled):
        assert theme.name_zh in _text(tile)
        assert len(_classed(tile, "cb-th-line")) == len(theme.overview_indicators)


def test_a_theme_tile_shows_values_in_their_unit_and_level_colour(city):
    """Each overview indicator: its value with its unit, written in its level's colour, the
    level named at blue or worse; the age of the theme's newest row; not stale."""
    from components.theme.model import LEVEL_COLORS
    from components.wall.tile import theme_tile_fill

    theme = _of_districts(city)
    inds = theme.overview_indicators
    levelled = next(i for i in inds if i.levels)
    values = {i.code: ((0.8, 2) if i is levelled else (37.0, None)) for i in inds}
    fill = theme_tile_fill("o.th", theme, _city_values(theme, values), settings=city, lang="zh", now=NOW)
    assert fill[("text", "o.th.asof")] == "5分钟前"
    assert fill[("class", "o.th.stale")].endswith("cb-hidden") and "cb-is-stale" not in fill[("class", "o.th.tile")]
    k = f"o.th.{levelled.code}"
    assert fill[("text", f"{k}.value")] == f"{0.8 * levelled.display_factor:.{levelled.decimals}f}"
    assert fill[("text", f"{k}.unit")] == levelled.unit
    assert fill[("style", f"{k}.line")] == {"--level": LEVEL_COLORS[2]}
    assert fill[("text", f"{k}.chip")] == "黄" and "cb-level-yellow" in fill[("class", f"{k}.chip")]
    for ind in inds:
        if ind is levelled:
            continue
        k = f"o.th.{ind.code}"
        assert fill[("text", f"{k}.value")] == "37" and fill[("style", f"{k}.line")] == {}  # no levels: no colour
        assert fill[("class", f"{k}.chip")] == "cb-chip cb-empty"
    # below blue: calm green, no level word
    calm = theme_tile_fill("o.th", theme, _city_values(theme, {levelled.code: (0.95, 0)}), settings=city, lang="zh",
                           now=NOW)
    assert calm[("style", f"o.th.{levelled.code}.line")] == {"--level": LEVEL_COLORS[0]}
    assert calm[("text", f"o.th.{levelled.code}.chip")] == ""


def test_a_stale_theme_tile_keeps_its_last_values_with_their_age(city):
    from components.wall.tile import theme_tile_fill

    theme = _own(city)
    head = theme.overview_indicators[0]
    old = NOW - theme.max_age - dt.timedelta(minutes=40)
    data = _city_values(theme, {head.code: (0.5, 0)}, when=old.replace(minute=0), asof=old)
    fill = theme_tile_fill("o.th", theme, data, settings=city, lang="zh", now=NOW)
    assert fill[("class", "o.th.stale")] == "cb-stale-badge" and fill[("class", "o.th.tile")].endswith("cb-is-stale")
    minutes = int((NOW - old).total_seconds() // 60)
    assert fill[("text", "o.th.asof")] == (f"{minutes}分钟前" if minutes < 60 else f"{minutes // 60}小时前")
    assert fill[("text", f"o.th.{head.code}.value")] != "—"  # the last good value, not a dash
    # no data at all: dashes, "暂无数据", stale
    empty = theme_tile_fill("o.th", theme, None, settings=city, lang="zh", now=NOW)
    assert empty[("text", f"o.th.{head.code}.value")] == "—" and empty[("text", f"o.th.{head.code}.unit")] == ""
    assert empty[("text", "o.th.asof")] == "暂无数据" and empty[("class", "o.th.stale")] == "cb-stale-badge"


def test_a_count_of_yesterday_is_no_count_of_today(city):
    """Just after midnight, current data without a row of the new day: a count is 0 today, a
    rate has none; stale data keeps yesterday's value (with its age)."""
    from components.wall.theme import current

    theme = _of_districts(city)
    count = next(i for i in theme.indicators if i.kind == "count")
    share = next(i for i in theme.indicators if i.kind == "share")
    midnight = dt.datetime(2026, 12, 3, 16, tzinfo=dt.timezone.utc)  # 12-04 00:00 in the city
    yesterday = {"time": midnight - dt.timedelta(days=1), "value": 193.0, "level": None}
    just_after = midnight + dt.timedelta(minutes=10)
    assert current(count, yesterday, stale=False, tz=city.tz, now=just_after)[0] == 0.0
    assert current(share, yesterday | {"value": 0.9}, stale=False, tz=city.tz, now=just_after) == (None, None)
    assert current(count, yesterday, stale=True, tz=city.tz, now=just_after)[0] == 193.0
    today = {"time": midnight, "value": 12.0, "level": None}
    assert current(count, today, stale=False, tz=city.tz, now=just_after)[0] == 12.0


def test_the_overview_fill_reaches_every_theme_tile_in_english_without_chinese(city):
    from components.wall.screens import overview_themes, screen_fill

    overview = next(s for s in city.wall.screens if s.kind == "overview")
    own = {t.code: _city_values(t, {i.code: (0.5, 1 if i.levels else None) for i in t.overview_indicators})
           for t in overview_themes(city)}
    fill = screen_fill(overview, {"own": own}, settings=city, lang="en", now=NOW)
    for theme in overview_themes(city):
        for ind in theme.overview_indicators:
            assert fill[("text", f"overview.th.{theme.code}.{ind.code}.value")] not in ("", "—")
        texts = [v for (kind, key), v in fill.items() if kind == "text" and key.startswith(f"overview.th.{theme.code}")]
        assert not any("\u4e00" <= ch <= "\u9fff" for text in texts for ch in text), texts
    from components.wall.screens import screen_panels

    left, _ = screen_panels(overview, city, "en", font_px=40)
    labels = _text(left[1])
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in labels), labels


# ------------------------------------------------------------------ theme screens, the map

def test_a_theme_screen_ranks_its_places_by_level_and_paints_the_map_layer(city):
    """The places worst first by the theme's levelled indicator, bars in level colours; the
    fill of one theme screen carries the map values of every theme screen's places (one map
    layer for all), keyed ``<screen>:<code>``; an indicator without levels is not judged."""
    from components.theme.model import LEVEL_COLORS, NO_DATA
    from components.wall import theme as wall_theme

    districts, own = _of_districts(city), _own(city)
    d_screen, o_screen = _screen(city, districts), _screen(city, own)
    by = wall_theme.level_indicator(own)
    assert by.levels and by in own.overview_indicators
    codes = [e.code for e in own.entities]
    places = [{"code": c, "value": 0.5 + 0.1 * i, "level": min(i, 4)} for i, c in enumerate(codes[:4])]
    dplaces = [{"code": d.code, "value": 0.9, "level": 1} for d in city.districts[:2]]
    data = {"own": {**_city_values(own, {}), "places": places, "series": [],
                    "layer": {o_screen.name: places, d_screen.name: dplaces}}}
    fill = wall_theme.fill(o_screen, data, city, "zh", NOW)
    names = {e.code: e.name_zh for e in own.entities}
    worst_first = sorted(places, key=lambda p: p["value"], reverse=by.direction != "higher")
    assert [fill[("text", f"{o_screen.name}.places.{i}.label")] for i in range(len(places))] == \
           [names[p["code"]] for p in worst_first]
    assert fill[("style", f"{o_screen.name}.places.0.bar")]["background"] == LEVEL_COLORS[worst_first[0]["level"]]
    layer = fill[("hideout", "theme")]
    assert layer[f"{o_screen.name}:{codes[3]}"] == {"c": LEVEL_COLORS[3], "w": 1}
    assert layer[f"{o_screen.name}:{codes[0]}"] == {"c": LEVEL_COLORS[0]}  # calm: drawn small
    assert layer[f"{d_screen.name}:{city.districts[0].code}"]["c"] == LEVEL_COLORS[1]
    # the other screen's fill paints the same layer
    other = wall_theme.fill(d_screen, {"own": {**data["own"], "places": dplaces}}, city, "zh", NOW)
    assert other[("hideout", "theme")] == layer
    # a theme without levels: its places are listed, the map leaves them unjudged (grey)
    plain = own.model_copy(update={"indicators": [i.model_copy(update={"levels": None, "overview": False})
                                                  for i in own.indicators]})
    assert list(wall_theme.layer_values(plain, "s", places).values()) == [{"c": NO_DATA}] * len(places)


def test_the_theme_screens_places_are_features_of_the_map_theme_layer(city):
    """A theme of the districts: the district outlines; a theme of its own entities: a point
    each; ids ``<screen>:<code>`` and the screen named, so one layer serves every theme screen."""
    from components.wall.theme import map_features, theme_layer
    from store.queries.map import district_geojson

    districts, own = _of_districts(city), _own(city)
    d_screen, o_screen = _screen(city, districts), _screen(city, own)
    outlines = map_features(d_screen, city)
    assert [f["id"] for f in outlines] == [f"{d_screen.name}:{f['id']}" for f in district_geojson(city)["features"]]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") and f["properties"]["screen"] == d_screen.name
               for f in outlines)
    points = map_features(o_screen, city)
    assert [f["id"] for f in points] == [f"{o_screen.name}:{e.code}" for e in own.entities]
    assert [f["geometry"]["coordinates"] for f in points] == [[e.lon, e.lat] for e in own.entities]
    layer = theme_layer(city, city.wall.screens)
    assert [f["id"] for f in layer["features"]] == [
        f["id"] for s in city.wall.screens if s.kind == "theme" for f in map_features(s, city)]
    held = theme_layer(city, [o_screen])  # a wall holding one screen builds its places only
    assert {f["properties"]["screen"] for f in held["features"]} == {o_screen.name}


def test_a_theme_screen_names_its_hero_indicator_and_lists_the_others(city):
    from components.wall import theme as wall_theme

    for theme in (_of_districts(city), _own(city)):
        screen = _screen(city, theme)
        left, right = wall_theme.panels(screen, city, "zh", 40)
        head = wall_theme.model.headline(theme)
        assert head.name_zh in _text(left[0]) and theme.name_zh in _text(left[0])
        rest = wall_theme.others(theme)
        assert head not in rest and len(rest) == min(len(theme.indicators) - 1, wall_theme.INDICATOR_SLOTS)
        if rest:
            assert "cb-rank-inline" in right[1].className
            assert len(_classed(right[1], "cb-rank-row")) == len(rest)


def test_the_data_age_banner_names_a_late_theme_too(city):
    from components.wall.header import banner_fill

    current = {d: NOW - dt.timedelta(minutes=1) for d in ("environment", "traffic", "tourism", "economy", "hotline")}
    theme = city.themes[0]
    fresh = current | {th.code: NOW - dt.timedelta(minutes=1) for th in city.themes}
    assert banner_fill(fresh, city, "zh", NOW)[("class", "banner")] == "cb-banner"
    late = fresh | {theme.code: NOW - theme.max_age - dt.timedelta(minutes=30)}
    fill = banner_fill(late, city, "zh", NOW)
    assert fill[("class", "banner")] == "cb-banner cb-banner-stale"
    assert theme.name("zh") in fill[("text", "banner")]
    assert all(th.name("zh") not in fill[("text", "banner")] for th in city.themes[1:])
    assert theme.name("en") in banner_fill(late, city, "en", NOW)[("text", "banner")]
