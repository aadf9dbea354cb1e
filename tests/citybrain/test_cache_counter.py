"""citybrain.cache's atomic counter (the API rate limit's): Redis INCR + EXPIRE, the file
cache's flock'd counter across threads and processes, and no exception while Redis is
down — for ``inc``/``dec`` too, which used to raise through ResilientRedisCache."""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import stat
import threading
import uuid

import pytest

from citybrain.cache import LockingFileSystemCache, ResilientRedisCache


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hammer(counter, key: str, threads: int = 16, each: int = 50) -> None:
    workers = [threading.Thread(target=lambda: [counter.count(key, 60) for _ in range(each)]) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


@pytest.mark.redis
def test_redis_counter_is_atomic_and_expires(redis_url):
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    backend = ResilientRedisCache(host=parts.hostname, port=parts.port or 6379, db=int(parts.path.strip("/") or 0),
                                  key_prefix="cbtest:")
    key = f"count:{uuid.uuid4().hex}"
    _hammer(backend, key)
    assert backend.count(key, 60) == 16 * 50 + 1
    assert 0 < backend._write_client.ttl(f"cbtest:{key}") <= 60
    backend.delete(key)


def test_redis_down_counts_nothing_and_raises_nothing(caplog):
    caplog.set_level(logging.WARNING)
    backend = ResilientRedisCache(host="127.0.0.1", port=_closed_port())
    assert backend.count("k", 60) is None
    assert backend.inc("k") is None and backend.dec("k") is None  # these raised before
    assert backend.get("k") is None and backend.add("k", 1) is False
    warned = [r for r in caplog.records if r.name == "citybrain.cache"]
    assert len(warned) == 1, "one warning a minute per worker, not one per call"


def test_file_counter_is_atomic_across_threads(tmp_path):
    backend = LockingFileSystemCache(str(tmp_path / "cache"), threshold=5000, default_timeout=60)
    _hammer(backend, "hits")
    assert backend.get("hits") == 16 * 50


def _count_in_process(path: str, n: int) -> None:
    backend = LockingFileSystemCache(path, threshold=5000, default_timeout=60)
    for _ in range(n):
        backend.count("hits", 60)


def test_file_counter_is_atomic_across_processes(tmp_path):
    path = str(tmp_path / "cache")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_count_in_process, args=(path, 150)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert LockingFileSystemCache(path, threshold=5000).get("hits") == 600


def test_file_cache_is_private(tmp_path):
    path = tmp_path / "data" / "cache"
    backend = LockingFileSystemCache(str(path), threshold=5000, default_timeout=60)
    backend.set("page", {"rows": [1, 2]})
    backend.add("lock", 1)
    backend.count("hits", 60)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    for name in os.listdir(path):
        assert stat.S_IMODE(os.stat(path / name).st_mode) == 0o600, name
    assert LockingFileSystemCache.COUNTER_LOCK in os.listdir(path) and backend.get("page") == {"rows": [1, 2]}
