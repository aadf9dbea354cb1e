"""The benchmark city-year: a big city's department databases in one PostgreSQL database.

Issue 10 measures citybrain against a city far larger than the demo: 500 road segments
every 5 minutes for a year (~52 M rows), 20 air stations hourly, 15 scenic sites every
5 minutes, ~1 M hotline tickets and 5 years of monthly statistics. The rows come from the
project's own simulator (:mod:`simulator`), so they have the departments' shapes and
conventions (pinyin columns, naive local time, CO in µg/m³, revisions, ticket lifecycle)
and are written with COPY; the statistics bureau's history always starts in 2021-01, so
the year brings its five years of monthly statistics with it.

The database (``cb_bench_source`` by default) is kept between runs: generating it takes
a while (the time is printed and recorded in ``benchmarks/results/dataset.json``).

    python3 benchmarks/dataset.py [--days 365] [--rebuild]

``city_config(path)`` writes the matching city TOML (500 segments …) for the other
benchmarks; it is regenerated at run time, never committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from citybrain.settings import DEFAULT_CONFIG, Settings, load_settings  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SOURCE_DB = "cb_bench_source"
SEGMENTS, STATIONS, SITES = 500, 20, 15
HOTLINE_PER_DAY = 2970  # ≈ 1 M tickets a year (the simulator answers ~93 % of the calls it draws)
#: the year ends here (local midnight); fixed so that a kept database stays valid
END = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
RESULTS = Path(__file__).resolve().parent / "results"
CONFIG_PATH = Path("/tmp/cb-bench/bigcity.toml")  # written at run time, never committed
_ENTITY_BLOCK = re.compile(r"^\[\[(segments|stations|sites)\]\]\n(?:(?!\[|#).*\n)*", re.M)
_ROAD_CLASSES = ("expressway", "arterial", "arterial", "secondary", "secondary", "branch")


def source_url(admin_url: str = ADMIN_URL, name: str = SOURCE_DB) -> str:
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _districts(text: str) -> list[tuple[str, float, float]]:
    import tomllib

    raw = tomllib.loads(text)
    return [(d["code"], d["lat"], d["lon"]) for d in raw["districts"]]


def _entities(districts: list[tuple[str, float, float]]) -> str:
    """Deterministic segments, stations and sites spread over the demo's districts."""
    out: list[str] = []
    for i in range(SEGMENTS):
        code, lat, lon = districts[i % len(districts)]
        a = 2 * math.pi * (i * 0.618034 % 1)
        r = 0.01 + 0.08 * ((i * 0.414214) % 1)
        la, lo = lat + r * math.sin(a), lon + r * math.cos(a)
        road = _ROAD_CLASSES[i % len(_ROAD_CLASSES)]
        free = {"expressway": 100, "arterial": 55, "secondary": 45, "branch": 35}[road]
        out.append(
            f'[[segments]]\ncode = "B{i + 1:04d}"\nname_zh = "测试路段{i + 1}"\nname_en = "Test road {i + 1}"\n'
            f'district = "{code}"\npath = [[{la:.4f}, {lo:.4f}], [{la + 0.01:.4f}, {lo + 0.012:.4f}]]\n'
            f"free_flow_kmh = {free}\nlength_km = {1.0 + i % 5 * 0.7:.1f}\nspeed_limit_kmh = {free + 5}\n"
            f'road_class = "{road}"\n\n')
    for i in range(STATIONS):
        code, lat, lon = districts[i % len(districts)]
        out.append(
            f'[[stations]]\ncode = "S{i + 1:03d}"\nname_zh = "测试站{i + 1}"\nname_en = "Test station {i + 1}"\n'
            f'district = "{code}"\nlat = {lat + 0.003 * (i % 5):.4f}\nlon = {lon + 0.003 * (i % 7):.4f}\n\n')
    for i in range(SITES):
        code, lat, lon = districts[i % len(districts)]
        cap = 2000 + 1000 * (i % 6)
        out.append(
            f'[[sites]]\ncode = "J{i + 1:03d}"\nname_zh = "测试景区{i + 1}"\nname_en = "Test site {i + 1}"\n'
            f'district = "{code}"\nlat = {lat - 0.004 * (i % 4):.4f}\nlon = {lon + 0.004 * (i % 3):.4f}\n'
            f'capacity = {cap}\ndaily_capacity = {cap * 4}\ngrade = "4A"\nopening = [8, 18]\n\n')
    return "".join(out)


def city_config(path: Path = CONFIG_PATH, url: str | None = None) -> Path:
    """Write the big city's TOML: the demo's file with 500/20/15 entities and its sources
    pointing at the benchmark database instead of the demo's SQLite files."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    districts = _districts(text)
    text = _ENTITY_BLOCK.sub("", text)
    url = url or source_url()
    text = re.sub(r'url = "sqlite:///\$\{CITYBRAIN_DATA_DIR\}/departments/\w+\.db"', f'url = "{url}"', text)
    text = text.replace("hotline_calls_per_day = 1200", f"hotline_calls_per_day = {HOTLINE_PER_DAY}")
    marker = "# ---- statistics the bureau reports"
    text = text.replace(marker, _entities(districts) + marker)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def settings(data_dir: Path, url: str | None = None, **overrides: object) -> Settings:
    """Settings of the big city (its TOML regenerated) with a data dir of the caller's."""
    return load_settings(city_config(url=url), env={}, data_dir=data_dir, **overrides)


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = :t"), {"t": t}).scalar() or 0
                for t in ("t_link_flow_5min", "aq_hourly", "jq_kll_5min", "gd_info", "tjj_zbsj")}
    finally:
        engine.dispose()


def exists(admin_url: str = ADMIN_URL, name: str = SOURCE_DB) -> bool:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return bool(conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
    finally:
        admin.dispose()


def build(days: int, admin_url: str = ADMIN_URL, name: str = SOURCE_DB, tmp: Path | None = None,
          only: list[str] | None = None) -> dict:
    """(Re)create the database (or only some departments' tables) and fill it; returns
    what was made and how long it took."""
    import simulator

    if not only:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
    url = source_url(admin_url, name)
    data_dir = tmp or Path("/tmp/cb-bench-dataset")
    cfg = settings(data_dir, url)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def progress(dept: str, done: int, total: int) -> None:
        if done == total or done % 30 == 0:
            print(f"  {dept}: {done}/{total} ({time.perf_counter() - started:.0f}s)", flush=True)

    end = END.astimezone(dt.timezone.utc)
    previous = json.loads((RESULTS / "dataset.json").read_text()) if only and (RESULTS / "dataset.json").exists() else {}
    timings.update(previous.get("by_department", {}))
    for dept in only or simulator.DEPARTMENTS:
        t = time.perf_counter()
        simulator.create(cfg, days=days, end=end, target_url=url, departments=[dept], progress=progress)
        timings[dept] = round(time.perf_counter() - t, 1)
    engine = sa.create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    total = round(sum(timings.values()), 1)
    made = {"days": days, "end": END.isoformat(), "seconds": total, "by_department": timings,
            "rows": counts(url), "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    if name == SOURCE_DB:  # the record of the kept database, read by benchmarks/run.py
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "dataset.json").write_text(json.dumps(made, indent=2), encoding="utf-8")
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--admin-url", default=ADMIN_URL)
    ap.add_argument("--name", default=SOURCE_DB)
    ap.add_argument("--rebuild", action="store_true", help="drop and regenerate even if the database exists")
    ap.add_argument("--only", nargs="*", help="regenerate only these departments' tables (e.g. hotline)")
    args = ap.parse_args()
    if args.only:
        print(json.dumps(build(args.days, args.admin_url, args.name, only=args.only), indent=2))
        return
    if exists(args.admin_url, args.name) and not args.rebuild:
        print(f"{args.name} exists: {counts(source_url(args.admin_url, args.name))} (--rebuild to regenerate)")
        return
    made = build(args.days, args.admin_url, args.name)
    print(json.dumps(made, indent=2))


if __name__ == "__main__":
    main()
