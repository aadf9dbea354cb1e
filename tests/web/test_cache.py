"""The query cache: Redis when it is there, uncached (and a warning) when it is not."""

from __future__ import annotations

import logging

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
    assert cache_config(load_settings(env={}))["CACHE_TYPE"] == "FileSystemCache"
    assert cache_config(load_settings(env={}, cache_url="redis://r:6379/0"))["CACHE_TYPE"].endswith("ResilientRedisCache")
