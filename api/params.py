"""Reading query parameters strictly: a wrong value is a 400 that names the parameter and the fix.

Each reader accepts exactly what the OpenAPI document declares for it (:mod:`api.openapi`
builds its schemas from the constants here), so a request the document forbids is a
400 and a request it allows is never one (issue 17: the API "must reject what its
OpenAPI document forbids"). A parameter given twice is a 400: which copy counts would
otherwise depend on the framework, and a gate that reads one copy while the query reads
the other is exactly the ambiguity issue 17 is about.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from urllib.parse import urlencode

import flask

from api.errors import ApiError

UTC = dt.timezone.utc
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_OFFSET = 10**9
#: codes (district, entity): printable text, as the city config's codes are
CODE_MAX = 64
CODE_PATTERN = r"^[^\x00-\x1f\x7f]+$"
_CODE = re.compile(CODE_PATTERN[1:-1])
_WHOLE = re.compile(r"-?[0-9]{1,12}")

# A time parameter: a calendar date (RFC 3339 full-date), optionally followed by a time of
# day to the minute or second (fraction up to 9 digits) and an offset (RFC 3339 §5.6,
# ISO 8601-1:2019 §5.4). The date part admits exactly the Gregorian calendar's days
# (30-day months, February's 28 or 29), so that every string the document allows parses.
_YEAR = "[0-9]{4}"
_LEAP = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = (rf"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
         rf"|02-(?:0[1-9]|1[0-9]|2[0-8]))|{_LEAP}-02-29)")
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
_OFFSET = r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
TIME_PATTERN = rf"^{_DATE}(?:[Tt]{_TIME}{_OFFSET}?)?$"
_INSTANT = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,9}))?)?"
    r"(?P<z>[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))?)?")
_TIME_CHECK = re.compile(TIME_PATTERN[1:-1])


def raw(name: str) -> str | None:
    """The parameter's one value; None if absent; 400 if given more than once."""
    values = flask.request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"give {name} once (it was given {len(values)} times)")
    return values[0]


def text(name: str, *, max_len: int = CODE_MAX) -> str | None:
    """A code: 1 to ``max_len`` printable characters. Absent: None; empty: 400."""
    value = raw(name)
    if value is None:
        return None
    if not 0 < len(value) <= max_len or not _CODE.fullmatch(value):
        raise ApiError(400, f"{name} must be 1 to {max_len} printable characters (leave it out for all)")
    return value


def choice(name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    value = raw(name)
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(400, f"{name}={value[:40]!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def instant(name: str, tz: dt.tzinfo = UTC) -> dt.datetime | None:
    """A time as an aware UTC datetime: ``2026-11-01``, ``2026-11-01T08:00``, ``…T08:00:00Z``,
    ``…T08:00:00+08:00``.

    A bare date or a time without an offset is the city's local time in ``tz`` (issue 19:
    ``from=2015-12-01`` of a Chinese city starts at its midnight, 2015-11-30T16:00Z); an
    offset, ``Z`` included, is honoured (RFC 3339 §4.2), so explicit-UTC queries mean what
    they always meant. A local time that a zone's clock change skips or repeats is read as
    Python's zoneinfo reads it with ``fold=0`` (PEP 495: the offset before the change).
    Times beyond what a datetime holds (year 1 with a positive offset, year 9999 with a
    negative one: valid RFC 3339) are clamped to the earliest or latest instant, which
    bound a query the same way.
    """
    value = raw(name)
    if value is None:
        return None
    if len(value) > 40 or not _TIME_CHECK.fullmatch(value):
        raise ApiError(400, f"{name}={value[:40]!r} is not an ISO 8601 date or time; write e.g. 2026-11-01 "
                            "(the city's day), 2026-11-01T08:00:00+08:00 or 2026-11-01T00:00:00Z")
    m = _INSTANT.fullmatch(value)
    assert m is not None  # the same grammar, read into its parts
    if m["sign"]:
        sign = 1 if m["sign"] == "+" else -1
        zone: dt.tzinfo = dt.timezone(sign * dt.timedelta(hours=int(m["oh"]), minutes=int(m["om"])))
    else:
        zone = UTC if m["z"] else tz
    try:
        local = dt.datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"] or 0), int(m["mi"] or 0),
                            int(m["s"] or 0), int((m["f"] or "0")[:6].ljust(6, "0")), tzinfo=zone)
    except ValueError:  # year 0000
        return dt.datetime.min.replace(tzinfo=UTC)
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError):  # an instant before year 1 or after 9999 in UTC
        return (dt.datetime.min if local.year < 5000 else dt.datetime.max).replace(tzinfo=UTC)


def whole(name: str, default: int, lo: int, hi: int) -> int:
    """An integer parameter within [lo, hi] (ASCII digits, an optional minus)."""
    given = raw(name)
    if given is None:
        return default
    if not _WHOLE.fullmatch(given):
        raise ApiError(400, f"{name}={given[:40]!r} is not a whole number")
    value = int(given)
    if not lo <= value <= hi:
        raise ApiError(400, f"{name} must lie between {lo} and {hi}")
    return value


def page() -> tuple[int, int]:
    """(limit, offset) from ``limit`` (1–1000, default 100) and ``offset`` (≥ 0)."""
    return whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), whole("offset", 0, 0, MAX_OFFSET)


def envelope(items: list, total: int, limit: int, offset: int) -> dict:
    """The page with the link to the next one (``next`` is null on the last page)."""
    nxt = None
    if offset + len(items) < total:
        args = flask.request.args.to_dict()
        args.update(limit=str(limit), offset=str(offset + limit))
        nxt = f"{flask.request.path}?{urlencode(args)}"
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}


#: the largest request body the API reads (an acknowledgement note of 2,000 characters is
#: at most 12 KB as JSON even when every character is escaped)
MAX_BODY = 64 * 1024


def json_object() -> dict:
    """The request body as a JSON object; an empty body is ``{}``.

    Not JSON (``NaN`` is not), a name given twice in one object (RFC 8259 §4: such a text
    is not interoperable; which copy counts would depend on the reader), not an object
    (``null``, a list, a number), not UTF-8 or nested deeper than the parser's recursion
    limit: 400. Another media type: 415. Larger than
    :data:`MAX_BODY`: 413. RFC 8259 §2 (a JSON text), RFC 9110 §15.5.14/§15.5.16.
    """
    req = flask.request
    if req.content_length is not None and req.content_length > MAX_BODY:
        raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
    data = req.stream.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
    if not data:
        return {}
    if req.mimetype != "application/json":
        raise ApiError(415, 'send the body as Content-Type: application/json, e.g. {"note": "…"}')

    try:
        body = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, 'the body is not JSON; send e.g. {"note": "…"}') from None
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object, e.g. {"note": "…"}')
    return body


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a name is given twice in one object")
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
