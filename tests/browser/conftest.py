"""The home-page browser scenarios' app: an empty store (the sources are never polled).

``browser`` and ``page_at`` come from tests/conftest.py; helpers from tests/browserkit.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.browserkit import assert_no_overflow, open_page, screenshot  # noqa: F401 — re-exported for older imports


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory):
    from citybrain.settings import load_settings
    from store.engine import upgrade

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("browser-var"))
    upgrade(settings.resolved_store_url)
    return settings


@pytest.fixture(scope="session")
def live_server(live_settings) -> Iterator[str]:
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app(live_settings, open_demo=True)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
