"""Wall-specific formatting: local "as of" times, ages, percentages and signed changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from citybrain.i18n import format_age, format_number


def local_hhmm(t: dt.datetime | None, tz: ZoneInfo, now: dt.datetime) -> str:
    """``HH:MM`` today, ``MM-DD HH:MM`` on another day (a leader must not mistake yesterday for now)."""
    if t is None:
        return "—"
    lt, ln = t.astimezone(tz), now.astimezone(tz)
    return lt.strftime("%H:%M") if lt.date() == ln.date() else lt.strftime("%m-%d %H:%M")


def age(t: dt.datetime | None, now: dt.datetime, lang: str) -> str:
    return format_age(None if t is None else (now - t).total_seconds(), lang)


def pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def signed_pct(value: float | None) -> str:
    """A change in percent with its sign (同比 +4.9%)."""
    return "—" if value is None else f"{value:+.1f}%"


def number(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    if abs(value) < 1e4 and not float(value).is_integer():
        return f"{value:.{digits}f}"
    return format_number(value, lang, digits=digits)


def hour_format(lang: str) -> str:
    """Hour ticks in the wall's language: 06时 in Chinese, 06:00 in English (issue 18: the
    English wall's axis said "00时")."""
    return "%H:00" if lang == "en" else "%H时"
