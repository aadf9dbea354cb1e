"""Updates replace, revisions keep history, garbage goes to quarantine with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import connectors
from connectors.periods import parse_period
from store.schema import (field_issues, obs_air, obs_economy, obs_economy_revisions, obs_hotline, obs_traffic,
                          quarantine)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def ticket(no: str, **kw):
    row = {"gdbh": no, "ldsj": dt.datetime(2026, 10, 1, 9, 0), "jtsj": dt.datetime(2026, 10, 1, 9, 1), "ddsc": 35,
           "qd": "1", "sqlb": "01", "ssqx": "411002", "blsx": dt.datetime(2026, 10, 6, 9, 0), "bjsj": None,
           "hfmyd": None, "gdzt": "10", "gxsj": dt.datetime(2026, 10, 1, 9, 1)}
    return row | kw


def test_hotline_tickets_updated_in_place_replace_their_earlier_version(store, sqlite_dept, sqlite_settings):
    settings = sqlite_settings(hotline_12345={"lookback": "0s"})
    sqlite_dept.insert("dm_sqlb", [{"dm": "01", "mc": "城乡建设"}, {"dm": "02", "mc": "交通运输"}])
    sqlite_dept.insert("gd_info", [ticket("T1"), ticket("T2", jtsj=None, sqlb=None, ssqx="魏都区")])
    connectors.poll(settings, store, ["hotline_12345"], now=NOW)
    t = sqlite_dept.table("gd_info")
    sqlite_dept.update("gd_info", t.c.gdbh == "T1", gdzt="40", bjsj=dt.datetime(2026, 10, 3, 15, 0), hfmyd="3",
                       gxsj=dt.datetime(2026, 10, 3, 15, 0))
    [report] = connectors.poll(settings, store, ["hotline_12345"], now=NOW)
    assert report.rows_read == 1
    rows = {r["ticket"]: r for r in [dict(x) for x in _all(store, obs_hotline)]}
    assert set(rows) == {"T1", "T2"}
    t1, t2 = rows["T1"], rows["T2"]
    assert t1["status"] == "40" and t1["satisfaction"] == "dissatisfied" and t1["answered"] is True
    assert t1["closed_at"] == dt.datetime(2026, 10, 3, 7, 0, tzinfo=UTC)
    assert t1["updated_at"] == dt.datetime(2026, 10, 3, 7, 0, tzinfo=UTC)
    assert t1["category"] == "城乡建设" and t1["channel"] == "phone" and t1["wait_seconds"] == 35
    # unanswered call, district given by name: mapped to its code
    assert t2["answered"] is False and t2["category"] == "未接通" and t2["district"] == "411002"


def stat(zbdm, bgq, sz, bbh=1, xzqh="411000", gxsj=dt.datetime(2026, 10, 15, 10, 0), pl="M"):
    return {"zbdm": zbdm, "bgq": bgq, "xzqh": xzqh, "pl": pl, "sz": sz, "jldw": "亿元", "bbh": bbh, "gxsj": gxsj}


def test_statistics_revisions_replace_the_value_and_keep_history(store, sqlite_dept, sqlite_settings):
    settings = sqlite_settings()
    sqlite_dept.insert("tjj_zbsj", [stat("SHXFPLSZE", "202609", 80.5), stat("GDP", "2026Q3", 900.0, pl="Q"),
                                    stat("SHXFPLSZE", "202609", 12.0, xzqh="411002")])
    connectors.poll(settings, store, ["stats_bureau"], now=NOW)
    t = sqlite_dept.table("tjj_zbsj")
    sqlite_dept.update("tjj_zbsj", sa.and_(t.c.zbdm == "SHXFPLSZE", t.c.xzqh == "411000"), sz=81.2, bbh=2,
                       gxsj=dt.datetime(2026, 10, 20, 10, 0))
    connectors.poll(settings, store, ["stats_bureau"], now=NOW)
    connectors.poll(settings, store, ["stats_bureau"], now=NOW)  # re-read inside lookback: nothing changes
    current = {(r["indicator"], r["period"], r["district"]): r for r in _all(store, obs_economy)}
    assert set(current) == {("SHXFPLSZE", "2026-09", "411000"), ("GDP", "2026-Q3", "411000"),
                            ("SHXFPLSZE", "2026-09", "411002")}
    retail = current[("SHXFPLSZE", "2026-09", "411000")]
    assert (retail["value"], retail["revision"], retail["freq"]) == (81.2, 2, "month")
    assert retail["period_start"] == dt.date(2026, 9, 1)
    assert current[("GDP", "2026-Q3", "411000")]["period_start"] == dt.date(2026, 7, 1)
    history = sorted((r["revision"], r["value"]) for r in _all(store, obs_economy_revisions)
                     if r["indicator"] == "SHXFPLSZE" and r["district"] == "411000")
    assert history == [(1, 80.5), (2, 81.2)]


def test_an_older_revision_read_late_does_not_replace_a_newer_one(store, sqlite_dept, sqlite_settings):
    settings = sqlite_settings(stats_bureau={"lookback": "0s"})
    sqlite_dept.insert("tjj_zbsj", [stat("CPI", "202609", 101.2, bbh=2, gxsj=dt.datetime(2026, 10, 20))])
    connectors.poll(settings, store, ["stats_bureau"], now=NOW)
    t = sqlite_dept.table("tjj_zbsj")
    sqlite_dept.update("tjj_zbsj", t.c.zbdm == "CPI", sz=100.9, bbh=1, gxsj=dt.datetime(2026, 10, 21))
    connectors.poll(settings, store, ["stats_bureau"], now=NOW)
    [row] = _all(store, obs_economy)
    assert (row["revision"], row["value"]) == (2, 101.2)
    assert len(_all(store, obs_economy_revisions)) == 2


@pytest.mark.parametrize("raw, period, freq", [
    ("202610", "2026-10", "month"), ("2026-10", "2026-10", "month"), ("2026年10月", "2026-10", "month"),
    ("2026/3", "2026-03", "month"), (202610, "2026-10", "month"), ("2026Q3", "2026-Q3", "quarter"),
    ("2026-Q3", "2026-Q3", "quarter"), ("2026 q1", "2026-Q1", "quarter"), ("2026年第3季度", "2026-Q3", "quarter"),
    ("2026年三季度", "2026-Q3", "quarter"), (dt.date(2026, 10, 1), "2026-10", "month"),
])
def test_periods_are_normalised(raw, period, freq):
    parsed = parse_period(raw)
    assert (parsed.period, parsed.freq) == (period, freq)


@pytest.mark.parametrize("raw", ["202613", "2026Q5", "上月", "", "26-10", None])
def test_unparseable_periods_are_refused(raw):
    with pytest.raises(ValueError):
        parse_period(raw)


def aq(station, hour, **kw):
    t = dt.datetime(2026, 10, 1, hour, 0)
    return {"station_code": station, "obs_time": t, "pm2_5": 35.0, "pm10": 60.0, "so2": 8.0, "no2": 30.0,
            "o3": 90.0, "co": 800.0, "updated_at": t + dt.timedelta(minutes=20)} | kw


def test_garbage_rows_are_quarantined_with_reason_and_source_values(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings()
    sqlite_dept.insert("aq_hourly", [aq("XC01", 8), aq("XC02", 8, pm2_5=-5.0), aq("XC03", 8, co=900_000.0),
                                     aq("XX99", 8)])
    sqlite_dept.insert_raw("aq_hourly", [aq("XC04", 8, pm10="n/a", updated_at="2026-10-01 08:20:00",
                                            obs_time="2026-10-01 08:00:00"),
                                         aq("XC05", 8, obs_time="yesterday", updated_at="2026-10-01 08:20:00")])
    sqlite_dept.insert("t_link_flow_5min", [
        *h.traffic_rows(h.T0, 1, segments=("R001",)),
        *h.traffic_rows(h.T0, 1, segments=("R002",), speed=250.0),
        {**h.traffic_rows(h.T0, 1, segments=("R003",))[0], "flow_cnt": -4},
    ])
    sqlite_dept.insert("tjj_zbsj", [stat("GDP", "2026Q3", 900.0, pl="Q"), stat("GDP", "上季度", 1.0, pl="Q"),
                                    stat("GDP", "202609", 1.0)])
    reports = {r.name: r for r in connectors.poll(settings, store, ["env_monitor", "traffic_detectors",
                                                                     "stats_bureau"], now=NOW)}
    # issue 19: a bad measured field is NULL in a kept row; a bad station or time quarantines the row
    assert (reports["env_monitor"].rows_written, reports["env_monitor"].rows_quarantined) == (4, 2)
    assert (reports["traffic_detectors"].rows_written, reports["traffic_detectors"].rows_quarantined) == (3, 0)
    assert (reports["stats_bureau"].rows_written, reports["stats_bureau"].rows_quarantined) == (1, 2)
    air = {r["station"]: r for r in _all(store, obs_air)}
    assert air["XC01"]["co"] == pytest.approx(0.8)  # µg/m³ at the source, mg/m³ in the store
    assert air["XC02"]["pm25"] is None and air["XC02"]["pm10"] == 60.0 and air["XC02"]["no2"] == 30.0
    assert air["XC03"]["co"] is None and air["XC03"]["pm25"] == 35.0
    assert air["XC04"]["pm10"] is None and air["XC04"]["o3"] == 90.0
    issues = {(r["row_key"].split("|")[0], r["field"]): r for r in _all(store, field_issues)}
    assert "pm25 -5" in issues["XC02", "pm25"]["reason"] and issues["XC02", "pm25"]["rule"] == "range"
    assert issues["XC02", "pm25"]["value"] == "-5.0"
    assert "co 900 mg/m3 is above 150" in issues["XC03", "co"]["reason"]
    assert "'n/a' is not a number" in issues["XC04", "pm10"]["reason"] and issues["XC04", "pm10"]["rule"] == "unparseable"
    assert "speed 250 km/h is above 200 km/h" in issues["R002", "speed"]["reason"]
    assert "volume -4" in issues["R003", "volume"]["reason"]
    traffic = {r["segment"]: r for r in _all(store, obs_traffic)}
    assert traffic["R002"]["speed"] is None and traffic["R002"]["volume"] == 100
    assert traffic["R003"]["volume"] is None and traffic["R003"]["speed"] == 40.0
    reasons = {r["row_key"].split("|")[0]: r for r in _all(store, quarantine) if r["source"] == "env_monitor"}
    assert set(reasons) == {"XX99", "XC05"}
    assert reasons["XX99"]["reason"].startswith("unknown station 'XX99'")
    assert "'yesterday' is not a date and time" in reasons["XC05"]["reason"]
    assert reasons["XX99"]["row"]["pm2_5"] == 35.0 and reasons["XX99"]["row"]["station_code"] == "XX99"
    economy = [r["reason"] for r in _all(store, quarantine) if r["source"] == "stats_bureau"]
    assert any("'上季度' is not a month or quarter" in r for r in economy)
    assert any("is a month but GDP is reported by quarter" in r for r in economy)
    # re-read inside the lookback: counted in the poll, but quarantined and recorded once
    again = {r.name: r for r in connectors.poll(settings, store, ["env_monitor"], now=NOW)}
    assert again["env_monitor"].rows_quarantined == 2
    assert h.count(store, quarantine, quarantine.c.source == "env_monitor") == 2
    assert h.count(store, field_issues, field_issues.c.source == "env_monitor") == 3


def test_duplicates_within_a_batch_keep_the_later_row(store, sqlite_dept, sqlite_settings, h):
    query = ("SELECT link_id, collect_time, avg_speed, flow_cnt, occ_rate, upd_time FROM t_link_flow_5min "
             "UNION ALL SELECT link_id, collect_time, avg_speed + 1, flow_cnt, occ_rate, "
             "datetime(upd_time, '+1 minute') FROM t_link_flow_5min WHERE link_id = 'R001'")
    settings = sqlite_settings(traffic_detectors={"table": None, "query": query})
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 1, segments=("R001", "R002")))
    [report] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
    assert (report.rows_read, report.rows_written, report.rows_quarantined) == (3, 2, 1)
    [dup] = _all(store, quarantine)
    assert "duplicate" in dup["reason"] and dup["row"]["avg_speed"] == 40.0
    speeds = {r["segment"]: r["speed"] for r in _all(store, obs_traffic)}
    assert speeds == {"R001": 41.0, "R002": 40.0}


def test_units_config_that_cannot_convert_is_refused_at_load(store, sqlite_dept, sqlite_settings, h):
    from citybrain.errors import ConfigError

    # issue 19 item 11: known before the first poll, so the config is refused at start
    with pytest.raises(ConfigError, match="unit 'furlongs' for co cannot be converted into mg/m3") as info:
        sqlite_settings(env_monitor={"units": {"co": "furlongs"}})
    assert "write one of mg/m3, ppb, ppm, ug/m3" in str(info.value)


def _all(store, table):
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table)).mappings()]
