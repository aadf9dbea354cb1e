"""The 要情摘要's sentences from hand-built days (issue 18): an episode day, a quiet day, a day
whose data never arrived — in Chinese and English, through the translation layer. Then the
facts read from the demo store: a missing topic says it is missing, tickets closed after
midnight still count as overdue at the period's end, and the key numbers compare with the
day before and the same day last week."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from briefings.facts import (AirFacts, DayFacts, Episode, HotlineFacts, IndexFacts, Peak, SiteEvent, TourismFacts,
                             TrafficFacts, WarningFacts)
from briefings.summary import (air_sentence, hotline_sentence, mobility_sentence, sentences, warnings_sentence)

DAY = dt.date(2026, 11, 20)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _episode_day() -> DayFacts:
    return DayFacts(
        day=DAY,
        index=IndexFacts(hours=24, mean=71.3, mean_prev=75.0, mean_week=70.1, end_delta=-4.2,
                         movers=(("环境", -3.1), ("交通", -0.9)), lowest=("襄城县", 63.6)),
        air=AirFacts(hours=24, mean=168, category="中度污染",
                     episodes=(Episode(6, 17, 212.0, 11, "重度污染", "PM2.5"),),
                     worst_station=Peak(245.0, 11, "襄城县监测站")),
        traffic=TrafficFacts(hours=24, mean=3.1, peak=Peak(7.4, 8), grade="中度拥堵", congested_hours=3,
                             worst_district=Peak(8.6, 8, "魏都区"), worst_grade="严重拥堵"),
        tourism=TourismFacts(hours=24, arrivals=41_500, arrivals_week=30_000, busiest=Peak(1.02, 14, "曹丞相府"),
                             events=(SiteEvent("曹丞相府", 4, 1.02, 14, True), SiteEvent("春秋楼", 2, 0.83, 15, False))),
        hotline=HotlineFacts(calls=1480, calls_prev=1200, calls_week=1300, answer_rate=0.931, overdue=37,
                             overdue_by_district=(("禹州市", 15), ("长葛市", 12), ("魏都区", 6), ("鄢陵县", 4))),
        warnings=WarningFacts(raised=6, raised_by_level=(("橙", 1), ("黄", 2), ("蓝", 3)), resolved=4, open_at_end=2,
                              open_red_orange=(("空气质量污染预警（襄城县）", "橙", 13.0),), orders_overdue=2),
    )


def _quiet_day() -> DayFacts:
    return DayFacts(
        day=DAY,
        index=IndexFacts(hours=24, mean=84.0, mean_prev=84.0, mean_week=83.2, end_delta=0.0,
                         movers=(("文旅", 0.4), ("交通", -0.4))),
        air=AirFacts(hours=24, mean=42, category="优", worst_station=Peak(61.0, 15, "许昌监测站")),
        traffic=TrafficFacts(hours=24, mean=1.2, peak=Peak(2.9, 17), grade="基本畅通", congested_hours=0,
                             worst_district=Peak(3.4, 17, "魏都区"), worst_grade="基本畅通"),
        tourism=TourismFacts(hours=24, arrivals=9_000, arrivals_week=None, busiest=Peak(0.31, 11, "春秋楼")),
        hotline=HotlineFacts(calls=900, calls_prev=950, calls_week=None, answer_rate=0.97, overdue=0),
        warnings=WarningFacts(raised=0, resolved=1, open_at_end=0),
    )


def test_an_episode_day_names_the_episode_its_peak_the_congestion_and_the_sites_over_their_line():
    text = " ".join(s for _, s in sentences(_episode_day(), "zh"))
    assert "城市生命体征指数日均71.3，较前一日下降3.7点，较上周同日上升1.2点" in text
    assert "日末较24小时前下降4.2点，主要受环境（-3.1）、交通（-0.9）影响" in text and "襄城县日均最低（63.6）" in text
    assert "出现1次污染过程（AQI>100）：06–17时，峰值AQI 212（重度污染，11时），首要污染物PM2.5" in text
    assert "3个小时处于拥堵（TPI≥4），08时最高达7.4（中度拥堵）" in text and "区县最高为魏都区，08时达8.6（严重拥堵）" in text
    assert "2个景区达到承载预警线（80%）" in text and "曹丞相府最高102.0%（14时，4小时达线，曾达停止入园线）" in text
    assert "较上周同日+38.3%" in text  # 41,500 visits against 30,000
    assert "来电1,480件，较前一日+23.3%，较上周同日+13.8%，接通率93.1%" in text
    assert "日末超期未办结工单37件，集中在禹州市15件、长葛市12件、魏都区6件" in text and "鄢陵县" not in text
    assert "当日新发预警6条（橙色1条、黄色2条、蓝色3条），解除4条；日末仍生效2条，其中空气质量污染预警（襄城县）（橙色，已持续13小时）" in text
    assert "超期未办结的处置工单2件" in text
    assert len(sentences(_episode_day(), "zh")) == 5


def test_a_quiet_day_says_it_was_quiet_and_never_invents_a_comparison():
    text = " ".join(s for _, s in sentences(_quiet_day(), "zh"))
    assert "较前一日持平" in text and "日末与24小时前持平" in text
    assert "全市逐时AQI均未超过100，无污染过程" in text and "污染过程：" not in text
    assert "全市全天未出现拥堵（TPI均低于4）" in text
    assert "各景区承载率均低于预警线（80%），最高为春秋楼（31.0%，11时）" in text
    assert "入园9,000人次（较上周同日无对比数据）" in text  # no base: said, not made up
    assert "较上周同日无对比数据" in hotline_sentence(_quiet_day().hotline, "zh")
    assert "日末无超期未办结工单" in text
    assert "当日无新发预警，解除1条；日末无生效预警" in text and "处置工单" not in text


def test_missing_data_is_said_to_be_missing_not_described():
    empty = DayFacts(day=DAY, warnings=WarningFacts(known=False))
    said = dict(sentences(empty, "zh"))
    text = " ".join(said.values())
    assert "当日无城市生命体征指数数据" in text
    assert "当日无空气质量监测数据，无法判断是否出现污染过程" in text
    assert "当日无交通运行数据" in text and "当日无景区客流数据" in text
    assert "12345热线当日无来电数据" in text and "超期工单无数据" in text
    assert "预警数据无法读取" in text
    assert not re.search(r"\d", text.replace("12345", "")), "no number where there is no data"
    en = " ".join(s for _, s in sentences(empty, "en"))
    assert "No vital-signs index values" in en and "unknown" in en and not HAN.search(en)


def test_a_partial_day_says_how_many_hours_it_rests_on():
    air = AirFacts(hours=6, mean=88, category="良", worst_station=Peak(97.0, 5, "许昌监测站"))
    assert "（全天24小时中仅6小时有数据）" in air_sentence(air, 24, "zh")
    traffic = TrafficFacts(hours=23, mean=1.0, peak=Peak(2.0, 8), grade="基本畅通")
    assert "only 23 of the day's 23 hours" not in mobility_sentence(traffic, TourismFacts(), 23, "en")


@pytest.mark.parametrize("facts", [_episode_day(), _quiet_day()])
def test_english_sentences_come_from_the_same_rules_with_no_chinese_template_text(facts):
    en = sentences(facts, "en")
    assert [topic for topic, _ in en] == ["Index", "Air", "Traffic and tourism", "12345 hotline", "Warnings"]
    # names come from the (hand-built, Chinese) facts; every word around them is English
    for _, sentence in en:
        stripped = sentence
        for name in ("空气质量污染预警（襄城县）", "襄城县监测站", "襄城县", "魏都区", "曹丞相府", "春秋楼", "禹州市", "长葛市", "许昌监测站", "环境", "交通",
                     "文旅", "中度污染", "重度污染", "优", "中度拥堵", "严重拥堵", "基本畅通", "橙",
                     "黄", "蓝"):
            stripped = stripped.replace(name, "")
        assert not HAN.search(stripped), sentence
    joined = " ".join(s for _, s in en)
    assert ("peaking at AQI 212" in joined) == bool(facts.air.episodes)


def test_warnings_sentence_levels_follow_the_facts_order():
    w = WarningFacts(raised=3, raised_by_level=(("red", 1), ("blue", 2)), resolved=0, open_at_end=3)
    assert warnings_sentence(w, "en").startswith("3 warning(s) raised (1 red, 2 blue), 0 resolved; 3 still active")


# ------------------------------------------------------------------ facts from the store

@pytest.fixture
def ctx_for(brief_settings, brief_engine, brief_app):
    from briefings.daily import period
    from briefings.kinds import BriefContext

    def make(settings, engine, day, lang="zh"):
        start, end = period(day, settings)
        return BriefContext(settings=settings, engine=engine, day=day, lang=lang, start=start, end=end, as_of=end,
                            now=end + dt.timedelta(hours=7), sources=[])
    with brief_app.server.app_context():
        yield make


def test_facts_of_the_demo_day_agree_with_the_store(ctx_for, brief_settings, brief_engine, brief_day):
    from sqlalchemy import select

    from briefings.facts import gather
    from store.schema import indicators

    ctx = ctx_for(brief_settings, brief_engine, brief_day)
    facts = gather(ctx)
    c = indicators.c
    with brief_engine.connect() as conn:
        calls = conn.execute(select(c.value).where(c.name == "hotline_calls", c.grain == "day", c.scope_kind == "city",
                                                   c.time >= ctx.start, c.time < ctx.end)).scalar()
        tpi = [v for (v,) in conn.execute(select(c.value).where(c.name == "tpi", c.grain == "hour", c.scope_kind == "city",
                                                                 c.time >= ctx.start, c.time < ctx.end)) if v is not None]
    assert facts.hotline.calls == calls
    assert facts.traffic.peak.value == max(tpi) and facts.traffic.hours == len(tpi)
    assert facts.index.mean is not None and facts.air.mean is not None
    said = " ".join(s for _, s in sentences(facts, "zh"))
    assert f"{calls:,.0f}" in said and "无数据" not in said


def test_a_day_without_air_and_index_rows_says_so(ctx_for, store_copy, brief_day):
    from briefings.facts import gather
    from briefings.summary import key_numbers
    from citybrain.cache import cache
    from store.engine import make_engine
    from store.schema import indicators

    engine = make_engine(store_copy.resolved_store_url)
    ctx = ctx_for(store_copy, engine, brief_day)
    with engine.begin() as conn:
        conn.execute(indicators.delete().where(indicators.c.name.in_(("aqi", "vital_signs")),
                                               indicators.c.time >= ctx.start, indicators.c.time < ctx.end))
    cache.clear()
    try:
        facts = gather(ctx)
        table = key_numbers(ctx)
    finally:
        engine.dispose()
    said = dict(sentences(facts, "zh"))
    assert said["环境"] == "当日无空气质量监测数据，无法判断是否出现污染过程。"
    assert said["指数"].startswith("当日无城市生命体征指数数据")
    rows = {r[0]: r for r in table.rows}
    assert rows["全市日AQI"][1:4] == ["—", rows["全市日AQI"][2], "—"] and rows["全市日AQI"][2] != "—"


def test_overdue_tickets_are_counted_as_they_stood_at_the_period_end(ctx_for, store_copy, brief_day):
    """A ticket due at 20:00 and closed at 03:00 the next morning was overdue at midnight."""
    from sqlalchemy import insert

    from briefings.facts import overdue_at
    from store.engine import make_engine
    from store.schema import obs_hotline

    engine = make_engine(store_copy.resolved_store_url)
    ctx = ctx_for(store_copy, engine, brief_day)
    before = overdue_at(engine, ctx.end)
    base = int(before["n"].sum())
    row = {"category": "城市管理", "district": "411081", "source": "test", "ingested_at": ctx.end}
    with engine.begin() as conn:
        conn.execute(insert(obs_hotline), [
            {**row, "ticket": "T-late-closed", "created_at": ctx.start + dt.timedelta(hours=8),
             "due_at": ctx.end - dt.timedelta(hours=4), "closed_at": ctx.end + dt.timedelta(hours=3)},
            {**row, "ticket": "T-closed-in-time", "created_at": ctx.start + dt.timedelta(hours=8),
             "due_at": ctx.end - dt.timedelta(hours=4), "closed_at": ctx.end - dt.timedelta(hours=5)},
            {**row, "ticket": "T-due-tomorrow", "created_at": ctx.start + dt.timedelta(hours=9),
             "due_at": ctx.end + dt.timedelta(hours=4), "closed_at": None},
        ])
    try:
        after = overdue_at(engine, ctx.end)
    finally:
        engine.dispose()
    assert int(after["n"].sum()) == base + 1
