"""Fixtures for the alerts tests: a migrated SQLite store, Xuchang settings, row writers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from store.engine import make_engine, upgrade
from store.schema import indicators

UTC = timezone.utc
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in Xuchang


@pytest.fixture
def settings(settings_factory):
    return settings_factory()


@pytest.fixture
def store_url(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(url)
    return url


@pytest.fixture
def store(store_url):
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


def _put(engine, name, grain, scope_kind, scope, rows, computed_at=T0):
    """Insert indicator rows: ``rows`` is [(time, value), ...]."""
    with engine.begin() as conn:
        conn.execute(insert(indicators), [
            {"name": name, "grain": grain, "scope_kind": scope_kind, "scope": scope, "time": t, "value": v,
             "computed_at": computed_at} for t, v in rows])


@pytest.fixture
def put():
    """``put(engine, name, grain, scope_kind, scope, [(time, value), ...])`` writes indicator rows."""
    return _put
