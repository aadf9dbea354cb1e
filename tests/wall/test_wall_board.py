"""The wall's board (open warnings and work orders), ticker, 未来4小时 panel and screen registry."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc)
DEPTS = {"environment": SimpleNamespace(name_zh="市生态环境局", name_en="Ecology Bureau"),
         "traffic": SimpleNamespace(name_zh="市交通运输局", name_en="Transport Bureau")}


def _warning(wid, level, domain, minutes, **kw):
    return {"id": wid, "level": level, "domain": domain, "state": "firing", "title_zh": f"预警{wid}",
            "title_en": f"W{wid}", "fired_at": NOW - dt.timedelta(minutes=minutes), "assigned_to": None,
            "acknowledged_by": None} | kw


def _event(eid, level, minutes, orders, **kw):
    return {"event_id": eid, "title": f"事件{eid}", "level": level, "district": "411002", "seconds_left": 0,
            "opened_at": NOW - dt.timedelta(minutes=minutes), "category": "roads", "warning_id": None,
            "orders": orders} | kw


def _order(dept, state="in_progress", role="lead", due_minutes=30):
    return {"id": 1, "department": dept, "role": role, "state": state, "due": NOW + dt.timedelta(minutes=due_minutes),
            "seconds_left": due_minutes * 60, "overdue": due_minutes < 0}


def test_board_lists_events_and_warnings_most_severe_then_longest_open():
    from components.wall.board import board_items

    warnings = [_warning(1, "orange", "traffic", 10), _warning(2, "red", "environment", 5),
                _warning(3, "orange", "traffic", 50, assigned_to="交警支队"), _warning(4, "blue", "traffic", 90)]
    board = {"events": [_event(7, "red", 20, [_order("traffic", due_minutes=-5), _order("environment", role="co")])]}
    items = board_items(warnings, board, domain=None, departments=DEPTS, lang="zh", now=NOW)
    assert [i["title"] for i in items] == ["事件7", "预警2", "预警3", "预警1", "预警4"]
    event = items[0]
    assert event["who"].startswith("市交通运输局、市生态环境局") and "处置中" in event["who"]
    assert event["since"] == NOW - dt.timedelta(minutes=20) and event["due"] == NOW - dt.timedelta(minutes=5)
    assert items[2]["who"] == "交警支队" and items[3]["who"] == "未派单"


def test_board_of_a_domain_and_a_warning_carried_by_its_event():
    from components.wall.board import board_items

    warnings = [_warning(1, "red", "environment", 30), _warning(2, "yellow", "environment", 40)]
    board = {"events": [_event(7, "red", 20, [_order("environment")], warning_id=1),
                        _event(8, "yellow", 20, [_order("environment")], warning_id=2),
                        _event(9, "orange", 20, [_order("tourism")], category="crowd")]}
    items = board_items(warnings, board, domain="environment", departments=DEPTS, lang="zh", now=NOW)
    # each warning is its event's row (listed once, with the department holding it); the
    # tourism event is another screen's
    assert [i["title"] for i in items] == ["事件7", "事件8"]
    assert items[1]["who"] == "市生态环境局 处置中"
    # the ticker's way: warnings only, an event lending its warning the department
    items = board_items(warnings, board, domain="environment", departments=DEPTS, lang="zh", with_events=False, now=NOW)
    assert [(i["title"], i["who"]) for i in items] == [("预警1", "市生态环境局"), ("预警2", "市生态环境局")]


def test_finished_order_stops_the_deadline_clock():
    from components.wall.board import board_items

    board = {"events": [_event(7, "red", 20, [_order("traffic", state="finished", due_minutes=-60)])]}
    [item] = board_items([], board, domain=None, departments=DEPTS, lang="zh", now=NOW)
    assert item["due"] is None and "待核查" in item["who"]


def test_board_fill_counts_clocks_and_city_fallback():
    from components.wall.board import SLOTS, board_fill

    warnings = [_warning(1, "red", "environment", 30)]
    counts = {"red": 1, "orange": 0, "yellow": 0, "blue": 0}
    orders = {"dispatched": 2, "accepted": 1, "in_progress": 1, "finished": 0, "reopened": 0, "overdue": 1}
    fill = board_fill("t.board", warnings, {}, {"events": [], "counts": orders}, domain="economy",
                      departments=DEPTS, lang="zh", now=NOW)
    # nothing open for the economy: it says so, then lists the city's open ones
    assert fill[("text", "t.board.0.title")] == "本领域无生效预警"
    assert fill[("text", "t.board.1.title")] == "全市：" and fill[("class", "t.board.1.row")].endswith("cb-board-more")
    assert fill[("text", "t.board.2.title")] == "预警1"
    assert fill[("style", "t.board.2.clock")] == {"--since": str(int((NOW - dt.timedelta(minutes=30)).timestamp()))}
    assert fill[("class", f"t.board.{SLOTS - 1}.row")].endswith("cb-empty")
    assert fill[("text", "t.board.orders")] == "待签收2  处置中2  超期1"  # 待核查 0: left out; 超期 always
    fill = board_fill("t.board", warnings, counts, None, domain="environment", departments=DEPTS, lang="zh", now=NOW)
    assert fill[("text", "t.board.count.red")] == "1" and fill[("class", "t.board.count.red")] == "cb-count cb-level-red"
    assert fill[("class", "t.board.count.blue")].endswith("cb-zero")
    assert fill[("text", "t.board.orders")] == ""  # no dispatch data: no orders line, no error


def test_ticker_counts_by_level_and_names_longest_open_red_orange():
    from components.wall.ticker import ticker_fill

    warnings = [_warning(1, "orange", "traffic", 10), _warning(2, "red", "environment", 5),
                _warning(3, "orange", "traffic", 50), _warning(4, "yellow", "traffic", 90)]
    board = {"events": [_event(7, "red", 4, [_order("environment")], warning_id=2)]}
    counts = {"red": 1, "orange": 2, "yellow": 1, "blue": 0}
    fill = ticker_fill(warnings, counts, board, DEPTS, "zh", NOW)
    assert [fill[("text", f"ticker.{i}.title")] for i in range(3)] == ["预警2", "预警3", "预警1"]
    assert fill[("text", "ticker.0.who")] == "市生态环境局"  # the department holding its event
    assert fill[("text", "ticker.1.who")] == "未派单"
    assert fill[("style", "ticker.1.clock")]["--since"] == str(int((NOW - dt.timedelta(minutes=50)).timestamp()))
    assert fill[("class", "ticker.3")] == "cb-tick cb-empty"  # the yellow one is counted, not named
    assert fill[("text", "ticker.count.orange")] == "2" and fill[("text", "ticker.count.blue")] == "0"
    calm = ticker_fill([_warning(4, "yellow", "traffic", 90)], {"yellow": 1}, None, DEPTS, "zh", NOW)
    assert calm[("text", "ticker.0.title")] == "无红色、橙色预警"
    none = ticker_fill([], {}, None, DEPTS, "zh", NOW)
    assert none[("text", "ticker.0.title")] == "当前无生效预警"
    assert none[("class", "ticker.track")] == "cb-ticker-track"


def test_next_hours_panel_is_honest_without_a_forecast():
    from zoneinfo import ZoneInfo

    from components.wall.forecast import forecast_fill

    tz = ZoneInfo("Asia/Shanghai")
    empty = forecast_fill("f", None, tz=tz, lang="zh")
    assert empty[("class", "f.none")] == "cb-fc-none" and empty[("class", "f.cells")].endswith("cb-hidden")
    assert all(empty[("text", f"f.{i}.value")] == "" for i in range(4))
    points = [{"time": NOW + dt.timedelta(hours=h), "value": 2.0 + h, "lo80": 1.5 + h, "hi80": 2.5 + h}
              for h in range(1, 6)]
    fc = {"points": points, "fallback": False, "better": 0.234, "alerts": [{"code": "s1", "time": NOW + dt.timedelta(hours=2),
                                                          "ratio": 0.86}]}
    fill = forecast_fill("f", fc, tz=tz, lang="zh", names={"s1": "曹丞相府"}, alerts=True)
    assert fill[("class", "f.none")].endswith("cb-hidden") and fill[("class", "f.cells")] == "cb-fc-cells"
    assert [fill[("text", f"f.{i}.hour")] for i in range(4)] == ["21时", "22时", "23时", "00时"]
    assert fill[("text", "f.0.value")] == "3.0" and fill[("text", "f.0.range")] == "2.5–3.5"
    assert fill[("text", "f.note")] == "优于基线23%"
    assert forecast_fill("f", fc | {"fallback": True}, tz=tz, lang="zh")[("text", "f.note")] == "季节性基线预测"
    assert fill[("text", "f.alert.0")] == "曹丞相府 预计22时达86%" and fill[("text", "f.alert.1")] == ""


def test_every_configured_screen_has_a_kind_and_a_new_kind_is_one_entry(settings_factory):
    from citybrain.settings import WallScreen
    from components.wall import registry
    from components.wall.kind import ScreenKind
    from components.wall.screens import BUILTIN_KINDS, screen_fill, screen_panels

    settings = settings_factory()
    assert {s.kind for s in settings.wall.screens} <= set(registry.SCREEN_KINDS)
    assert set(BUILTIN_KINDS) <= set(registry.SCREEN_KINDS)
    with pytest.raises(TypeError):
        registry.SCREEN_KINDS["x"] = BUILTIN_KINDS["economy"]  # read-only: kinds are registered in code
    # a kind added the documented way is built and filled like the built-ins
    from dash import html

    from components.wall.ids import wid

    extra = ScreenKind(lambda s, st, lang, px: ([html.Div(id=wid("text", f"{s.name}.x"))], []),
                       lambda s, data, st, lang, now: {("text", f"{s.name}.x"): str(data.get("own"))},
                       read=lambda st, engine, s: 42, domain=lambda s: "traffic")
    screen = WallScreen(name="extra", kind="economy", title_zh="x", title_en="x")
    kinds = {**registry.SCREEN_KINDS, "economy": extra}
    orig = registry.SCREEN_KINDS
    try:
        registry.SCREEN_KINDS = kinds
        left, right = screen_panels(screen, settings, "zh", font_px=40)
        assert right[-1].className == "cb-board"  # the board is added to every kind
        fill = screen_fill(screen, {"own": 42, "warnings": [_warning(1, "red", "traffic", 3)]}, settings=settings,
                           lang="zh", now=NOW)
        assert fill[("text", "extra.x")] == "42" and fill[("text", "extra.board.0.title")] == "预警1"
    finally:
        registry.SCREEN_KINDS = orig


def test_next_hours_read_from_the_stored_forecasts(monkeypatch, settings_factory):
    """The wall's forecast read: hours already over are skipped (a forecast made an hour ago),
    the sites' forecasts are summed for hours every site covers (no interval for the sum),
    sites expected past 80 % are named with their first such hour; the baseline is said."""
    import pandas as pd

    import forecast.read
    from store.queries import wall_forecast

    settings = settings_factory()
    sites = settings.sites[:2]
    hours = [NOW - dt.timedelta(hours=2) + dt.timedelta(hours=h) for h in range(8)]

    def fc(scope, values, *, fallback=False, better=0.3):
        pts = pd.DataFrame({"time": pd.to_datetime(hours, utc=True), "value": values,
                            "lo80": [v - 1 for v in values], "hi80": [v + 1 for v in values]})
        return SimpleNamespace(scope=scope, points=pts, fallback=fallback,
                               accuracy={"better_than_baseline": better})

    cap = sites[0].capacity
    stored = {"tpi": [fc("", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])],
              "tourism_present": [fc(sites[0].code, [0, 0, 10, 20, 0.5 * cap, 0.85 * cap, 0.9 * cap, 0]),
                                  fc(sites[1].code, [0, 0, 1, 2, 3, 4, 5, float("nan")], fallback=True)]}
    monkeypatch.setattr(forecast.read, "next_hours", lambda s, e, indicator, **kw: stored[indicator])
    now = NOW + dt.timedelta(minutes=30)
    traffic = wall_forecast.traffic_next_hours(settings, None, now)
    # 10:00 and 11:00 are over at 12:30; 12:00 (the hour now running) is the first shown
    assert [p["time"] for p in traffic["points"]] == hours[2:6]
    assert traffic["points"][0] == {"time": hours[2], "value": 3.0, "lo80": 2.0, "hi80": 4.0}
    assert traffic["fallback"] is False and traffic["better"] == 0.3
    tourism = wall_forecast.tourism_next_hours(settings, None, now)
    assert [p["value"] for p in tourism["points"]] == [11, 22, 0.5 * cap + 3, 0.85 * cap + 4]
    assert all(p["lo80"] is None for p in tourism["points"])
    assert tourism["fallback"] is True  # one site's baseline serves: the panel says so
    assert tourism["alerts"] == [{"code": sites[0].code, "time": hours[5], "ratio": pytest.approx(0.85)}]
    monkeypatch.setattr(forecast.read, "next_hours", lambda s, e, indicator, **kw: [])
    assert wall_forecast.traffic_next_hours(settings, None, NOW) is None
    assert wall_forecast.tourism_next_hours(settings, None, NOW) is None


def test_a_screen_of_a_kind_nobody_provides_is_left_out_not_the_wall(caplog):
    from citybrain.settings import WallScreen
    from components.wall.registry import SCREEN_KINDS, shown

    ok = WallScreen(name="traffic", kind="traffic", title_zh="交通", title_en="Traffic")
    # a kind the settings will accept once its module exists (model_construct skips the Literal check)
    odd = WallScreen.model_construct(name="lamps", kind="lamp_posts", title_zh="智慧灯杆", title_en="Lamp posts")
    assert "lamp_posts" not in SCREEN_KINDS and "theme" in SCREEN_KINDS
    assert shown([ok, odd]) == [ok]
    assert "lamps" in caplog.text


def test_a_board_with_room_left_lists_the_citys_other_open_ones():
    from components.wall.board import board_fill

    warnings = [_warning(1, "orange", "traffic", 30), _warning(2, "red", "environment", 5)]
    fill = board_fill("t.board", warnings, {}, None, domain="traffic", departments=DEPTS, lang="zh", now=NOW)
    assert [fill[("text", f"t.board.{i}.title")] for i in range(3)] == ["预警1", "全市其他：", "预警2"]
    assert fill[("class", "t.board.1.row")] == "cb-board-row cb-board-none cb-board-more"
    assert fill[("class", "t.board.3.row")].endswith("cb-empty")
