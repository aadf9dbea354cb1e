"""End to end against the simulated department databases on SQLite, PostgreSQL and MariaDB.

Over many polls while the simulator appends and updates, the store must equal the
sources exactly: nothing lost, nothing duplicated, updates replaced, revisions kept,
naive local timestamps landed as the right UTC instants.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import connectors
import simulator
from connectors.periods import parse_period
from simulator import schema as dept
from store.engine import make_engine, upgrade
from store.schema import obs_air, obs_economy, obs_economy_revisions, obs_hotline, obs_tourism, obs_traffic

UTC = dt.timezone.utc
TZ = ZoneInfo("Asia/Shanghai")
NAMES = ["traffic_detectors", "env_monitor", "scenic_gates", "stats_bureau", "hotline_12345"]
DEPT_OF = {"traffic": "traffic_detectors", "environment": "env_monitor", "tourism": "scenic_gates",
           "economy": "stats_bureau", "hotline": "hotline_12345"}


def utc(naive: dt.datetime | None) -> dt.datetime | None:
    return None if naive is None else naive.replace(tzinfo=TZ).astimezone(UTC)


def source_view(urls: dict[str, str]) -> dict[str, dict]:
    """What the departments hold, in canonical terms, computed independently of the connectors."""
    out: dict[str, dict] = {}

    def rows(department: str, table: sa.Table):
        engine = sa.create_engine(urls[department])
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.select(table)).mappings())
        finally:
            engine.dispose()

    out["traffic"] = {(r["link_id"], utc(r["collect_time"])): (r["avg_speed"], r["flow_cnt"])
                      for r in rows("traffic", dept.t_link_flow_5min)}
    out["air"] = {(r["station_code"], utc(r["obs_time"])): (r["pm2_5"], None if r["co"] is None else r["co"] / 1000)
                  for r in rows("environment", dept.aq_hourly)}
    out["tourism"] = {(r["jqbm"], utc(r["tjsj"])): r["zxrs"] for r in rows("tourism", dept.jq_kll_5min)}
    out["economy"] = {(r["zbdm"], parse_period(r["bgq"]).period, r["xzqh"]): (r["sz"], r["bbh"])
                      for r in rows("economy", dept.tjj_zbsj)}
    out["hotline"] = {r["gdbh"]: (r["gdzt"], utc(r["bjsj"]), utc(r["gxsj"])) for r in rows("hotline", dept.gd_info)}
    return out


def store_view(store: sa.Engine) -> dict[str, dict]:
    def rows(table):
        with store.connect() as conn:
            return list(conn.execute(sa.select(table)).mappings())

    return {
        "traffic": {(r["segment"], r["time"]): (r["speed"], r["volume"]) for r in rows(obs_traffic)},
        "air": {(r["station"], r["time"]): (r["pm25"], r["co"]) for r in rows(obs_air)},
        "tourism": {(r["site"], r["time"]): r["present"] for r in rows(obs_tourism)},
        "economy": {(r["indicator"], r["period"], r["district"]): (r["value"], r["revision"]) for r in rows(obs_economy)},
        "hotline": {r["ticket"]: (r["status"], r["closed_at"], r["updated_at"]) for r in rows(obs_hotline)},
    }


def assert_same(source: dict, store: dict) -> None:
    for shape in source:
        src, got = source[shape], store[shape]
        assert src.keys() == got.keys(), (
            f"{shape}: {len(src.keys() - got.keys())} rows lost, {len(got.keys() - src.keys())} unexpected")
        diff = [k for k in src if not _close(src[k], got[k])]
        assert not diff, f"{shape}: {len(diff)} rows differ, e.g. {diff[0]}: source {src[diff[0]]} store {got[diff[0]]}"


def _close(a, b) -> bool:
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(a))
    return a == b


def run(settings, store, urls, *, steps: int, down=None) -> None:
    """Create the departments, then advance the simulator and poll, ``steps`` times."""
    end = before_a_revision(settings)
    simulator.create(settings, urls={d: urls[d] for d in urls}, end=end, days=2)
    reports = connectors.poll(settings, store, now=end)
    assert all(r.status == "ok" and r.rows_quarantined == 0 for r in reports), reports
    until = end
    for i in range(steps):
        until += dt.timedelta(minutes=50 if i % 3 else 7 * 60)  # now and then a long gap
        simulator.advance(settings, urls=urls, until=until)
        if down is not None and i == steps // 2:
            down(settings, store, until)
        reports = connectors.poll(settings, store, now=until)
        assert all(r.status == "ok" for r in reports), [r.error for r in reports if r.status != "ok"]
    assert_same(source_view(urls), store_view(store))


def before_a_revision(settings) -> dt.datetime:
    """Shortly before the simulated bureau's first revision after 2026-10-15 (so the run sees one)."""
    from simulator import economy

    versions = economy.versions(settings, settings.demo.seed, dt.date(2026, 7, 1), dt.date(2026, 10, 31))
    stamps = sorted(t.to_pydatetime() for t in versions.loc[versions["bbh"] == 2, "gxsj"])
    first = next(t for t in stamps if t >= dt.datetime(2026, 10, 15))
    end = (first - dt.timedelta(hours=2)).replace(minute=0, second=0)
    return end.replace(tzinfo=TZ).astimezone(UTC)


def revisions_kept(store) -> None:
    with store.connect() as conn:
        revised = conn.execute(sa.select(obs_economy).where(obs_economy.c.revision > 1)).mappings().all()
        history = {(r["indicator"], r["period"], r["district"], r["revision"])
                   for r in conn.execute(sa.select(obs_economy_revisions)).mappings()}
    assert revised, "the simulated bureau revised nothing; the test needs revisions"
    assert all((r["indicator"], r["period"], r["district"], r["revision"]) in history for r in revised)
    # versions received before their revision are kept beside it
    assert any((r["indicator"], r["period"], r["district"], 1) in history for r in revised)


def test_sqlite_departments_many_polls_and_an_outage(tmp_path, store, h):
    settings = h.make_settings(tmp_path, {})  # the config's own ${CITYBRAIN_DATA_DIR}/departments/*.db
    urls = simulator.default_urls(settings)
    traffic_db = settings.departments_dir / "traffic.db"

    def outage(settings, store, until):
        os.rename(traffic_db, traffic_db.with_suffix(".away"))
        [r] = connectors.poll(settings, store, ["traffic_detectors"], now=until, retries=0)
        assert r.status == "failing" and "unable to open database file" in r.error
        os.rename(traffic_db.with_suffix(".away"), traffic_db)

    run(settings, store, urls, steps=9, down=outage)
    revisions_kept(store)


@pytest.mark.postgres
def test_postgresql_departments_with_a_postgresql_store(tmp_path, pg_url, h):
    settings = h.make_settings(tmp_path, {n: pg_url for n in NAMES})
    upgrade(pg_url)  # the store shares the database: its tables never clash with the departments'
    store = make_engine(pg_url)
    admin = sa.create_engine(sa.engine.make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(pg_url).database

    def outage(settings, _store, until):
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :d AND pid <> pg_backend_pid() AND application_name = 'citybrain'"),
                         {"d": name})
        try:
            with connectors.SourceEngines() as engines:
                [r] = connectors.poll(settings, _store, ["traffic_detectors"], now=until, retries=0,
                                      engines=engines)
            assert r.status == "failing" and "not currently accepting connections" in r.error
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        run(settings, store, {d: pg_url for d in DEPT_OF}, steps=6, down=outage)
        revisions_kept(store)
    finally:
        store.dispose()
        admin.dispose()


@pytest.mark.mariadb
def test_mariadb_departments(tmp_path, mysql_url, store, h):
    settings = h.make_settings(tmp_path, {n: mysql_url for n in NAMES})
    run(settings, store, {d: mysql_url for d in DEPT_OF}, steps=6)
    checks = connectors.check(settings)
    assert all(c.ok and c.sample_ok for c in checks), checks
