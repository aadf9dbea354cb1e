"""Compute budget on the benchmark city-year: all indicators and the warnings replay.

    python3 benchmarks/compute.py [--days 30] [--year] [--json out.json]

Prepares a PostgreSQL store (``cb_bench_store``, kept between runs like the source) with
the last ``--days`` (or, with ``--year``, all 365) days of the big city
(``benchmarks/dataset.py``): the 5-minute traffic rows are moved with COPY, in SQL (the
store's content is what matters here, the connectors have their own benchmark); the
other sources are polled by the connectors. Then it times, as ``citybrain compute``
runs them, ``jobs.compute.compute`` followed by ``alerts.replay.replay`` for the last
day and for the whole prepared period — targets: one day ≤ 2 s, a year ≤ 60 s — next to
the physical limits in the same run: PostgreSQL reading the same observation rows
(``COPY … TO STDOUT`` of the period's rows of every observation table) and PostgreSQL
storing the indicator rows the compute wrote (``INSERT … SELECT`` into an empty copy of
``indicators``): a compute reads the one and writes the other.

The store's indicators are emptied first, so every run computes into the same state (a
kept store would otherwise hold the previous run's rows); the whole period is then
computed a second time, as ``citybrain compute`` over data that did not change — a
recompute writes only rows whose result changed.
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

import dataset  # noqa: E402

STORE_DB = "cb_bench_store"
UTC = dt.timezone.utc
OBS = ("obs_traffic", "obs_air", "obs_tourism", "obs_hotline")
_TIME = {"obs_hotline": "created_at"}


def _dsn(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare(settings: Any, admin_url: str, days: int, source_db: str = dataset.SOURCE_DB,
            store_db: str = STORE_DB) -> tuple[str, dict[str, Any]]:
    """The store holding the last ``days`` days; rebuilt only when it holds a different span."""
    import psycopg

    import connectors
    from connectors import status as status_rows
    from store.engine import make_engine, upgrade
    from store.entities import sync_from_config
    from store.schema import source_status

    url = dataset.source_url(admin_url, store_db)
    end = dataset.END.astimezone(UTC)
    start = end - dt.timedelta(days=days)
    if dataset.exists(admin_url, store_db):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            try:
                kept = conn.execute(sa.text("SELECT min(time) FROM obs_traffic")).scalar()
            except sa.exc.DBAPIError:
                kept = None
        engine.dispose()
        if kept is not None and abs((kept - start).total_seconds()) < 3600:
            return url, {"reused": True}
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {store_db} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {store_db}"))
    admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    sync_from_config(engine, settings)
    took: dict[str, Any] = {}
    t = time.perf_counter()
    local = lambda d: d.astimezone(settings.tz).replace(tzinfo=None).isoformat(sep=" ")  # noqa: E731
    out_sql = (f"COPY (SELECT link_id, collect_time AT TIME ZONE '{settings.city.timezone}', avg_speed, flow_cnt::float8, "
               f"occ_rate, 'traffic_detectors'::text, upd_time AT TIME ZONE '{settings.city.timezone}', now() "
               f"FROM t_link_flow_5min WHERE collect_time >= '{local(start)}' AND collect_time < '{local(end)}') "
               "TO STDOUT (FORMAT BINARY)")
    with psycopg.connect(_dsn(dataset.source_url(admin_url, source_db))) as src, psycopg.connect(_dsn(url)) as dst:
        with src.cursor() as cur, cur.copy(out_sql) as out_copy, dst.cursor() as dcur, \
                dcur.copy("COPY obs_traffic (segment, time, speed, volume, occupancy, source, source_updated_at, "
                          "ingested_at) FROM STDIN (FORMAT BINARY)") as in_copy:
            for chunk in out_copy:
                in_copy.write(chunk)
    took["traffic_copy_s"] = round(time.perf_counter() - t, 1)
    _record_copied_traffic(engine, settings, end)
    t = time.perf_counter()
    others = [s for s in settings.sources if s.domain != "traffic"]
    with engine.begin() as conn:  # the connectors start at the period's first day
        for s in others:
            status_rows.ensure(conn, s, end)
            if s.domain != "economy":
                conn.execute(sa.update(source_status).where(source_status.c.name == s.name)
                             .values(watermark=local(start - dt.timedelta(days=1))))
    reports = connectors.poll(settings, engine, [s.name for s in others], now=end)
    took["poll_s"] = round(time.perf_counter() - t, 1)
    took["rows"] = {r.name: r.rows_written for r in reports}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return url, took


def _record_copied_traffic(engine: Any, settings: Any, end: dt.datetime) -> None:
    """The traffic source's status as if a poll had brought the COPYed rows: without it
    the pages take the traffic as never polled (the wall's delay banner, as-of "—")."""
    from connectors import status as status_rows

    source = next(s for s in settings.sources if s.domain == "traffic")
    with engine.begin() as conn:
        newest, count = conn.execute(sa.text("SELECT max(time), count(*) FROM obs_traffic")).one()
        status_rows.ensure(conn, source, end)
        watermark = newest.astimezone(settings.tz).replace(tzinfo=None).isoformat(sep=" ") if newest else None
        status_rows.advance(conn, source.name, watermark=watermark or "", data_time=newest, read_rows=count,
                            written=count, quarantined=0, now=end)
        status_rows.finish(conn, source.name, status="ok", now=end, read_rows=count, written=count, quarantined=0,
                           lag_seconds=0.0, error=None)


def physical_limit(url: str, start: dt.datetime, end: dt.datetime) -> dict[str, float]:
    """Seconds PostgreSQL takes to hand over the period's observation rows, and how many."""
    import psycopg

    rows, started = 0, time.perf_counter()
    with psycopg.connect(_dsn(url)) as conn:
        for table in OBS:
            col = _TIME.get(table, "time")
            sql = (f"COPY (SELECT * FROM {table} WHERE {col} >= '{start.isoformat()}' AND {col} < '{end.isoformat()}') "
                   "TO STDOUT (FORMAT BINARY)")
            with conn.cursor() as cur, cur.copy(sql) as copy:
                for _ in copy:
                    pass
            rows += conn.execute(f"SELECT count(*) FROM {table} WHERE {col} >= %s AND {col} < %s",
                                 (start, end)).fetchone()[0]
    return {"copy_s": time.perf_counter() - started, "rows": rows}


def write_limit(url: str, start: dt.datetime, end: dt.datetime) -> dict[str, float]:
    """Seconds PostgreSQL takes to store the period's indicator rows by itself: one
    ``INSERT … SELECT`` into an empty copy of ``indicators`` with its keys (no client, no
    conflicts) — the floor under any compute that must write those rows."""
    import psycopg

    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS _bench_write_limit")
        conn.execute("CREATE TABLE _bench_write_limit (LIKE indicators INCLUDING ALL)")
        try:
            started = time.perf_counter()
            rows = conn.execute("INSERT INTO _bench_write_limit SELECT * FROM indicators WHERE time >= %s AND time < %s",
                                (start, end)).rowcount
            took = time.perf_counter() - started
        finally:
            conn.execute("DROP TABLE _bench_write_limit")
    return {"write_s": took, "rows": rows}


def run(settings: Any, url: str, start: dt.datetime, end: dt.datetime) -> dict[str, float]:
    """``citybrain compute --from start --to end``: indicators, then the warnings replay."""
    from alerts.replay import replay
    from jobs.compute import compute
    from store.engine import make_engine

    engine = make_engine(url)
    t = time.perf_counter()
    report = compute(settings, engine, start=start, end=end, now=end)
    indicators_s = time.perf_counter() - t
    t = time.perf_counter()
    replayed = replay(settings, engine, start=start, end=end)
    warnings_s = time.perf_counter() - t
    engine.dispose()
    return {"indicators_s": indicators_s, "warnings_s": warnings_s, "total_s": indicators_s + warnings_s,
            "indicator_rows": report.total, "warnings": len(replayed.warnings), "steps": replayed.steps}


def empty_indicators(url: str) -> None:
    """The store without computed rows or warnings, as right after its preparation."""
    import psycopg

    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("TRUNCATE indicators, warning_events, warnings CASCADE")  # and what dispatch keeps of them


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--admin-url", default=dataset.ADMIN_URL)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--year", action="store_true", help="prepare and compute all 365 days")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--source-db", default=dataset.SOURCE_DB)
    ap.add_argument("--store-db", default=STORE_DB)
    args = ap.parse_args()
    days = 365 if args.year else args.days
    if not dataset.exists(args.admin_url, args.source_db):
        print("building the benchmark city-year first (benchmarks/dataset.py) …", flush=True)
        dataset.build(365, args.admin_url, args.source_db)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataset.settings(Path(tmp), dataset.source_url(args.admin_url, args.source_db))
        t = time.perf_counter()
        url, out["prepare"] = prepare(settings, args.admin_url, days, args.source_db, args.store_db)
        print(f"store with {days} days ready in {time.perf_counter() - t:.0f} s: {out['prepare']}", flush=True)
        end = dataset.END.astimezone(UTC)
        empty_indicators(url)
        for label, span in (("1 day", 1), (f"{days} days", days)):
            start = end - dt.timedelta(days=span)
            limit = physical_limit(url, start, end)
            got = run(settings, url, start, end)
            written = write_limit(url, start, end)
            out[label] = {**got, "limit_copy_s": limit["copy_s"], "obs_rows": limit["rows"],
                          "limit_write_s": written["write_s"], "limit_write_rows": written["rows"]}
            print(f"{label:>9}: indicators {got['indicators_s']:.2f} s + warnings {got['warnings_s']:.2f} s "
                  f"= {got['total_s']:.2f} s ({got['indicator_rows']:,} indicator rows, {got['warnings']} warnings); "
                  f"PostgreSQL COPY of the {limit['rows']:,} observation rows: {limit['copy_s']:.2f} s; "
                  f"PostgreSQL storing the {written['rows']:,} indicator rows itself: {written['write_s']:.2f} s",
                  flush=True)
        again = run(settings, url, start, end)  # the same period again: nothing changed
        out[f"{days} days"]["recompute"] = again
        print(f"{days} days again (unchanged data): indicators {again['indicators_s']:.2f} s "
              f"+ warnings {again['warnings_s']:.2f} s = {again['total_s']:.2f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
