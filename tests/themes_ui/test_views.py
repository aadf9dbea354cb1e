"""The theme surfaces' views built from a spec alone (issue 20): the page's cards, ranking,
map colours, table; the wall screen's values; units and names in both languages. The spec
is the themes' test city (tests/themes/city.toml: depot — a reading, a ratio with levels,
two counts and a share); the values are frames as ``themes.queries`` returns them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from components.theme import model
from tests.themes.conftest import city_settings

UTC = dt.timezone.utc
T = dt.datetime(2026, 10, 25, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return city_settings("sqlite://", tmp_path_factory.mktemp("views"))


@pytest.fixture(scope="module")
def theme(settings):
    return settings.theme("depot")


def frame(*points: tuple[dt.datetime, float], level: int | None = None) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.to_datetime([p[0] for p in points], utc=True), "scope_kind": "city", "scope": "",
                         "value": [float(p[1]) for p in points],
                         "level": pd.array([level] * len(points), dtype="Int64"), "n": pd.array([None] * len(points),
                                                                                               dtype="Int64")})


def latest(rows: list[tuple[str, str, float, int | None]]) -> pd.DataFrame:
    return pd.DataFrame({"indicator": [r[0] for r in rows], "scope": [r[1] for r in rows],
                         "time": pd.to_datetime([T] * len(rows), utc=True), "value": [r[2] for r in rows],
                         "level": pd.array([r[3] for r in rows], dtype="Int64")})


def test_kpi_cards_follow_the_spec(theme):
    hour = dt.timedelta(hours=1)
    now = {"stock": frame((T - hour, 100.0), (T, 120.0)), "fill": frame((T, 0.853)),
           "deliveries": frame((T - hour, 3), (T, 4)), "late": frame(), "on_time": frame((T, 0.8))}
    day = {"stock": frame((T, 100.0)), "fill": frame((T, 0.803)), "deliveries": frame((T, 5), (T, 9)),
           "on_time": frame((T, 0.9))}
    cards = model.kpis(theme, now, {1: day, 7: {}}, "zh", {"count_note": "合计", "latest_note": "最新"})
    by = {k.key: k for k in cards}
    assert [k.key for k in cards] == ["stock", "fill", "deliveries", "late", "on_time"]  # config order
    assert (by["stock"].label, by["stock"].value, by["stock"].unit) == ("库存", "120.0", "t")  # newest, 1 decimal
    assert by["stock"].wow == pytest.approx(0.2) and by["stock"].yoy is None  # no week base: "—", not 0
    assert (by["fill"].value, by["fill"].unit) == ("85.3", "%")  # a fraction shown ×100
    assert by["fill"].is_pp and by["fill"].wow == pytest.approx(0.05)  # +5.0 points, not +6.2 %
    assert by["fill"].better == "down" and by["on_time"].better == "up" and by["stock"].better == ""
    assert by["deliveries"].value == "7" and by["deliveries"].wow == pytest.approx(7 / 14 - 1)  # a count: the sum
    assert by["deliveries"].note == "合计" and by["stock"].note == "最新"
    assert by["late"].value == "—" and by["late"].wow is None
    assert all(k.compare_keys == model.COMPARE_KEYS for k in cards)
    english = model.kpis(theme, now, {1: day, 7: {}}, "en", {})
    assert [k.label for k in english] == ["Stock", "Fill", "Deliveries", "Late deliveries", "On time"]
    assert {k.unit for k in english} == {"t", "%", "orders"}  # 单 → orders: no Chinese on an English page


def test_values_units_and_levels(theme):
    stock, fill, deliveries = theme.indicator("stock"), theme.indicator("fill"), theme.indicator("deliveries")
    assert model.with_unit(fill, 0.9123, "zh") == "91.2%"
    assert model.with_unit(stock, 123456.0, "zh") == "12.3万 t" and model.with_unit(stock, 123456.0, "en") == "123,456 t"
    assert model.with_unit(deliveries, 12.0, "zh") == "12 单" and model.with_unit(deliveries, 12.0, "en") == "12 orders"
    assert model.with_unit(stock, None, "zh") == "—" and model.with_unit(stock, float("nan"), "en") == "—"
    assert [model.level_color(x) for x in (0, 1, 2, 3, 4)] == list(model.LEVEL_COLORS)
    assert model.level_color(pd.NA) == model.level_color(None) == model.NO_DATA
    assert model.headline(theme).code == "fill"  # the overview indicator


def test_ranking_map_and_table_from_the_spec(settings, theme):
    rows = latest([("fill", "D1", 0.5, 0), ("fill", "D2", 0.95, 2), ("fill", "D3", 1.02, 4), ("stock", "D1", 100.0, None)])
    names = {"D1": "一号仓", "D2": "二号仓", "D3": "三号仓"}
    rank = model.ranking(theme.indicator("fill"), rows, names)
    assert rank.labels == ["三号仓", "二号仓", "一号仓"]  # lower is better: the fullest first
    assert rank.values == [102.0, 95.0, 50.0] and rank.codes == ["D3", "D2", "D1"]
    assert rank.colors == [model.LEVEL_COLORS[4], model.LEVEL_COLORS[2], model.LEVEL_COLORS[0]]
    on_time = latest([("on_time", "D1", 0.9, None), ("on_time", "D2", 0.6, None)])
    assert model.ranking(theme.indicator("on_time"), on_time, names).codes == ["D2", "D1"]  # higher is better: worst first
    assert model.ranking(theme.indicator("fill"), rows, names, codes=["D1"]).codes == ["D1"]  # a district's places
    colours = model.map_values(theme.indicator("fill"), rows, "zh")
    assert colours["D3"] == {"c": model.LEVEL_COLORS[4], "t": "102.0%"} and set(colours) == {"D1", "D2", "D3"}
    cols = model.columns(theme, "zh")
    assert [c["field"] for c in cols] == ["code", "name", "district", "stock", "fill", "deliveries", "late", "on_time",
                                          "time"]
    assert cols[4]["headerName"] == "库容占用率（%）" and model.columns(theme, "en")[5]["headerName"] == "Deliveries (orders)"
    from themes.queries import entity_table

    table = model.entity_rows(theme, entity_table(settings, theme), rows, {"990101": "北区", "990102": "南区"}, "zh",
                              ZoneInfo("Europe/Berlin"))
    assert table[0] == {"code": "D1", "name": "一号仓", "district": "北区", "stock": 100.0, "fill": 50.0,
                        "deliveries": None, "late": None, "on_time": None, "time": "2026-10-25 11:00"}


def test_a_theme_without_data_shows_dashes_not_errors(theme):
    cards = model.kpis(theme, {}, {}, "zh", {})
    assert {k.value for k in cards} == {"—"} and all(k.wow is None and k.yoy is None for k in cards)
    empty = latest([])
    assert model.ranking(theme.indicator("fill"), empty, {}).values == []
    assert model.map_values(theme.indicator("fill"), empty, "zh") == {}
    assert model.series(pd.DataFrame(columns=["time", "value"]), theme.indicator("fill"), UTC, "hour") == ([], [])


def test_the_wall_screen_fills_its_slots_from_the_spec(settings):
    from citybrain.settings import WallScreen
    from components.wall import theme as wall_theme
    from components.wall.ids import wid

    screen = WallScreen(name="depot", kind="theme", theme="depot", title_zh="仓储", title_en="Depots")
    left, right = wall_theme.panels(screen, settings, "zh", 40)
    ids = {str(c.id) for part in (left + right) for c in _walk(part) if getattr(c, "id", None)}
    assert str(wid("text", "depot.value")) in ids and str(wid("text", "depot.places.2.label")) in ids
    now = T + dt.timedelta(minutes=5)
    own = {"city": {"fill": {"time": T, "value": 0.93, "level": 2}, "stock": {"time": T, "value": 218.0, "level": None}},
           "places": [{"code": "D1", "value": 0.5, "level": 0}, {"code": "D3", "value": 1.02, "level": 4}],
           "series": [(T - dt.timedelta(hours=h), 90.0 + h) for h in range(30)], "data_time": T}
    fill = wall_theme.fill(screen, {"own": own}, settings, "zh", now)
    assert fill[("text", "depot.value")] == "93.0" and fill[("text", "depot.unit")] == "%"
    assert fill[("text", "depot.chip")] == "黄色" and fill[("style", "depot.chip")]["background"] == model.LEVEL_COLORS[2]
    assert fill[("class", "depot.stale")].endswith("cb-hidden")  # 5 minutes old, max_age 30 m
    assert [fill[("text", f"depot.places.{i}.label")] for i in range(3)] == ["三号仓", "一号仓", ""]
    assert fill[("text", "depot.places.0.value")] == "102.0%"
    assert fill[("text", "depot.indicators.0.label")] == "库存" and fill[("text", "depot.indicators.0.value")] == "218.0 t"
    english = wall_theme.fill(screen, {"own": own}, settings, "en", now + dt.timedelta(hours=1))
    assert english[("text", "depot.chip")] == "Yellow" and english[("text", "depot.places.0.label")] == "Depot 3"
    assert not english[("class", "depot.stale")].endswith("cb-hidden")  # 65 minutes old: stale
    nothing = wall_theme.fill(screen, {"own": {}}, settings, "zh", now)
    assert nothing[("text", "depot.value")] == "—" and nothing[("style", "depot.chip")] == {"display": "none"}


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)
