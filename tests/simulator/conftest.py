"""Fixtures for the simulated department databases: settings, small builds, real servers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import simulator
from citybrain.settings import Settings, load_settings
from simulator.schema import METADATA

TZ = ZoneInfo("Asia/Shanghai")
#: a Monday noon after Golden Week: 2 days of history span a weekend and a working day
END = datetime(2026, 10, 12, 12, 0, tzinfo=TZ)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={}, data_dir=tmp_path)


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="session")
def built(session_settings: Settings) -> dict[str, str]:
    """The Xuchang demo's five SQLite databases with 2 days of history ending at END."""
    simulator.create(session_settings, end=END, days=2)
    return simulator.default_urls(session_settings)


def _table(name: str) -> sa.Table:
    """A built-in department's table, or a theme department's as the demo config describes it
    (issue 20: simulator.generic builds those from ``[[demo.departments]]``)."""
    for md in METADATA.values():
        if name in md.tables:
            return md.tables[name]
    from simulator.generic import table_of

    for spec in load_settings(env={}).demo.departments:
        if spec.table == name:
            return table_of(spec, sa.MetaData())
    raise KeyError(f"no simulated department has a table {name!r}")


def dump(url: str, table_name: str) -> list[tuple]:
    """Every row of a department table, ordered by its key, as Python values."""
    table = _table(table_name)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
    finally:
        engine.dispose()


def dump_all(urls: dict[str, str]) -> dict[str, list[tuple]]:
    return {name: dump(urls[dept], name) for dept, md in METADATA.items() if dept in urls for name in md.tables}


def _unreachable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the database servers must be running)")
    pytest.skip(reason)


def _server_database(env_var: str, default: str, kind: str) -> Iterator[str]:
    base = sa.engine.make_url(os.environ.get(env_var, default))
    name = f"cb_sim_{secrets.token_hex(4)}"
    admin_url = base.set(database="postgres") if kind == "postgresql" else base
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
            else:
                conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    except Exception as exc:  # noqa: BLE001 — any failure to reach the server means skip (or fail in CI)
        _unreachable(f"{kind} at {base.render_as_string(hide_password=True)} unreachable ({env_var}): "
                     f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _server_database("CITYBRAIN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                                "postgresql")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    yield from _server_database("CITYBRAIN_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test", "mysql")


@pytest.fixture(scope="session")
def read_table():
    """``read_table(url, table_name)`` → the table's rows ordered by key."""
    return dump


@pytest.fixture(scope="session")
def read_all():
    """``read_all(urls)`` → {table name: rows} for every department table at those URLs."""
    return dump_all
