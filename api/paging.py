"""Keyset paging for the API's lists: a signed cursor that names the last row sent.

A page is "the next ``limit`` rows after this key" in the list's total order (the order
ends with the table's primary key, so it is strict): each page costs one index range
read whatever its depth, and rows written while a client pages never shift the pages
(with ``offset``, a row inserted before the current position sent a row twice and a
deleted one skipped a row). Every row present from the first page to the last is sent
exactly once; a row inserted behind the cursor meanwhile is not sent (it belongs to a
later pull), one inserted ahead of it is.

The cursor is opaque to clients: the last key and a digest of the query (path and
filters), serialised by ``itsdangerous`` and signed with the app's secret key (HMAC,
RFC 2104). A cursor that was not issued by this app, or that is replayed on another
query, is a 400 before any SQL runs. ``next`` is the ready link to the following page,
as it always was; ``offset`` is still read for old clients (its pages cost what they
did), and its ``next`` continues by cursor.

``total`` is counted on the first page only: counting on every page would make each page
cost the whole result again. Pages reached by cursor carry ``total`` and ``offset`` as
null.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import flask
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from api import params
from api.errors import ApiError

UTC = dt.timezone.utc
#: query parameters that move through a list rather than choose it
PAGING = ("cursor", "limit", "offset")
_SALT = "citybrain.api.cursor.v1"
MAX_CURSOR = 1024


@dataclass(frozen=True)
class Key:
    """One column of a list's order: the column, its direction, and its value type in a cursor."""

    column: ColumnElement[Any]
    name: str
    kind: str = "text"  # text | int | time | date
    descending: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int | None
    limit: int
    offset: int | None
    next: str | None

    def envelope(self, items: list[Any]) -> dict[str, Any]:
        return {"items": items, "total": self.total, "limit": self.limit, "offset": self.offset, "next": self.next}


def fetch(conn: Any, q: Select, keys: list[Key]) -> Page:
    """The page of ``q`` (no ORDER BY of its own) that the request's ``limit``, ``cursor`` or ``offset`` ask for."""
    limit = params.whole("limit", params.DEFAULT_LIMIT, 1, params.MAX_LIMIT)
    raw_cursor, raw_offset = params.raw("cursor"), params.raw("offset")
    if raw_cursor is not None and raw_offset is not None:
        raise ApiError(400, "give cursor or offset, not both (follow the next link)")
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    total: int | None = None
    offset: int | None = None
    if raw_cursor is not None:
        after = _decode(raw_cursor, keys)
        page_q = q.where(after_key(keys, after)).order_by(*order).limit(limit + 1)
    else:
        offset = params.whole("offset", 0, 0, params.MAX_OFFSET)
        total = conn.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one()
        page_q = q.order_by(*order).limit(limit + 1).offset(offset)
    rows = [dict(r._mapping) for r in conn.execute(page_q)]
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = _next_link([rows[-1][k.name] for k in keys], keys, limit) if more and rows else None
    return Page(rows, total, limit, offset, nxt)


def after_key(keys: list[Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (row-value comparison, spelt out
    so that every backend can use the index on the first key: ``k1 >= v1 AND (k1 > v1 OR …)``)."""
    def beyond(k: Key, v: Any) -> ColumnElement[bool]:
        return k.column < v if k.descending else k.column > v

    alternatives = []
    for i, (k, v) in enumerate(zip(keys, values, strict=True)):
        alternatives.append(and_(*[kk.column == vv for kk, vv in zip(keys[:i], values[:i], strict=True)],
                                 beyond(k, v)))
    first, v0 = keys[0], values[0]
    bound = first.column <= v0 if first.descending else first.column >= v0
    return and_(bound, or_(*alternatives))


def _query_digest() -> str:
    """What a cursor is bound to: this path and its filters (everything but the paging)."""
    args = sorted((k, v) for k, vs in flask.request.args.lists() if k not in PAGING for v in vs)
    text = flask.request.path + "?" + urlencode(args)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(flask.current_app.secret_key, salt=_SALT)  # create_app always sets one


def _next_link(last: list[Any], keys: list[Key], limit: int) -> str:
    payload = {"q": _query_digest(), "k": [_dump(v, k) for v, k in zip(last, keys, strict=True)]}
    args = [(k, v) for k, vs in flask.request.args.lists() if k not in PAGING for v in vs]
    args += [("limit", str(limit)), ("cursor", _serializer().dumps(payload))]
    return f"{flask.request.path}?{urlencode(args)}"


def _decode(raw: str, keys: list[Key]) -> list[Any]:
    problem = ApiError(400, "cursor is not one this API issued for this query; start again without it "
                            "and follow the next links")
    if len(raw) > MAX_CURSOR:
        raise problem
    try:
        payload = _serializer().loads(raw)
    except BadSignature:
        raise problem from None
    if not isinstance(payload, dict) or payload.get("q") != _query_digest():
        raise problem
    values = payload.get("k")
    if not isinstance(values, list) or len(values) != len(keys):
        raise problem
    try:
        return [_load(v, k) for v, k in zip(values, keys, strict=True)]
    except (TypeError, ValueError):
        raise problem from None


def _dump(value: Any, key: Key) -> Any:
    if key.kind == "time":
        return value.astimezone(UTC).isoformat()
    if key.kind == "date":
        return value.isoformat()
    return value


def _load(value: Any, key: Key) -> Any:
    """The key value back from its JSON form; TypeError/ValueError if it is not of the key's kind."""
    if key.kind == "time":
        if not isinstance(value, str):
            raise TypeError("time")
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed.astimezone(UTC)
    if key.kind == "date":
        if not isinstance(value, str):
            raise TypeError("date")
        return dt.date.fromisoformat(value)
    if key.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("int")
        return value
    if not isinstance(value, str):
        raise TypeError("text")
    return value
