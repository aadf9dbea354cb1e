"""Shared fixtures: real services when present, a clear skip when not — except in CI.

Tests that need PostgreSQL, MariaDB, Redis or Chromium ask for the matching fixture.
On a laptop without the service they skip and say which variable to set; under
``CI=true`` a missing service is a failure, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PG_URL = os.environ.get("CITYBRAIN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("CITYBRAIN_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("CITYBRAIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
#: the full-length runs (``longrun``: 3 × 300 fault rounds, the 10-minute load) only when asked
FULL_RUNS = os.environ.get("CITYBRAIN_FULL_RUNS") == "1"


def pytest_collection_modifyitems(config, items) -> None:
    """Leave the ``longrun`` tests out unless ``CITYBRAIN_FULL_RUNS=1``: deselected, not
    skipped — under CI a skip means a service was missing, and none is."""
    if FULL_RUNS:
        return
    keep = [i for i in items if i.get_closest_marker("longrun") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("longrun") is not None])
        items[:] = keep


def need(service: str, reason: str) -> None:
    """Skip (laptop) or fail (CI) because ``service`` is unavailable."""
    message = f"{service} unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} — CI=true requires it (see .ci/run)")
    pytest.skip(message)


def _reachable(url: str, default_port: int) -> str | None:
    parts = urlsplit(url.replace("+psycopg", "").replace("+pymysql", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc})"


def _fresh_database(admin_url: str, kind: str) -> Iterator[str]:
    import sqlalchemy as sa

    name = f"cb_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield url
    finally:
        with admin.connect() as conn:
            if kind == "postgres":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    problem = _reachable(PG_URL, 5432)
    if problem:
        need("PostgreSQL", f"{problem}; set CITYBRAIN_TEST_PG_URL")
    yield from _fresh_database(PG_URL, "postgres")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MariaDB database for one test, dropped afterwards."""
    problem = _reachable(MYSQL_URL, 3306)
    if problem:
        need("MariaDB", f"{problem}; set CITYBRAIN_TEST_MYSQL_URL")
    yield from _fresh_database(MYSQL_URL, "mariadb")


@pytest.fixture
def redis_url() -> str:
    problem = _reachable(REDIS_URL, 6379)
    if problem:
        need("Redis", f"{problem}; set CITYBRAIN_TEST_REDIS_URL")
    return REDIS_URL


def chromium_executable() -> str:
    path = os.environ.get("CITYBRAIN_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        need("Chromium", f"{path} not found; apt-get install chromium or set CITYBRAIN_CHROMIUM")
    return path


@pytest.fixture
def settings_factory(tmp_path: Path):
    """Settings for the demo city with a private data dir (and any overrides)."""
    from citybrain.settings import load_settings

    def make(config: str | Path | None = None, **overrides):
        overrides.setdefault("data_dir", tmp_path / "var")
        return load_settings(config, env={}, **overrides)

    return make


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Debian's, driven by Playwright)."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    from tests.browserkit import CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(params=[(1920, 1080), (1440, 900)], ids=["wall-1920", "office-1440"])
def page_at(request, browser):
    """A fresh page at a wall and an office size; fails the test on any console error."""
    from tests.browserkit import open_page

    width, height = request.param
    context, page, watch = open_page(browser, width, height)
    page.cb_size = f"{width}x{height}"
    yield page
    context.close()
    shown = [e[:300] for e in watch.errors[:3]]
    assert watch.errors == [], f"{len(watch.errors)} console error(s), first: {shown}"


@pytest.fixture(autouse=True, scope="session")
def _test_clients_send_origin():
    """Flask's test client sends no ``Origin``, browsers do on every POST: the cross-site
    check (access/csrf.py) refuses a POST without one. The tests' clients name their own
    host like a browser; a test of the check itself builds a plain ``FlaskClient``."""
    import flask
    from flask.testing import FlaskClient

    class SameOriginClient(FlaskClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.environ_base.setdefault("HTTP_ORIGIN", "http://localhost")

    before = flask.Flask.test_client_class
    flask.Flask.test_client_class = SameOriginClient
    yield
    flask.Flask.test_client_class = before
