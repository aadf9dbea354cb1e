"""Monthly partitions of the observation tables on PostgreSQL (store/partitions.py, migration 0006)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import partitions as parts
from store.engine import make_engine, upgrade
from store.schema import metadata, obs_air, obs_hotline, obs_tourism, obs_traffic
from store.upsert import upsert

pytestmark = pytest.mark.postgres
UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC)
THIS_MONTH = parts.month_start(NOW)


def traffic(segment: str, t: dt.datetime, speed: float = 40.0) -> dict:
    return {"segment": segment, "time": t, "speed": speed, "volume": 10.0, "occupancy": 5.0, "source": "t",
            "source_updated_at": t, "ingested_at": dt.datetime.now(UTC)}


def ticket(n: int, t: dt.datetime, closed: dt.datetime | None = None) -> dict:
    return {"ticket": f"T{n}", "created_at": t, "category": "噪声", "district": "411002", "channel": "phone",
            "answered": True, "wait_seconds": 3.0, "due_at": t + dt.timedelta(days=3), "closed_at": closed,
            "satisfaction": None, "status": "closed" if closed else "open", "updated_at": closed or t, "source": "h",
            "source_updated_at": closed or t, "ingested_at": dt.datetime.now(UTC)}


def air(station: str, t: dt.datetime) -> dict:
    return {"station": station, "time": t, "pm25": 35.0, "pm10": 60.0, "so2": 5.0, "no2": 20.0, "co": 0.6, "o3": 80.0,
            "source": "a", "source_updated_at": t, "ingested_at": dt.datetime.now(UTC)}


def site(code: str, t: dt.datetime) -> dict:
    return {"site": code, "time": t, "present": 100, "entries": 7, "exits": 5, "source": "s", "source_updated_at": t,
            "ingested_at": dt.datetime.now(UTC)}


def where_rows_are(engine: sa.Engine, table: str) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1").all())


def test_a_fresh_store_is_partitioned_and_every_write_finds_a_partition(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        for name in parts.PARTITIONED:
            assert parts.is_partitioned(conn, name)
            months = {m for m in parts.partitions(conn, name).values()}
            assert months == {None} | {parts.add_months(THIS_MONTH, k) for k in range(parts.AHEAD + 1)}
        upsert(conn, obs_traffic, [traffic("S1", NOW), traffic("S1", dt.datetime(2019, 5, 1, 8, tzinfo=UTC))])
    assert where_rows_are(engine, "obs_traffic") == {f"obs_traffic_p{NOW:%Y%m}": 1, "obs_traffic_default": 1}
    # upsert on the partitioned table: ON CONFLICT on the key (which holds the partition key)
    with engine.begin() as conn:
        upsert(conn, obs_traffic, [traffic("S1", NOW, speed=12.5)])
        upsert(conn, obs_hotline, [ticket(1, NOW)])
        upsert(conn, obs_hotline, [ticket(1, NOW, closed=NOW + dt.timedelta(hours=2))])
    with engine.connect() as conn:
        assert conn.execute(sa.select(obs_traffic.c.speed).where(obs_traffic.c.time == NOW)).scalar_one() == 12.5
        assert conn.execute(sa.select(sa.func.count()).select_from(obs_traffic)).scalar_one() == 2
        assert conn.execute(sa.select(obs_hotline.c.status)).scalars().all() == ["closed"]
    engine.dispose()


def test_a_new_month_takes_its_rows_out_of_the_default_partition(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    later = parts.add_months(THIS_MONTH, 5) + dt.timedelta(days=3)
    with engine.begin() as conn:
        upsert(conn, obs_traffic, [traffic("S1", later), traffic("S2", later)])
    assert where_rows_are(engine, "obs_traffic") == {"obs_traffic_default": 2}
    with engine.begin() as conn:
        created = parts.ensure_partitions(conn, now=later, ahead=0)
        assert parts.ensure_partitions(conn, now=later, ahead=0) == []  # idempotent
    assert created == [parts.partition_name(n, parts.month_start(later)) for n in parts.PARTITIONED]
    assert where_rows_are(engine, "obs_traffic") == {f"obs_traffic_p{later:%Y%m}": 2}
    engine.dispose()


def test_converting_a_store_with_data_loses_nothing_while_a_writer_keeps_writing(pg_url):
    upgrade(pg_url, "0005")  # plain tables, as every store before issue 11
    engine = make_engine(pg_url)
    start = parts.add_months(THIS_MONTH, -3)
    times = [start + dt.timedelta(minutes=30 * i) for i in range(4 * 31 * 48) if start + dt.timedelta(minutes=30 * i) < NOW]
    with engine.begin() as conn:
        conn.execute(sa.insert(obs_traffic), [traffic(f"S{k}", t, speed=float(i % 80)) for i, t in enumerate(times)
                                              for k in range(3)])
        conn.execute(sa.insert(obs_hotline), [ticket(i, t) for i, t in enumerate(times[::7])])
        conn.execute(sa.insert(obs_air), [air("A1", t) for t in times[::2]])
        conn.execute(sa.insert(obs_tourism), [site("X1", t) for t in times])
    before = {t.name: _rows(engine, t) for t in (obs_traffic, obs_hotline, obs_air, obs_tourism)}

    written: list[dict] = []
    stop = threading.Event()
    revised = times[0]  # a reading the department keeps correcting while the migration runs

    def writer() -> None:  # a poll job writing new readings (and one revision) throughout the migration
        w = make_engine(pg_url)
        i = 0
        while not stop.is_set() or i < 20:
            row = traffic("LIVE", NOW + dt.timedelta(minutes=i))
            with w.begin() as conn:
                upsert(conn, obs_traffic, [row, traffic("S0", revised, speed=1000.0 + i)])
            written.append(row)
            i += 1
        w.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        upgrade(pg_url)
    finally:
        stop.set()
        thread.join(60)
    after = {t.name: _rows(engine, t) for t in (obs_traffic, obs_hotline, obs_air, obs_tourism)}
    live = {r for r in after["obs_traffic"] if r[0] == "LIVE"}
    assert len(live) == len(written) >= 20
    after["obs_traffic"] = [r for r in after["obs_traffic"] if r[0] != "LIVE"]
    [fixed] = [i for i, r in enumerate(after["obs_traffic"]) if r[:2] == ("S0", revised)]
    assert after["obs_traffic"][fixed][2] == 1000.0 + len(written) - 1  # the last revision won
    before["obs_traffic"][fixed] = after["obs_traffic"][fixed]
    assert after == before
    counts = where_rows_are(engine, "obs_traffic")
    assert "obs_traffic__old" not in str(counts) and sum(counts.values()) == len(before["obs_traffic"]) + len(live)
    assert counts[f"obs_traffic_p{start:%Y%m}"] == 3 * sum(1 for t in times if parts.month_start(t) == start)
    with engine.connect() as conn:
        for name in parts.PARTITIONED:
            assert parts.is_partitioned(conn, name)
        assert sa.inspect(conn).get_pk_constraint("obs_hotline")["constrained_columns"] == ["ticket", "created_at"]
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                       "include_name": parts.include_name}), metadata)
    assert diff == []
    engine.dispose()


def _rows(engine: sa.Engine, table: sa.Table) -> list[tuple]:
    # implausible: added by 0012, after the revision the conversion test starts from
    keep = [c for c in table.columns if c.name not in ("ingested_at", "implausible")]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(*keep).order_by(*table.primary_key.columns))]


def test_dropping_old_partitions_counts_their_rows(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    old = parts.add_months(THIS_MONTH, -4)
    with engine.begin() as conn:
        for k in range(4):
            parts.ensure_month(conn, "obs_traffic", parts.add_months(old, k))
        upsert(conn, obs_traffic, [traffic("S1", parts.add_months(old, k) + dt.timedelta(hours=h))
                                   for k in range(4) for h in range(5)])
    with engine.begin() as conn:
        dropped = parts.drop_before(conn, "obs_traffic", parts.add_months(old, 2) + dt.timedelta(days=3))
    assert dropped == {parts.partition_name("obs_traffic", old): 5,
                       parts.partition_name("obs_traffic", parts.add_months(old, 1)): 5}
    with engine.connect() as conn:
        assert parts.partition_name("obs_traffic", old) not in parts.partitions(conn, "obs_traffic")
        assert conn.execute(sa.select(sa.func.count()).select_from(obs_traffic)).scalar_one() == 10
    engine.dispose()
