"""The theme spec (issue 20): the issue's TOML parses, and every mistake names its key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from citybrain.errors import ConfigError
from citybrain.settings import load_settings

HERE = Path(__file__).parent
CITY = (HERE / "city.toml").read_text(encoding="utf-8")

ISSUE_EXAMPLE = '''
[[themes]]
code = "carparks"
name_zh = "停车场"
name_en = "Car parks"
owner_zh = "市城管局"
max_age = "15m"
[[themes.entities]]
code = "P001"
name_zh = "市民中心停车场"
name_en = "Civic Centre car park"
district = "990101"
lat = 34.031
lon = 113.835
capacity = 420

[[themes.indicators]]
code = "occupied"
name_zh = "在停车辆"
name_en = "Occupied spaces"
unit = "辆"
agg = "mean"
decimals = 0
direction = "neutral"
[[themes.indicators]]
code = "occupancy"
name_zh = "泊位占用率"
name_en = "Occupancy"
unit = "%"
ratio = { of = "occupied", per = "capacity" }
direction = "lower"
levels = { blue = 0.85, yellow = 0.90, orange = 0.95, red = 1.0 }
'''


def load(tmp_path: Path, text: str):
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env={"DEPOT_URL": f"sqlite:///{tmp_path}/depot.db"}, data_dir=tmp_path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_the_issue_example_parses(tmp_path):
    s = load(tmp_path, CITY + ISSUE_EXAMPLE)
    parking = s.theme("carparks")
    assert parking is not None and parking.owner_zh == "市城管局"
    assert parking.entities[0].attrs == {"capacity": 420.0}
    occ = parking.indicator("occupancy")
    assert occ.kind == "ratio" and occ.levels_op == ">=" and occ.display_factor == 100.0
    assert parking.indicator("occupied").kind == "measured"
    assert s.max_age("carparks").total_seconds() == 900
    assert parking.metric("occupancy") == "carparks.occupancy"


def test_the_test_city_has_every_kind(tmp_path):
    t = load(tmp_path, CITY).theme("depot")
    assert [i.kind for i in t.indicators] == ["measured", "ratio", "count", "count", "share"]
    assert t.flags == {"punctual", "delayed"}
    assert t.indicator("on_time").levels_op == "<="  # higher is better: warn when falling


@pytest.mark.parametrize("change, key, words", [
    (('code = "depot"', 'code = "traffic"'), "themes[0]", "built-in domain"),
    (('code = "depot"', 'code = "Depot"'), "themes[0]", "not allowed"),
    (('ratio = { of = "stock", per = "capacity" }', 'ratio = { of = "stock", per = "volume" }'),
     "themes[0]", "capacity"),
    (('ratio = { of = "stock", per = "capacity" }', 'ratio = { of = "stok", per = "capacity" }'),
     "themes[0]", "ratio.of"),
    (('agg = "count"\nwhere', 'agg = "mean"\nwhere'), "themes[0]", "where applies"),
    (('levels = { blue = 0.8, yellow = 0.9, red = 1.0 }', 'levels = { blue = 0.8, yellow = 0.7, red = 1.0 }'),
     "themes[0]", "blue < yellow"),
    (('agg = "mean"\nacross', 'agg = "avg"\nacross'), "themes[0]", "avg"),
    (('capacity = 200', 'capacity = "big"'), "themes[0]", "not a number"),
    (('district = "990102"\nlat = 49.9', 'district = "990109"\nlat = 49.9'), "themes[0] (code = \"depot\").entities[2]",
     "990109"),
    (('domain = "depot"\nurl = "${DEPOT_URL}"\ntable = "stock', 'domain = "depots"\nurl = "${DEPOT_URL}"\ntable = "stock'),
     'sources[0] (name = "depot_stock").domain', "depot"),
    (('stock = "stock_kg"', 'stocks = "stock_kg"'), 'sources[0] (name = "depot_stock").columns', "stocks"),
    (('entity = "depot_id"\ntime = "read_at"', 'time = "read_at"'), 'sources[0] (name = "depot_stock").columns',
     "lacks entity"),
    (('stock = "kg"', 'stock = "furlong"'), 'sources[0] (name = "depot_stock").units.stock', "furlong"),
])
def test_mistakes_name_the_key_and_the_fix(tmp_path, change, key, words):
    old, new = change
    assert old in CITY
    message = error(tmp_path, CITY.replace(old, new, 1))
    assert key in message and words in message, message
    assert "Traceback" not in message


def test_entities_by_list_name(tmp_path):
    text = CITY.replace('overview = true\n\n[[themes.entities]]', 'overview = true\nentities = "districts"\n\n[[x]]', 1)
    # the own list is replaced by the city's districts: drop the [[themes.entities]] tables
    head, _, rest = CITY.partition("[[themes.entities]]")
    rest = rest[rest.index("[[themes.indicators]]"):]
    text = head.replace('overview = true\n', 'overview = true\nentities = "districts"\n') + rest
    text = text.replace('ratio = { of = "stock", per = "capacity" }', 'ratio = { of = "stock", per = "population_10k" }')
    t = load(tmp_path, text).theme("depot")
    assert t.entities == "districts" and "population_10k" in t.attributes
    bad = text.replace('entities = "districts"', 'entities = "roads"')
    assert "stations, sites, segments, districts, city" in error(tmp_path, bad)
