"""Retention deletes exactly the rows older than each kind's cutoff (whole months on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from jobs import retention
from store import partitions
from store.engine import make_engine, upgrade
from store.schema import (audit_log, field_issues, indicators, job_runs, obs_hotline, obs_traffic, quarantine,
                          rollup_hourly)
from store.upsert import upsert

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
AGES = [0, 5, 29, 30.5, 31, 45, 70, 100, 200, 800]  # days before NOW; the cutoffs fall between


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":  # months back to the oldest row, as a long-running store has
        with engine.begin() as conn:
            for month in partitions.months(NOW - dt.timedelta(days=max(AGES)), NOW):
                partitions.ensure_month(conn, "obs_traffic", month)
    yield engine
    engine.dispose()


def fill(engine: sa.Engine) -> None:
    stamps = [NOW - dt.timedelta(days=a) for a in AGES]
    with engine.begin() as conn:
        upsert(conn, obs_traffic, [{"segment": "S1", "time": t, "speed": 30.0, "volume": 1.0, "occupancy": None,
                                    "source": "t", "source_updated_at": t, "ingested_at": t} for t in stamps])
        upsert(conn, obs_hotline, [{"ticket": f"T{i}", "created_at": t, "category": "c", "district": "d", "source": "h",
                                    "ingested_at": t} for i, t in enumerate(stamps)])
        upsert(conn, rollup_hourly, [{"metric": "traffic.speed", "entity": "S1", "time": t, "n": 1, "value_sum": 1.0,
                                      "updated_at": t} for t in stamps])
        for grain in ("hour", "month"):
            upsert(conn, indicators, [{"name": "x", "grain": grain, "scope_kind": "city", "scope": "", "time": t,
                                       "value": 1.0, "computed_at": t} for t in stamps])
        conn.execute(sa.insert(quarantine), [{"source": "t", "domain": "traffic", "received_at": t, "reason": "r",
                                              "row": {}, "fingerprint": str(i)} for i, t in enumerate(stamps)])
        conn.execute(sa.insert(field_issues), [{"source": "t", "row_key": f"S1|{i}", "field": "speed", "domain": "traffic",
                                                "time": t, "rule": "missing", "value": "NA", "reason": "r",
                                                "received_at": t} for i, t in enumerate(stamps)])
        conn.execute(sa.insert(audit_log), [{"at": t, "actor": "a", "action": "x"} for t in stamps])
        conn.execute(sa.insert(job_runs), [{"job": "j", "started_at": t, "status": s} for t in stamps
                                           for s in ("ok", "running")])


def count(engine: sa.Engine, table: sa.Table, column: str, older_than: float | None = None, **where) -> int:
    q = sa.select(sa.func.count()).select_from(table)
    if older_than is not None:
        q = q.where(table.c[column] < NOW - dt.timedelta(days=older_than))
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with engine.connect() as conn:
        return conn.execute(q).scalar_one()


def test_each_kind_keeps_exactly_its_days_and_zero_keeps_forever(store, settings_factory):
    settings = settings_factory(retention={"observations": 30, "hourly_rollups": 0, "indicators": 60,
                                           "quarantine": 45, "job_runs": 7, "audit_log": 180})
    fill(store)
    counts = retention.run(settings, store, now=NOW)
    older = lambda days: sum(1 for a in AGES if a > days)  # noqa: E731
    assert counts["obs_traffic"] == counts["obs_hotline"] == older(30) == 7
    assert "rollup_hourly" not in counts and count(store, rollup_hourly, "time") == len(AGES)  # 0: forever
    assert counts["indicators"] == older(60)  # hourly and daily only: monthly statistics stay
    assert count(store, indicators, "time", grain="month") == len(AGES)
    assert counts["quarantine"] == older(45) and counts["audit_log"] == older(180)
    assert counts["field_issues"] == older(45)  # a field's problem is kept as long as a quarantined row
    assert counts["job_runs"] == older(7)  # a run still marked running is never removed
    assert count(store, job_runs, "started_at", 7, status="running") == older(7)
    for table, column in ((obs_traffic, "time"), (obs_hotline, "created_at")):
        assert count(store, table, column, 30) == 0
        assert count(store, table, column) == len(AGES) - 7
    with store.connect() as conn:
        run = conn.execute(sa.select(job_runs).where(job_runs.c.job == "retention")).one()
    assert run.status == "ok" and run.rows == sum(counts.values())
    assert sum(retention.run(settings, store, now=NOW).values()) == 0  # a second run finds nothing


def test_postgresql_drops_whole_old_months(pg_url, settings_factory):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        for month in partitions.months(NOW - dt.timedelta(days=max(AGES)), NOW):
            partitions.ensure_month(conn, "obs_traffic", month)
    fill(engine)
    settings = settings_factory(retention={"observations": 30})
    counts = retention.apply(settings, engine, now=NOW)
    assert counts["obs_traffic"] == 7
    with engine.connect() as conn:
        months = sorted(m for m in partitions.partitions(conn, "obs_traffic").values() if m is not None)
    # 2026-10-22 is the cutoff: October's partition straddles it and stays (its older rows deleted)
    assert months[0] == dt.datetime(2026, 10, 1, tzinfo=UTC)
    engine.dispose()


def test_daily_maintenance_catches_up_rollups_then_expires(store, settings_factory):
    settings = settings_factory()
    fill(store)
    older = lambda days: sum(1 for a in AGES if a > days)  # noqa: E731
    # the defaults: observations 400 days (two tables), quarantine 180 (rows and field issues), job runs 30,
    # audit log 730
    expected = 2 * older(400) + 2 * older(180) + older(30) + older(730)
    assert retention.store_maintenance(settings, store, {}, now=NOW) == expected == 14
    with store.connect() as conn:  # the hotline had no rollups: built before its old tickets expired
        built = conn.execute(sa.select(sa.func.sum(rollup_hourly.c.n)).where(
            rollup_hourly.c.metric == "hotline.tickets")).scalar_one()
        assert built == len(AGES)
        if store.dialect.name == "postgresql":
            ahead = partitions.add_months(partitions.month_start(NOW), partitions.AHEAD)
            assert partitions.partition_name("obs_hotline", ahead) in partitions.partitions(conn, "obs_hotline")
