"""The view of a themed page — district, time range, drill-down — as a value that lives in the URL.

A copied link must reproduce what the reader sees, so everything that changes the view is
a query parameter (``?district=411002&range=7d&detail=R003``); Dash pages hands those to
``layout(**kwargs)``, and a clientside callback writes them back with ``replaceState``
(no navigation, so the page is not rebuilt on every click).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc

#: Ranges of the observation domains, and of the statistics page (periods, not hours).
RANGES: tuple[str, ...] = ("today", "24h", "7d", "30d", "custom")
ECONOMY_RANGES: tuple[str, ...] = ("1y", "2y", "5y", "custom")
_SPANS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30),
          "1y": dt.timedelta(days=366), "2y": dt.timedelta(days=731), "5y": dt.timedelta(days=1827)}


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
        """Read (and sanitise) query parameters; anything unknown falls back to the default."""
        p = {k: (v[0] if isinstance(v, list) else v) for k, v in (params or {}).items()}
        rng = p.get("range") if p.get("range") in ranges else default_range
        start, end = _date(p.get("start")), _date(p.get("end"))
        if rng == "custom" and not (start and end):
            rng = default_range
        return cls(district=(p.get("district") or None), range=rng, start=start, end=end,
                   detail=(p.get("detail") or None))

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> View:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})

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
    if view.range == "custom" and view.start and view.end:
        a, b = sorted((view.start, view.end))
        start = dt.datetime.fromisoformat(a).replace(tzinfo=tz).astimezone(UTC)
        end = (dt.datetime.fromisoformat(b).replace(tzinfo=tz) + dt.timedelta(days=1)).astimezone(UTC)
        end = min(end, now + dt.timedelta(minutes=1)) if end > now else end
    elif view.range == "today":
        local = now.astimezone(tz)
        start = local.replace(hour=0, minute=0).astimezone(UTC)
        end = now + dt.timedelta(minutes=1)
    else:
        start, end = now - _SPANS.get(view.range, _SPANS["24h"]), now + dt.timedelta(minutes=1)
    span = end - start
    grain = "month" if view.range in ("1y", "2y", "5y") or span > dt.timedelta(days=400) else (
        "day" if span > dt.timedelta(days=3) else "hour")
    return Window(start, end, grain)


def _date(value: Any) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None
