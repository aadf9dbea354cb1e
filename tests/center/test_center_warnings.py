"""The warnings center's callback bodies as plain functions, over the demo's real warnings."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from dash import html

from alerts import handling
from citybrain.i18n import t
from components.center.actor import DEMO_ACTOR, actor, actor_label
from components.center.timeline import event_text
from components.center.url import parse_view, view_query
from store.queries.warnings import PAGE_SIZE, WarningFilters, active_counts, find_warnings

from plotly.utils import PlotlyJSONEncoder

UTC = dt.timezone.utc

from access.roles import Principal

#: the one acting in these tests: a duty officer (handles every domain, sets silences)
OFFICER = Principal("zhang.san", "duty")


def _texts(component) -> str:
    """Every string inside a component tree (what the reader would see), joined."""
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def _open_ids(component) -> list[int]:
    out: list[int] = []

    def walk(c):
        if isinstance(c, html.Button) and isinstance(getattr(c, "id", None), dict):
            out.append(c.id["id"])
        for child in (getattr(c, "children", None) or []) if isinstance(getattr(c, "children", None), list) else \
                [getattr(c, "children", None)]:
            if hasattr(child, "to_plotly_json"):
                walk(child)

    walk(component)
    return out


def test_demo_raised_real_warnings(store):
    _, engine = store
    rows = find_warnings(engine, WarningFilters())
    assert len(rows) >= 3, "the demo replay raised too few warnings to test the center"
    assert {r["state"] for r in rows} & {"firing", "recovering", "resolved"}


def test_filters_narrow_the_list(store):
    from pages.warnings import filters_from, list_view, refresh_list

    settings, engine = store
    everything = find_warnings(engine, WarningFilters())
    level = everything[0]["level"]
    only = find_warnings(engine, filters_from(level, None, None, None, None))
    assert only and all(r["level"] == level for r in only)
    resolved = find_warnings(engine, WarningFilters(state="resolved"))
    active = find_warnings(engine, WarningFilters(state="active"))
    assert all(r["state"] == "resolved" for r in resolved)
    assert all(r["state"] in ("firing", "recovering") for r in active)
    assert len(resolved) + len(active) <= len(everything)
    domain = everything[0]["domain"]
    assert all(r["domain"] == domain for r in find_warnings(engine, WarningFilters(domain=domain)))
    # the callback: one row button per warning, the selected one marked
    shown, counts, pages, _ = refresh_list(level, None, None, None, None, only[0]["id"], None, None, 1, "zh")
    assert sorted(_open_ids(shown)) == sorted(r["id"] for r in only[:PAGE_SIZE])
    assert pages == -(-len(only) // PAGE_SIZE)
    assert "cb-wrow-selected" in _texts(shown) or len(only) > PAGE_SIZE
    assert "cb-level-tile" in _texts(counts) and "待签收" in _texts(counts)
    empty, _, _ = list_view(engine, settings, WarningFilters(level="red", domain="economy"), None, "en")
    assert t("warnings.empty", "en") in _texts(empty) or _open_ids(empty)


def test_open_warnings_first_most_severe_first_paged(store):
    """The duty officer's order: unresolved before resolved, red before blue, then newest; pages
    of PAGE_SIZE cover every warning once; a page past the end shows the last one."""
    from alerts.levels import rank
    from pages.warnings import list_view

    settings, engine = store
    rows = find_warnings(engine, WarningFilters(), open_first=True)
    keys = [(r["open_key"] is None, -rank(r["level"])) for r in rows]
    assert keys == sorted(keys)
    seen = []
    pages = -(-len(rows) // PAGE_SIZE)
    for page in range(1, pages + 1):
        shown, at, total_pages = list_view(engine, settings, WarningFilters(), None, "zh", page)
        assert (at, total_pages) == (page, pages)
        seen += _open_ids(shown)
    assert sorted(seen) == sorted(r["id"] for r in rows) and len(seen) == len(set(seen))
    assert list_view(engine, settings, WarningFilters(), None, "zh", pages + 5)[1] == pages


def test_a_row_says_how_long_who_and_against_what():
    import datetime as dt
    from zoneinfo import ZoneInfo

    from components.center.warning_list import span_text, warning_list

    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc)
    row = {"id": 7, "rule": "answer_rate", "level": "yellow", "state": "firing", "handling": "assigned",
           "district": None, "title_zh": "接通率偏低", "title_en": "Low answer rate", "value": 0.83,
           "started_at": now - dt.timedelta(hours=2, minutes=20), "fired_at": now - dt.timedelta(hours=2, minutes=15),
           "resolved_at": None, "assigned_to": "市12345热线中心", "assigned_at": now - dt.timedelta(minutes=40),
           "acknowledged_by": "zhang", "acknowledged_at": now - dt.timedelta(hours=1),
           "detail": {"trigger": 0.84, "worst": 0.79}}
    text = _texts(warning_list([row], "zh", ZoneInfo("Asia/Shanghai"), {}, indicators={"answer_rate": "hotline_answer_rate"},
                               thresholds={("answer_rate", "yellow"): "< 85.0%"}, now=now))
    for part in ("已持续 2小时15分", "市12345热线中心 · 40分钟前", "83.0%", "触发 84.0%", "最严重 79.0%", "阈值 < 85.0%"):
        assert part in text, part
    assert span_text(3 * 86400 + 3600, "en") == "3 d 1 h" and span_text(20, "zh") == "1分钟"


def test_district_filter(store):
    settings, engine = store
    with_district = [r for r in find_warnings(engine, WarningFilters()) if r["district"]]
    if not with_district:
        pytest.skip("no district-scoped warning in this demo run")
    code = with_district[0]["district"]
    assert all(r["district"] == code for r in find_warnings(engine, WarningFilters(district=code)))


def test_view_round_trips_through_the_url(store):
    settings, _ = store
    codes = {d.code for d in settings.districts}
    filters, wid = parse_view({"level": "red", "state": "firing", "id": "12"}, codes)
    assert filters == WarningFilters(level="red", state="firing") and wid == 12
    assert view_query(filters, wid) == "?level=red&state=firing&id=12"
    bad, none = parse_view({"level": "purple", "district": "x' OR 1=1", "id": "-3"}, codes)
    assert bad == WarningFilters() and none is None
    assert view_query(WarningFilters(), None) == ""


def test_active_counts_have_every_level(store):
    _, engine = store
    counts = active_counts(engine)
    assert set(counts["level"]) == {"blue", "yellow", "orange", "red"}
    assert sum(counts["level"].values()) == len(find_warnings(engine, WarningFilters(state="active")))


def test_acknowledge_assign_note_show_in_the_timeline(store):
    from pages.warnings import detail_view, handle, show_detail

    settings, engine = store
    w = find_warnings(engine, WarningFilters(handling="unacknowledged"))[0]
    ok, msg = handle(engine, "ack", w["id"], note="已电话通知", department="", acting=OFFICER, lang="zh")
    assert ok and str(w["id"]) in msg
    ok, msg = handle(engine, "ack", w["id"], note="", department="", acting=OFFICER, lang="en")
    assert not ok and "already acknowledged" in msg  # refusals are messages, not tracebacks
    ok, _ = handle(engine, "assign", w["id"], note="", department="", acting=OFFICER, lang="zh")
    assert not ok  # a department is required
    ok, msg = handle(engine, "assign", w["id"], note="请核查", department="市生态环境局", acting=OFFICER, lang="zh")
    assert ok and "市生态环境局" in msg
    ok, _ = handle(engine, "note", w["id"], note="现场已处置", department="", acting=OFFICER, lang="zh")
    assert ok
    history = handling.warning_with_history(engine, w["id"])
    kinds = [h["kind"] for h in history["handling_history"]]
    assert kinds == ["ack", "assign", "note"] and history["handling"] == "assigned"
    assert history["acknowledged_by"] == OFFICER.name
    panel, display = detail_view(engine, settings, w["id"], "zh")
    text = _texts(panel)
    assert display == "block"
    for expected in ("已签收", "指派给 市生态环境局", "已电话通知", "现场已处置", OFFICER.name):
        assert expected in text, expected
    en, _ = show_detail(w["id"], None, None, "en")
    assert "Assigned to 市生态环境局" in _texts(en) and OFFICER.name in _texts(en)


def test_detail_without_a_warning(store):
    from pages.warnings import detail_view

    settings, engine = store
    assert detail_view(engine, settings, None, "zh")[1] == "none"
    missing, display = detail_view(engine, settings, 999999, "en")
    assert display == "none" and "999999" in _texts(missing)


def test_silences_for_a_warning_a_rule_and_a_source(store):
    from pages.warnings import silence, silences_view

    settings, engine = store
    now = dt.datetime.now(UTC)
    w = find_warnings(engine, WarningFilters())[0]
    ok, msg = silence(engine, settings, target="warning", warning_id=w["id"], rule=None, source=None, hours="2h",
                      reason="", acting=OFFICER, lang="zh", now=now)
    assert not ok and msg == t("warnings.silence.need_reason", "zh")
    ok, _ = silence(engine, settings, target="source", warning_id=None, rule=None, source=None, hours="2h",
                    reason="检修", acting=OFFICER, lang="zh", now=now)
    assert not ok
    before = {x["id"] for x in handling.active_silences(engine, now=now + dt.timedelta(minutes=1))}
    for target in ("warning", "rule", "source"):
        ok, msg = silence(engine, settings, target=target, warning_id=w["id"], rule=w["rule"],
                          source="env_monitor", hours="4h", reason=f"检修 {target}", acting=OFFICER, lang="zh", now=now)
        assert ok, msg
    active = [x for x in handling.active_silences(engine, now=now + dt.timedelta(minutes=1)) if x["id"] not in before]
    assert len(active) == 3
    by_reason = {s["reason"]: s for s in active}
    assert by_reason["检修 warning"]["scope"] == w["scope"] and by_reason["检修 source"]["source"] == "env_monitor"
    assert all(s["ends_at"] - s["starts_at"] == dt.timedelta(hours=4) for s in active)
    listed = _texts(silences_view(engine, settings, "zh", now=now + dt.timedelta(minutes=1)))
    assert "检修 rule" in listed and "数据源 env_monitor" in listed
    handling.end_silence(engine, by_reason["检修 rule"]["id"], actor=OFFICER, now=now + dt.timedelta(minutes=2))
    assert len(handling.active_silences(engine, now=now + dt.timedelta(minutes=3))) == len(before) + 2


def test_event_texts_cover_every_kind():
    events = [
        {"kind": "state", "from": None, "to": "pending"}, {"kind": "state", "from": "pending", "to": "firing"},
        {"kind": "level", "from": "yellow", "to": "orange"}, {"kind": "level", "from": "red", "to": "orange"},
        {"kind": "ack"}, {"kind": "assign", "to": "assigned", "detail": {"department": "市交通运输局"}},
        {"kind": "note"}, {"kind": "close"},
        {"kind": "notify", "from": "fired", "to": "delivered", "detail": {"webhook": "env_dingtalk"}},
        {"kind": "silence", "to": "fired", "detail": {"reason": "检修"}},
    ]
    zh = [event_text(e, "zh") for e in events]
    assert zh[:4] == ["条件成立，待确认", "预警发布", "升级：黄 III → 橙 II", "降级：红 I → 橙 II"]
    assert "市交通运输局" in zh[5] and "env_dingtalk" in zh[8] and "已送达" in zh[8] and "检修" in zh[9]
    en = [event_text(e, "en") for e in events]
    assert en[2] == "Escalated: Yellow III → Orange II" and all(en)


def test_actor_is_the_demo_officer_until_login_exists():
    import flask

    assert actor() == DEMO_ACTOR
    app = flask.Flask("t")
    with app.test_request_context("/"):
        flask.g.user = {"username": "zhang.san"}
        assert actor() == "zhang.san"
    assert actor_label(DEMO_ACTOR, "zh") == "值班员（未登录演示）" and actor_label("li", "en") == "li"
