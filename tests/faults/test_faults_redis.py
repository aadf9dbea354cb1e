"""Redis stopped and started under a running app: pages answer uncached, then cached again.

The test starts its own ``redis-server`` on a free port (the shared one on 6379 is never
touched), points the app's cache at it, and drives the traffic page's real data callback
through ``/_dash-update-component``.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time

import pytest

from tests.access.harness import Harness
from tests.conftest import need

pytestmark = [pytest.mark.faults, pytest.mark.redis]


class OwnRedis:
    """A private, non-persistent redis-server this test may stop and start at will."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            need("redis-server", "not installed; apt-get install redis-server")
        self.exe = exe
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen([self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def keys(self) -> int:
        import redis

        return redis.Redis(port=self.port).dbsize()


@pytest.fixture
def own_redis():
    r = OwnRedis()
    r.start()
    yield r
    r.stop()


def test_redis_stopped_and_started_pages_answer_uncached_then_cached(own_redis, tmp_path, caplog):
    from app import create_app
    from citybrain.settings import load_settings
    from store.engine import upgrade

    settings = load_settings(env={}, data_dir=tmp_path / "var", cache_url=own_redis.url)
    upgrade(settings.resolved_store_url)
    app = create_app(settings, open_demo=True)
    harness = Harness(app, settings, None, "", "")
    body = harness.callback_body("traffic-kpis", values={"traffic-view.data": {"district": None, "range": "24h"},
                                                         "traffic-refresh.n_intervals": 1})
    client = app.server.test_client()

    def call() -> float:
        started = time.perf_counter()
        res = client.post("/_dash-update-component", json=body)
        assert res.status_code == 200, res.get_data(as_text=True)[:500]
        assert "traffic-kpis" in res.get_data(as_text=True)
        return time.perf_counter() - started

    call()
    assert own_redis.keys() > 0, "the page's queries were cached in Redis"
    cached = min(call() for _ in range(3))

    own_redis.stop()
    with caplog.at_level(logging.WARNING):
        uncached = [call() for _ in range(3)]
        for path in ("/", "/traffic", "/wall", "/healthz"):
            assert client.get(path).status_code == 200, path
    warned = [r for r in caplog.records if r.name == "citybrain.cache"]
    assert len(warned) == 1 and "serving uncached" in warned[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "no traceback per request"

    own_redis.start()  # a fresh, empty Redis on the same port
    assert own_redis.keys() == 0
    call()
    assert own_redis.keys() > 0, "the cache is used again as soon as Redis is back"
    print(f"\ntraffic callback: cached {cached * 1000:.0f} ms, Redis down {min(uncached) * 1000:.0f} ms")
