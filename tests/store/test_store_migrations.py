"""Migrations build the schema from empty, identically to the metadata, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.engine import current_revision, head_revision, make_engine, upgrade
from store.partitions import include_name
from store.schema import metadata

EXPECTED_TABLES = {
    "districts", "entities", "economy_indicators", "obs_air", "obs_traffic", "obs_tourism", "obs_economy",
    "obs_economy_revisions", "obs_hotline", "indicators", "warnings", "warning_events", "silences",
    "source_status", "quarantine", "job_runs", "locks", "wall_heartbeats", "briefings", "users", "audit_log",
    "rollup_hourly", "rollup_daily",
}


def assert_matches_metadata(url: str) -> None:
    assert upgrade(url) == head_revision()
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                      "include_name": include_name}), metadata)
        assert diff == [], f"migrations and store/schema.py disagree: {diff}"
    finally:
        engine.dispose()


def test_sqlite_from_empty_with_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path}/sub/dir/store.db"  # the directory is created on first use
    assert_matches_metadata(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_upgrade_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    assert upgrade(url) == upgrade(url) == head_revision()


@pytest.mark.postgres
def test_postgresql_from_empty(pg_url):
    assert_matches_metadata(pg_url)


def test_unreachable_store_is_a_plain_error(tmp_path):
    from citybrain.errors import StoreError

    with pytest.raises(StoreError, match="not a database URL"):
        make_engine("not a url")
    with pytest.raises(StoreError, match="check CITYBRAIN_STORE_URL"):
        upgrade("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_open_store_creates_an_empty_store_and_refuses_an_old_one(settings_factory):
    from citybrain.errors import StoreError
    from store.engine import open_store

    fresh = settings_factory()
    engine = open_store(fresh)  # created at head, entities loaded
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM entities").scalar() == 27
    engine.dispose()

    old = settings_factory(data_dir=fresh.data_dir.parent / "old")
    upgrade(old.resolved_store_url, "0001")
    with pytest.raises(StoreError, match="run `citybrain db upgrade` first"):
        open_store(old)
