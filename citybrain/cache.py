"""The query cache shared by the web workers.

A Flask extension object (state lives in ``app.extensions``, as Flask intends): data
functions are memoized with ``@cache.memoize``; callbacks never are. The backend comes
from ``CITYBRAIN_CACHE_URL``: empty → a FileSystemCache under the data dir (safe with
several workers on one host), ``redis://…`` → RedisCache (several hosts), ``null`` → off.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_caching import Cache

from citybrain.settings import Settings

cache = Cache()


def cache_config(settings: Settings) -> dict[str, Any]:
    url = settings.cache_url
    if url == "null":
        return {"CACHE_TYPE": "NullCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": f"citybrain:{settings.city.code}:",
                "CACHE_DEFAULT_TIMEOUT": 60}
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str((settings.data_dir / "cache").resolve()),
            "CACHE_DEFAULT_TIMEOUT": 60, "CACHE_THRESHOLD": 5000}


def init_cache(server: Flask, settings: Settings) -> None:
    cache.init_app(server, config=cache_config(settings))
