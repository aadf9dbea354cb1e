"""Reporting periods (报告期) in every spelling a statistics bureau uses, made canonical.

The store keys statistics on ``period`` as "YYYY-MM" or "YYYY-Qn" so that a revision of
"202610" and of "2026年10月" land on the same row.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_MONTH = [
    re.compile(r"^(\d{4})(\d{2})$"),  # 202610
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),  # 2026-10, 2026/10, 2026.10
    re.compile(r"^(\d{4})年(\d{1,2})月(?:份)?$"),  # 2026年10月
    re.compile(r"^(\d{4})-?M(\d{1,2})$", re.I),  # 2026M10
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.]0?1$"),  # 2026-10-01 (first of the month)
]
_QUARTER = [
    re.compile(r"^(\d{4})\s*[-/ ]?\s*Q([1-4])$", re.I),  # 2026Q3, 2026-Q3, 2026 Q3
    re.compile(r"^(\d{4})年?\s*第?([1-4一二三四])季度?$"),  # 2026年第3季度, 2026年三季度
]


class Period(NamedTuple):
    period: str  # "2026-10" | "2026-Q3"
    freq: str  # "month" | "quarter"
    start: dt.date


def parse_period(value: object) -> Period:
    """The canonical period for ``value``; ValueError in plain words when it is not one."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.day != 1:
            raise ValueError(f"period {value.isoformat()} is not the first day of a month")
        return _month(value.year, value.month, value)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"period {value!r} is not a reporting period")
    text = str(value).strip().replace("－", "-").replace("Ｑ", "Q")
    for pattern in _MONTH:
        if m := pattern.match(text):
            return _month(int(m.group(1)), int(m.group(2)), value)
    for pattern in _QUARTER:
        if m := pattern.match(text):
            year, q = int(m.group(1)), _CN_DIGITS[m.group(2)]
            _year_ok(year, value)
            return Period(f"{year:04d}-Q{q}", "quarter", dt.date(year, 3 * q - 2, 1))
    raise ValueError(
        f"period {value!r} is not a month or quarter; expected e.g. '202610', '2026-10', "
        "'2026年10月', '2026Q3' or '2026年第3季度'"
    )


def _month(year: int, month: int, raw: object) -> Period:
    _year_ok(year, raw)
    if not 1 <= month <= 12:
        raise ValueError(f"period {raw!r} names month {month}, which does not exist")
    return Period(f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1))


def _year_ok(year: int, raw: object) -> None:
    if not 1949 <= year <= 2200:
        raise ValueError(f"period {raw!r} has year {year}, outside 1949–2200")
