"""Bearer tokens and the per-token rate limit of the API.

The limit is a fixed one-minute window counted in the app's cache (flask-caching: files on
one host, Redis across hosts), so every gunicorn worker counts the same window. With the
cache switched off (``CITYBRAIN_CACHE_URL=null``) there is no limit.
"""

from __future__ import annotations

import time

import flask

from access.identity import bearer_principal
from access.roles import Principal, allowed
from access.state import state
from api.errors import ApiError
from citybrain.cache import cache

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


def _rate_limit(p: Principal) -> None:
    limit = state().config.api_rate_limit
    if limit <= 0:
        return
    try:
        backend = cache.cache
    except Exception:  # noqa: BLE001 — no cache configured: no shared counter, so no limit
        return
    window = int(time.time() // WINDOW_SECONDS)
    key = f"citybrain:ratelimit:{p.token_id}:{window}"
    backend.add(key, 0, timeout=WINDOW_SECONDS * 2)
    count = backend.inc(key)
    if count is not None and count > limit:
        retry = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
        raise ApiError(429, f"rate limit of {limit} requests a minute reached; retry in {retry} s",
                       {"Retry-After": str(retry)})


def require(resource: str) -> Principal:
    """The principal if its token may read ``resource`` through the API; 403 otherwise."""
    p = principal()
    if not allowed(p, "api", resource):
        raise ApiError(403, f"this token ({p.role}) may not read {resource}")
    return p
