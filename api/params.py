"""Reading query parameters strictly: a wrong value is a 400 that names the parameter and the fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import flask

from api.errors import ApiError

UTC = dt.timezone.utc
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


def text(name: str, *, max_len: int = 64) -> str | None:
    value = flask.request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_len or "\x00" in value:
        raise ApiError(400, f"{name} is too long or not text (at most {max_len} characters)")
    return value


def choice(name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    value = text(name)
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(400, f"{name}={value!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def instant(name: str) -> dt.datetime | None:
    """ISO 8601 (``2026-11-01``, ``2026-11-01T08:00:00Z``, with an offset); no offset means UTC."""
    value = text(name, max_len=40)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name}={value!r} is not an ISO 8601 time; write e.g. 2026-11-01T08:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(400, f"{name}={value!r} is out of range") from None


def page() -> tuple[int, int]:
    """(limit, offset) from ``limit`` (1–1000, default 100) and ``offset`` (≥ 0)."""
    out = []
    for name, default, lo, hi in (("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), ("offset", 0, 0, 10**9)):
        raw = flask.request.args.get(name)
        if raw is None or raw == "":
            out.append(default)
            continue
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"{name}={raw!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise ApiError(400, f"{name} must lie between {lo} and {hi}")
        out.append(value)
    return out[0], out[1]


def envelope(items: list, total: int, limit: int, offset: int) -> dict:
    """The page with the link to the next one (``next`` is null on the last page)."""
    nxt = None
    if offset + len(items) < total:
        args = flask.request.args.to_dict()
        args.update(limit=str(limit), offset=str(offset + limit))
        from urllib.parse import urlencode

        nxt = f"{flask.request.path}?{urlencode(args)}"
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}
