"""China's public holidays 2021–2027 — data, not logic.

Every simulated department follows the national holiday arrangement: traffic loses its
commute peaks, scenic sites fill up (国庆 Golden Week above all) and the 12345 hotline
gets quieter. The arrangement is not computable — the State Council's General Office
publishes it each year (国务院办公厅关于××年部分节假日安排的通知), with make-up working
days (调休上班) on some weekends — so it is written down here as the published dates.

The module is plain data plus three small look-ups and imports nothing from citybrain or
the simulator, so metrics (e.g. a seasonal baseline that must skip 春节) can import it.

Sources: the notices 国办发明电〔2020〕27号 (2021), 〔2021〕11号 (2022), 〔2022〕16号 (2023),
〔2023〕7号 (2024), 〔2024〕12号 (2025), 〔2025〕7号 (2026). **2027 is provisional**: its
notice is published in late 2026; the periods below are the statutory days around the
lunar dates (春节 2027-02-06, 清明 04-05, 端午 06-09, 中秋 09-15) without make-up
working days. Replace them when the notice appears (``PROVISIONAL_YEARS``).

Outside 2021–2027 only weekends are known: ``holiday()`` returns None and
``is_workday()`` falls back to Monday–Friday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

DayKind = Literal["workday", "weekend", "holiday"]


@dataclass(frozen=True)
class Holiday:
    """One published holiday period (放假期间), inclusive of both ends."""

    key: str  # spring_festival, qingming, labour_day, dragon_boat, mid_autumn, national_day, new_year
    name_zh: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def day_number(self, d: date) -> int:
        """1 for the first day of the period, 2 for the second, …"""
        return (d - self.first).days + 1


def _p(key: str, name_zh: str, first: str, last: str) -> Holiday:
    return Holiday(key, name_zh, date.fromisoformat(first), date.fromisoformat(last))


#: Holiday periods as published. Combined periods (2023, 2025 中秋+国庆) use the key
#: ``national_day``: for crowds and traffic they behave as Golden Week.
HOLIDAYS: tuple[Holiday, ...] = (
    # 2021
    _p("new_year", "元旦", "2021-01-01", "2021-01-03"),
    _p("spring_festival", "春节", "2021-02-11", "2021-02-17"),
    _p("qingming", "清明节", "2021-04-03", "2021-04-05"),
    _p("labour_day", "劳动节", "2021-05-01", "2021-05-05"),
    _p("dragon_boat", "端午节", "2021-06-12", "2021-06-14"),
    _p("mid_autumn", "中秋节", "2021-09-19", "2021-09-21"),
    _p("national_day", "国庆节", "2021-10-01", "2021-10-07"),
    # 2022
    _p("new_year", "元旦", "2022-01-01", "2022-01-03"),
    _p("spring_festival", "春节", "2022-01-31", "2022-02-06"),
    _p("qingming", "清明节", "2022-04-03", "2022-04-05"),
    _p("labour_day", "劳动节", "2022-04-30", "2022-05-04"),
    _p("dragon_boat", "端午节", "2022-06-03", "2022-06-05"),
    _p("mid_autumn", "中秋节", "2022-09-10", "2022-09-12"),
    _p("national_day", "国庆节", "2022-10-01", "2022-10-07"),
    # 2023
    _p("new_year", "元旦", "2022-12-31", "2023-01-02"),
    _p("spring_festival", "春节", "2023-01-21", "2023-01-27"),
    _p("qingming", "清明节", "2023-04-05", "2023-04-05"),
    _p("labour_day", "劳动节", "2023-04-29", "2023-05-03"),
    _p("dragon_boat", "端午节", "2023-06-22", "2023-06-24"),
    _p("national_day", "中秋节、国庆节", "2023-09-29", "2023-10-06"),
    # 2024
    _p("new_year", "元旦", "2024-01-01", "2024-01-01"),
    _p("spring_festival", "春节", "2024-02-10", "2024-02-17"),
    _p("qingming", "清明节", "2024-04-04", "2024-04-06"),
    _p("labour_day", "劳动节", "2024-05-01", "2024-05-05"),
    _p("dragon_boat", "端午节", "2024-06-08", "2024-06-10"),
    _p("mid_autumn", "中秋节", "2024-09-15", "2024-09-17"),
    _p("national_day", "国庆节", "2024-10-01", "2024-10-07"),
    # 2025
    _p("new_year", "元旦", "2025-01-01", "2025-01-01"),
    _p("spring_festival", "春节", "2025-01-28", "2025-02-04"),
    _p("qingming", "清明节", "2025-04-04", "2025-04-06"),
    _p("labour_day", "劳动节", "2025-05-01", "2025-05-05"),
    _p("dragon_boat", "端午节", "2025-05-31", "2025-06-02"),
    _p("national_day", "国庆节、中秋节", "2025-10-01", "2025-10-08"),
    # 2026
    _p("new_year", "元旦", "2026-01-01", "2026-01-03"),
    _p("spring_festival", "春节", "2026-02-15", "2026-02-23"),
    _p("qingming", "清明节", "2026-04-04", "2026-04-06"),
    _p("labour_day", "劳动节", "2026-05-01", "2026-05-05"),
    _p("dragon_boat", "端午节", "2026-06-19", "2026-06-21"),
    _p("mid_autumn", "中秋节", "2026-09-25", "2026-09-27"),
    _p("national_day", "国庆节", "2026-10-01", "2026-10-07"),
    # 2027 — provisional (see the module docstring)
    _p("new_year", "元旦", "2027-01-01", "2027-01-03"),
    _p("spring_festival", "春节", "2027-02-05", "2027-02-11"),
    _p("qingming", "清明节", "2027-04-03", "2027-04-05"),
    _p("labour_day", "劳动节", "2027-05-01", "2027-05-05"),
    _p("dragon_boat", "端午节", "2027-06-09", "2027-06-09"),
    _p("mid_autumn", "中秋节", "2027-09-15", "2027-09-15"),
    _p("national_day", "国庆节", "2027-10-01", "2027-10-07"),
)

#: Weekend days that are working days (调休上班), as published.
MAKEUP_WORKDAYS: frozenset[date] = frozenset(date.fromisoformat(d) for d in (
    "2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26", "2021-10-09",
    "2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09",
    "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08",
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29",
    "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
))

COVERED_YEARS = range(2021, 2028)
PROVISIONAL_YEARS = frozenset({2027})


def holiday(d: date) -> Holiday | None:
    """The holiday period ``d`` falls in, or None (also outside ``COVERED_YEARS``)."""
    for h in HOLIDAYS:
        if h.first <= d <= h.last:
            return h
    return None


def is_workday(d: date) -> bool:
    """True on a working day: Monday–Friday outside holidays, plus make-up Saturdays/Sundays."""
    if d in MAKEUP_WORKDAYS:
        return True
    return d.weekday() < 5 and holiday(d) is None


def day_kind(d: date) -> DayKind:
    """'holiday' inside a published period, else 'workday' or 'weekend' (调休 counted)."""
    if holiday(d) is not None:
        return "holiday"
    return "workday" if is_workday(d) else "weekend"


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive (a small helper the generators share)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
