"""Issue 19's numbered faults, one test each, on what a department really sends.

Each test states the item it covers and fails on the code before issue 19: a row dated
2199 (1), an air reading at 10:30 (2), a source kept "fresh" by a future row (3), a
future update stamp hiding later rows (4), a ticket stored twice after its creation time
was corrected (7), corrections with an older stamp dropped silently (8), and the hour
label of a source that stamps an hourly mean by its end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import connectors
from connectors import watermark as wm
from store.engine import make_engine, upgrade
from store.queries.sources import quarantine_counts, source_overview
from store.schema import field_issues, indicators, obs_air, obs_hotline, obs_traffic, quarantine, source_status
from tests.connectors.conftest import Department, sqlite_dept, sqlite_settings, store, traffic_rows  # noqa: F401
from tests.jobs.conftest import env  # noqa: F401 — a SQLite store, a department and real scheduler processes

# store, sqlite_dept, sqlite_settings: the connector tests' fixtures (SQLite store and department)

UTC = dt.timezone.utc
#: "now" for the polls: 2026-10-01 12:00 in Xuchang
NOW = dt.datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
LOCAL_NOW = dt.datetime(2026, 10, 1, 12, 0)


@pytest.fixture
def dept(sqlite_dept: Department) -> Department:
    return sqlite_dept


@pytest.fixture
def settings(sqlite_settings: Any) -> Any:
    return sqlite_settings


def rows(engine: sa.Engine, stmt: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def status(engine: sa.Engine, name: str) -> dict[str, Any]:
    [row] = rows(engine, sa.select(source_status).where(source_status.c.name == name))
    return row


def test_item1_a_row_stamped_2199_is_quarantined_and_bounds_nothing(store, dept, settings):
    """Validation's upper bound is now + the source's future_tolerance, not the year 2200."""
    start = LOCAL_NOW - dt.timedelta(hours=1)
    dept.insert("t_link_flow_5min", traffic_rows(start, 12, segments=("R001",)))
    far = dt.datetime(2199, 1, 1, 8, 0)
    dept.insert("t_link_flow_5min", [{"link_id": "R002", "collect_time": far, "avg_speed": 40.0, "flow_cnt": 5,
                                      "occ_rate": 1.0, "upd_time": LOCAL_NOW - dt.timedelta(minutes=3)},
                                     {"link_id": "R003", "collect_time": LOCAL_NOW + dt.timedelta(minutes=10),
                                      "avg_speed": 40.0, "flow_cnt": 5, "occ_rate": 1.0,
                                      "upd_time": LOCAL_NOW - dt.timedelta(minutes=2)}])
    [report] = connectors.poll(settings(), store, ["traffic_detectors"], now=NOW)
    assert (report.rows_written, report.rows_quarantined) == (13, 1)  # 10 min ahead is inside the 15 min tolerance
    assert report.touched[1] <= NOW + dt.timedelta(minutes=15), "the after-poll computation must not reach 2199"
    [held] = rows(store, sa.select(quarantine))
    assert "时间超前" in held["reason"] and held["field"] == "time" and held["row"]["link_id"] == "R002"
    newest = rows(store, sa.select(sa.func.max(obs_traffic.c.time).label("t")))[0]["t"]
    assert newest == NOW + dt.timedelta(minutes=10)
    assert status(store, "traffic_detectors")["data_time"] <= NOW + dt.timedelta(minutes=15)


def test_item2_an_air_reading_off_the_hour_is_quarantined_or_floored_and_never_stops_compute(store, dept, settings):
    from jobs.indicators import compute

    def aq(hour: int, minute: int = 0, station: str = "XC01", pm25: float = 35.0) -> dict[str, Any]:
        t = dt.datetime(2026, 9, 30, hour, minute)
        return {"station_code": station, "obs_time": t, "pm2_5": pm25, "pm10": 60.0, "so2": 8.0, "no2": 30.0,
                "o3": 90.0, "co": 800.0, "updated_at": t + dt.timedelta(minutes=20)}

    dept.insert("aq_hourly", [aq(h) for h in range(24) if h != 10] + [aq(10, 30)])
    [report] = connectors.poll(settings(), store, ["env_monitor"], now=NOW)
    assert (report.rows_written, report.rows_quarantined) == (23, 1)
    [held] = rows(store, sa.select(quarantine))
    assert "not on the hour" in held["reason"] and 'off_grid = "floor"' in held["reason"]
    # a source that declares it: the 10:30 reading is the 10:00 hour
    dept.execute("DELETE FROM aq_hourly")
    dept.insert("aq_hourly", [aq(10, 30, station="XC02", pm25=50.0)])
    [report] = connectors.poll(settings(env_monitor={"off_grid": "floor", "lookback": "1d"}), store,
                               ["env_monitor"], now=NOW)
    [floored] = rows(store, sa.select(obs_air).where(obs_air.c.station == "XC02"))
    assert floored["time"] == dt.datetime(2026, 9, 30, 2, 0, tzinfo=UTC) and floored["pm25"] == 50.0
    # a reading stored off the hour before this check existed: the day's AQI is still computed
    with store.begin() as conn:
        conn.execute(obs_air.insert().values(station="XC01", time=dt.datetime(2026, 9, 30, 2, 30, tzinfo=UTC),
                                             pm25=500.0, source="env_monitor", ingested_at=NOW))
    start = dt.datetime(2026, 9, 29, 16, tzinfo=UTC)
    compute(settings(), store, start=start, end=start + dt.timedelta(days=1), domains=["environment"], now=NOW)
    [day] = rows(store, sa.select(indicators).where(indicators.c.name == "aqi", indicators.c.grain == "day",
                                                    indicators.c.scope == "XC01"))
    # 23 hours of PM2.5 35 (IAQI 50), the 500 left out; PM10 60 under HJ 633-2026 → 57.1 → 58
    assert day["detail"]["iaqi"]["pm25"] == 50 and day["value"] == 58 and day["detail"]["missing"] == []


def test_item3_data_age_is_computed_from_what_is_stored(store, dept, settings):
    s = settings()
    dept.insert("t_link_flow_5min", traffic_rows(LOCAL_NOW - dt.timedelta(hours=2), 6, segments=("R001",)))
    connectors.poll(s, store, ["traffic_detectors"], now=NOW)
    newest = NOW - dt.timedelta(hours=2) + dt.timedelta(minutes=25)
    assert status(store, "traffic_detectors")["data_time"] == newest
    # a row dated 2198 got into the store (before issue 19) and the status remembered it
    with store.begin() as conn:
        conn.execute(obs_traffic.insert().values(segment="R002", time=dt.datetime(2198, 1, 1, tzinfo=UTC), speed=40.0,
                                                 source="traffic_detectors", ingested_at=NOW))
        conn.execute(source_status.update().values(data_time=dt.datetime(2198, 1, 1, tzinfo=UTC)))
    connectors.poll(s, store, ["traffic_detectors"], now=NOW)
    assert status(store, "traffic_detectors")["data_time"] == newest  # what is stored, up to now + tolerance
    [row] = [r for r in source_overview(store, s, now=NOW) if r["name"] == "traffic_detectors"]
    assert row["age_seconds"] == pytest.approx((NOW - newest).total_seconds()) and row["stale"]
    # the newest rows are withdrawn by the department and deleted: the age follows on the next poll
    t = dept.table("t_link_flow_5min")
    with dept.engine.begin() as conn:
        conn.execute(t.delete().where(t.c.collect_time > LOCAL_NOW - dt.timedelta(hours=2)))
    with store.begin() as conn:
        conn.execute(obs_traffic.delete().where(obs_traffic.c.time > NOW - dt.timedelta(hours=2)))
    connectors.poll(s, store, ["traffic_detectors"], now=NOW)
    assert status(store, "traffic_detectors")["data_time"] == NOW - dt.timedelta(hours=2)


def ticket(no: str, created: dt.datetime, stamp: dt.datetime, **kw: Any) -> dict[str, Any]:
    return {"gdbh": no, "ldsj": created, "jtsj": created + dt.timedelta(seconds=30), "ddsc": 30, "qd": "1",
            "sqlb": "01", "ssqx": "411002", "blsx": created + dt.timedelta(days=5), "bjsj": None, "hfmyd": None,
            "gdzt": "10", "gxsj": stamp} | kw


def test_item4_the_watermark_never_advances_past_now(store, dept, settings):
    s = settings()
    dept.insert("dm_sqlb", [{"dm": "01", "mc": "城乡建设"}])
    ahead = LOCAL_NOW + dt.timedelta(minutes=75)
    dept.insert("gd_info", [ticket("T0", LOCAL_NOW - dt.timedelta(minutes=30), ahead)])
    [first] = connectors.poll(s, store, ["hotline_12345"], now=NOW)
    assert first.watermark <= LOCAL_NOW.isoformat(sep=" "), first.watermark
    # five tickets stamped now, committed after that poll
    dept.insert("gd_info", [ticket(f"T{i}", LOCAL_NOW - dt.timedelta(minutes=5), LOCAL_NOW) for i in range(1, 6)])
    [second] = connectors.poll(s, store, ["hotline_12345"], now=NOW + dt.timedelta(minutes=2))
    stored = {r["ticket"] for r in rows(store, sa.select(obs_hotline))}
    assert stored == {"T0", "T1", "T2", "T3", "T4", "T5"}
    # the future stamp itself is unusable: the ticket is kept, its stamp recorded as 时间超前
    [issue] = rows(store, sa.select(field_issues).where(field_issues.c.row_key == "T0"))
    assert issue["field"] == "updated_at" and issue["rule"] == "future" and "时间超前" in issue["reason"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_item7_a_ticket_is_one_row_when_its_created_time_is_corrected(backend, tmp_path, dept, settings, request):
    if backend == "postgresql":  # obs_hotline partitioned by created_at: its key must hold created_at
        url = request.getfixturevalue("pg_url")
        upgrade(url)
        store = make_engine(url)
    else:
        store = request.getfixturevalue("store")
    s = settings()
    dept.insert("dm_sqlb", [{"dm": "01", "mc": "城乡建设"}])
    created = dt.datetime(2026, 9, 30, 9, 0)
    dept.insert("gd_info", [ticket("T1", created, created + dt.timedelta(minutes=1)),
                            ticket("T2", created, created + dt.timedelta(minutes=1))])
    connectors.poll(s, store, ["hotline_12345"], now=NOW)
    t = dept.table("gd_info")
    # the call centre corrects T1's time into the previous month (another partition on PostgreSQL)
    dept.update("gd_info", t.c.gdbh == "T1", ldsj=dt.datetime(2026, 8, 31, 23, 50),
                gxsj=created + dt.timedelta(hours=2))
    connectors.poll(s, store, ["hotline_12345"], now=NOW)
    got = sorted((r["ticket"], r["created_at"]) for r in rows(store, sa.select(obs_hotline)))
    assert got == [("T1", dt.datetime(2026, 8, 31, 15, 50, tzinfo=UTC)), ("T2", dt.datetime(2026, 9, 30, 1, 0, tzinfo=UTC))]
    # an older version of T1 re-read later (its old time, its old stamp) does not bring the old row back
    dept.update("gd_info", t.c.gdbh == "T1", ldsj=created, gxsj=created + dt.timedelta(hours=1, minutes=30))
    connectors.poll(settings(hotline_12345={"lookback": "1d"}), store, ["hotline_12345"], now=NOW)
    assert sorted(r["ticket"] for r in rows(store, sa.select(obs_hotline))) == ["T1", "T2"]
    held = [r for r in rows(store, sa.select(quarantine)) if r["row_key"] == "T1"]
    assert len(held) == 1 and held[0]["reason"].startswith("refused correction")
    if backend == "postgresql":
        store.dispose()


def test_item8_refused_corrections_are_recorded_and_counted(store, dept, settings):
    s = settings()
    start = LOCAL_NOW - dt.timedelta(hours=1)
    dept.insert("t_link_flow_5min", traffic_rows(start, 6, upd=LOCAL_NOW - dt.timedelta(minutes=10)))
    connectors.poll(s, store, ["traffic_detectors"], now=NOW)
    # the department re-publishes 18 rows with new speeds but an update stamp older than the stored one
    t = dept.table("t_link_flow_5min")
    dept.update("t_link_flow_5min", t.c.link_id.in_(["R001", "R002", "R003"]), avg_speed=11.0,
                upd_time=LOCAL_NOW - dt.timedelta(minutes=20))
    [report] = connectors.poll(s, store, ["traffic_detectors"], now=NOW)
    assert report.rows_read == 18 and report.rows_quarantined == 18 and report.rows_written == 0
    speeds = {r["speed"] for r in rows(store, sa.select(obs_traffic))}
    assert 11.0 not in speeds, "the stored (newer) versions stand"
    held = rows(store, sa.select(quarantine))
    assert len(held) == 18 and all(r["reason"].startswith("refused correction") and r["field"] == "updated_at"
                                   for r in held)
    assert held[0]["row"]["speed"] == 11.0
    assert quarantine_counts(store)["traffic_detectors"] == 18
    connectors.poll(s, store, ["traffic_detectors"], now=NOW)  # read again in the lookback: recorded once
    assert quarantine_counts(store)["traffic_detectors"] == 18


def test_an_hour_labelled_by_its_end_is_stored_as_its_start(store, dept, settings):
    """CNEMC stamps an hourly mean by the end of its hour: 01:00 … 24:00 (the next 00:00) is one day."""
    from jobs.indicators import compute

    def aq(t: dt.datetime, pm25: float) -> dict[str, Any]:
        return {"station_code": "XC01", "obs_time": t, "pm2_5": pm25, "pm10": 40.0, "so2": 8.0, "no2": 20.0,
                "o3": 60.0, "co": 500.0, "updated_at": t + dt.timedelta(minutes=20)}

    day = dt.datetime(2026, 9, 29)
    # hours of the 29th labelled by their end: 01:00 … the 30th 00:00; 75 µg/m³ in its last hour
    dept.insert("aq_hourly", [aq(day + dt.timedelta(hours=h), 75.0 if h == 24 else 35.0) for h in range(1, 25)])
    [report] = connectors.poll(settings(env_monitor={"hour_label": "end"}), store, ["env_monitor"], now=NOW)
    assert report.rows_written == 24
    times = sorted(r["time"] for r in rows(store, sa.select(obs_air)))
    assert times[0] == dt.datetime(2026, 9, 28, 16, tzinfo=UTC) and times[-1] == dt.datetime(2026, 9, 29, 15, tzinfo=UTC)
    start = dt.datetime(2026, 9, 28, 16, tzinfo=UTC)
    compute(settings(), store, start=start, end=start + dt.timedelta(days=1), domains=["environment"], now=NOW)
    days = rows(store, sa.select(indicators).where(indicators.c.name == "aqi", indicators.c.grain == "day",
                                                   indicators.c.scope == "XC01"))
    # all 24 hours in the one day: mean PM2.5 (23 × 35 + 75) / 24 = 36.67 → HJ 633-2026 50 + 2 × 1.67 → 54
    # (started-labelled, the 75 would fall into the next day and this one would lack an hour)
    assert [(d["time"], d["value"]) for d in days] == [(start, 54)]


def test_hour_label_and_off_grid_are_refused_outside_the_environment(settings):
    from citybrain.errors import ConfigError

    with pytest.raises(ConfigError, match="hour_label and off_grid apply to environment sources"):
        settings(traffic_detectors={"hour_label": "end"})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_item7_migration_0009_keeps_the_newest_version_of_each_ticket(backend, tmp_path, request):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0008")
    engine = make_engine(url)
    base = {"category": "城乡建设", "district": "411002", "source": "hotline_12345", "ingested_at": NOW}
    sep, aug = dt.datetime(2026, 9, 30, 1, tzinfo=UTC), dt.datetime(2026, 8, 31, 15, 50, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(obs_hotline.insert(), [
            {**base, "ticket": "T1", "created_at": sep, "source_updated_at": sep},
            {**base, "ticket": "T1", "created_at": aug, "source_updated_at": sep + dt.timedelta(hours=2)},
            {**base, "ticket": "T2", "created_at": sep, "source_updated_at": None},
            {**base, "ticket": "T2", "created_at": aug, "source_updated_at": sep},
            {**base, "ticket": "T3", "created_at": sep, "source_updated_at": None},
        ])
    upgrade(url)
    got = sorted((r["ticket"], r["created_at"]) for r in rows(engine, sa.select(obs_hotline)))
    assert got == [("T1", aug), ("T2", aug), ("T3", sep)]
    engine.dispose()


def test_item11_the_city_file_is_checked_before_work_starts(tmp_path):
    """A renamed column: `citybrain scheduler` refuses to start, naming it; `citybrain poll`
    prints the advice with its "[sources.columns]" intact (it was eaten as Rich markup)."""
    from citybrain.settings import DEFAULT_CONFIG
    from tests.citybrain.test_cli import citybrain

    text = Path(DEFAULT_CONFIG).read_text(encoding="utf-8")
    assert 'pm25 = "pm2_5"' in text
    config = tmp_path / "city.toml"
    config.write_text(text.replace('pm25 = "pm2_5"', 'pm25 = "pm25_renamed"'), encoding="utf-8")
    (tmp_path / "city.warnings.toml").write_text(
        Path(str(DEFAULT_CONFIG).removesuffix(".toml") + ".warnings.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "departments").mkdir()
    Department(f"sqlite:///{tmp_path / 'departments' / 'environment.db'}").dispose()
    out = citybrain("scheduler", "--config", str(config), data_dir=tmp_path, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "sources (env_monitor)" in out.stderr and "'pm25_renamed' (mapped to pm25)" in out.stderr
    assert "Traceback" not in out.stderr
    out = citybrain("poll", "env_monitor", "--config", str(config), data_dir=tmp_path, env={"COLUMNS": "2000"})
    assert out.returncode == 1 and "update [sources.columns] for 'env_monitor'" in out.stdout, out.stdout
    for bad in ('url = "mysql+pymysql//root@127.0.0.1/x"', 'interval = "0s"'):
        config.write_text(text.replace('url = "sqlite:///${CITYBRAIN_DATA_DIR}/departments/environment.db"', bad)
                          if "url" in bad else text.replace('interval = "5m"', bad), encoding="utf-8")
        out = citybrain("check", "--config", str(config), data_dir=tmp_path, timeout=60)
        assert out.returncode == 1 and "env_monitor" in out.stderr and "Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_item13_plausibility_is_judged_against_the_entity(backend, tmp_path, dept, settings, request):
    """199 km/h passes the physical range (200) but not a 60 km/h road; 5,000,000 present
    passes 10,000,000 but not a 3,000-capacity site. Both rows are stored as received with
    the field flagged, counted on /sources, and left out of the indicators and rollups."""
    from jobs.compute import compute
    from store.queries.sources import field_issue_counts
    from store.rollups import rebuild
    from store.schema import obs_tourism, rollup_hourly

    url = f"sqlite:///{tmp_path / 'plaus.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    store = make_engine(url)
    s = settings()
    t = LOCAL_NOW - dt.timedelta(minutes=30)  # 11:30, Xuchang
    dept.insert("t_link_flow_5min", [
        {"link_id": "R001", "collect_time": t, "avg_speed": 199.0, "flow_cnt": 40, "occ_rate": 5.0, "upd_time": t},
        {"link_id": "R002", "collect_time": t, "avg_speed": 100.0, "flow_cnt": 40, "occ_rate": 5.0, "upd_time": t}])
    site = s.sites[0]
    assert site.capacity == 3000
    dept.insert("jq_kll_5min", [{"jqbm": site.code, "tjsj": t, "rysl": 10, "cysl": 5, "zxrs": 5_000_000, "gxsj": t},
                                {"jqbm": site.code, "tjsj": t + dt.timedelta(minutes=5), "rysl": 10, "cysl": 5,
                                 "zxrs": 1500, "gxsj": t}])
    reports = {r.name: r for r in connectors.poll(s, store, ["traffic_detectors", "scenic_gates"], now=NOW)}
    assert (reports["traffic_detectors"].rows_written, reports["traffic_detectors"].rows_quarantined) == (2, 0)
    speeds = {r["segment"]: (r["speed"], r["volume"], r["implausible"]) for r in rows(store, sa.select(obs_traffic))}
    # stored as received; speeding (100 on 60) is not implausible, 199 on 60 is
    assert speeds == {"R001": (199.0, 40.0, "speed"), "R002": (100.0, 40.0, None)}
    assert (reports["scenic_gates"].rows_written, reports["scenic_gates"].rows_quarantined) == (2, 0)
    present = {r["present"]: r["implausible"] for r in rows(store, sa.select(obs_tourism))}
    assert present == {5_000_000: "present", 1500: None}
    issues = {(r["source"], r["field"], r["rule"]): r for r in rows(store, sa.select(field_issues))}
    assert set(issues) == {("traffic_detectors", "speed", "implausible"), ("scenic_gates", "present", "implausible")}
    assert "twice its speed limit" in issues["traffic_detectors", "speed", "implausible"]["reason"]
    assert issues["traffic_detectors", "speed", "implausible"]["value"] == "199.0"
    assert "three times its capacity" in issues["scenic_gates", "present", "implausible"]["reason"]
    counts = {(c["source"], c["field"], c["rule"]): c["n"] for c in field_issue_counts(store)}  # /sources and the API
    assert counts == {("traffic_detectors", "speed", "implausible"): 1, ("scenic_gates", "present", "implausible"): 1}
    # the indicators leave the flagged values out: R001's hour has no speed ratio, the site's peak is 1,500
    hour = dt.datetime(2026, 10, 1, 3, tzinfo=UTC)
    compute(s, store, start=hour, end=hour + dt.timedelta(hours=1), domains=["traffic", "tourism"], now=NOW)
    ratios = {r["scope"]: r["detail"] for r in rows(store, sa.select(indicators).where(
        indicators.c.name == "speed_ratio", indicators.c.time == hour))}
    assert "R001" not in ratios and ratios["R002"]["speed"] == 100.0
    [crowding] = rows(store, sa.select(indicators).where(indicators.c.name == "crowding", indicators.c.scope == site.code))
    assert crowding["detail"]["present"] == 1500 and crowding["value"] == pytest.approx(0.5)
    rebuild(store, s.tz, hour, hour + dt.timedelta(hours=1))
    rolled = {(r["metric"], r["entity"]): (r["n"], r["value_max"]) for r in rows(store, sa.select(rollup_hourly))}
    assert rolled["traffic.speed", "R001"] == (0, None) and rolled["traffic.volume", "R001"] == (1, 40.0)
    assert rolled["tourism.present", site.code] == (1, 1500.0)
    store.dispose()


def _dst_source(url: str) -> dict[str, Any]:
    return {"name": "berlin_traffic", "domain": "traffic", "url": url, "table": "t_dst", "watermark": "upd_time",
            "lookback": "30m", "timezone": "Europe/Berlin",
            "columns": {"segment": "link_id", "time": "collect_time", "speed": "avg_speed", "updated_at": "upd_time"}}


def _dst_rows(engine: sa.Engine, table: sa.Table, start: dt.datetime, n: int, speed: float) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"link_id": "R001", "collect_time": start + dt.timedelta(minutes=5 * i),
                                       "avg_speed": speed, "upd_time": start + dt.timedelta(minutes=5 * i + 1)}
                                      for i in range(n)])


def test_item6_a_berlin_source_across_both_dst_changes(tmp_path, store, settings_factory):
    """Autumn: the repeated 02:00-02:59 is read (it sorted below the watermark and was never
    read) and, having no offset, follows the source's rule; spring: the 02:00 that does not
    exist is explained as such (it was called a duplicate of a later row)."""
    from simulator.schema import LocalDateTime

    url = f"sqlite:///{tmp_path / 'berlin.db'}"
    engine = sa.create_engine(url)
    md = sa.MetaData()  # the department's log table: no key on the local time (it repeats)
    table = sa.Table("t_dst", md, sa.Column("link_id", sa.String(16)), sa.Column("collect_time", LocalDateTime()),
                     sa.Column("avg_speed", sa.Float), sa.Column("upd_time", LocalDateTime()))
    md.create_all(engine)
    s = settings_factory(sources=[_dst_source(url)])
    utc = lambda *a: dt.datetime(*a, tzinfo=UTC)  # noqa: E731
    # 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC)
    _dst_rows(engine, table, dt.datetime(2026, 10, 25, 1, 0), 24, 40.0)  # 01:00 … 02:55 CEST, speed 40
    connectors.poll(s, store, ["berlin_traffic"], now=utc(2026, 10, 25, 0, 58))
    _dst_rows(engine, table, dt.datetime(2026, 10, 25, 2, 0), 4, 60.0)  # 02:00 … 02:15 CET, speed 60
    [second] = connectors.poll(s, store, ["berlin_traffic"], now=utc(2026, 10, 25, 1, 20))
    assert second.rows_read >= 4, "the repeated hour's rows must be read"
    _dst_rows(engine, table, dt.datetime(2026, 10, 25, 2, 20), 10, 60.0)  # 02:20 … 03:05 CET
    connectors.poll(s, store, ["berlin_traffic"], now=utc(2026, 10, 25, 2, 10))
    stored = sorted(r["time"] for r in rows(store, sa.select(obs_traffic)))
    assert stored == [utc(2026, 10, 24, 23, 0) + dt.timedelta(minutes=5 * i) for i in range(12)] + \
        [utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 5)]
    held = rows(store, sa.select(quarantine).where(quarantine.c.source == "berlin_traffic"))
    assert len(held) == 24 and all("occurs twice (the clocks went back an hour)" in r["reason"] for r in held)
    assert sorted(r["row"]["avg_speed"] for r in held) == [40.0] * 12 + [60.0] * 12  # both passes, each explained
    # the same source declaring which offset its repeated hour means: the second pass lands after the first
    s2 = settings_factory(sources=[{**_dst_source(url), "name": "berlin_later", "dst": "later"}])
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.avg_speed == 40.0))
    connectors.poll(s2, store, ["berlin_later"], now=utc(2026, 10, 25, 2, 10))
    later = {r["time"]: r["speed"] for r in rows(store, sa.select(obs_traffic).where(obs_traffic.c.source == "berlin_later"))}
    assert later[utc(2026, 10, 25, 1, 0)] == 60.0 and later[utc(2026, 10, 25, 1, 55)] == 60.0  # 02:00 and 02:55 CET
    # 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:00 … 02:55 do not exist
    with engine.begin() as conn:
        conn.execute(table.delete())
    _dst_rows(engine, table, dt.datetime(2026, 3, 29, 1, 55), 3, 50.0)  # 01:55, 02:00, 02:05
    s3 = settings_factory(sources=[{**_dst_source(url), "name": "berlin_spring"}])
    [spring] = connectors.poll(s3, store, ["berlin_spring"], now=utc(2026, 3, 29, 3, 0))
    assert (spring.rows_written, spring.rows_quarantined) == (1, 2)
    reasons = [r["reason"] for r in rows(store, sa.select(quarantine).where(quarantine.c.source == "berlin_spring"))]
    assert all("does not exist (the clocks jumped forward an hour there)" in r for r in reasons)
    assert not any("duplicate" in r for r in reasons)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_item5_reconciliation_reads_what_the_watermark_cannot_reach(backend, tmp_path, store, settings_factory,
                                                                    request):
    """A row backfilled with an old update stamp and a row with none are neither stored nor
    quarantined by the polls; the nightly reconciliation finds the days whose counts differ
    and reads them again (NULL stamps by the source's rule)."""
    from connectors.reconcile import reconcile
    from simulator import schema as dept_schema

    url = {"sqlite": lambda: f"sqlite:///{tmp_path / 'r.db'}", "postgresql": lambda: request.getfixturevalue("pg_url"),
           "mariadb": lambda: request.getfixturevalue("mysql_url")}[backend]()
    engine = sa.create_engine(url)
    md = sa.MetaData()
    source_table = dept_schema.t_link_flow_5min.to_metadata(md)
    source_table.c.upd_time.nullable = True
    md.create_all(engine)
    src = {"name": "traffic_recon", "domain": "traffic", "url": url, "table": "t_link_flow_5min",
           "watermark": "upd_time", "lookback": "30m", "reconcile_window": "3d",
           "columns": {"segment": "link_id", "time": "collect_time", "speed": "avg_speed", "volume": "flow_cnt",
                       "updated_at": "upd_time"}}
    s = settings_factory(sources=[src])
    start = LOCAL_NOW - dt.timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(source_table.insert(), traffic_rows(start, 12, segments=("R001", "R002")))
    connectors.poll(s, store, ["traffic_recon"], now=NOW)
    yesterday = LOCAL_NOW - dt.timedelta(days=1)
    with engine.begin() as conn:  # backfilled yesterday's rows: an old stamp, and none at all
        conn.execute(source_table.insert(), [
            {"link_id": "R001", "collect_time": yesterday, "avg_speed": 33.0, "flow_cnt": 7, "occ_rate": 1.0,
             "upd_time": yesterday + dt.timedelta(minutes=1)},
            {"link_id": "R002", "collect_time": yesterday, "avg_speed": 34.0, "flow_cnt": 8, "occ_rate": 1.0,
             "upd_time": None}])
    [again] = connectors.poll(s, store, ["traffic_recon"], now=NOW)
    assert count_of(store, obs_traffic) == 24 and again.rows_quarantined == 0, "the polls cannot see them"
    [report] = reconcile(s, store, now=NOW)
    assert (report.differing, report.rows_read, report.rows_written) == (2, 2, 2), report
    got = {(r["segment"], r["speed"]) for r in rows(store, sa.select(obs_traffic).where(
        obs_traffic.c.time < NOW - dt.timedelta(hours=12)))}
    assert got == {("R001", 33.0), ("R002", 34.0)}
    assert reconcile(s, store, now=NOW)[0].differing == 0  # in balance: nothing read the next night
    # a value corrected at the source under its old stamp: the count agrees, the checksum does not
    with engine.begin() as conn:
        conn.execute(source_table.update().where(source_table.c.link_id == "R001",
                                                 source_table.c.collect_time == yesterday).values(avg_speed=36.5))
    [report] = reconcile(s, store, now=NOW)
    assert rows(store, sa.select(obs_traffic.c.speed).where(obs_traffic.c.segment == "R001",
                                                            obs_traffic.c.time < NOW - dt.timedelta(hours=12))) \
        == [{"speed": 36.5}], report
    assert (report.differing, report.changed, report.rows_read, report.rows_written) == (1, 1, 1, 1), report
    assert reconcile(s, store, now=NOW)[0].differing == 0
    # a source that refuses unstamped rows: quarantined, saying why, and then in balance too
    with store.begin() as conn:
        conn.execute(obs_traffic.delete().where(obs_traffic.c.time < NOW - dt.timedelta(hours=12)))
    strict = settings_factory(sources=[{**src, "null_stamp": "quarantine"}])
    [report] = reconcile(strict, store, now=NOW)
    assert (report.rows_written, report.rows_quarantined) == (1, 1)
    [held] = rows(store, sa.select(quarantine))
    assert "the update stamp (upd_time) is NULL" in held["reason"] and held["row"]["link_id"] == "R002"
    assert reconcile(strict, store, now=NOW)[0].differing == 0
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_item5_statistics_are_reconciled_per_indicator_and_period(backend, tmp_path, store, settings_factory,
                                                                   request):
    """The statistics bureau's table: a period backfilled with an old stamp is read by the
    reconciliation (per indicator and period, the whole table), and a value revised in
    place under its old stamp is found by the checksum."""
    from connectors.reconcile import reconcile
    from simulator import schema as dept_schema
    from store.schema import obs_economy

    url = {"sqlite": lambda: f"sqlite:///{tmp_path / 'e.db'}", "postgresql": lambda: request.getfixturevalue("pg_url"),
           "mariadb": lambda: request.getfixturevalue("mysql_url")}[backend]()
    engine = sa.create_engine(url)
    dept_schema.economy_md.create_all(engine)
    table = dept_schema.tjj_zbsj
    src = {"name": "stats_recon", "domain": "economy", "url": url, "table": "tjj_zbsj", "watermark": "gxsj",
           "lookback": "1d", "reconcile_window": "7d",
           "columns": {"indicator": "zbdm", "period": "bgq", "value": "sz", "unit": "jldw", "district": "xzqh",
                       "revision": "bbh", "updated_at": "gxsj"}}
    s = settings_factory(sources=[src])

    def stat(code: str, period: str, value: float, stamp: dt.datetime) -> dict[str, Any]:
        return {"zbdm": code, "bgq": period, "xzqh": "411000", "pl": "M" if "Q" not in period else "Q", "sz": value,
                "jldw": "亿元", "bbh": 1, "gxsj": stamp}

    with engine.begin() as conn:
        conn.execute(table.insert(), [stat("GYZJZ", f"2026{m:02d}", 100.0 + m, LOCAL_NOW - dt.timedelta(hours=2))
                                      for m in range(1, 9)])
    connectors.poll(s, store, ["stats_recon"], now=NOW)
    assert count_of(store, obs_economy) == 8
    [report] = reconcile(s, store, now=NOW)
    assert (report.groups, report.differing) == (8, 0), report
    with engine.begin() as conn:  # a month backfilled with last year's stamp, and a month revised in place
        conn.execute(table.insert(), [stat("GYZJZ", "202609", 109.0, LOCAL_NOW - dt.timedelta(days=300))])
        conn.execute(table.update().where(table.c.bgq == "202603").values(sz=99.5))
    [again] = connectors.poll(s, store, ["stats_recon"], now=NOW)
    assert again.rows_written == 8 and count_of(store, obs_economy) == 8, "the polls cannot see either"
    [report] = reconcile(s, store, now=NOW)
    assert (report.differing, report.changed, report.rows_written) == (2, 1, 2), report
    values = {r["period"]: r["value"] for r in rows(store, sa.select(obs_economy))}
    assert values["2026-09"] == 109.0 and values["2026-03"] == 99.5
    assert reconcile(s, store, now=NOW)[0].differing == 0
    engine.dispose()


def test_item5_every_source_is_reconciled_nightly_over_its_window(store, settings):
    """The scheduler holds one nightly reconciliation per source — statistics included — at
    its ``reconcile_at`` in the city's clock; ``reconcile_window = "0s"`` turns it off."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from jobs.scheduler import build

    s = settings(traffic_detectors={"reconcile_at": "02:45", "reconcile_window": "3d"},
                 hotline_12345={"reconcile_window": "0s"})
    assert s.source("traffic_detectors").reconcile_window == dt.timedelta(days=3)
    scheduler = BackgroundScheduler(timezone=s.tz)
    build(scheduler, s, store, periodic=())
    nightly = {j.id.split(":", 1)[1]: j.trigger for j in scheduler.get_jobs() if j.id.startswith("reconcile:")}
    assert set(nightly) == {x.name for x in s.sources if x.enabled} - {"hotline_12345"}
    assert "stats_bureau" in nightly
    fields = {f.name: str(f) for f in nightly["traffic_detectors"].fields}
    assert (fields["hour"], fields["minute"]) == ("2", "45") and str(nightly["traffic_detectors"].timezone) == str(s.tz)
    fields = {f.name: str(f) for f in nightly["env_monitor"].fields}
    assert (fields["hour"], fields["minute"]) == ("3", "10")  # the default


def test_item9_hours_committed_before_a_kill_are_computed_at_restart_outside_the_lookback(env):
    """Rows a poll committed in a process killed before its computation get their TPI and
    rollups when a scheduler starts — also the hours the restart's own re-read (a 5 min
    lookback) does not reach: before, only the days a later poll touched were computed, and
    the first of the two hours, on the day before, stayed without TPI."""
    from connectors.poll import poll_source
    from connectors.source import SourceEngines
    from store.schema import rollup_hourly

    # two hours of 14 segments on two local days (the computation is by whole local day),
    # 2026-09-30 23:00 - 2026-10-01 00:55
    env.generate(14 * 24, start="2026-09-30 23:00:00")
    settings = env.settings(lookback="5m")
    with SourceEngines() as engines:  # what the killed process committed: rows and their spans
        report = poll_source(settings, env.store, settings.source("traffic_detectors"), engines=engines,
                             record_changes=True)
    assert report.rows_written == 14 * 24 and count_of(env.store, indicators) == 0
    env.scheduler(lookback="5m")

    def tpi_hours() -> int:
        return env.scalar(sa.select(sa.func.count()).select_from(indicators).where(
            indicators.c.name == "tpi", indicators.c.grain == "hour", indicators.c.scope_kind == "city"))

    env.wait(lambda: tpi_hours() == 2, 60, "both hours' TPI")
    env.wait(lambda: env.scalar(sa.select(sa.func.count(sa.distinct(rollup_hourly.c.time))).where(
        rollup_hourly.c.metric == "traffic.speed")) == 2, 30, "both hours' rollups")


def count_of(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _tie_source(backend: str, tmp_path: Path, request: Any, settings_factory: Any) -> tuple[sa.Engine, Any, int]:
    """A department table holding 1,680 rows re-published under one stamp (inside the
    lookback), read by a source whose batch is 100 rows."""
    from simulator import schema as dept_schema

    url = {"sqlite": lambda: f"sqlite:///{tmp_path / 'tie.db'}", "postgresql": lambda: request.getfixturevalue("pg_url"),
           "mariadb": lambda: request.getfixturevalue("mysql_url")}[backend]()
    engine = sa.create_engine(url)
    dept_schema.traffic_md.create_all(engine)
    stamp = LOCAL_NOW - dt.timedelta(minutes=5)
    segments = [f"R{i:03d}" for i in range(1, 15)]
    rows_in = [{"link_id": seg, "collect_time": LOCAL_NOW - dt.timedelta(days=2, minutes=5 * i), "avg_speed": 40.0,
                "flow_cnt": 10, "occ_rate": 5.0, "upd_time": stamp} for i in range(120) for seg in segments]
    with engine.begin() as conn:
        conn.execute(dept_schema.t_link_flow_5min.insert(), rows_in)
    src = {"name": "tie", "domain": "traffic", "url": url, "table": "t_link_flow_5min", "watermark": "upd_time",
           "batch_size": 100, "lookback": "30m",
           "columns": {"segment": "link_id", "time": "collect_time", "speed": "avg_speed", "volume": "flow_cnt",
                       "updated_at": "upd_time"}}
    return engine, settings_factory(sources=[src]), len(rows_in)


class _Interrupter:
    """Records the source's statements over the tie and cancels the ``at``-th of each poll,
    as a statement timeout or a dropped connection does."""

    def __init__(self, at: int | None):
        self.at, self.seen, self.polls = at, 0, [[]]

    def next_poll(self) -> None:
        self.seen = 0
        self.polls.append([])

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *a: Any) -> None:
        if "upd_time =" not in statement.replace("`", "").replace('"', "") or "LIMIT" not in statement:
            return
        self.seen += 1
        self.polls[-1].append((" ".join(statement.split()), params))
        if self.at is not None and self.seen == self.at:
            raise sa.exc.OperationalError(statement, params, Exception("canceling statement due to statement timeout"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_item12_a_large_tie_is_read_in_short_pages_by_key(backend, tmp_path, store, settings_factory, request):
    """150 k rows re-published under one stamp were read by one statement, which hit the
    statement timeout on half the polls; a tie is now paged by the row's key."""
    from connectors.source import SourceEngines

    engine, s, n = _tie_source(backend, tmp_path, request, settings_factory)
    ties: list[str] = []
    with SourceEngines() as engines:
        source_engine = engines.get(s.source("tie"))
        sa.event.listen(source_engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *a: ties.append(" ".join(statement.replace("`", "").split()))
                        if "t_link_flow_5min.upd_time =" in statement.replace("`", "") else None)
        [report] = connectors.poll(s, store, ["tie"], now=NOW, engines=engines)
    assert report.status == "ok" and report.rows_written == n and count_of(store, obs_traffic) == n
    paged = [t for t in ties if "LIMIT" in t and "ORDER BY t_link_flow_5min.link_id, t_link_flow_5min.collect_time" in t]
    rest = [t for t in ties if t not in paged]
    # 1,680 rows read as pages of one batch each, and one read of the tie's rows with a NULL key part
    assert len(paged) >= 17 and len(rest) == 1 and "IS NULL" in rest[0], ties[:3]
    assert status(store, "tie")["watermark_key"] is None  # the tie was read whole
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_item12_an_interrupted_tie_resumes_after_the_key_it_reached(backend, tmp_path, store, settings_factory,
                                                                      request):
    """The watermark is (stamp, key): a poll cancelled inside a tie of 17 pages commits the
    pages before the cancel with their position, and the next poll reads on from that
    key — it never starts the tie over (before, every poll re-read the tie from its first
    row and was cancelled at the same page: the source stayed failing and the tie's last
    1,280 rows were never stored)."""
    from connectors.source import SourceEngines

    engine, s, n = _tie_source(backend, tmp_path, request, settings_factory)
    cancel = _Interrupter(at=5)  # every poll's 5th statement over the tie is cancelled
    outcomes, stored, positions = [], [], []
    with SourceEngines() as engines:
        sa.event.listen(engines.get(s.source("tie")), "before_cursor_execute", cancel)
        for _ in range(8):
            [report] = connectors.poll(s, store, ["tie"], now=NOW, engines=engines, retries=0)
            outcomes.append(report.status)
            stored.append(count_of(store, obs_traffic))
            if report.status == "ok":
                break
            assert "statement_timeout" in report.error
            positions.append(status(store, "tie")["watermark_key"])
            cancel.next_poll()
    assert outcomes[-1] == "ok" and stored[-1] == n, (outcomes, stored)
    assert all(a < b for a, b in zip(stored, stored[1:])), f"every poll must add to the tie: {stored}"
    assert all((wm.key_from_text(p) or [""])[0].startswith("R") for p in positions), positions
    # every poll after the first starts inside the tie: its first page over the tie is after a key
    for statements in cancel.polls[1:]:
        first = statements[0][0]
        assert ") > (" in first, first
    assert status(store, "tie")["watermark_key"] is None
    with store.connect() as conn:  # each row once
        assert conn.execute(sa.select(sa.func.count(sa.distinct(obs_traffic.c.segment + "|" + sa.cast(
            obs_traffic.c.time, sa.String))))).scalar_one() == n
    engine.dispose()
