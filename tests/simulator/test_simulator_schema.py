"""Each department database has exactly the tables and columns its real counterpart has."""

import sqlite3
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

import simulator
from simulator.schema import METADATA

EXPECTED = {
    "traffic": {
        "t_link_flow_5min": (["link_id", "collect_time", "avg_speed", "flow_cnt", "occ_rate", "upd_time"],
                             ["link_id", "collect_time"]),
        "t_incident": (["incident_id", "link_id", "start_time", "end_time", "incident_type", "descr", "upd_time"],
                       ["incident_id"]),
    },
    "environment": {
        "aq_hourly": (["station_code", "obs_time", "pm2_5", "pm10", "so2", "no2", "o3", "co", "updated_at"],
                      ["station_code", "obs_time"]),
    },
    "tourism": {
        "jq_kll_5min": (["jqbm", "tjsj", "rysl", "cysl", "zxrs", "gxsj"], ["jqbm", "tjsj"]),
        "jq_jbxx": (["jqbm", "jqmc", "zdcz", "jqdj"], ["jqbm"]),
    },
    "economy": {
        "tjj_zbsj": (["zbdm", "bgq", "xzqh", "pl", "sz", "jldw", "bbh", "gxsj"], ["zbdm", "bgq", "xzqh"]),
        "tjj_zbdm": (["zbdm", "zbmc"], ["zbdm"]),
    },
    "hotline": {
        "gd_info": (["gdbh", "ldsj", "jtsj", "ddsc", "qd", "sqlb", "ssqx", "blsx", "bjsj", "hfmyd", "gdzt", "gxsj"],
                    ["gdbh"]),
        "dm_sqlb": (["dm", "mc"], ["dm"]),
    },
}
TIME_COLUMNS = {
    "t_link_flow_5min": ["collect_time", "upd_time"], "t_incident": ["start_time", "end_time", "upd_time"],
    "aq_hourly": ["obs_time", "updated_at"], "jq_kll_5min": ["tjsj", "gxsj"], "tjj_zbsj": ["gxsj"],
    "gd_info": ["ldsj", "jtsj", "blsx", "bjsj", "gxsj"],
}


def _path(url: str) -> str:
    return sa.engine.make_url(url).database


def test_departments_and_default_urls(session_settings) -> None:
    assert simulator.DEPARTMENTS == ("traffic", "environment", "tourism", "economy", "hotline")
    urls = simulator.default_urls(session_settings)
    # the built-in departments and the themes' simulated ones (issue 20: [[demo.departments]])
    assert set(urls) == set(simulator.DEPARTMENTS) | {d.name for d in session_settings.demo.departments}
    for source in session_settings.sources:
        # the config's [[sources]] point at exactly these files
        assert source.url == urls[source.domain], source.name


def test_tables_columns_and_keys_exactly(built) -> None:
    for dept, tables in EXPECTED.items():
        inspector = sa.inspect(sa.create_engine(built[dept]))
        assert set(inspector.get_table_names()) == set(tables), dept
        for table, (columns, key) in tables.items():
            assert [c["name"] for c in inspector.get_columns(table)] == columns
            assert inspector.get_pk_constraint(table)["constrained_columns"] == key
        assert set(METADATA[dept].tables) == set(tables)


def test_sqlite_timestamps_are_19_character_text(built) -> None:
    for dept, tables in EXPECTED.items():
        with sqlite3.connect(_path(built[dept])) as db:
            for table in tables:
                for col in TIME_COLUMNS.get(table, []):
                    kinds = db.execute(
                        f"SELECT DISTINCT typeof({col}), length({col}) FROM {table} WHERE {col} IS NOT NULL").fetchall()
                    assert kinds == [("text", 19)], (table, col, kinds)


def test_watermark_predicate_with_bound_string_and_datetime(built) -> None:
    engine = sa.create_engine(built["traffic"])
    with engine.connect() as conn:
        stamps = sorted(r[0] for r in conn.exec_driver_sql("SELECT upd_time FROM t_link_flow_5min"))
        wm = stamps[len(stamps) // 2]
        expected = sum(1 for s in stamps if s > wm)
        q = sa.text("SELECT count(*) FROM t_link_flow_5min WHERE upd_time > :wm")
        assert conn.execute(q, {"wm": wm}).scalar() == expected
        assert conn.execute(q, {"wm": datetime.fromisoformat(wm)}).scalar() == expected
        assert expected > 0


def test_values_follow_each_departments_conventions(session_settings, built) -> None:
    s = session_settings
    flows = pd.read_sql("SELECT * FROM t_link_flow_5min", sa.create_engine(built["traffic"]))
    counting = {x.code for x in s.segments if x.detector == "count"}
    assert counting, "the demo config has a count-only detector"
    assert flows[flows.link_id.isin(counting)].avg_speed.isna().all()
    assert flows[~flows.link_id.isin(counting)].avg_speed.notna().all()
    assert set(flows.link_id) == {x.code for x in s.segments}
    assert flows.occ_rate.between(0, 100).all() and (flows.flow_cnt >= 0).all()
    assert (pd.to_datetime(flows.collect_time).dt.minute % 5 == 0).all()

    air = pd.read_sql("SELECT * FROM aq_hourly", sa.create_engine(built["environment"]))
    assert set(air.station_code) == {x.code for x in s.stations}
    assert (pd.to_datetime(air.obs_time).dt.minute == 0).all()
    good = air[(air.co > 0) & (air.co < 5000)]
    assert good.co.median() > 100, "CO is in µg/m³, not mg/m³"

    tickets = pd.read_sql("SELECT * FROM gd_info", sa.create_engine(built["hotline"]))
    abandoned = tickets.jtsj.isna()
    assert (abandoned == (tickets.gdzt == "00")).all()
    assert tickets[abandoned].sqlb.isna().all() and tickets[~abandoned].sqlb.notna().all()
    assert set(tickets.ssqx) <= {d.code for d in s.districts}
    assert set(tickets.qd) <= {"1", "2", "3", "4"} and set(tickets.gdzt) <= {"00", "10", "20", "30", "40"}
    assert tickets[tickets.gdzt.isin(["30", "40"])].bjsj.notna().all()
    assert tickets[tickets.gdzt.isin(["10", "20"])].bjsj.isna().all()
    assert (tickets.hfmyd.notna() == (tickets.gdzt == "40")).all()
    codes = pd.read_sql("SELECT * FROM dm_sqlb", sa.create_engine(built["hotline"]))
    assert set(codes.mc) == {"交通出行", "环境保护", "城市管理", "住房保障", "劳动社保", "教育", "医疗卫生",
                             "市场监管", "文化旅游", "水电气暖", "其他"}
    assert set(tickets.sqlb.dropna()) <= set(codes.dm)

    sites = pd.read_sql("SELECT * FROM jq_jbxx ORDER BY jqbm", sa.create_engine(built["tourism"]))
    assert sites.to_dict("records") == [
        {"jqbm": x.code, "jqmc": x.name_zh, "zdcz": x.capacity, "jqdj": x.grade} for x in s.sites]
