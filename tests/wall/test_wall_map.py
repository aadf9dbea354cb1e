"""The real map (issue 18): boundaries named in the config, themes, legends, tiles."""

from __future__ import annotations

import json

import pytest

from tests.wall.test_wall_units import _inside  # the one point-in-ring of the wall tests


@pytest.mark.parametrize("config", ["config/xuchang.toml", "config/panzhihua.toml"])
def test_shipped_boundaries_are_real_and_hold_every_monitored_thing(config):
    """Each city ships its real 区县 outlines (not the Voronoi approximation), named in [map];
    every district centre and station lies in its own district, and the map's bounds hold
    every segment and site (禹州市 and 襄城县 in view)."""
    from citybrain.settings import PROJECT_ROOT, load_settings
    from store.queries.map import bounds, district_geojson

    settings = load_settings(PROJECT_ROOT / config, env={})
    assert settings.map.boundaries
    gj = district_geojson(settings)
    assert [f["id"] for f in gj["features"]] == [d.code for d in settings.districts]
    assert not any(f["properties"].get("approximate") for f in gj["features"])
    vertices = sum(len(r) for f in gj["features"] for poly in f["geometry"]["coordinates"] for r in poly)
    assert vertices > 40 * len(settings.districts), "a real outline has more than a few corners"

    def home(lon, lat):
        for f in gj["features"]:
            if any(_inside((lon, lat), poly[0]) for poly in f["geometry"]["coordinates"]):
                return f["id"]
        return None

    for d in settings.districts:
        assert home(d.lon, d.lat) == d.code, d.name_zh
    (south, west), (north, east) = bounds(settings)
    for lon, lat in [(s.lon, s.lat) for s in settings.sites] + [(lo, la) for seg in settings.segments for la, lo in seg.path]:
        assert south <= lat <= north and west <= lon <= east


def test_a_boundaries_file_is_keyed_by_id_or_the_code_property(tmp_path):
    from store.queries.map import shipped_districts

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    raw = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": "411002", "name": "x"}, "geometry": square},
        {"type": "Feature", "id": "411003", "properties": {}, "geometry": square},
        {"type": "Feature", "properties": {"adcode": "999999"}, "geometry": square},  # not the city's
        {"type": "Feature", "properties": {"adcode": "411024"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
    ]}
    districts = [("411002", "魏都区", "Weidu", 0, 0), ("411003", "建安区", "Jian'an", 0, 0), ("411024", "鄢陵县", "Yanling", 0, 0)]
    got = shipped_districts(raw, districts, "adcode")
    assert [f["id"] for f in got["features"]] == ["411002", "411003"]
    assert got["features"][0]["properties"] == {"code": "411002", "name_zh": "魏都区", "name_en": "Weidu"}


def test_the_config_names_the_file_and_a_tile_url_must_be_one(settings_factory, tmp_path):
    from citybrain.settings import MapSettings
    from pydantic import ValidationError

    from store.queries.map import shipped_geojson_path

    assert MapSettings(tile_url="http://tiles.intranet/{z}/{x}/{y}.png").tile_url
    with pytest.raises(ValidationError):
        MapSettings(tile_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        MapSettings(tile_url="http://tiles.intranet/tile.png")  # no {z}/{x}/{y}
    assert shipped_geojson_path("411000", "assets/geo/411000.geojson").is_file()
    own = tmp_path / "mine.geojson"
    assert shipped_geojson_path("411000", str(own)) == own


def test_the_map_draws_tiles_only_when_configured(settings_factory):
    import dash_leaflet as dl

    from components.citymap import city_map

    def tiles(settings):
        return [c for c in city_map("m", settings).children if isinstance(c, dl.TileLayer)]

    offline = settings_factory()
    assert tiles(offline) == []
    intranet = offline.model_copy(update={"map": offline.map.model_copy(update={"tile_url": "http://t.lan/{z}/{x}/{y}.png"})})
    assert tiles(intranet)[0].url == "http://t.lan/{z}/{x}/{y}.png"


def test_legends_use_the_standard_colours():
    from components.citymap import AQI_COLORS, GRADE_COLORS, LEGENDS, legend_for, legend_items, map_legend

    assert [c for c, _ in legend_items("aqi", "zh")] == list(AQI_COLORS)
    assert [label for _, label in legend_items("aqi", "zh")][0] == "优"
    assert AQI_COLORS == ("#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023")  # HJ 633 Table 2
    assert [label for _, label in legend_items("grade", "en")][-1] == "Severe congestion"
    assert len(legend_items("grade", "zh")) == len(GRADE_COLORS) == 5
    for kind in LEGENDS:
        assert map_legend(kind, "en").className == f"cb-legend cb-legend-{kind}"
    assert legend_for(("districts", "stations")) == "aqi"
    assert legend_for(("districts", "segments")) == "grade"
    assert legend_for(("districts", "sites")) == "crowding"
    assert legend_for(("districts",)) == "index"
    assert legend_for(("districts", "labels")) is None  # values printed, nothing shaded
    with pytest.raises(ValueError):
        legend_items("rainbow", "zh")


def test_calls_by_district_theme_and_short_labels():
    from components.citymap import CALLS_COLORS, layer_styles, short_name

    styles = layer_styles(vital={"districts": [{"code": "A", "value": 84.0}]},
                          hotline={"districts": [("A", 173.0), ("B", 40.0)]})
    assert styles["districts"]["values"]["A"] == {"c": "#8cc152", "k": CALLS_COLORS[3]}
    assert styles["districts"]["values"]["B"] == {"k": CALLS_COLORS[0]}
    assert styles["labels"]["values"]["A"] == {"t": "84", "n": "173"}
    assert [short_name(n) for n in ("禹州市", "魏都区", "东区", "Yuzhou")] == ["禹州", "魏都", "东区", "Yuzhou"]


def test_wall_screens_name_their_map_theme(settings_factory):
    from components.wall.shell import root_class

    settings = settings_factory()
    classes = {s.kind: root_class("1920x1080", s) for s in settings.wall.screens}
    assert "cb-theme-index" in classes["overview"] and "cb-legend-show-index" in classes["overview"]
    assert "cb-theme-calls" in classes["hotline"] and "cb-legend-show-calls" in classes["hotline"]
    assert "cb-theme-none" in classes["environment"] and "cb-legend-show-aqi" in classes["environment"]
    assert "cb-legend-show-grade" in classes["traffic"] and "cb-legend-show-crowding" in classes["tourism"]
    json.dumps(classes)


def test_the_conversion_script_undoes_gcj02_and_keeps_outlines_closed():
    import importlib.util

    from citybrain.settings import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("convert_cnmaps", PROJECT_ROOT / "assets/geo/convert_cnmaps.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    wlon, wlat = 113.852, 34.036  # 许昌 centre (WGS-84)
    dlon, dlat = mod._delta(wlon, wlat)
    assert 0.003 < abs(dlon) + abs(dlat) < 0.02  # GCJ-02 shifts Henan by a few hundred metres
    back = mod.gcj_to_wgs(wlon + dlon, wlat + dlat)
    assert abs(back[0] - wlon) < 1e-6 and abs(back[1] - wlat) < 1e-6
    ring = [(0.0, 0.0), (0.5, 0.00001), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    simple = mod.simplify(ring, 0.001)
    assert simple[0] == simple[-1] and (0.5, 0.00001) not in simple and len(simple) == 5
