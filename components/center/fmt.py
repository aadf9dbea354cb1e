"""Times and values as the office reads them: in the city's zone, compactly."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_time(t: dt.datetime | None, tz: ZoneInfo, *, year: bool = False, seconds: bool = False) -> str:
    """``11-21 14:05`` (or ``2026-11-21 14:05``) in the city's zone; "—" for no time.

    The store keeps UTC (STACK.md); a naive value from it is UTC by contract.
    """
    if t is None:
        return "—"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    fmt = ("%Y-%m-%d " if year else "%m-%d ") + ("%H:%M:%S" if seconds else "%H:%M")
    return t.astimezone(tz).strftime(fmt)


def duration(seconds: float | None) -> str:
    """A short run time: ``0.4 s``, ``12 s``, ``3 min 5 s``."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(int(seconds), 60)
    return f"{m} min {s} s"


#: indicators stored as 0–1 shares (jobs.indicators), shown as percentages
SHARES = frozenset({"crowding", "speed_ratio", "hotline_answer_rate", "hotline_on_time_rate", "hotline_satisfaction"})


def value_text(value: float | None, indicator: str | None = None) -> str:
    """A warning's value as its indicator is read: shares as percentages, others with ≤ 2 decimals."""
    if value is None:
        return "—"
    if indicator in SHARES:
        return f"{value * 100:.1f}%"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def warning_title(row: dict, lang: str) -> str:
    """A warning's title in ``lang``. An English title stored before categories had English
    words ("… — 交通出行") gets the category's word now, so no Chinese is left on English pages."""
    from citybrain.i18n import pick
    from components.page.labels import category_label

    title = pick(row.get("title_zh") or "", row.get("title_en") or "", lang)
    if lang == "en" and row.get("scope_kind") == "category" and row.get("scope"):
        title = title.replace(str(row["scope"]), category_label(str(row["scope"]), "en"))
    return title
