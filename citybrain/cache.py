"""The query cache shared by the web workers.

A Flask extension object (state lives in ``app.extensions``, as Flask intends): data
functions are memoized with ``@cache.memoize``; callbacks never are. The backend comes
from ``CITYBRAIN_CACHE_URL``: empty → a FileSystemCache under the data dir (safe with
several workers on one host), ``redis://…`` → RedisCache (several hosts), ``null`` → off.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask
from flask_caching import Cache
from flask_caching.backends.rediscache import RedisCache

from citybrain.settings import Settings

log = logging.getLogger("citybrain.cache")

cache = Cache()


class ResilientRedisCache(RedisCache):
    """Redis, but an unreachable Redis means "cache miss", never an error page.

    When Redis is down every read is a miss and every write is dropped, so pages are
    computed uncached — slower, still correct. A warning is logged once a minute per
    worker rather than a traceback per request, and short socket timeouts keep a dead
    remote Redis from stalling requests. Recovery needs nothing: the next call that
    reaches Redis uses it again.
    """

    WARN_EVERY = 60.0
    _OPS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "has", "clear", "inc", "dec")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("socket_timeout", 0.5)
        kwargs.setdefault("socket_connect_timeout", 0.5)
        super().__init__(*args, **kwargs)
        self._warned_at = 0.0  # per worker process; only throttles a log line

    def _guard(self, op: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return getattr(super(), op)(*args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            now = time.monotonic()
            if now - self._warned_at > self.WARN_EVERY:
                self._warned_at = now
                log.warning("Redis cache unavailable (%s); serving uncached until it is back", exc)
            return fallback

    def get(self, key: str) -> Any:
        return self._guard("get", None, key)

    def get_many(self, *keys: str) -> list[Any]:
        return self._guard("get_many", [None] * len(keys), *keys)

    def set(self, key: str, value: Any, timeout: int | None = None) -> Any:
        return self._guard("set", False, key, value, timeout)

    def set_many(self, mapping: dict[str, Any], timeout: int | None = None) -> Any:
        return self._guard("set_many", [], mapping, timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> Any:
        return self._guard("add", False, key, value, timeout)

    def delete(self, key: str) -> Any:
        return self._guard("delete", False, key)

    def delete_many(self, *keys: str) -> Any:
        return self._guard("delete_many", [], *keys)

    def has(self, key: str) -> Any:
        return self._guard("has", False, key)

    def clear(self) -> Any:
        return self._guard("clear", False)


def cache_config(settings: Settings) -> dict[str, Any]:
    url = settings.cache_url
    if url == "null":
        return {"CACHE_TYPE": "NullCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "citybrain.cache.ResilientRedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": f"citybrain:{settings.city.code}:",
                "CACHE_DEFAULT_TIMEOUT": 60}
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str((settings.data_dir / "cache").resolve()),
            "CACHE_DEFAULT_TIMEOUT": 60, "CACHE_THRESHOLD": 5000}


def init_cache(server: Flask, settings: Settings) -> None:
    cache.init_app(server, config=cache_config(settings))
