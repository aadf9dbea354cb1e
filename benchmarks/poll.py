"""Benchmark: what a poll costs on the 52 M-row traffic table, and how fast a backfill runs.

Reads the benchmark city-year (``benchmarks/dataset.py``, database ``cb_bench_source``,
built on first use and kept) and measures

1. an incremental poll: the 1,000 newest rows of the year-long ``t_link_flow_5min``, the
   store's watermark set just before them (the watermark predicate runs at the source on
   the ``upd_time`` index, so this must not depend on the table size; the source is only
   read, never written) — target ≤ 100 ms;
2. a bulk backfill of ``--backfill`` rows into a fresh PostgreSQL store, end to end
   (read, map, validate, write) — target ≥ 300 K rows/s — next to the physical limit in
   the same run: PostgreSQL alone SELECTing the same rows into Python, and COPYing them
   out and into a table (an unindexed temporary one, and the store's own ``obs_traffic``).

    python3 benchmarks/poll.py [--backfill 2000000] [--json out.json] [--source-db cb_ing_source]

Never run from the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import connectors  # noqa: E402
import dataset  # noqa: E402
from citybrain.settings import load_settings  # noqa: E402
from connectors import status as status_rows  # noqa: E402
from store.engine import make_engine, upgrade  # noqa: E402
from store.schema import source_status  # noqa: E402

STORE_DB = "cb_ing_poll_store"


def fresh_store(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = dataset.source_url(admin_url, name)
    upgrade(url)
    return url


def drop(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def incremental(settings: Any, source_url: str, store_url: str, new: int) -> dict[str, Any]:
    """Poll the ``new`` newest rows of the big table; the store is caught up to just before them.

    Read only: the store's watermark is set to the ``upd_time`` just older than the newest
    ``new`` rows, so the poll reads exactly what a poll after ``new`` appended rows reads.
    """
    engine = sa.create_engine(source_url)
    with engine.connect() as conn:
        before = conn.execute(sa.text(
            "SELECT upd_time FROM t_link_flow_5min ORDER BY upd_time DESC OFFSET :n LIMIT 1"), {"n": new}).scalar()
        fresh = conn.execute(sa.text("SELECT count(*) FROM t_link_flow_5min WHERE upd_time > :t"),
                             {"t": before}).scalar()
        total = conn.execute(sa.text("SELECT reltuples::bigint FROM pg_class WHERE relname = 't_link_flow_5min'")).scalar()
    engine.dispose()
    store = make_engine(store_url)
    source = settings.source("traffic_detectors")
    out: dict[str, Any] = {"table_rows": total, "new_rows": fresh}
    try:
        with connectors.SourceEngines() as engines:
            for label, lookback in (("0s", dt.timedelta(0)), ("30m", source.lookback)):
                src = source.model_copy(update={"lookback": lookback})
                cfg = settings.model_copy(update={"sources": [src]})
                timings = []
                for _ in range(7):
                    with store.begin() as conn:
                        status_rows.ensure(conn, src, dt.datetime.now(dt.timezone.utc))
                        conn.execute(sa.update(source_status).values(watermark=before.isoformat(sep=" ")))
                    started = time.perf_counter()
                    [report] = connectors.poll(cfg, store, ["traffic_detectors"], engines=engines)
                    timings.append(time.perf_counter() - started)
                    assert report.status == "ok", report.error
                timings.sort()
                median = timings[len(timings) // 2]
                out[f"lookback_{label}"] = {"rows_read": report.rows_read, "ms_median": median * 1000,
                                            "ms_best": timings[0] * 1000}
                print(f"incremental poll, lookback {label:>3}: {report.rows_read:,} rows read ({fresh:,} new) "
                      f"from a {total:,}-row table: median {median * 1000:.0f} ms (best {timings[0] * 1000:.0f})")
    finally:
        store.dispose()
    return out


def backfill(settings: Any, source_url: str, store_url: str, rows: int, batch: int) -> dict[str, Any]:
    """Backfill the first ``rows`` rows (in watermark order) into an empty store."""
    engine = sa.create_engine(source_url)
    with engine.connect() as conn:
        cutoff = conn.execute(sa.text(
            "SELECT upd_time FROM t_link_flow_5min ORDER BY upd_time OFFSET :n LIMIT 1"), {"n": rows}).scalar()
    engine.dispose()
    query = f"SELECT * FROM t_link_flow_5min WHERE upd_time < TIMESTAMP '{cutoff.isoformat(sep=' ')}'"
    src = settings.source("traffic_detectors").model_copy(update={"table": None, "query": query, "batch_size": batch})
    cfg = settings.model_copy(update={"sources": [src]})
    store = make_engine(store_url)
    started = time.perf_counter()
    [report] = connectors.poll(cfg, store, ["traffic_detectors"])
    took = time.perf_counter() - started
    store.dispose()
    assert report.status == "ok", report.error
    n = report.rows_written
    limit = postgres_baseline(source_url, store_url, query)
    print(f"backfill into a PostgreSQL store: {n:,} rows in {took:.1f}s = {n / took:,.0f} rows/s (batch {batch:,})")
    print(f"  PostgreSQL alone, same rows: SELECT+fetch {n / limit['select_s']:,.0f} rows/s, "
          f"COPY out {n / limit['copy_out_s']:,.0f} rows/s, COPY out+in (unindexed temp table) "
          f"{n / limit['copy_through_s']:,.0f} rows/s, COPY out+in (the store's obs_traffic) "
          f"{n / limit['copy_into_store_s']:,.0f} rows/s")
    return {"rows": n, "seconds": took, "rows_per_s": n / took, "batch": batch,
            **{k: v for k, v in limit.items()}, "select_rows_per_s": n / limit["select_s"],
            "copy_out_rows_per_s": n / limit["copy_out_s"], "copy_through_rows_per_s": n / limit["copy_through_s"],
            "copy_into_store_rows_per_s": n / limit["copy_into_store_s"]}


def postgres_baseline(source_url: str, store_url: str, query: str) -> dict[str, float]:
    """PostgreSQL's own speed on the same rows: the floor any connector sits on."""
    import psycopg

    def dsn(url: str) -> str:
        return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    out: dict[str, float] = {}
    with psycopg.connect(dsn(source_url)) as src, psycopg.connect(dsn(store_url)) as dst:
        started = time.perf_counter()
        with src.cursor() as cur:
            cur.execute(query + " ORDER BY upd_time")
            while cur.fetchmany(50_000):
                pass
        out["select_s"] = time.perf_counter() - started
        started = time.perf_counter()
        with src.cursor() as cur, cur.copy(f"COPY ({query} ORDER BY upd_time) TO STDOUT") as copy:
            for _ in copy:
                pass
        out["copy_out_s"] = time.perf_counter() - started
        dst.execute("CREATE TEMP TABLE limit_copy (LIKE obs_traffic)")
        started = time.perf_counter()
        q = (f"COPY (SELECT link_id, collect_time AT TIME ZONE 'Asia/Shanghai', avg_speed, flow_cnt, occ_rate, "
             f"'traffic_detectors', upd_time AT TIME ZONE 'Asia/Shanghai', now() FROM ({query}) s "
             f"ORDER BY upd_time) TO STDOUT")
        with src.cursor() as cur, cur.copy(q) as out_copy, dst.cursor() as dcur, \
                dcur.copy("COPY limit_copy FROM STDIN") as in_copy:
            for chunk in out_copy:
                in_copy.write(chunk)
        out["copy_through_s"] = time.perf_counter() - started
        # the same into the store's own table (partitioned, its key and time indexes, logged):
        # the floor of storing the rows at all, before any upsert
        dst.execute("TRUNCATE obs_traffic")
        dst.commit()
        started = time.perf_counter()
        with src.cursor() as cur, cur.copy(q) as out_copy, dst.cursor() as dcur, \
                dcur.copy("COPY obs_traffic FROM STDIN") as in_copy:
            for chunk in out_copy:
                in_copy.write(chunk)
        dst.commit()
        out["copy_into_store_s"] = time.perf_counter() - started
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--admin-url", default=dataset.ADMIN_URL)
    ap.add_argument("--new", type=int, default=1000, help="new rows the incremental poll reads")
    ap.add_argument("--backfill", type=int, default=2_000_000, help="rows of the backfill measurement")
    ap.add_argument("--batch-size", type=int, default=50_000)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--source-db", default=dataset.SOURCE_DB,
                    help="the department database to read (a smaller one of the same shape while profiling)")
    ap.add_argument("--only", choices=("incremental", "backfill"), help="measure only this figure")
    args = ap.parse_args()
    if args.source_db == dataset.SOURCE_DB and not dataset.exists(args.admin_url):
        print("building the benchmark city-year first (benchmarks/dataset.py) …", flush=True)
        dataset.build(365, args.admin_url)
    source_url = dataset.source_url(args.admin_url, args.source_db)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # its own copy of the city's TOML: the shared one may be in use by another run
        settings = load_settings(dataset.city_config(Path(tmp) / "city.toml", url=source_url), env={},
                                 data_dir=Path(tmp))
        try:
            if args.only != "backfill":
                out["incremental"] = incremental(settings, source_url, fresh_store(args.admin_url, STORE_DB),
                                                 args.new)
            if args.only != "incremental":
                out["backfill"] = backfill(settings, source_url, fresh_store(args.admin_url, STORE_DB),
                                           args.backfill, args.batch_size)
        finally:
            drop(args.admin_url, STORE_DB)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
