"""Sources that drift, go down, or time out: reported on their status, never a crash."""

from __future__ import annotations

import datetime as dt
import os

import pytest

import sqlalchemy as sa

import connectors
from connectors.poll import poll_source
from connectors.source import SourceEngines
from store.schema import obs_air, obs_traffic, source_status

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


def aq(station, hour):
    t = dt.datetime(2026, 10, 1, hour, 0)
    return {"station_code": station, "obs_time": t, "pm2_5": 35.0, "pm10": 60.0, "so2": 8.0, "no2": 30.0,
            "o3": 90.0, "co": 800.0, "updated_at": t + dt.timedelta(minutes=20)}


def test_schema_drift_is_an_error_on_that_source_naming_the_column(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings()
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 2))
    sqlite_dept.insert("aq_hourly", [aq("XC01", 8)])
    sqlite_dept.execute("ALTER TABLE t_link_flow_5min RENAME COLUMN avg_speed TO speed_kmh")
    reports = {r.name: r for r in connectors.poll(settings, store, ["traffic_detectors", "env_monitor"], now=NOW)}
    drift = reports["traffic_detectors"]
    assert drift.status == "drift"
    assert "'avg_speed' (mapped to speed)" in drift.error and "speed_kmh" in drift.error
    assert reports["env_monitor"].status == "ok" and reports["env_monitor"].rows_written == 1
    with store.connect() as conn:
        st = conn.execute(sa.select(source_status).where(source_status.c.name == "traffic_detectors")).mappings().one()
    assert st["status"] == "drift" and "avg_speed" in st["last_error"] and st["consecutive_failures"] == 1
    [chk] = [c for c in connectors.check(settings) if c.name == "traffic_detectors"]
    assert (chk.ok, chk.reachable, chk.missing_columns) == (False, True, ["avg_speed"])


def test_a_source_that_goes_down_and_comes_back_loses_nothing(store, tmp_path, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(traffic_detectors={"lookback": "0s"})
    path = tmp_path / "dept.db"
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 4))
    sqlite_dept.insert("aq_hourly", [aq("XC01", 8)])
    connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
    # the department keeps writing while citybrain cannot reach it
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0 + dt.timedelta(hours=1), 4))
    sqlite_dept.dispose()
    os.rename(path, tmp_path / "away.db")
    down = {r.name: r for r in connectors.poll(settings, store, ["traffic_detectors", "env_monitor"],
                                                now=NOW, retries=1, backoff=0.01)}
    assert down["traffic_detectors"].status == "failing" and down["traffic_detectors"].attempts == 2
    assert "cannot read the source" in down["traffic_detectors"].error
    assert "unable to open database file" in down["traffic_detectors"].error
    os.rename(tmp_path / "away.db", path)
    [back] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
    assert back.status == "ok" and back.rows_written == 12 and back.error is None
    assert h.count(store, obs_traffic) == 24
    with store.connect() as conn:
        st = conn.execute(sa.select(source_status).where(source_status.c.name == "traffic_detectors")).mappings().one()
    assert st["status"] == "ok" and st["last_error"] is None and st["consecutive_failures"] == 0


def test_retries_back_off_exponentially_with_jitter(store, tmp_path, sqlite_settings):
    settings = sqlite_settings(traffic_detectors={"url": f"sqlite:///{tmp_path / 'missing.db'}"})
    delays: list[float] = []
    with SourceEngines() as engines:
        report = poll_source(settings, store, settings.source("traffic_detectors"), engines=engines, now=NOW,
                             retries=4, backoff=1.0, sleep=delays.append)
    assert report.status == "failing" and report.attempts == 5 and len(delays) == 4
    for i, d in enumerate(delays):
        assert 0.5 * 2 ** i <= d <= 1.5 * 2 ** i
    assert not (tmp_path / "missing.db").exists()  # read-only: a missing database is never created


def test_a_slow_statement_hits_the_statement_timeout(store, sqlite_dept, sqlite_settings, h):
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
            "SELECT link_id, collect_time, avg_speed, flow_cnt, occ_rate, upd_time FROM t_link_flow_5min "
            "WHERE (SELECT max(i) FROM n) > 0")
    settings = sqlite_settings(traffic_detectors={"table": None, "query": slow, "statement_timeout": "1s"})
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 1))
    started = dt.datetime.now()
    [report] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW, retries=0)
    assert report.status == "failing" and "statement_timeout" in report.error
    assert (dt.datetime.now() - started).total_seconds() < 10


def test_check_reports_each_source_and_never_raises(store, tmp_path, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(env_monitor={"url": f"sqlite:///{tmp_path / 'nowhere.db'}"},
                               stats_bureau={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                                             "connect_timeout": "2s"})
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 1))
    sqlite_dept.insert("jq_kll_5min", [{"jqbm": "TS99", "tjsj": h.T0, "rysl": 1, "cysl": 0, "zxrs": 1,
                                        "gxsj": h.T0}])
    checks = {c.name: c for c in connectors.check(settings)}
    assert checks["traffic_detectors"].ok and checks["traffic_detectors"].sample_ok is True
    assert not checks["env_monitor"].ok and not checks["env_monitor"].reachable
    assert "unable to open database file" in checks["env_monitor"].message
    assert not checks["stats_bureau"].ok and not checks["stats_bureau"].reachable
    assert not checks["scenic_gates"].ok and checks["scenic_gates"].sample_ok is False
    assert "unknown site 'TS99'" in checks["scenic_gates"].message
    assert checks["hotline_12345"].ok and checks["hotline_12345"].sample_ok is None  # empty, but readable


def test_check_samples_more_than_the_newest_row(store, sqlite_dept, sqlite_settings, h):
    """Issue 19 item 11: a good source whose newest row is bad is a good source."""
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 5))
    sqlite_dept.insert("t_link_flow_5min", [{**h.traffic_rows(h.T0 + dt.timedelta(hours=1), 1)[0], "link_id": "R999"}])
    [chk] = [c for c in connectors.check(sqlite_settings(), ["traffic_detectors"])]
    assert chk.ok and chk.sample_ok and (chk.sampled, chk.mapped, chk.rejected) == (16, 15, 1)
    assert "unknown segment 'R999'" in chk.message and not chk.config_problem


def test_config_problems_are_told_from_an_unreachable_source(tmp_path, sqlite_dept, sqlite_settings):
    from connectors.check import config_problems

    settings = sqlite_settings(traffic_detectors={"table": "t_link_flow_typo"},
                               env_monitor={"columns": {"station": "station_code", "time": "obs_time",
                                                        "pm25": "pm25_renamed", "updated_at": "updated_at"},
                                            "units": {}},
                               scenic_gates={"watermark": "gxsj_missing"},
                               stats_bureau={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                                             "connect_timeout": "1s"},
                               hotline_12345={"enabled": False, "table": "nope", "query": None})
    problems = {p.key: p.problem for p in config_problems(settings)}
    assert set(problems) == {"sources (traffic_detectors)", "sources (env_monitor)", "sources (scenic_gates)"}
    assert "t_link_flow_typo" in problems["sources (traffic_detectors)"]
    assert "'pm25_renamed' (mapped to pm25)" in problems["sources (env_monitor)"]
    assert "'gxsj_missing' (the watermark)" in problems["sources (scenic_gates)"]


def test_entities_from_the_store_are_known_too(store, sqlite_dept, sqlite_settings, h):
    from store.schema import entities

    with store.begin() as conn:
        conn.execute(entities.insert().values(kind="station", code="XC99", name_zh="新站", name_en="New", district="411002",
                                              lat=34.0, lon=113.8, attrs={}, source="config", updated_at=NOW))
    sqlite_dept.insert("aq_hourly", [aq("XC99", 8)])
    [report] = connectors.poll(sqlite_settings(), store, ["env_monitor"], now=NOW)
    assert report.rows_written == 1 and h.count(store, obs_air) == 1


def test_disabled_sources_are_skipped_and_say_so(store, sqlite_dept, sqlite_settings, h):
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 1))
    settings = sqlite_settings(traffic_detectors={"enabled": False})
    reports = {r.name: r for r in connectors.poll(settings, store, now=NOW)}
    assert reports["traffic_detectors"].status == "disabled" and h.count(store, obs_traffic) == 0
    with store.connect() as conn:
        assert conn.execute(sa.select(source_status.c.status).where(
            source_status.c.name == "traffic_detectors")).scalar() == "disabled"
    [named] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW)  # named explicitly: polled
    assert named.status == "ok" and h.count(store, obs_traffic) == 3


def _server_source(h, url):
    d = h.Department(url)
    d.insert("t_link_flow_5min", h.traffic_rows(h.T0, 2))
    return d


@pytest.mark.postgres
def test_postgresql_source_is_read_only_with_a_statement_timeout(tmp_path, store, pg_url, h):
    d = _server_source(h, pg_url)
    slow = "SELECT * FROM aq_hourly, pg_sleep(3) AS s"
    settings = h.make_settings(tmp_path, {"traffic_detectors": pg_url},
                               env_monitor={"url": pg_url, "table": None, "query": slow, "statement_timeout": "1s"})
    try:
        with SourceEngines() as engines:
            with engines.get(settings.source("traffic_detectors")).connect() as conn:
                with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                    conn.execute(sa.text("DELETE FROM t_link_flow_5min"))
        d.insert("aq_hourly", [aq("XC01", 8)])
        reports = {r.name: r for r in connectors.poll(settings, store, ["traffic_detectors", "env_monitor"],
                                                       now=NOW, retries=0)}
        assert reports["traffic_detectors"].rows_written == 6
        assert reports["env_monitor"].status == "failing"
        assert "statement_timeout" in reports["env_monitor"].error
    finally:
        d.dispose()


@pytest.mark.mariadb
def test_mariadb_source_is_read_only(tmp_path, store, mysql_url, h):
    d = _server_source(h, mysql_url)
    settings = h.make_settings(tmp_path, {"traffic_detectors": mysql_url})
    try:
        with SourceEngines() as engines:
            with engines.get(settings.source("traffic_detectors")).connect() as conn:
                with pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
                    conn.execute(sa.text("DELETE FROM t_link_flow_5min"))
        [report] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
        assert report.rows_written == 6
    finally:
        d.dispose()
