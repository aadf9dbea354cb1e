"""Incremental polling against hand-built SQLite department tables."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import connectors
from connectors.source import SourceEngines
from store.schema import obs_traffic, source_status

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


def status_of(store, name):
    with store.connect() as conn:
        return dict(conn.execute(sa.select(source_status).where(source_status.c.name == name)).mappings().one())


def test_first_poll_reads_everything_and_naive_local_time_lands_as_utc(store, sqlite_dept, sqlite_settings, h):
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 10))
    [report] = connectors.poll(sqlite_settings(), store, ["traffic_detectors"], now=NOW)
    assert (report.status, report.rows_read, report.rows_written, report.rows_quarantined) == ("ok", 30, 30, 0)
    rows = h.rows_of(store, obs_traffic, obs_traffic.c.segment == "R001")
    # 08:00 in Asia/Shanghai (UTC+8) is 00:00 UTC
    assert min(r["time"] for r in rows) == dt.datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert report.watermark == "2026-10-01 08:46:00"
    assert report.lag_seconds == pytest.approx((NOW - dt.datetime(2026, 10, 1, 0, 46, tzinfo=UTC)).total_seconds())
    assert report.touched == (dt.datetime(2026, 10, 1, 0, 0, tzinfo=UTC), dt.datetime(2026, 10, 1, 0, 45, tzinfo=UTC))


def test_a_poll_reads_only_new_rows_not_the_table(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(traffic_detectors={"lookback": "0s"})
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 200))  # 16 h 40 min of readings
    later = NOW + dt.timedelta(days=1)
    connectors.poll(settings, store, ["traffic_detectors"], now=later)
    [idle] = connectors.poll(settings, store, ["traffic_detectors"], now=later)
    assert idle.rows_read == 0
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0 + dt.timedelta(days=1), 1))
    [report] = connectors.poll(settings, store, ["traffic_detectors"], now=later)
    assert report.rows_read == 3 and report.rows_written == 3
    assert h.count(store, obs_traffic) == 603


def test_lookback_rereads_are_idempotent_and_late_rows_inside_it_land_once(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings()  # traffic lookback 30m
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 12))  # upd_time up to 08:56
    connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
    # committed late: its watermark value (08:40) is older than what was already read (08:56)
    late = h.traffic_rows(h.T0 + dt.timedelta(minutes=35), 1, segments=("R009",),
                          upd=dt.datetime(2026, 10, 1, 8, 40))
    # and one outside the lookback (08:20 < 08:56 - 30m) is documented as missed
    too_late = h.traffic_rows(h.T0 + dt.timedelta(minutes=35), 1, segments=("R010",),
                              upd=dt.datetime(2026, 10, 1, 8, 20))
    sqlite_dept.insert("t_link_flow_5min", late + too_late)
    for _ in range(3):
        [report] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
        assert report.status == "ok"
    assert h.count(store, obs_traffic, obs_traffic.c.segment == "R009") == 1
    assert h.count(store, obs_traffic, obs_traffic.c.segment == "R010") == 0
    assert h.count(store, obs_traffic) == 37
    st = status_of(store, "traffic_detectors")
    assert st["watermark"] == "2026-10-01 08:56:00"  # re-reads never move it backwards


def test_batches_are_bounded_and_ties_larger_than_a_batch_are_not_lost(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(traffic_detectors={"batch_size": 4, "lookback": "0s"})
    same = dt.datetime(2026, 10, 1, 9, 0)
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 5)  # 15 distinct-ish stamps
                       + h.traffic_rows(h.T0 + dt.timedelta(hours=1), 4, upd=same))  # 12 rows, one stamp
    statements: list[tuple[str, object]] = []
    with SourceEngines() as engines:
        source_engine = engines.get(settings.source("traffic_detectors"))
        sa.event.listen(source_engine, "before_cursor_execute",
                        lambda c, cur, stmt, params, ctx, many: statements.append((stmt, params)))
        [report] = connectors.poll(settings, store, ["traffic_detectors"], now=NOW, engines=engines)
    assert report.rows_read == 27 and h.count(store, obs_traffic) == 27
    reads = [s for s, _ in statements if "ORDER BY" in s]
    assert reads and all("t_link_flow_5min.upd_time >" in s or "IS NOT NULL" in s for s in reads)
    # the watermark is bound, never pasted into the SQL
    assert not any("2026-10-01" in s for s, _ in statements)
    assert any("2026-10-01" in str(p) for _, p in statements)


def test_status_keeps_last_poll_and_cumulative_counts(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(traffic_detectors={"lookback": "0s"})
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 2))
    connectors.poll(settings, store, ["traffic_detectors"], now=NOW)
    # unknown segments: what identifies the rows is bad, so they are quarantined whole
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0 + dt.timedelta(hours=2), 1, segments=("X1", "X2", "X3")))
    later = NOW + dt.timedelta(minutes=1)
    connectors.poll(settings, store, ["traffic_detectors"], now=later)
    st = status_of(store, "traffic_detectors")
    assert (st["rows_read_last"], st["rows_written_last"], st["rows_quarantined_last"]) == (3, 0, 3)
    assert (st["rows_read_total"], st["rows_written_total"], st["rows_quarantined_total"]) == (9, 6, 3)
    assert st["status"] == "ok" and st["last_attempt"] == later and st["last_success"] == later
    assert st["data_time"] == dt.datetime(2026, 10, 1, 0, 5, tzinfo=UTC)
    assert st["last_error"] is None


def test_source_timezone_is_the_sources_own(store, sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings(traffic_detectors={"timezone": "Europe/Berlin"})
    sqlite_dept.insert("t_link_flow_5min", [
        *h.traffic_rows(dt.datetime(2026, 7, 1, 12, 0), 1, segments=("R001",)),  # CEST, UTC+2
        *h.traffic_rows(dt.datetime(2026, 12, 1, 12, 0), 1, segments=("R001",)),  # CET, UTC+1
    ])
    connectors.poll(settings, store, ["traffic_detectors"], now=dt.datetime(2027, 1, 1, tzinfo=UTC))
    times = sorted(r["time"] for r in h.rows_of(store, obs_traffic))
    assert times == [dt.datetime(2026, 7, 1, 10, 0, tzinfo=UTC), dt.datetime(2026, 12, 1, 11, 0, tzinfo=UTC)]


def test_unknown_source_name_is_a_config_error(store, sqlite_settings):
    from citybrain.errors import ConfigError

    with pytest.raises(ConfigError, match="no source named 'nope'"):
        connectors.poll(sqlite_settings(), store, ["nope"])


def test_source_is_opened_read_only(sqlite_dept, sqlite_settings, h):
    settings = sqlite_settings()
    sqlite_dept.insert("t_link_flow_5min", h.traffic_rows(h.T0, 1))
    with SourceEngines() as engines:
        with engines.get(settings.source("traffic_detectors")).connect() as conn:
            with pytest.raises(sa.exc.OperationalError, match="readonly"):
                conn.execute(sa.text("DELETE FROM t_link_flow_5min"))
    assert h.count(sqlite_dept.engine, sqlite_dept.table("t_link_flow_5min")) == 3
