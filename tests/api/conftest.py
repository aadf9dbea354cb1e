"""The access suite's shared app (``harness``), and an API of its own on each store (``api``).

``harness``: one Dash app per test session, shared with tests/access (read-mostly).
``api``: an app with an empty store of its own, on SQLite and on PostgreSQL, for tests
that write rows (time zones, keyset paging under concurrent inserts) without touching
what the shared harness's tests read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.access.conftest import shared_harness


@pytest.fixture(scope="session")
def harness(request: pytest.FixtureRequest):
    return shared_harness(request)


@dataclass
class Api:
    app: Any
    settings: Any
    engine: Any
    token: str
    backend: str

    def get(self, path: str, **query: Any) -> Any:
        return self.app.server.test_client().get(path, query_string=query or None,
                                                 headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from access.tokens import create_token
    from app import create_app
    from citybrain.settings import load_settings
    from store.engine import upgrade
    from tests.conftest import PG_URL, _fresh_database, _reachable, need

    databases: Iterator[str] | None = None
    url = None
    if request.param == "postgresql":
        problem = _reachable(PG_URL, 5432)
        if problem:
            need("PostgreSQL", f"{problem}; set CITYBRAIN_TEST_PG_URL")
        databases = _fresh_database(PG_URL, "postgres")
        url = next(databases)
    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp(f"api-{request.param}"), cache_url="null",
                             **({"store_url": url} if url else {}))
    upgrade(settings.resolved_store_url)
    app = create_app(settings)
    engine = app.server.extensions["citybrain"].engine
    _, token = create_token(engine, kind="api", name="reader", role="analyst", created_by="test", settings=settings)
    try:
        yield Api(app, settings, engine, token, request.param)
    finally:
        engine.dispose()
        if databases is not None:
            next(databases, None)  # drops the database
