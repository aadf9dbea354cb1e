"""The demo's five simulated department systems (交通, 环保, 文旅, 统计局, 12345).

Each is a separate database shaped like the real department's system — its own table and
column names, naive local timestamps, codes and quirks — never citybrain's schema; the
``[[sources]]`` of the city config map them onto citybrain's canonical shapes.

API (the CLI, ``citybrain demo`` and the connector tests call exactly this):

``DEPARTMENTS``
    ``("traffic", "environment", "tourism", "economy", "hotline")``.
``default_urls(settings) -> dict[str, str]``
    SQLite URLs ``<settings.departments_dir>/<department>.db`` — the files the config's
    sources point at through ``${CITYBRAIN_DATA_DIR}/departments/``.
``create(settings, urls=None, *, target_url=None, end=None, days=None, seed=None,
departments=None, progress=None) -> dict[str, int]``
    Drops and recreates the departments' tables and writes ``days`` of history (default
    ``settings.demo.days``, at most 365; statistics always from 2021-01) ending at ``end``
    (tz-aware; default now floored to 5 minutes). ``urls`` overrides some departments'
    URLs; ``target_url`` puts all of them in ONE database (table names are distinct).
    ``progress(department, done, total)`` is called per chunk. Returns rows per table.
``advance(settings, urls=None, *, target_url=None, until=None, seed=None,
departments=None) -> dict[str, int]``
    Writes what became due up to ``until`` (default now): new rows, ticket lifecycle
    steps, late and audited air rows, incident ends, statistics published or revised.
    Where each table stands is read from the database itself, so it is idempotent and
    needs no state. Returns rows inserted or updated per table.

Every value is a pure function of (seed, department, entity, time) — see
:mod:`simulator.feed` and :mod:`simulator.rng` — so the same seed and range give the same
rows, and history plus ``advance`` equals a longer history. The national holiday calendar
the generators follow is data in :mod:`simulator.holidays`, importable on its own.

Timestamps: naive local time in ``settings.city.timezone``; TEXT 'YYYY-MM-DD HH:MM:SS' on
SQLite, TIMESTAMP WITHOUT TIME ZONE / DATETIME on PostgreSQL / MariaDB.
"""

from simulator.core import DEPARTMENTS, NotCreatedError, advance, create, default_urls

__all__ = ["DEPARTMENTS", "NotCreatedError", "advance", "create", "default_urls"]
