"""Bearer tokens and the per-token rate limit of the API.

The limit is a fixed one-minute window per token, counted atomically in the app's cache
(:func:`citybrain.cache.count`: Redis ``INCR`` + ``EXPIRE`` across hosts, a locked counter
in the file cache on one host), so every worker and thread counts the same window and
concurrent requests cannot slip past it. When Redis is unreachable the API still answers:
each worker process counts by itself meanwhile (so the limit holds per process) and a
warning says so once a minute. With the cache switched off (``CITYBRAIN_CACHE_URL=null``)
there is no limit.
"""

from __future__ import annotations

import logging
import threading
import time

import flask

from access.identity import bearer_principal
from access.roles import Principal, allowed
from access.state import state
from api.errors import ApiError
from citybrain.cache import cache, count

log = logging.getLogger("citybrain.api")

WINDOW_SECONDS = 60


def principal() -> Principal:
    """The token's principal; 401 without a live token, 403 for roles without API access."""
    found = getattr(flask.g, "api_principal", None)
    if found is not None:
        return found
    found = bearer_principal()
    if found is None:
        raise ApiError(401, "send a live API token: `Authorization: Bearer cbt_…` (create one with "
                            "`citybrain token create --role analyst`)", {"WWW-Authenticate": "Bearer"})
    _rate_limit(found)
    flask.g.api_principal = found
    flask.g.user = found
    return found


#: where an app keeps its per-process fallback counter (``app.extensions``)
LOCAL_COUNTER = "citybrain.api.ratelimit"
#: how often the "counting per process" warning may repeat, per process
WARN_EVERY_S = 60.0


class LocalCounter:
    """Per-process window counts, used while the shared counter is unreachable. Lives in
    the app's extensions (one per app and process), locked for the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.window = -1
        self.warned_at = -WARN_EVERY_S

    def count(self, key: str, window: int) -> int:
        with self.lock:
            if window != self.window:  # a new minute: the old counts can go
                self.counts.clear()
                self.window = window
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def should_warn(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.warned_at < WARN_EVERY_S:
                return False
            self.warned_at = now
            return True


def _local_counter() -> LocalCounter:
    extensions = flask.current_app.extensions
    found = extensions.get(LOCAL_COUNTER)
    if found is None:
        found = extensions.setdefault(LOCAL_COUNTER, LocalCounter())  # setdefault: one per app even if threads race
    return found


def _shared_counter_configured() -> bool:
    try:
        return hasattr(cache.cache, "count")
    except Exception:  # noqa: BLE001 — no cache set up on this app
        return False


def _rate_limit(p: Principal) -> None:
    limit = state().config.api_rate_limit
    if limit <= 0 or not _shared_counter_configured():
        return
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:{p.token_id}:{window}"
    used = count(key, WINDOW_SECONDS * 2)
    if used is None:  # Redis unreachable: answer anyway, counting in this process
        local = _local_counter()
        if local.should_warn():
            log.warning("API rate limit counted per worker process while the shared cache is unreachable "
                        "(up to %d requests a minute per token per process)", limit)
        used = local.count(key, window)
    if used > limit:
        retry = max(1, WINDOW_SECONDS - int(now) % WINDOW_SECONDS)
        raise ApiError(429, f"rate limit of {limit} requests a minute reached; retry in {retry} s",
                       {"Retry-After": str(retry)})


def require(resource: str) -> Principal:
    """The principal if its token may read ``resource`` through the API; 403 otherwise."""
    p = principal()
    if not allowed(p, "api", resource):
        raise ApiError(403, f"this token ({p.role}) may not read {resource}")
    return p
