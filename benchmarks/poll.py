"""Benchmark: what a poll costs on a big department table, and how fast a backfill runs.

Builds a traffic detector table of ``--rows`` rows (default 10 M) in a throwaway
PostgreSQL database with ``generate_series`` (minutes for 10 M; ``--reuse`` keeps it for
the next run), then prints

1. the time to poll 1,000 new rows from it (the watermark predicate runs in PostgreSQL
   on the ``upd_time`` index, so this should not depend on the table size), and
2. bulk backfill rows per second into a fresh store, next to the time PostgreSQL itself
   takes to SELECT (fetch into Python) and COPY the same rows.

    python3 benchmarks/poll.py --rows 1000000 --backfill 200000

Never run from the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import connectors  # noqa: E402
from citybrain.settings import DEFAULT_CONFIG, load_settings  # noqa: E402
from connectors import status as status_rows  # noqa: E402
from store.engine import make_engine, upgrade  # noqa: E402
from store.schema import source_status  # noqa: E402

START = dt.datetime(2020, 1, 1)
SEGMENTS = 14  # R001..R014, the demo's known segments

BUILD = """
CREATE TABLE t_link_flow_5min AS
SELECT 'R' || lpad((i % {segs} + 1)::text, 3, '0') AS link_id,
       timestamp '2020-01-01' + (i / {segs}) * interval '5 minutes' AS collect_time,
       (30 + i % 40)::double precision AS avg_speed, (i % 300)::integer AS flow_cnt,
       10.0::double precision AS occ_rate,
       timestamp '2020-01-01' + (i / {segs}) * interval '5 minutes' + interval '1 minute' AS upd_time
FROM generate_series(0, {n} - 1) AS i
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                    help="an admin URL; the benchmark creates its own databases next to it")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows in the source table (default 10M)")
    ap.add_argument("--new", type=int, default=1000, help="new rows the incremental poll reads")
    ap.add_argument("--backfill", type=int, default=1_000_000, help="rows of the backfill measurement")
    ap.add_argument("--batch-size", type=int, default=50_000)
    ap.add_argument("--store", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--reuse", action="store_true", help="keep the source database and reuse it if it fits")
    args = ap.parse_args()

    admin_url = sa.engine.make_url(args.pg_url)
    source_url = admin_url.set(database="cb_bench_source").render_as_string(hide_password=False)
    store_db = "cb_bench_store"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    built = build_source(admin, source_url, args.rows, args.reuse)
    print(f"source table: {args.rows:,} rows ({'reused' if not built else f'built in {built:.1f}s'})")

    with tempfile.TemporaryDirectory() as tmp:
        store_url = fresh_store(admin, admin_url, store_db, args.store, Path(tmp))
        incremental(source_url, store_url, Path(tmp), args)
        store_url = fresh_store(admin, admin_url, store_db, args.store, Path(tmp))
        backfill(source_url, store_url, Path(tmp), args)
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS cb_bench_source WITH (FORCE)"))
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {store_db} WITH (FORCE)"))
    admin.dispose()


def build_source(admin: sa.Engine, source_url: str, rows: int, reuse: bool) -> float | None:
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = 'cb_bench_source'")).scalar()
    if exists and reuse:
        engine = sa.create_engine(source_url)
        with engine.connect() as conn:
            total = conn.execute(sa.text("SELECT count(*) FROM t_link_flow_5min")).scalar()
        engine.dispose()
        if total == rows:
            return None
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS cb_bench_source WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE cb_bench_source"))
    started = time.perf_counter()
    engine = sa.create_engine(source_url)
    with engine.begin() as conn:
        conn.execute(sa.text(BUILD.format(segs=SEGMENTS, n=int(rows))))
        conn.execute(sa.text("ALTER TABLE t_link_flow_5min ADD PRIMARY KEY (link_id, collect_time)"))
        conn.execute(sa.text("CREATE INDEX ix_t_link_flow_5min_upd_time ON t_link_flow_5min (upd_time)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE t_link_flow_5min"))
    engine.dispose()
    return time.perf_counter() - started


def fresh_store(admin: sa.Engine, admin_url, name: str, kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        path = tmp / f"store-{time.monotonic_ns()}.db"
        url = f"sqlite:///{path}"
    else:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def settings_for(source: dict, tmp: Path):
    import tomllib

    raw = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    [base] = [s for s in raw["sources"] if s["name"] == "traffic_detectors"]
    return load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp / "var", sources=[{**base, **source}])


def incremental(source_url: str, store_url: str, tmp: Path, args: argparse.Namespace) -> None:
    engine = sa.create_engine(source_url)
    with engine.connect() as conn:
        newest = conn.execute(sa.text("SELECT max(upd_time) FROM t_link_flow_5min")).scalar()
    store = make_engine(store_url)
    for lookback in ("0s", "30m"):
        settings = settings_for({"url": source_url, "lookback": lookback, "batch_size": args.batch_size}, tmp)
        source = settings.source("traffic_detectors")
        # a store that is caught up with the table ...
        with store.begin() as conn:
            status_rows.ensure(conn, source, dt.datetime.now(dt.timezone.utc))
            conn.execute(sa.update(source_status).values(watermark=newest.isoformat(sep=" ")))
        # ... and 1,000 new rows at the source (removed again afterwards)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO t_link_flow_5min SELECT 'R' || lpad((i % 14 + 1)::text, 3, '0'), "
                ":t + (i / 14 + 1) * interval '5 minutes', 50, 10, 5.0, :t + (i / 14 + 1) * interval '5 minutes' "
                "FROM generate_series(0, :n - 1) AS i"), {"t": newest, "n": args.new})
        try:
            with connectors.SourceEngines() as engines:
                connectors.poll(settings, store, ["traffic_detectors"], engines=engines)  # warm the pool
                with store.begin() as conn:
                    conn.execute(sa.update(source_status).values(watermark=newest.isoformat(sep=" ")))
                started = time.perf_counter()
                [report] = connectors.poll(settings, store, ["traffic_detectors"], engines=engines)
                took = time.perf_counter() - started
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM t_link_flow_5min WHERE upd_time > :t"), {"t": newest})
        assert report.status == "ok", report.error
        print(f"incremental poll, lookback {lookback:>3}: {report.rows_read:,} rows read "
              f"({args.new:,} new) from a {args.rows:,}-row table in {took * 1000:.0f} ms")
    store.dispose()
    engine.dispose()


def backfill(source_url: str, store_url: str, tmp: Path, args: argparse.Namespace) -> None:
    n = min(args.backfill, args.rows)
    cutoff = START + dt.timedelta(minutes=5 * (n // SEGMENTS - 1) + 1)
    query = f"SELECT * FROM t_link_flow_5min WHERE upd_time <= TIMESTAMP '{cutoff.isoformat(sep=' ')}'"
    settings = settings_for({"url": source_url, "table": None, "query": query, "batch_size": args.batch_size}, tmp)
    store = make_engine(store_url)
    started = time.perf_counter()
    [report] = connectors.poll(settings, store, ["traffic_detectors"])
    took = time.perf_counter() - started
    assert report.status == "ok", report.error
    store.dispose()
    select_s, copy_s = postgres_baseline(source_url, query)
    rows = report.rows_written
    print(f"backfill into a {args.store} store: {rows:,} rows in {took:.1f}s = {rows / took:,.0f} rows/s "
          f"(batch {args.batch_size:,})")
    print(f"  PostgreSQL alone, same rows: SELECT+fetch {select_s:.2f}s ({rows / select_s:,.0f} rows/s), "
          f"COPY TO STDOUT {copy_s:.2f}s ({rows / copy_s:,.0f} rows/s)")


def postgres_baseline(source_url: str, query: str) -> tuple[float, float]:
    import psycopg

    dsn = sa.engine.make_url(source_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(query + " ORDER BY upd_time")
            while cur.fetchmany(50_000):
                pass
        select_s = time.perf_counter() - started
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY ({query} ORDER BY upd_time) TO STDOUT") as copy:
            for _ in copy:
                pass
        copy_s = time.perf_counter() - started
    return select_s, copy_s


if __name__ == "__main__":
    main()
