"""Department databases built by hand for the connector tests.

The tables are the demo's department tables (``simulator.schema``: naive local
timestamps, 19-character TEXT on SQLite), filled row by row so every test controls
exactly what the source holds.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from citybrain.settings import DEFAULT_CONFIG, load_settings
from simulator import schema as dept
from store.engine import make_engine, upgrade

T0 = dt.datetime(2026, 10, 1, 8, 0)  # naive local (Asia/Shanghai) time


class Department:
    """One department database (SQLite file, PostgreSQL or MariaDB) a test writes into."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url)
        for md in dept.METADATA.values():
            md.create_all(self.engine)

    def table(self, name: str) -> sa.Table:
        for md in dept.METADATA.values():
            if name in md.tables:
                return md.tables[name]
        raise KeyError(name)

    def insert(self, name: str, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table(name).insert(), rows)

    def insert_raw(self, name: str, rows: list[dict[str, Any]]) -> None:
        """Insert without the column types: garbage a department's own app let through."""
        untyped = sa.table(name, *[sa.column(c) for c in rows[0]])
        with self.engine.begin() as conn:
            conn.execute(sa.insert(untyped), rows)

    def update(self, name: str, where: Any, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table(name).update().where(where).values(**values))

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql))

    def dispose(self) -> None:
        self.engine.dispose()


def traffic_rows(start: dt.datetime, n_times: int, segments=("R001", "R002", "R003"), upd: dt.datetime | None = None,
                 speed: float = 40.0) -> list[dict[str, Any]]:
    rows = []
    for i in range(n_times):
        t = start + dt.timedelta(minutes=5 * i)
        for seg in segments:
            rows.append({"link_id": seg, "collect_time": t, "avg_speed": speed + i % 7, "flow_cnt": 100 + i,
                         "occ_rate": 12.5, "upd_time": upd or t + dt.timedelta(minutes=1)})
    return rows


def config_with(urls: dict[str, str], **source_overrides: dict[str, Any]) -> dict[str, Any]:
    """The demo config as a dict, with source urls (and other keys) replaced."""
    raw = tomllib.loads(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    sources = []
    for src in raw["sources"]:
        src = dict(src)
        if src["name"] in urls:
            src["url"] = urls[src["name"]]
        src.update(source_overrides.get(src["name"], {}))
        sources.append(src)
    raw["sources"] = sources
    return raw


def make_settings(tmp_path: Path, urls: dict[str, str], **source_overrides: dict[str, Any]):
    raw = config_with(urls, **source_overrides)
    return load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp_path / "var", sources=raw["sources"])


@pytest.fixture
def store(tmp_path: Path):
    """A fresh SQLite store at the head revision."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_dept(tmp_path: Path):
    """One SQLite department database holding every demo table."""
    d = Department(f"sqlite:///{tmp_path / 'dept.db'}")
    yield d
    d.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_dept: Department):
    """Demo settings with every source pointed at ``sqlite_dept``."""
    names = ["traffic_detectors", "env_monitor", "scenic_gates", "stats_bureau", "hotline_12345"]

    def make(**overrides: dict[str, Any]):
        return make_settings(tmp_path, {n: sqlite_dept.url for n in names}, **overrides)

    return make


def count(engine: sa.Engine, table: sa.Table, *where: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def rows_of(engine: sa.Engine, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).where(*where)).mappings()]


@pytest.fixture
def h():
    """These helpers (``h.Department``, ``h.traffic_rows`` …): conftest is not importable by name."""
    import sys

    return sys.modules[__name__]
