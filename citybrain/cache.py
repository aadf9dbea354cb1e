"""The query cache shared by the web workers.

A Flask extension object (state lives in ``app.extensions``, as Flask intends): data
functions are memoized with :func:`memoize` (``cache.memoize`` with single-flight fills);
callbacks never are. The backend comes from ``CITYBRAIN_CACHE_URL``: empty → a
FileSystemCache under the data dir (safe with several workers on one host), ``redis://…``
→ RedisCache (several hosts), ``null`` → off.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache
from flask_caching.backends.filesystemcache import FileSystemCache
from flask_caching.backends.rediscache import RedisCache

from citybrain.settings import Settings

log = logging.getLogger("citybrain.cache")

cache = Cache()

F = TypeVar("F", bound=Callable[..., Any])

#: How long a caller waits for another worker's fill of the same entry before computing
#: it itself (a fill that takes longer than this is no worse off than without the wait).
FLIGHT_WAIT_S = 10.0
#: How often a waiting caller looks for the result (two cache round trips per look).
FLIGHT_POLL_S = 0.005
#: How long a finished fill's result stays readable for its waiters: short (and never
#: longer than the entry's own lifetime), so a reader gets at most this much older data.
FLIGHT_RESULT_S = 2


def memoize(timeout: int) -> Callable[[F], F]:
    """``cache.memoize(timeout=…)`` whose misses are filled once, not once per caller.

    When an entry expires (or the cache was emptied), every wall and page asking for it
    at that moment would otherwise run the same queries side by side — ten walls, ten
    times the work on the same two cores, and every one of them slower for it (issue 10:
    cold p95 at ten walls). Here the first caller takes a lock entry (``add``, atomic in
    Redis) and computes; the others wait for its result, polling the cache, and compute
    themselves only if the lock disappears without a result (the filler failed), the
    cache is unreachable, or :data:`FLIGHT_WAIT_S` passes. The lock expires on its own,
    so a worker killed mid-fill blocks no one for long.

    ``fn.uncached`` stays the plain function (tests call it with their own ``now``).
    """

    def decorate(fn: F) -> F:
        memoized = cache.memoize(timeout=timeout)(_single_flight(fn, result_s=min(FLIGHT_RESULT_S, timeout)))
        memoized.uncached = fn
        return memoized  # type: ignore[return-value]

    return decorate


def _single_flight(fn: Callable[..., Any], *, result_s: int) -> Callable[..., Any]:
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def fill(*args: Any, **kwargs: Any) -> Any:
        backend = cache.cache
        digest = hashlib.sha1(f"{name}{args!r}{sorted(kwargs.items())!r}".encode()).hexdigest()[:24]
        lock_key, result_key = f"flight:lock:{digest}", f"flight:result:{digest}"
        if backend.add(lock_key, 1, timeout=int(FLIGHT_WAIT_S) + 5):
            try:
                value = fn(*args, **kwargs)
                backend.set(result_key, (value,), timeout=result_s)
                return value
            finally:
                backend.delete(lock_key)
        deadline = time.monotonic() + FLIGHT_WAIT_S
        while time.monotonic() < deadline:
            found = backend.get(result_key)
            if found is not None:
                return found[0]
            if not backend.has(lock_key):
                # the filler finished in between (its result is readable now) or failed
                found = backend.get(result_key)
                if found is not None:
                    return found[0]
                break
            time.sleep(FLIGHT_POLL_S)
        return fn(*args, **kwargs)

    return fill


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
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kwargs.setdefault("socket_timeout", 0.5)
        kwargs.setdefault("socket_connect_timeout", 0.5)
        # redis-py 6+ retries a refused connection three times with backoff by default (4 s
        # per call here); a cache that is down should cost one attempt, not stall requests
        kwargs.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(*args, **kwargs)
        self._warned_at = 0.0  # per worker process; only throttles a log line

    def _guard(self, op: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(lambda: getattr(super(ResilientRedisCache, self), op)(*args, **kwargs), fallback)

    def _guarded(self, call: Callable[[], Any], fallback: Any) -> Any:
        import redis

        try:
            return call()
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

    def inc(self, key: str, delta: int = 1) -> Any:
        return self._guard("inc", None, key, delta)

    def dec(self, key: str, delta: int = 1) -> Any:
        return self._guard("dec", None, key, delta)

    def count(self, key: str, ttl: int) -> int | None:
        """Add one to the counter ``key`` and return the new count — ``INCR`` and ``EXPIRE``
        in one ``MULTI``, so every worker on every host counts the same number and the
        counter cannot outlive ``ttl`` seconds after its last use. None while Redis is
        unreachable (the caller counts by itself meanwhile)."""
        def incr() -> int:
            name = self._get_prefix() + key
            pipe = self._write_client.pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, ttl)
            return int(pipe.execute()[0])

        return self._guarded(incr, None)


class LockingFileSystemCache(FileSystemCache):
    """The file cache, with an ``add`` that is atomic across threads and processes.

    cachelib's ``add`` checks that the file is missing and then writes it, so two workers
    can both "win" — harmless for data, but :func:`memoize` uses ``add`` as the lock of a
    fill. Here the entry is written to a temporary file and hard-linked into place:
    ``link`` fails when the name exists, so exactly one caller wins. An expired entry (a
    lock whose filler was killed) is removed first.
    """

    #: the lock file of :meth:`count` (one for all counters: an increment takes microseconds)
    COUNTER_LOCK = "__citybrain_counters.lock"

    def __init__(self, cache_dir: str, *args: Any, **kwargs: Any) -> None:
        from store.engine import private_dir

        private_dir(Path(cache_dir))  # 0700: cached pages hold what only signed-in readers may see
        super().__init__(cache_dir, *args, **kwargs)

    def count(self, key: str, ttl: int) -> int:
        """Add one to the counter ``key`` and return the new count, under an exclusive
        ``flock`` on one lock file in the cache directory: atomic across the threads and
        worker processes of this host (cachelib's own ``inc`` is a read then a write, and
        32 threads lose most of their increments)."""
        lock = os.path.join(self._path, self.COUNTER_LOCK)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            value = int(self.get(key) or 0) + 1
            self.set(key, value, timeout=ttl)
            return value
        finally:
            os.close(fd)  # closing releases the lock

    def _list_dir(self) -> list[str]:
        # the counters' lock file is not an entry: never counted, never pruned
        return [f for f in super()._list_dir() if not f.endswith(self.COUNTER_LOCK)]

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        filename = self._get_filename(key)
        if os.path.exists(filename):
            if self.has(key):
                return False
            with contextlib.suppress(FileNotFoundError):
                os.remove(filename)
        try:
            fd, tmp = tempfile.mkstemp(suffix=self._fs_transaction_suffix, dir=self._path)
            with os.fdopen(fd, "wb") as f:
                f.write(struct.pack("I", self._normalize_timeout(timeout)))
                self.serializer.dump(value, f)
        except OSError:
            log.warning("cannot write cache file in %s", self._path, exc_info=True)
            return False
        try:
            os.link(tmp, filename)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        self._update_count(delta=1)  # delete() counts it out again
        return True


def count(key: str, ttl: int) -> int | None:
    """Add one to the shared counter ``key`` (kept ``ttl`` seconds) and return the count,
    atomically across workers: Redis ``INCR``, or the file cache's locked counter. None
    when there is no shared counter — the cache is off, or Redis is unreachable."""
    try:
        backend = cache.cache
    except Exception:  # noqa: BLE001 — no cache set up on this app
        return None
    counter = getattr(backend, "count", None)
    return counter(key, ttl) if counter is not None else None


def cache_config(settings: Settings) -> dict[str, Any]:
    url = settings.cache_url
    if url == "null":
        return {"CACHE_TYPE": "NullCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "citybrain.cache.ResilientRedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": f"citybrain:{settings.city.code}:",
                "CACHE_DEFAULT_TIMEOUT": 60}
    return {"CACHE_TYPE": "citybrain.cache.LockingFileSystemCache", "CACHE_DIR": str((settings.data_dir / "cache").resolve()),
            "CACHE_DEFAULT_TIMEOUT": 60, "CACHE_THRESHOLD": 5000}


def init_cache(server: Flask, settings: Settings) -> None:
    cache.init_app(server, config=cache_config(settings))
