"""The query cache: Redis when it is there, uncached (and a warning) when it is not."""

from __future__ import annotations

import logging
import random
import time

import pytest
from flask import Flask

from citybrain.cache import cache_config


def memoized_app(url: str):
    from flask_caching import Cache

    server = Flask("t")
    c = Cache()
    from citybrain.settings import load_settings

    settings = load_settings(env={}, cache_url=url)
    c.init_app(server, config=cache_config(settings))
    calls = []

    @c.memoize(timeout=60)
    def data(x: int) -> int:
        calls.append(x)
        return x * 2

    return server, data, calls


@pytest.mark.redis
def test_real_redis_memoizes(redis_url):
    import random

    server, data, calls = memoized_app(redis_url)
    x = random.randrange(10**12)  # a key no earlier run left in Redis
    with server.app_context():
        assert data(x) == 2 * x and data(x) == 2 * x
    assert calls == [x], "the second call came from Redis"


def test_redis_down_serves_uncached_with_one_warning(caplog):
    server, data, calls = memoized_app("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="citybrain.cache"), server.app_context():
        assert [data(1), data(1), data(2)] == [2, 2, 4]
    assert calls == [1, 1, 2], "every call computed: uncached, not an error"
    warnings = [r for r in caplog.records if r.name == "citybrain.cache"]
    assert len(warnings) == 1 and "serving uncached" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "no traceback per request"


def test_backend_choice():
    from citybrain.settings import load_settings

    assert cache_config(load_settings(env={}, cache_url="null"))["CACHE_TYPE"] == "NullCache"
    assert cache_config(load_settings(env={}))["CACHE_TYPE"].endswith("LockingFileSystemCache")
    assert cache_config(load_settings(env={}, cache_url="redis://r:6379/0"))["CACHE_TYPE"].endswith("ResilientRedisCache")


# ------------------------------------------------------------------ single-flight fills

def flight_app(url: str, tmp_path):
    """An app whose global query cache (the one ``citybrain.cache.memoize`` uses) is ``url``."""
    from citybrain.cache import init_cache
    from citybrain.settings import load_settings

    server = Flask("flight")
    init_cache(server, load_settings(env={"CITYBRAIN_DATA_DIR": str(tmp_path)}, cache_url=url))
    return server


def make_slow(seconds: float, fail_first: bool = False):
    """A memoized data function that takes ``seconds`` and records each real computation."""
    import threading

    from citybrain.cache import memoize

    calls: list[int] = []
    lock = threading.Lock()

    def slow(x: int) -> dict:
        with lock:
            calls.append(x)
            first = len(calls) == 1
        time.sleep(seconds)
        if fail_first and first:
            raise RuntimeError("the filler's query failed")
        return {"x": x, "twice": 2 * x}

    slow.__qualname__ = f"slow_{random.randrange(10**12)}"  # keys no earlier run left behind
    return memoize(60)(slow), calls


def call_together(server, fn, x: int, n: int) -> list:
    """``n`` threads call ``fn(x)`` at the same instant (each in its own app context)."""
    import threading

    barrier = threading.Barrier(n)
    out: list = [None] * n

    def one(i: int) -> None:
        with server.app_context():
            barrier.wait()
            try:
                out[i] = fn(x)
            except Exception as exc:  # noqa: BLE001 — the test inspects what each caller got
                out[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.mark.redis
def test_redis_cold_entry_is_filled_once_for_concurrent_callers(redis_url, tmp_path):
    server = flight_app(redis_url, tmp_path)
    fn, calls = make_slow(0.3)
    x = random.randrange(10**9)
    got = call_together(server, fn, x, 8)
    assert got == [{"x": x, "twice": 2 * x}] * 8
    assert calls == [x], "one caller computed; seven waited for its result"
    with server.app_context():
        assert fn(x) == {"x": x, "twice": 2 * x} and calls == [x], "and the entry is memoized"


def test_filesystem_cache_fills_once_too(tmp_path):
    server = flight_app("", tmp_path)  # the default: FileSystemCache under the data dir
    fn, calls = make_slow(0.3)
    got = call_together(server, fn, 7, 6)
    assert got == [{"x": 7, "twice": 14}] * 6 and calls == [7]


@pytest.mark.redis
def test_failed_fill_lets_the_waiters_compute_themselves(redis_url, tmp_path):
    server = flight_app(redis_url, tmp_path)
    fn, calls = make_slow(0.2, fail_first=True)
    got = call_together(server, fn, 3, 5)
    errors = [g for g in got if isinstance(g, Exception)]
    assert len(errors) == 1 and "failed" in str(errors[0]), "only the filler saw its own failure"
    assert [g for g in got if not isinstance(g, Exception)] == [{"x": 3, "twice": 6}] * 4
    assert len(calls) >= 2, "a waiter computed once the filler's lock was gone"


def test_unreachable_cache_computes_per_caller_without_waiting(tmp_path):
    server = flight_app("redis://127.0.0.1:1/0", tmp_path)
    fn, calls = make_slow(0.2)
    started = time.monotonic()
    got = call_together(server, fn, 5, 4)
    assert got == [{"x": 5, "twice": 10}] * 4 and len(calls) == 4
    assert time.monotonic() - started < 0.2 * 4, "side by side, nobody waited on a lock it could not see"


def test_uncached_is_the_plain_function():
    from store.queries import wall

    assert wall.snapshot.uncached is wall._snapshot and wall.air.uncached is wall._air
