"""Opening the store and bringing its schema up to date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from citybrain.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the store at ``url``, with SQLite tuned for a dashboard.

    SQLite gets WAL (the web workers read while the scheduler writes), foreign keys
    (off by default in SQLite) and a busy timeout so a concurrent writer waits instead
    of failing; its file is created on first use, private (:func:`private_file`).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"{url!r} is not a database URL; use e.g. sqlite:///var/citybrain.db or "
            "postgresql+psycopg://user@host/db in CITYBRAIN_STORE_URL"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            private_file(Path(parsed.database))
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # libpq keepalives: a store that vanished behind a dead route (failover, a firewall
        # dropping idle flows) is noticed in ~1 minute instead of hanging a worker for hours
        args = kwargs.setdefault("connect_args", {})
        for key, value in (("keepalives", 1), ("keepalives_idle", 30), ("keepalives_interval", 10),
                           ("keepalives_count", 3)):
            args.setdefault(key, value)
    return create_engine(url, **kwargs)


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by this user only (0700); an existing
    directory is left as the operator made it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass  # another worker made it in between


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (its directory 0700 if missing).

    The SQLite store holds users' password hashes, token hashes and the audit log: it is
    created private before SQLite opens it, and SQLite gives its ``-wal`` and ``-shm``
    files the database file's mode.
    """
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates '%': escape it so URLs with %-encoded passwords survive.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> str:
    """Migrate the store at ``url`` to ``revision``; returns the revision reached."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return current_revision(engine) or ""
    except OperationalError as exc:
        raise StoreError(f"cannot open the store at {_safe(url)}: {exc.orig}; check CITYBRAIN_STORE_URL and that "
                         "the database server is running") from None
    finally:
        engine.dispose()


def open_store(settings: Any) -> Engine:
    """The store of ``settings``, ready for work: created if empty, refused if behind.

    An empty store (a fresh install) is created at once; a store at an older revision is
    not migrated behind the operator's back — that is ``citybrain db upgrade``'s job,
    run once per release — so it stops with that advice. The city's entities are synced
    from the config every time, because the config is their source of truth.
    """
    from store.entities import sync_from_config

    url = settings.resolved_store_url
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store at {_safe(url)}: {exc.orig}; check CITYBRAIN_STORE_URL and that "
                         "the database server is running") from None
    head = head_revision()
    if current is None:
        upgrade(url)
    elif current != head:
        engine.dispose()
        raise StoreError(f"the store at {_safe(url)} is at schema {current}, this release needs {head}; "
                         "run `citybrain db upgrade` first")
    sync_from_config(engine, settings)
    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
