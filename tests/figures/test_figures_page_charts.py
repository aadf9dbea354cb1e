"""Issue 18's presentation bugs in the pure figure builders: date axes in the reader's
language, one percent format, AQI calendar text readable on every level colour."""

from __future__ import annotations

import datetime as dt

import pytest

from citybrain.i18n import format_percent, percent
from figures.page_charts import (bar_figure, calendar_figure, contrast, dual_axis_figure, line_figure,
                                 localize_dates, text_color)

#: HJ 633-2012 table 5 level colours
AQI_COLOURS = ("#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023")


@pytest.mark.parametrize("lang, first", [("zh", "12月1日"), ("en", "Dec 1")])
def test_a_few_days_get_one_labelled_tick_each_in_the_readers_language(lang, first):
    days = ["2026-12-01", "2026-12-02", "2026-12-03"]
    fig = localize_dates(line_figure([("a", days, [0.9, 0.95, 0.97])], percent=True), lang)
    ax = fig.layout.xaxis
    assert ax.type == "date" and list(ax.tickvals) == days and ax.ticktext[0] == first
    assert ax.hoverformat == "%Y-%m-%d"


def test_long_periods_use_chinese_tick_formats_at_every_zoom():
    hours = [f"2026-11-{d:02d} {h:02d}:00" for d in range(1, 29) for h in range(0, 24, 6)]
    zh = localize_dates(line_figure([("a", hours, [1.0] * len(hours))]), "zh").layout.xaxis
    formats = [s.value for s in zh.tickformatstops]
    assert zh.type == "date" and zh.hoverformat == "%Y-%m-%d %H:%M"
    assert "%-m月%-d日" in formats and not any("%b" in f for f in formats)
    en = localize_dates(line_figure([("a", hours, [1.0] * len(hours))]), "en").layout.xaxis
    assert "%b %-d" in [s.value for s in en.tickformatstops]


def test_categories_and_horizontal_bars_are_left_alone():
    fig = localize_dates(bar_figure(["魏都区", "建安区"], [3, 4]), "zh")
    assert fig.layout.xaxis.type is None
    fig = localize_dates(bar_figure(["a", "b"], [0.2, 0.3], horizontal=True, percent=True), "zh")
    assert fig.layout.xaxis.type is None and fig.layout.xaxis.tickformat == ".0%"


def test_monthly_periods_are_months_not_days():
    fig = localize_dates(line_figure([("CPI", ["2026-09", "2026-10", "2026-11"], [2.3, 3.1, 4.8])], points=True), "zh")
    assert fig.layout.xaxis.tickformat == "%Y年%-m月" and fig.layout.xaxis.dtick == "M1"
    assert fig.layout.yaxis.ticksuffix == "%"


def test_one_percent_format():
    """Issue 18: 承载率 0.172 in the table and 17 % on the card; 2.32/3.16/4.83 on the economy's axis."""
    assert format_percent(0.172) == "17.2%" and percent(0.172) == 17.2
    assert format_percent(2.32, points=True, signed=True) == "+2.3%" and format_percent(None) == "—"
    assert percent(0.1725) == 17.3  # half-up, as statistical bulletins round
    fig = dual_axis_figure(["2026Q1", "2026Q2", "2026Q3"], [100, 110, 120], [2.32, 3.16, 2.32],
                           bar_name="GDP", line_name="同比")
    y2 = fig.layout.yaxis2
    assert y2.type == "linear" and y2.ticksuffix == "%" and y2.tickformat == ".1f" and y2.tickmode == "auto"
    assert fig.layout.xaxis.type == "category"
    assert line_figure([("a", [1], [0.5])], percent=True).layout.yaxis.tickformat == ".0%"


def test_calendar_numbers_readable_on_every_aqi_colour():
    """WCAG 2.1 §1.4.3: ≥ 4.5:1 would be ideal; at the least the better of dark and white
    ink is chosen, and on 严重污染 maroon it is white."""
    days = [(dt.date(2026, 12, 1) + dt.timedelta(days=i), 50.0 * (i + 1), c) for i, c in enumerate(AQI_COLOURS)]
    fig = calendar_figure(days, weekday_labels=list("一二三四五六日"))
    inks = list(fig.data[0].textfont.color)
    assert inks[-1] == "#ffffff" and inks[0] == "#212529"
    for ink, colour in zip(inks, AQI_COLOURS, strict=True):
        other = "#ffffff" if ink != "#ffffff" else "#212529"
        assert contrast(ink, colour) >= contrast(other, colour)
    assert text_color("#7e0023") == "#ffffff" and contrast("#ffffff", "#7e0023") > 10
    assert fig.layout.xaxis.ticktext[0] == "11月30日"  # the week's Monday (2026-12-01 is a Tuesday), in the reader's language
    en = calendar_figure(days, weekday_labels=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], lang="en")
    assert en.layout.xaxis.ticktext[0] == "Nov 30"


def test_few_bars_keep_the_width_of_six_and_stay_centred():
    from figures.page_charts import MIN_BAR_SLOTS

    two = bar_figure(["许由路", "建安大道"], [0.5, 0.7])
    low, high = two.layout.xaxis.range
    assert high - low == MIN_BAR_SLOTS and (low + high) / 2 == 0.5  # centred on the two bars
    flipped = bar_figure(["a"], [1], horizontal=True)
    assert list(flipped.layout.yaxis.range) == [3.0, -3.0] and flipped.layout.yaxis.autorange is False
    # six bars or more: the axis finds its own range (a long list reads top-down)
    assert bar_figure(list("abcdef"), [1] * 6).layout.xaxis.range is None
    assert bar_figure(list("abcdef"), [1] * 6, horizontal=True).layout.yaxis.autorange == "reversed"
