"""The scheduler's single-instance lock, so two schedulers on one store never run jobs twice.

PostgreSQL has session advisory locks: the holder keeps one connection open and the
lock dies with it. A killed process releases it at once (its kernel closes the socket);
a host that vanishes (power, network) releases it when PostgreSQL's TCP keepalive gives
up on the session — bounded here to ``KEEPALIVE_BOUND`` by per-session keepalive
settings, so a standby takes over within heartbeat + that bound. SQLite has nothing alike, so
the lock is a row in ``locks`` that the holder refreshes (``heartbeat_at``); a row not
refreshed within ``ttl`` belongs to a dead process and may be taken over, with a
compare-and-set so only one of several waiting processes wins.

Every job also runs idempotently (upserts on keys, watermarks committed with their
rows), so even the short overlap a stale takeover allows cannot duplicate data.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
import zlib
from typing import Protocol

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from store.schema import locks

UTC = dt.timezone.utc

#: server-side TCP keepalive on the lock's session: idle seconds, probe interval, probes.
#: PostgreSQL's defaults follow the OS (often 2 hours), which would pin the lock to a dead host.
KEEPALIVE = (10, 5, 3)
#: the longest a vanished host keeps the advisory lock: idle + interval × probes
KEEPALIVE_BOUND = dt.timedelta(seconds=KEEPALIVE[0] + KEEPALIVE[1] * KEEPALIVE[2])


class Lock(Protocol):
    holder: str

    def acquire(self) -> bool: ...
    def refresh(self) -> bool: ...
    def release(self) -> None: ...


def holder_id() -> str:
    """Who holds the lock: host and pid for a human, a random suffix for uniqueness."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def make_lock(engine: Engine, name: str = "scheduler", ttl: dt.timedelta = dt.timedelta(seconds=60)) -> Lock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, name)
    return RowLock(engine, name, ttl)


class RowLock:
    """A row in ``locks``: held while its heartbeat is fresh; stale rows may be taken over."""

    def __init__(self, engine: Engine, name: str, ttl: dt.timedelta):
        self.engine, self.name, self.ttl = engine, name, ttl
        self.holder = holder_id()

    def acquire(self) -> bool:
        now = dt.datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(locks).where(locks.c.name == self.name)).mappings().first()
                if row is None:
                    conn.execute(locks.insert().values(name=self.name, holder=self.holder, acquired_at=now,
                                                       heartbeat_at=now))
                    return True
                if row["holder"] == self.holder:
                    return self._beat(conn, now)
                if row["heartbeat_at"] > now - self.ttl:
                    return False
                taken = conn.execute(update(locks).where(
                    locks.c.name == self.name, locks.c.holder == row["holder"],
                    locks.c.heartbeat_at == row["heartbeat_at"],
                ).values(holder=self.holder, acquired_at=now, heartbeat_at=now))
                return taken.rowcount == 1
        except IntegrityError:  # another process inserted the row first
            return False

    def refresh(self) -> bool:
        with self.engine.begin() as conn:
            return self._beat(conn, dt.datetime.now(UTC))

    def _beat(self, conn: Connection, now: dt.datetime) -> bool:
        done = conn.execute(update(locks).where(locks.c.name == self.name, locks.c.holder == self.holder)
                            .values(heartbeat_at=now))
        return done.rowcount == 1

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == self.name, locks.c.holder == self.holder))


class AdvisoryLock:
    """A PostgreSQL session advisory lock held on one dedicated connection."""

    def __init__(self, engine: Engine, name: str):
        self.engine, self.name = engine, name
        self.key = zlib.crc32(f"citybrain:{name}".encode())  # fits a signed bigint
        self.holder = holder_id()
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.refresh()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            idle, interval, count = KEEPALIVE
            # session-level settings (ignored on a Unix socket, where a dead peer cannot linger)
            for name, value in (("idle", idle), ("interval", interval), ("count", count)):
                conn.execute(text(f"SET tcp_keepalives_{name} = {int(value)}"))
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except DBAPIError:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def refresh(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND objid::bigint = :k AND granted"), {"k": self.key}).scalar()
            if held:
                return True
        except DBAPIError:
            pass
        self._drop()
        return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        except DBAPIError:
            pass
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None
