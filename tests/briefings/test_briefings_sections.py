"""Section kinds of the daily briefing: the list (one line per kind, numbered after all ran),
tomorrow's peaks from stored forecasts — and no number when there is none — and the
dispatch section's overdue orders and scorecard from the dispatch loop's read functions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import insert

from briefings.document import Note, Section, Table

UTC = dt.timezone.utc


@pytest.fixture
def ctx_for(brief_app):
    from briefings.daily import period
    from briefings.kinds import BriefContext

    def make(settings, engine, day, lang="zh"):
        start, end = period(day, settings)
        return BriefContext(settings=settings, engine=engine, day=day, lang=lang, start=start, end=end, as_of=end,
                            now=end + dt.timedelta(hours=7), sources=[])
    with brief_app.server.app_context():
        yield make


def test_a_new_kind_is_one_entry_and_headings_are_numbered_after_all_ran(brief_settings, brief_engine, brief_day,
                                                                        brief_app, monkeypatch):
    import sys
    import types

    from briefings import kinds
    from briefings.daily import build_daily

    mod = types.ModuleType("briefing_extra_kind")
    mod.sections = lambda ctx: [Section("extra-a", "甲"), Section("extra-b", "乙")]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "briefing_extra_kind", mod)
    extra = kinds.SectionKind("extra", "briefing_extra_kind:sections")
    at = [k.key for k in kinds.SECTION_KINDS].index("warnings")
    monkeypatch.setattr(kinds, "SECTION_KINDS", (*kinds.SECTION_KINDS[:at], extra, *kinds.SECTION_KINDS[at:]))
    with brief_app.server.app_context():
        doc = build_daily(brief_settings, brief_engine, brief_day, "zh")
    ids = [s.id for s in doc.sections]
    assert ids[0] == "summary" and doc.sections[0].heading == "要情摘要"
    assert ids.index("extra-a") + 1 == ids.index("extra-b") == ids.index("warnings") - 1
    numbered = [s.heading for s in doc.sections if s.numbered]
    numerals = "一二三四五六七八九十"
    for i, heading in enumerate(numbered[:10]):
        assert heading.startswith(numerals[i] + "、"), heading
    assert doc.sections[ids.index("extra-b")].heading.endswith("、乙") and ids[-1] == "quality"


def _texts(sec: Section) -> str:
    out = []
    for b in sec.blocks:
        if isinstance(b, Note):
            out.append(b.text)
        elif isinstance(b, Table):
            out.append(" ".join([b.title, *b.columns, *(c for r in b.rows for c in r)]))
    return " ".join(out)


def test_no_forecast_means_an_honest_line_and_no_number(ctx_for, store_copy, brief_day):
    from briefings.outlook import sections
    from store.engine import make_engine

    engine = make_engine(store_copy.resolved_store_url)
    try:
        (sec,) = sections(ctx_for(store_copy, engine, brief_day))
    finally:
        engine.dispose()
    assert [type(b) for b in sec.blocks] == [Note]
    assert "暂无预测" in sec.blocks[0].text and not re.search(r"\d", sec.blocks[0].text)


def test_tomorrows_peaks_come_from_the_stored_forecasts(ctx_for, store_copy, brief_day):
    """A site's hourly forecast for the day after the period: the section prints its peak, hour,
    80% interval and share of capacity, and that the seasonal baseline made it."""
    from briefings.outlook import sections
    from store.engine import make_engine
    from store.schema import forecast_points, forecast_series

    settings = store_copy
    site = settings.sites[0]
    engine = make_engine(settings.resolved_store_url)
    ctx = ctx_for(settings, engine, brief_day)
    key = {"indicator": "tourism_present", "grain": "hour", "scope_kind": "site", "scope": site.code}
    first = ctx.end + dt.timedelta(hours=5)  # 05:00 of the next day: earlier hours were observed
    with engine.begin() as conn:
        conn.execute(insert(forecast_series).values(**key, model="seasonal_naive", params={},
                                                    accuracy={"fallback": True}, last_obs=first - dt.timedelta(hours=1),
                                                    made_at=first))
        conn.execute(insert(forecast_points), [
            {**key, "time": first + dt.timedelta(hours=h), "value": v, "lo80": v * 0.8, "hi80": v * 1.2,
             "lo95": v * 0.7, "hi95": v * 1.3}
            for h, v in enumerate([10.0, 50.0, 300.0, 900.0, 1234.0, 700.0, 80.0] + [0.0] * 24)])
    try:
        (sec,) = sections(ctx)
        (sec_en,) = sections(ctx_for(settings, engine, brief_day, "en"))
    finally:
        engine.dispose()
    text = _texts(sec)
    # peak 1,234 at 09:00 local (05:00 + 4 h), 80% interval 987–1,481
    assert site.name_zh in text and "1,234" in text and "09时" in text and "987–1,481" in text
    assert f"{1234 / site.capacity * 100:.1f}%" in text and "季节基线" in text
    assert "预测自05时起" in text
    assert site.name_en in _texts(sec_en) and "09:00" in _texts(sec_en) and "seasonal baseline" in _texts(sec_en)
    assert not re.search(r"[\u4e00-\u9fff]", _texts(sec_en))


def test_the_dispatch_section_lists_orders_overdue_at_the_period_end_and_the_scorecard(ctx_for, brief_settings,
                                                                                       brief_engine, brief_day):
    from briefings.dispatch_section import sections
    from dispatch.board import overdue_orders
    from dispatch.scorecard import scorecards

    ctx = ctx_for(brief_settings, brief_engine, brief_day)
    late = overdue_orders(brief_engine, ctx.end)
    cards = scorecards(brief_engine, brief_settings, ctx.start, ctx.end, now=ctx.end)
    (sec,) = sections(ctx)
    text = _texts(sec)
    if not late and not any(c["orders"] or c["overdue_open"] for c in cards):
        assert "当日未派发处置工单" in text
        return
    assert f"超期未办结{len(late)}件" in text
    busy = [c for c in cards if c["orders"] or c["overdue_open"]]
    table = next(b for b in sec.blocks if isinstance(b, Table) and b.title == "当日部门考核")
    assert [r[1] for r in table.rows] == [str(c["orders"]) for c in busy]
    assert "None" not in text and not re.search(r"\b(dispatched|in_progress|respond|resolve)\b", text), "no raw codes"
