"""Watermarks: how far a source has been read, in the source's own terms.

A watermark is kept as the source's value *as text* (e.g. '2026-10-01 08:05:00'), not as
a converted instant, because the predicate ``WHERE wm > :value`` runs in the source
database and must compare like with like: on SQLite a TEXT timestamp compared against
a differently formatted string silently skips or repeats rows. Re-binding the exact
text (or the datetime it spells, on servers with real timestamp types) avoids that.

Lookback is applied to the *value*: ``watermark - lookback`` rendered in the same
style, so rows committed late with an older watermark value are read again (and
upserted idempotently).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


def to_text(value: Any) -> str:
    """The watermark text for a value read from the source."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def parse_instant(text: str) -> dt.datetime | None:
    """The datetime a watermark text spells (naive or aware), or None when it is not a time."""
    if _NUMERIC.match(text.strip()):
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def bind_value(text: str, dialect: str) -> Any:
    """The value to bind for ``text`` in the source's predicate.

    SQLite has no timestamp type: its timestamps are text, so the text itself is bound.
    Servers get a datetime (or a number) so their own comparison rules apply.
    """
    stripped = text.strip()
    if _NUMERIC.match(stripped):
        return int(stripped) if "." not in stripped else float(stripped)
    if dialect == "sqlite":
        return text
    instant = parse_instant(text)
    return instant if instant is not None else text


def shifted(text: str, lookback: dt.timedelta) -> str:
    """``text`` moved back by ``lookback``, written in the same style as ``text``.

    Numeric watermarks (ids, counters) have no notion of time: they are returned unchanged.
    """
    instant = parse_instant(text)
    if instant is None or not lookback:
        return text
    return _render(instant - lookback, text)


def capped(text: str | None, limit: dt.datetime, tz: ZoneInfo) -> str | None:
    """``text``, or ``limit`` written in its style when ``text`` spells a later time.

    Issue 19: one row stamped 75 minutes ahead moved the watermark ahead, and the rows
    stamped "now" after it were never read. The watermark is therefore never later than
    the poll's own time: a row stamped ahead is read again by each poll (an idempotent
    upsert) until the clock reaches it. Naive texts are the source's local time.
    """
    if not text:
        return text
    instant = parse_instant(text)
    if instant is None:
        return text
    zone = instant.tzinfo or tz
    if (instant if instant.tzinfo else instant.replace(tzinfo=tz)) <= limit:
        return text
    target = limit.astimezone(zone)
    return _render(target if instant.tzinfo else target.replace(tzinfo=None), text)


def _render(instant: dt.datetime, like: str) -> str:
    """``instant`` written in the style of the watermark text ``like`` (date, separator, fraction, offset)."""
    stripped = like.strip()
    if len(stripped) == 10:  # a date
        return instant.date().isoformat()
    sep = stripped[10] if len(stripped) > 10 else " "
    frac = re.search(r"\.(\d+)", stripped[19:26] if len(stripped) > 19 else "")
    out = instant.replace(tzinfo=None).strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if frac:
        out += "." + f"{instant.microsecond:06d}"[: len(frac.group(1))].ljust(len(frac.group(1)), "0")
    if instant.tzinfo is not None:
        offset = instant.strftime("%z")
        out += offset[:3] + ":" + offset[3:]
    return out


def instant_utc(text: str | None, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a time watermark; naive values are the source's local time."""
    if not text:
        return None
    instant = parse_instant(text)
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=tz)
    return instant.astimezone(dt.timezone.utc)


def later(a: str | None, b: str) -> str:
    """The later of two watermark texts (a lookback re-read must not move it backwards)."""
    if a is None:
        return b
    ta, tb = parse_instant(a), parse_instant(b)
    if ta is not None and tb is not None and (ta.tzinfo is None) == (tb.tzinfo is None):
        return b if tb >= ta else a
    if _NUMERIC.match(a.strip()) and _NUMERIC.match(b.strip()):
        return b if float(b) >= float(a) else a
    return max(a, b)


def dst_margin(text: str | None, tz: ZoneInfo, at: dt.datetime, lookback: dt.timedelta) -> dt.timedelta:
    """Extra lookback while a change of the clocks back lies in the re-read window.

    A source keeping naive local stamps writes the repeated hour (autumn 02:00-02:59, a
    second time) with stamps *below* the watermark reached in the first pass, so a lookback
    shorter than the hour never reads it (issue 19 item 6). While the window from
    ``watermark - lookback`` to now spans such a change, it is widened by the hour given
    back. Aware and numeric watermarks need no margin.
    """
    if not text:
        return dt.timedelta(0)
    instant = parse_instant(text)
    if instant is None or instant.tzinfo is not None:
        return dt.timedelta(0)
    start = min(instant.replace(tzinfo=tz).astimezone(dt.timezone.utc), at) - lookback - dt.timedelta(hours=1)
    before, after = start.astimezone(tz).utcoffset(), at.astimezone(tz).utcoffset()
    if before is None or after is None or before <= after:
        return dt.timedelta(0)
    return before - after


#: tags of the key values a tie position keeps (the driver's own types, so each binds as read)
_KEY_TYPES: dict[str, Any] = {"s": str, "i": int, "f": float, "d": Decimal, "t": dt.datetime.fromisoformat,
                              "D": dt.date.fromisoformat}


def key_to_text(values: list[Any] | None) -> str | None:
    """A tie position (the key values of the last row read at the watermark) as stored text.

    Issue 19 item 12: the watermark is (stamp, key) — the key says how far into the rows
    sharing that stamp the source has been read. Each value keeps its type, so the resumed
    page compares like with like (a timestamp column is bound a datetime, text as text).
    """
    if values is None:
        return None
    out = []
    for v in values:
        if isinstance(v, bool) or isinstance(v, int):
            out.append(["i", int(v)])
        elif isinstance(v, float):
            out.append(["f", v])
        elif isinstance(v, Decimal):
            out.append(["d", format(v, "f")])
        elif isinstance(v, dt.datetime):
            out.append(["t", v.isoformat()])
        elif isinstance(v, dt.date):
            out.append(["D", v.isoformat()])
        else:
            out.append(["s", str(v)])
    return json.dumps(out, ensure_ascii=False)


def key_from_text(text: str | None) -> list[Any] | None:
    """The key values :func:`key_to_text` stored; None for none or an unreadable text."""
    if not text:
        return None
    try:
        return [_KEY_TYPES[tag](value) for tag, value in json.loads(text)]
    except (ValueError, KeyError, TypeError):
        return None  # read the tie whole: repeats rows (idempotent), never skips one
