"""The single-instance lock: a row with heartbeat on SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from jobs.lock import KEEPALIVE, AdvisoryLock, RowLock, make_lock
from store.engine import make_engine, upgrade
from store.schema import locks


def test_row_lock_excludes_a_second_holder_until_its_heartbeat_is_stale(env):
    ttl = dt.timedelta(seconds=30)
    first, second = RowLock(env.store, "scheduler", ttl), RowLock(env.store, "scheduler", ttl)
    assert first.acquire() and first.acquire()  # re-entrant for its holder
    assert not second.acquire()
    assert first.refresh()
    # first stops beating: age its heartbeat past the ttl
    with env.store.begin() as conn:
        conn.execute(sa.update(locks).values(heartbeat_at=dt.datetime.now(dt.timezone.utc) - 2 * ttl))
    assert second.acquire()
    assert not first.refresh() and not first.acquire()  # the old holder learns it lost
    first.release()  # releasing a lock one no longer holds leaves the new holder alone
    assert second.refresh()
    second.release()
    assert env.scalar(sa.select(sa.func.count()).select_from(locks)) == 0
    assert first.acquire()


@pytest.mark.postgres
def test_advisory_lock_on_postgresql(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        first, second = make_lock(engine), make_lock(engine)
        assert isinstance(first, AdvisoryLock)
        assert first.acquire() and first.refresh()
        assert not second.acquire()
        # a vanished host frees the lock within KEEPALIVE_BOUND, not the OS's two hours
        if first._conn.execute(sa.text("SELECT inet_client_addr()")).scalar() is not None:  # TCP, not a socket
            assert first._conn.execute(sa.text("SHOW tcp_keepalives_idle")).scalar() == str(KEEPALIVE[0])
        first.release()
        assert not first.refresh()
        assert second.acquire() and second.refresh()
        # the lock dies with its session: a killed holder frees it at once
        second._conn.invalidate()
        second._conn = None
        assert first.acquire()
        first.release()
    finally:
        engine.dispose()
