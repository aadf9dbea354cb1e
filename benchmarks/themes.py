"""Benchmark (issue 20): a theme of 1,000 entities read every 5 minutes, next to traffic.

One PostgreSQL source database holds two department tables of the same size — a theme's
readings (1,000 car parks: occupied spaces every 5 minutes) and the built-in traffic
domain's detector table (1,000 road segments: speed and volume every 5 minutes) — and a
PostgreSQL store polls both. Measured, for each:

1. the backfill of ``--days`` of history (rows/s, end to end: read, map, validate, write);
2. an incremental poll of 1,000 new rows (one 5-minute interval of every entity; the
   sources' lookback set to 0 so the figure is the cost of the new rows), median of
   ``--polls`` intervals;
3. computing one local day: the step's aggregation (hour and day values at every scope)
   and writing its indicator rows into an empty store, median of ``--runs``.

    python3 benchmarks/themes.py [--days 2] [--polls 5] [--runs 3] [--json out.json]

Never run from the test suite. The city config is written to a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from citybrain.settings import load_settings  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SOURCE_DB, STORE_DB = "cb_theme_bench_source", "cb_theme_bench_store"
ENTITIES = 1000
STEP = dt.timedelta(minutes=5)
TZ_OFFSET = dt.timezone(dt.timedelta(hours=8))
END = dt.datetime(2026, 11, 2, tzinfo=TZ_OFFSET)  # local midnight: the last whole day ends here
THEME = "bench"


def _db(name: str) -> str:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def city(path: Path, source_url: str) -> Path:
    """A city with 1,000 road segments and a theme of 1,000 car parks, both fed from ``source_url``."""
    lines = ['[city]\ncode = "990000"\nname_zh = "基准市"\nname_en = "Bench City"\ntimezone = "Asia/Shanghai"\n'
             'center = [30.0, 110.0]\n']
    for d in range(10):
        lines.append(f'[[districts]]\ncode = "99{d:04d}"\nname_zh = "区{d}"\nname_en = "D{d}"\nlat = {30 + d / 100}\n'
                     f"lon = 110.0\npopulation_10k = {20 + d}\n")
    for i in range(ENTITIES):
        la, lo = 30 + (i % 37) / 400, 110 + (i // 37) / 400
        lines.append(f'[[segments]]\ncode = "R{i:04d}"\nname_zh = "路段{i}"\nname_en = "Road {i}"\n'
                     f'district = "99{i % 10:04d}"\npath = [[{la:.4f}, {lo:.4f}], [{la + 0.005:.4f}, {lo:.4f}]]\n'
                     "free_flow_kmh = 50\nlength_km = 1.2\nspeed_limit_kmh = 60\n")
    lines.append(f'[[themes]]\ncode = "{THEME}"\nname_zh = "停车基准"\nname_en = "Parking bench"\n'
                 'owner_zh = "基准局"\nmax_age = "15m"\n')
    for i in range(ENTITIES):
        lines.append(f'[[themes.entities]]\ncode = "C{i:04d}"\nname_zh = "停车场{i}"\nname_en = "Car park {i}"\n'
                     f'district = "99{i % 10:04d}"\nlat = {30 + (i % 37) / 400:.4f}\nlon = {110 + (i // 37) / 400:.4f}\n'
                     f"capacity = {200 + i % 7 * 100}\n")
    lines.append('[[themes.indicators]]\ncode = "occupied"\nname_zh = "在停车辆"\nname_en = "Occupied"\nunit = "辆"\n'
                 'agg = "mean"\nacross = "sum"\ndecimals = 0\n'
                 '[[themes.indicators]]\ncode = "occupancy"\nname_zh = "占用率"\nname_en = "Occupancy"\nunit = "%"\n'
                 'ratio = { of = "occupied", per = "capacity" }\nlevels = { blue = 0.85, yellow = 0.9, red = 1.0 }\n')
    common = f'url = "{source_url}"\nlookback = "0s"\ntimezone = "Asia/Shanghai"\nreconcile_window = "0s"\n'
    lines.append(f'[[sources]]\nname = "bench_traffic"\ndomain = "traffic"\ntable = "t_link_flow_5min"\n'
                 f'watermark = "upd_time"\n{common}[sources.columns]\nsegment = "link_id"\ntime = "collect_time"\n'
                 'speed = "avg_speed"\nvolume = "flow_cnt"\nupdated_at = "upd_time"\n')
    lines.append(f'[[sources]]\nname = "bench_theme"\ndomain = "{THEME}"\ntable = "bench_readings"\nwatermark = "upd"\n'
                 f'{common}[sources.columns]\nentity = "cid"\ntime = "ts"\noccupied = "occ"\n'
                 'updated_at = "upd"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _tables(md: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    traffic = sa.Table("t_link_flow_5min", md, sa.Column("link_id", sa.String(16), primary_key=True),
                       sa.Column("collect_time", sa.DateTime, primary_key=True), sa.Column("avg_speed", sa.Float),
                       sa.Column("flow_cnt", sa.Integer), sa.Column("upd_time", sa.DateTime, nullable=False, index=True))
    theme = sa.Table("bench_readings", md, sa.Column("cid", sa.String(16), primary_key=True),
                     sa.Column("ts", sa.DateTime, primary_key=True), sa.Column("occ", sa.Float),
                     sa.Column("upd", sa.DateTime, nullable=False, index=True))
    return traffic, theme


def fill(url: str, start: dt.datetime, end: dt.datetime) -> int:
    """Write every 5-minute interval in [start, end) (naive local times) into both tables."""
    engine = sa.create_engine(url)
    n = 0
    rng = np.random.default_rng(20)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        t = start
        with raw.cursor() as cur:
            with cur.copy("COPY t_link_flow_5min (link_id, collect_time, avg_speed, flow_cnt, upd_time) FROM STDIN") as c1:
                while t < end:
                    speeds = rng.uniform(15, 60, ENTITIES)
                    for i in range(ENTITIES):
                        c1.write_row((f"R{i:04d}", t, float(speeds[i]), int(speeds[i] * 3), t + STEP))
                    t += STEP
                    n += ENTITIES
            t = start
            with cur.copy("COPY bench_readings (cid, ts, occ, upd) FROM STDIN") as c2:
                while t < end:
                    occ = rng.uniform(0.1, 1.0, ENTITIES)
                    for i in range(ENTITIES):
                        c2.write_row((f"C{i:04d}", t, float(round(occ[i] * (200 + i % 7 * 100))), t + STEP))
                    t += STEP
    engine.dispose()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--polls", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from connectors.poll import poll
    from jobs.compute import traffic as traffic_step
    from store import bulk
    from store.engine import make_engine, upgrade
    from store.schema import indicators
    from themes.compute import compute_theme

    source_url, store_url = _db(SOURCE_DB), _db(STORE_DB)
    md = sa.MetaData()
    _tables(md)
    md.create_all(sa.create_engine(source_url))
    tmp = Path(tempfile.mkdtemp(prefix="cb-theme-bench-"))
    settings = load_settings(city(tmp / "bench.toml", source_url), env={}, data_dir=tmp, store_url=store_url,
                             cache_url="null")
    upgrade(store_url)
    engine = make_engine(store_url)
    local_end = END.replace(tzinfo=None)
    history_start = local_end - dt.timedelta(days=args.days)
    rows = fill(source_url, history_start, local_end)
    out: dict[str, Any] = {"entities": ENTITIES, "days": args.days, "rows_per_table": rows}
    after = END + dt.timedelta(hours=1)
    for name in ("bench_traffic", "bench_theme"):
        t0 = time.perf_counter()
        (report,) = poll(settings, engine, [name], now=after, parallel=False)
        took = time.perf_counter() - t0
        assert report.status == "ok", report.error
        out[f"{name}.backfill_rows_per_s"] = round(report.rows_written / took)
    polls: dict[str, list[float]] = {"bench_traffic": [], "bench_theme": []}
    t = local_end
    for k in range(args.polls):
        fill(source_url, t, t + STEP)
        t += STEP
        for name in polls:
            t0 = time.perf_counter()
            (report,) = poll(settings, engine, [name], now=after + (k + 1) * STEP, parallel=False)
            polls[name].append(time.perf_counter() - t0)
            assert report.status == "ok" and report.rows_written == ENTITIES, (name, report)
    for name, times in polls.items():
        out[f"{name}.poll_ms_per_1000_rows"] = round(statistics.median(times) * 1000, 1)
    day_end = END.astimezone(dt.timezone.utc)
    day_start = day_end - dt.timedelta(days=1)
    now = dt.datetime.now(dt.timezone.utc)
    steps = {"traffic": lambda: traffic_step.compute(settings, engine, day_start, day_end, now),
             THEME: lambda: {"theme": compute_theme(settings, engine, THEME, day_start, day_end, now)}}
    for label, run in steps.items():
        agg, write, written = [], [], 0
        for _ in range(args.runs):
            with engine.begin() as conn:
                conn.execute(indicators.delete())
            t0 = time.perf_counter()
            result = run()
            t1 = time.perf_counter()
            written = sum(bulk.write_indicators(engine, r, now) for r in result.values())
            agg.append(t1 - t0)
            write.append(time.perf_counter() - t1)
        out[f"{label}.compute_day_s"] = round(statistics.median(agg), 3)
        out[f"{label}.write_day_s"] = round(statistics.median(write), 3)
        out[f"{label}.indicator_rows_per_day"] = written
    engine.dispose()
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
