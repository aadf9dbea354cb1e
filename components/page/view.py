"""The view of a themed page — district, time range, drill-down — as a value that lives in the URL.

A copied link must reproduce what the reader sees, so everything that changes the view is
a query parameter (``?district=411002&range=7d&detail=R003``); Dash pages hands those to
``layout(**kwargs)``, and a clientside callback writes them back with ``replaceState``
(no navigation, so the page is not rebuilt on every click).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc

#: Ranges of the observation domains, and of the statistics page (periods, not hours).
RANGES: tuple[str, ...] = ("today", "24h", "7d", "30d", "custom")
ECONOMY_RANGES: tuple[str, ...] = ("1y", "2y", "5y", "custom")
#: every range some page offers: what a view may name when its page is not known
ALL_RANGES: tuple[str, ...] = tuple(dict.fromkeys(RANGES + ECONOMY_RANGES))
_SPANS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30),
          "1y": dt.timedelta(days=366), "2y": dt.timedelta(days=731), "5y": dt.timedelta(days=1827)}

#: custom dates a view may name: wide enough for any record a city keeps, narrow enough
#: that the window in UTC (± a zone offset, + 1 day) is always a representable datetime
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
#: codes (district, drill-down object) are short printable text; config codes are ≤ 64
MAX_CODE = 64
MAX_DETAIL = 200
#: a district that no data carries: what a view whose district cannot be read filters by,
#: so that an unreadable scope shows nothing instead of widening to the whole city
NO_DISTRICT = "\u2205"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class InvalidView:
    """What :func:`parse_view` answers for a value that is not a view: why (for the 400 and the log)."""

    reason: str


@dataclass(frozen=True)
class View:
    """What the reader asked for; ``district`` None = the whole city."""

    district: str | None = None
    range: str = "24h"
    start: str | None = None  # custom range, local dates "YYYY-MM-DD" (inclusive)
    end: str | None = None
    detail: str | None = None

    @classmethod
    def from_query(cls, params: dict[str, Any] | None, *, ranges: tuple[str, ...] = RANGES,
                   default_range: str = "24h") -> View:
        """Read (and sanitise) query parameters; anything unknown falls back to the default.

        Total: any mapping (Dash pages passes ``parse_qs`` strings, lists for repeated
        parameters) gives a valid view; a district that is not a readable code gives
        :data:`NO_DISTRICT`, never the whole city.
        """
        if not isinstance(params, dict):
            params = {}
        p = {k: (v[0] if v else None) if isinstance(v, list) else v for k, v in params.items()}
        return _sanitised(p, ranges, default_range)

    @classmethod
    def from_data(cls, data: Any, *, ranges: tuple[str, ...] = ALL_RANGES, default_range: str = "24h") -> View:
        """The view a page's ``view`` store holds, sanitised like :meth:`from_query`.

        Total: any JSON value gives a valid view (what :func:`parse_view` accepts comes out
        unchanged). Anything else is read field by field — an unknown range or unreadable
        custom dates fall back to ``default_range``, an unreadable detail is dropped — and a
        district that cannot be read (or a value that is not an object at all) becomes
        :data:`NO_DISTRICT`: a forged view shows nothing rather than the whole city. The access gate rejects such values with
        :func:`parse_view` before a callback sees them; this is the second line.
        """
        parsed = parse_view(data, ranges=ranges)
        if isinstance(parsed, View):
            return parsed
        if not isinstance(data, dict):
            return cls(district=NO_DISTRICT, range=default_range)
        return _sanitised(data, ranges, default_range)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    def to_query(self) -> str:
        """``?district=…&range=…`` with only what differs from nothing (stable, short links)."""
        params = {k: v for k, v in asdict(self).items() if v}
        if self.range != "custom":
            params.pop("start", None)
            params.pop("end", None)
        return "?" + urlencode(params) if params else ""

    def with_detail(self, code: str | None) -> View:
        return replace(self, detail=code or None)


def parse_view(data: Any, *, ranges: tuple[str, ...] = ALL_RANGES) -> View | InvalidView:
    """``data`` (any JSON value) as a view, or why it is not one. Never raises.

    A view is ``null`` (the default view) or an object with only the fields of
    :class:`View`, each absent, ``null`` or: ``district`` a code (text, ≤ 64 characters,
    no control characters; ``""`` = the whole city), ``range`` one of ``ranges``,
    ``start``/``end`` dates ``YYYY-MM-DD`` between :data:`FIRST_DATE` and
    :data:`LAST_DATE`, ``detail`` a code (≤ 200 characters); a custom range names both
    dates. This is what the page's own controls produce (:func:`to_data`); anything else
    was written by hand, and the access gate answers it with 400.
    """
    if data is None:
        return View()
    if not isinstance(data, dict):
        return InvalidView(f"a view is a JSON object, not {_json_kind(data)}")
    unknown = [str(k)[:40] for k in data if k not in View.__dataclass_fields__]
    if unknown:
        return InvalidView(f"a view has no field {unknown[0]!r}")
    district = data.get("district")
    if district is not None and _code(district, MAX_CODE) is None and district != "":
        return InvalidView(f"district must be a code of at most {MAX_CODE} characters")
    rng = data.get("range", "24h")
    if not isinstance(rng, str) or rng not in ranges:
        return InvalidView(f"range must be one of {', '.join(ranges)}")
    dates = {}
    for name in ("start", "end"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or _date(value) != value):
            return InvalidView(f"{name} must be a date YYYY-MM-DD between {FIRST_DATE} and {LAST_DATE}")
        dates[name] = value
    if rng == "custom" and not (dates["start"] and dates["end"]):
        return InvalidView("a custom range names both start and end")
    detail = data.get("detail")
    if detail is not None and _code(detail, MAX_DETAIL) is None and detail != "":
        return InvalidView(f"detail must be a code of at most {MAX_DETAIL} characters")
    return View(district=district or None, range=rng, start=dates["start"], end=dates["end"], detail=detail or None)


def _sanitised(p: dict[Any, Any], ranges: tuple[str, ...], default_range: str) -> View:
    """Field by field: what can be read is kept, what cannot falls back (the district to :data:`NO_DISTRICT`)."""
    rng = p.get("range") if isinstance(p.get("range"), str) and p.get("range") in ranges else default_range
    start, end = _date(p.get("start")), _date(p.get("end"))
    if rng == "custom" and not (start and end):
        rng = default_range
    raw = p.get("district")
    if raw is None or raw == "":
        district = None
    elif isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**MAX_CODE:
        district = str(raw)  # a code typed as a number
    else:
        district = _code(raw, MAX_CODE) or NO_DISTRICT
    return View(district=district, range=rng, start=start, end=end, detail=_code(p.get("detail"), MAX_DETAIL))


def _code(value: Any, max_len: int) -> str | None:
    """``value`` if it is non-empty printable text of at most ``max_len`` characters."""
    if isinstance(value, str) and 0 < len(value) <= max_len and not _CONTROL.search(value):
        return value
    return None


def _json_kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list"}.get(
        type(value), type(value).__name__)


@dataclass(frozen=True)
class Window:
    """A resolved time window [start, end) in UTC and the grain its charts use."""

    start: dt.datetime
    end: dt.datetime
    grain: str  # "hour" | "day" | "month"

    def shifted(self, days: int) -> Window:
        """The same window ``days`` earlier (上周同期: 7, 去年同期: 364 — same weekday)."""
        d = dt.timedelta(days=days)
        return Window(self.start - d, self.end - d, self.grain)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def resolve(view: View, tz: ZoneInfo, now: dt.datetime | None = None) -> Window:
    """The view's range as UTC instants in the city's zone, rounded to the minute (stable cache keys)."""
    now = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    first, last = _date(view.start), _date(view.end)  # a View built by hand may hold anything
    if view.range == "custom" and first and last:
        a, b = sorted((first, last))
        start = dt.datetime.fromisoformat(a).replace(tzinfo=tz).astimezone(UTC)
        end = (dt.datetime.fromisoformat(b).replace(tzinfo=tz) + dt.timedelta(days=1)).astimezone(UTC)
        end = min(end, now + dt.timedelta(minutes=1)) if end > now else end
        start = min(start, end)  # a window wholly in the future is empty, not inverted
    elif view.range == "today":
        local = now.astimezone(tz)
        start = local.replace(hour=0, minute=0).astimezone(UTC)
        end = now + dt.timedelta(minutes=1)
    else:
        span = _SPANS.get(view.range, _SPANS["24h"]) if isinstance(view.range, str) else _SPANS["24h"]
        start, end = now - span, now + dt.timedelta(minutes=1)
    span = end - start
    grain = "month" if view.range in ("1y", "2y", "5y") or span > dt.timedelta(days=400) else (
        "day" if span > dt.timedelta(days=3) else "hour")
    return Window(start, end, grain)


def _date(value: Any) -> str | None:
    """The local date ``YYYY-MM-DD`` that text starts with (a date picker may add a time),
    if it is a real date between :data:`FIRST_DATE` and :data:`LAST_DATE`; else None."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value[:10]):
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:  # 2026-02-30
        return None
    return day.isoformat() if FIRST_DATE <= day <= LAST_DATE else None
