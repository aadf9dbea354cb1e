"""The COPY-staging backfill path on a PostgreSQL store behaves exactly like the upsert.

Issue 10: large batches are COPYed into a temporary staging table and merged with one
``INSERT … SELECT … ON CONFLICT``. These tests write the same rows both ways and compare
the stored tables, including the "never let an older version win" guard, statistics
revisions, naive datetimes refused, and a partitioned target table.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from connectors import writer
from store.engine import make_engine, upgrade
from store.schema import obs_economy, obs_economy_revisions, obs_hotline, obs_traffic

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 10, 1, tzinfo=UTC)
NOW = dt.datetime(2026, 10, 2, tzinfo=UTC)


def traffic_rows(n: int, *, speed: float, updated: dt.datetime | None) -> list[dict]:
    return [{"segment": f"R{i % 7:03d}", "time": T0 + dt.timedelta(minutes=5 * (i // 7)), "speed": speed + i % 3,
             "volume": float(i), "occupancy": None, "source": "t", "source_updated_at": updated,
             "ingested_at": NOW} for i in range(n)]


@pytest.fixture
def pg_store(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def table_rows(engine, table) -> list[tuple]:
    keys = list(table.primary_key.columns)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(*keys))]


def test_copy_path_stores_what_the_upsert_stores(pg_store):
    newer, older = T0 + dt.timedelta(hours=2), T0 + dt.timedelta(hours=1)
    first = traffic_rows(5000, speed=40, updated=newer)
    second = traffic_rows(5000, speed=10, updated=older)  # an old version re-read: must not win
    second += [{**r, "time": r["time"] + dt.timedelta(days=30), "speed": 99.0} for r in second[:50]]  # new keys
    with pg_store.begin() as conn:
        assert writer.upsert(conn, obs_traffic, first, copy_min_rows=10**9) == 5000  # plain upsert
        writer.upsert(conn, obs_traffic, second, copy_min_rows=10**9)
    expected = table_rows(pg_store, obs_traffic)
    with pg_store.begin() as conn:
        conn.execute(sa.delete(obs_traffic))
    with pg_store.begin() as conn:
        assert writer.upsert(conn, obs_traffic, first, copy_min_rows=1) == 5000  # COPY staging
        writer.upsert(conn, obs_traffic, second, copy_min_rows=1)
        # and the same table again in the same transaction: the staging table is reusable
        writer.upsert(conn, obs_traffic, second[:100], copy_min_rows=1)
    got = table_rows(pg_store, obs_traffic)
    assert got == expected
    assert len(got) == 5050
    assert {r[2] for r in got if r[1] < T0 + dt.timedelta(days=30)} == {40.0, 41.0, 42.0}  # the newer version kept


def test_a_newer_version_replaces_through_copy(pg_store):
    with pg_store.begin() as conn:
        writer.upsert(conn, obs_traffic, traffic_rows(3000, speed=10, updated=T0), copy_min_rows=1)
        writer.upsert(conn, obs_traffic, traffic_rows(3000, speed=50, updated=T0 + dt.timedelta(hours=1)),
                      copy_min_rows=1)
    speeds = {r[2] for r in table_rows(pg_store, obs_traffic)}
    assert speeds == {50.0, 51.0, 52.0}


def test_statistics_revisions_through_copy(pg_store, monkeypatch):
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    base = {"indicator": "GDP", "district": "411000", "freq": "month", "unit": "亿元", "source": "s",
            "ingested_at": NOW}
    rows = [{**base, "period": f"2025-{m:02d}", "period_start": dt.date(2025, m, 1), "value": 100.0 + m,
             "revision": rev, "source_updated_at": T0 + dt.timedelta(days=rev)} for m in range(1, 13) for rev in (1, 2)]
    with pg_store.begin() as conn:
        writer.write_observations(conn, "economy", rows)
        # a late re-read of revision 1 must not replace revision 2
        writer.write_observations(conn, "economy", [r for r in rows if r["revision"] == 1])
    assert len(table_rows(pg_store, obs_economy_revisions)) == 24
    assert {r[7] for r in table_rows(pg_store, obs_economy)} == {2}


def test_naive_datetimes_are_refused_on_the_copy_path_too(pg_store):
    rows = traffic_rows(10, speed=1, updated=None)
    rows[3]["time"] = rows[3]["time"].replace(tzinfo=None)
    with pg_store.begin() as conn, pytest.raises(ValueError, match="naive datetime"):
        writer.upsert(conn, obs_traffic, rows, copy_min_rows=1)


def test_nulls_booleans_and_text_survive_copy(pg_url):
    # the table as the schema defines it now (its key may be ahead of the migrations)
    pg_store = sa.create_engine(pg_url)
    hotline = sa.Table("obs_hotline", sa.MetaData(), *[c._copy() for c in obs_hotline.columns])
    hotline.metadata.create_all(pg_store)
    rows = [{"ticket": f"T{i}", "created_at": T0, "category": "交通出行\t\\ \"q\"", "district": "411002",
             "channel": None if i % 2 else "phone", "answered": bool(i % 3), "wait_seconds": None,
             "due_at": None, "closed_at": T0 + dt.timedelta(hours=i), "satisfaction": None, "status": "40",
             "updated_at": T0, "source": "h", "source_updated_at": T0, "ingested_at": NOW} for i in range(50)]
    with pg_store.begin() as conn:
        writer.upsert(conn, hotline, rows, copy_min_rows=1)
        writer.upsert(conn, hotline, rows[:5], copy_min_rows=1)
    got = table_rows(pg_store, hotline)
    pg_store.dispose()
    assert len(got) == 50
    by_ticket = {r[0]: r for r in got}
    assert by_ticket["T1"][2] == "交通出行\t\\ \"q\""
    assert by_ticket["T1"][4] is None and by_ticket["T2"][4] == "phone"
    assert by_ticket["T3"][5] is False and by_ticket["T4"][5] is True
    assert by_ticket["T5"][8] == T0 + dt.timedelta(hours=5)


def test_copy_path_into_a_partitioned_table(pg_url):
    """The schema may partition observations by month: staging is LIKE the columns only."""
    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    part = sa.Table("obs_traffic", md, *[c._copy() for c in obs_traffic.columns],
                    postgresql_partition_by="RANGE (time)")
    md.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE obs_traffic_2026_10 PARTITION OF obs_traffic "
                             "FOR VALUES FROM ('2026-10-01') TO ('2026-11-01')")
        conn.exec_driver_sql("CREATE TABLE obs_traffic_2026_11 PARTITION OF obs_traffic "
                             "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')")
    rows = traffic_rows(4000, speed=30, updated=T0)
    rows += [{**r, "time": r["time"] + dt.timedelta(days=31)} for r in rows[:70]]
    with engine.begin() as conn:
        writer.upsert(conn, part, rows, copy_min_rows=1)
        writer.upsert(conn, part, traffic_rows(4000, speed=60, updated=T0 + dt.timedelta(hours=1)), copy_min_rows=1)
    with engine.connect() as conn:
        counts = dict(conn.exec_driver_sql(
            "SELECT tableoid::regclass::text, count(*) FROM obs_traffic GROUP BY 1").all())
        speeds = set(conn.execute(sa.select(part.c.speed).where(part.c.time < dt.datetime(2026, 11, 1, tzinfo=UTC)))
                     .scalars())
    assert counts == {"obs_traffic_2026_10": 4000, "obs_traffic_2026_11": 70}
    assert speeds == {60.0, 61.0, 62.0}
    engine.dispose()


def test_a_mapped_batch_goes_to_copy_as_tuples_and_stores_what_its_dicts_store(pg_store, tmp_path):
    """A clean time-series batch keeps its rows as tuples for COPY (issue 10): same table."""
    from citybrain.settings import DEFAULT_CONFIG, load_settings
    from connectors.mapping import Mapper

    settings = load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp_path / "var")
    source = settings.source("traffic_detectors")
    segments = [s.code for s in settings.segments]
    local = dt.datetime(2026, 10, 1, 8, 0)
    raws = [{"link_id": seg, "collect_time": local + dt.timedelta(minutes=5 * i), "avg_speed": 20.0 + i % 40,
             "flow_cnt": i, "occ_rate": None if i % 5 else 3.5, "upd_time": local + dt.timedelta(minutes=5 * i + 1)}
            for i in range(3000 // len(segments) + 1) for seg in segments]
    batch = Mapper(settings, source, segments).map_batch(raws, NOW)
    assert batch.tuples is not None and len(batch.tuples) >= writer.COPY_MIN_ROWS
    with pg_store.begin() as conn:
        assert writer.write_observations(conn, "traffic", batch) == len(raws)
    through_tuples = table_rows(pg_store, obs_traffic)
    with pg_store.begin() as conn:
        conn.execute(sa.delete(obs_traffic))
    with pg_store.begin() as conn:
        writer.upsert(conn, obs_traffic, batch.rows, copy_min_rows=10**9)  # the plain upsert of the dicts
    assert table_rows(pg_store, obs_traffic) == through_tuples and len(through_tuples) == len(raws)


def _mapped(tmp_path, speed: float, updated_min: int, days: int = 0):
    from citybrain.settings import DEFAULT_CONFIG, load_settings
    from connectors.mapping import Mapper

    settings = load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp_path / "var")
    segments = [s.code for s in settings.segments]
    local = dt.datetime(2026, 10, 1, 8, 0) + dt.timedelta(days=days)
    raws = [{"link_id": seg, "collect_time": local + dt.timedelta(minutes=5 * i), "avg_speed": speed,
             "flow_cnt": i, "occ_rate": 1.0, "upd_time": local + dt.timedelta(minutes=updated_min)}
            for i in range(40) for seg in segments]
    return Mapper(settings, settings.source("traffic_detectors"), segments).map_batch(raws, NOW)


def _targets(monkeypatch) -> list[str]:
    seen: list[str] = []
    copy_in = writer._copy_in
    monkeypatch.setattr(writer, "_copy_in", lambda conn, target, *a: (seen.append(target), copy_in(conn, target, *a)))
    return seen


def test_a_batch_into_an_empty_span_is_copied_straight_in_and_an_overlapping_one_merged(pg_store, tmp_path,
                                                                                      monkeypatch):
    seen = _targets(monkeypatch)
    newer, older = _mapped(tmp_path, 50.0, 10), _mapped(tmp_path, 10.0, 5)
    with pg_store.begin() as conn:
        writer.write_observations(conn, "traffic", newer)
    with pg_store.begin() as conn:
        writer.write_observations(conn, "traffic", older)  # same keys, an older version: must not win
    assert seen == ["obs_traffic", "cb_stage_obs_traffic"]
    assert {r[2] for r in table_rows(pg_store, obs_traffic)} == {50.0}
    with pg_store.begin() as conn:
        conn.execute(sa.delete(obs_traffic))
        writer.upsert(conn, obs_traffic, newer.rows, copy_min_rows=10**9)
        writer.upsert(conn, obs_traffic, older.rows, copy_min_rows=10**9)
    assert {r[2] for r in table_rows(pg_store, obs_traffic)} == {50.0}


def test_a_key_stored_meanwhile_rolls_the_straight_copy_back_and_merges(pg_store, tmp_path, monkeypatch):
    seen = _targets(monkeypatch)
    newer, older = _mapped(tmp_path, 50.0, 10), _mapped(tmp_path, 10.0, 5)
    with pg_store.begin() as conn:
        writer.upsert(conn, obs_traffic, newer.rows[:7], copy_min_rows=10**9)
    # as if another writer stored those 7 keys after the span was found empty
    span = writer._key_time_span
    monkeypatch.setattr(writer, "_key_time_span", lambda table, names, values: (
        lambda c, lo, hi: (c, lo + dt.timedelta(days=365), hi + dt.timedelta(days=365)))(*span(table, names, values)))
    with pg_store.begin() as conn:
        writer.write_observations(conn, "traffic", older)
    assert seen == ["obs_traffic", "cb_stage_obs_traffic"]
    speeds = [r[2] for r in table_rows(pg_store, obs_traffic)]
    assert len(speeds) == len(older.rows) and speeds.count(50.0) == 7 and speeds.count(10.0) == len(speeds) - 7
