"""A realistic store for the themed pages: the demo's simulated departments, 7 days, built
once per session (~15 s), plus two open warnings so the warnings lists have something.

Overrides ``live_settings`` of ``tests/browser/conftest.py`` (whose store is empty) for
the browser scenarios in this folder; unit tests use ``demo_settings``/``demo_engine``.
"""

from __future__ import annotations

import datetime as dt

import pytest



@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory):
    from rich.console import Console

    from citybrain.demo import prepare
    from citybrain.settings import load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("pages-var"), cache_url="null")
    prepare(settings, days=7, console=Console(quiet=True))
    _add_warnings(settings)
    return settings


def _add_warnings(settings) -> None:
    from sqlalchemy import insert

    from store.engine import make_engine
    from store.schema import warnings

    now = dt.datetime.now(dt.timezone.utc)
    engine = make_engine(settings.resolved_store_url)
    rows = [
        dict(rule="aqi_high", domain="environment", scope_kind="station", scope="XC05", district="411081",
             level="orange", state="firing", title_zh="禹州市环保局 AQI 超过 200", title_en="Yuzhou AQI above 200"),
        dict(rule="tpi_high", domain="traffic", scope_kind="district", scope="411002", district="411002",
             level="yellow", state="firing", title_zh="魏都区交通拥堵", title_en="Congestion in Weidu"),
    ]
    with engine.begin() as conn:
        for r in rows:
            conn.execute(insert(warnings).values(**r, handling="unacknowledged", started_at=now - dt.timedelta(hours=2),
                                                 fired_at=now - dt.timedelta(hours=1),
                                                 open_key=f"{r['rule']}|{r['scope_kind']}|{r['scope']}"))
    engine.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_settings):
    from store.engine import make_engine

    engine = make_engine(demo_settings.resolved_store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pages_app(demo_settings):
    """The one app of this session (page callbacks register into the first app built);
    unit tests use its context for the memoized queries, the live server serves it."""
    from app import create_app

    import inspect

    # issue 8 (access control) landed concurrently: the demo store has no users, so run open
    kwargs = {"open_demo": True} if "open_demo" in inspect.signature(create_app).parameters else {}
    return create_app(demo_settings, **kwargs)


@pytest.fixture
def ctx(pages_app):
    with pages_app.server.test_request_context():
        yield


@pytest.fixture(scope="session")
def live_server(pages_app):
    import logging
    import threading

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, pages_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
