"""The holiday calendar is data: spot-check published dates and its internal consistency."""

from datetime import date, timedelta

import pytest

from simulator import holidays


@pytest.mark.parametrize(("day", "key"), [
    (date(2021, 2, 12), "spring_festival"),
    (date(2023, 9, 29), "national_day"),  # 中秋 and 国庆 combined
    (date(2024, 2, 17), "spring_festival"),
    (date(2025, 10, 8), "national_day"),  # the 8-day 2025 Golden Week
    (date(2026, 2, 15), "spring_festival"),
    (date(2026, 2, 23), "spring_festival"),
    (date(2026, 4, 5), "qingming"),
    (date(2026, 5, 5), "labour_day"),
    (date(2026, 6, 19), "dragon_boat"),
    (date(2026, 9, 25), "mid_autumn"),
    (date(2026, 10, 3), "national_day"),
])
def test_published_holidays(day: date, key: str) -> None:
    h = holidays.holiday(day)
    assert h is not None and h.key == key
    assert holidays.day_kind(day) == "holiday"
    assert not holidays.is_workday(day)


@pytest.mark.parametrize("day", [date(2026, 10, 10), date(2026, 2, 14), date(2026, 2, 28), date(2025, 9, 28),
                                 date(2024, 2, 4), date(2023, 10, 7)])
def test_makeup_weekend_days_are_workdays(day: date) -> None:
    assert day.weekday() >= 5
    assert holidays.is_workday(day) and holidays.day_kind(day) == "workday"


def test_ordinary_days() -> None:
    assert holidays.day_kind(date(2026, 10, 14)) == "workday"  # Wednesday
    assert holidays.day_kind(date(2026, 10, 17)) == "weekend"  # Saturday
    assert holidays.day_kind(date(2026, 10, 8)) == "workday"  # Thursday after Golden Week
    assert holidays.holiday(date(2030, 10, 1)) is None  # beyond the data: weekends only
    assert holidays.is_workday(date(2030, 10, 1))


def test_every_covered_year_has_the_six_festivals_and_golden_week() -> None:
    for year in holidays.COVERED_YEARS:
        keys = {h.key for h in holidays.HOLIDAYS if h.first.year == year or h.last.year == year}
        expected = {"spring_festival", "qingming", "labour_day", "dragon_boat", "national_day", "new_year"}
        assert expected <= keys, year
        gw = [h for h in holidays.HOLIDAYS if h.key == "national_day" and h.last.year == year]
        assert len(gw) == 1 and gw[0].days >= 7 and date(year, 10, 1) in holidays.days_between(gw[0].first, gw[0].last)


def test_periods_do_not_overlap_and_makeup_days_are_outside_them() -> None:
    ordered = sorted(holidays.HOLIDAYS, key=lambda h: h.first)
    for a, b in zip(ordered, ordered[1:]):
        assert a.first <= a.last < b.first
    for d in holidays.MAKEUP_WORKDAYS:
        assert holidays.holiday(d) is None
        assert d.weekday() >= 5
        # a make-up day sits within two weeks of a holiday period
        assert any(abs((d - h.first).days) <= 14 or abs((d - h.last).days) <= 14 for h in holidays.HOLIDAYS)


def test_days_between() -> None:
    assert holidays.days_between(date(2026, 1, 30), date(2026, 2, 2)) == [
        date(2026, 1, 30) + timedelta(days=i) for i in range(4)]
