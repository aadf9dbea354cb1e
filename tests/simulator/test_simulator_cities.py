"""A city is a config file: every shipped config and a bare-bones one build without code changes."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

import simulator
from citybrain.settings import PROJECT_ROOT, load_settings

#: the shipped city files (other TOML files in config/, e.g. warning rules, have no [city])
CONFIGS = sorted(p for p in (PROJECT_ROOT / "config").glob("*.toml")
                 if "\n[city]" in "\n" + p.read_text(encoding="utf-8"))


def _frame(url: str, sql: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        return pd.read_sql(sql, engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_city_config_builds_its_own_entities(config: Path, tmp_path: Path) -> None:
    s = load_settings(config, env={}, data_dir=tmp_path)
    end = datetime(2026, 10, 14, 12, 0, tzinfo=s.tz)
    counts = simulator.create(s, end=end, days=2)
    assert all(counts[t] > 0 for t in ("t_link_flow_5min", "aq_hourly", "jq_kll_5min", "tjj_zbsj", "gd_info"))
    urls = simulator.default_urls(s)
    for source in s.sources:
        assert source.url == urls[source.domain]
    assert set(_frame(urls["traffic"], "SELECT DISTINCT link_id FROM t_link_flow_5min").link_id) == \
        {x.code for x in s.segments}
    assert set(_frame(urls["environment"], "SELECT DISTINCT station_code FROM aq_hourly").station_code) == \
        {x.code for x in s.stations}
    assert set(_frame(urls["tourism"], "SELECT DISTINCT jqbm FROM jq_kll_5min").jqbm) == {x.code for x in s.sites}
    tickets = _frame(urls["hotline"], "SELECT * FROM gd_info")
    assert set(tickets.ssqx) <= {d.code for d in s.districts}
    per_day = tickets.groupby(tickets.ldsj.str[:10]).size()
    assert per_day.max() == pytest.approx(s.demo.hotline_calls_per_day, rel=0.25)
    econ = _frame(urls["economy"], f"SELECT * FROM tjj_zbsj WHERE xzqh = '{s.city.code}'")
    assert set(econ.zbdm) == {i.code for i in s.indicators}
    if "GDP" in set(econ.zbdm):
        gdp2025 = econ[(econ.zbdm == "GDP") & econ.bgq.str.startswith("2025")].sz.sum()
        assert gdp2025 == pytest.approx(3700 * s.demo.economy_scale, rel=0.08)
    # the connector's hotline query (from the config) runs against the simulated schema
    hotline = s.source("hotline_12345")
    if hotline.query:
        mapped = _frame(urls["hotline"], hotline.query)
        assert len(mapped) == len(tickets) and set(mapped.columns) >= set(hotline.columns.values())


def test_a_bare_city_with_other_indicators_and_zone(tmp_path: Path) -> None:
    toml = tmp_path / "bare.toml"
    toml.write_text("""
[city]
code = "990000"
name_zh = "测试市"
name_en = "Testville"
timezone = "Asia/Urumqi"
center = [43.8, 87.6]

[[districts]]
code = "990001"
name_zh = "一区"
name_en = "One"
lat = 43.8
lon = 87.6

[[segments]]
code = "S1"
name_zh = "一号路"
name_en = "Road 1"
district = "990000"
path = [[43.8, 87.6], [43.9, 87.7]]
free_flow_kmh = 40
length_km = 3
road_class = "branch"

[[sites]]
code = "Y1"
name_zh = "小公园"
name_en = "Small park"
district = "990001"
lat = 43.81
lon = 87.61
capacity = 500
opening = [9, 11]

[[indicators]]
code = "WXYZ"
name_zh = "某指数"
name_en = "Some index"
unit_zh = "上年同期=100"
unit_en = "index"
freq = "quarter"
aggregation = "mean"

[[indicators]]
code = "LJ"
name_zh = "某流量"
name_en = "Some flow"
unit_zh = "亿元"
unit_en = "100M yuan"
freq = "month"

[demo]
hotline_calls_per_day = 50
days = 1
""", encoding="utf-8")
    s = load_settings(toml, env={}, data_dir=tmp_path / "data")
    end = datetime(2026, 5, 2, 16, 0, tzinfo=ZoneInfo("Asia/Urumqi"))
    counts = simulator.create(s, end=end)
    assert counts["aq_hourly"] == 0 and counts["t_link_flow_5min"] > 0 and counts["jq_kll_5min"] > 0
    counts_later = simulator.advance(s, until=end.replace(hour=18))
    assert counts_later["aq_hourly"] == 0 and counts_later["t_link_flow_5min"] > 0
    urls = simulator.default_urls(s)
    flows = _frame(urls["traffic"], "SELECT * FROM t_link_flow_5min")
    # local time of the city's own zone: the newest interval is just before 18:00 Urumqi time
    assert flows.collect_time.max().startswith("2026-05-02 17:")
    site = _frame(urls["tourism"], "SELECT * FROM jq_kll_5min")
    assert site[~site.tjsj.str[11:13].isin(["09", "10"])].zxrs.eq(0).all() and site.zxrs.max() > 0
    econ = _frame(urls["economy"], "SELECT * FROM tjj_zbsj")
    assert set(econ.zbdm) == {"WXYZ", "LJ"} and econ[econ.zbdm == "WXYZ"].sz.between(99, 103).all()
    tickets = _frame(urls["hotline"], "SELECT * FROM gd_info")
    assert set(tickets.ssqx) == {"990001"}  # the segment sits in the city code; calls still get a district
