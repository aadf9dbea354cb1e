"""The engine against a real store: one warning per rule and scope through escalation,
handling kept, silences, and state that survives a restart of the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from access.roles import Principal
from alerts.engine import evaluate
from alerts.handling import HandlingError, acknowledge, add_note, add_silence, assign, close, warning_with_history
from alerts.rules import WarningConfig, Webhook, parse_rules
from store.engine import make_engine, upgrade
from store.schema import source_status, warning_events, warnings

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Xuchang
M = timedelta(minutes=1)
H = timedelta(hours=1)

CROWD = parse_rules([{
    "id": "crowd", "kind": "threshold", "title_zh": "景区客流预警", "title_en": "Scenic crowding",
    "domain": "tourism", "indicator": "crowding", "grain": "hour", "scope_kind": "site", "op": ">=",
    "levels": {"yellow": 0.8, "orange": 0.9, "red": 1.0}, "recover": 0.7, "for": "5m", "keep_firing_for": "10m"}])
HOOK = Webhook(name="duty", url="http://127.0.0.1:9/hook")


def duty(name: str) -> Principal:
    """A duty officer: handles every domain's warnings and sets silences."""
    return Principal(name, "duty")


def config(rules=CROWD, hooks=()):
    return WarningConfig(rules=list(rules), webhooks=list(hooks), link="http://wall/warnings/{id}")


def rows(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(table).order_by(table.c.id)).all()


def test_one_warning_escalates_keeps_handling_and_survives_restart(put, settings, store_url):
    engine = make_engine(store_url)
    put(engine, "crowding", "hour", "site", "TS01", [(T0, 0.85)])
    evaluate(settings, engine, now=T0, config=config())
    report = evaluate(settings, engine, now=T0 + 5 * M, config=config())
    assert report.fired == 1
    (w,) = rows(engine, warnings)
    assert (w.state, w.level, w.district, w.title_zh) == ("firing", "yellow", "411002", "景区客流预警（曹丞相府）")
    acknowledge(engine, w.id, actor=duty("zhang"), note="已通知景区", now=T0 + 6 * M)
    assign(engine, w.id, actor=duty("zhang"), department="市文化广电和旅游局", note="限流", now=T0 + 7 * M)
    engine.dispose()  # the scheduler restarts

    engine = make_engine(store_url)
    put(engine, "crowding", "hour", "site", "TS01", [(T0 + H, 0.95)])
    report = evaluate(settings, engine, now=T0 + H + M, config=config())
    assert report.escalated == 1 and report.opened == 0
    put(engine, "crowding", "hour", "site", "TS01", [(T0 + 2 * H, 0.82)])
    assert evaluate(settings, engine, now=T0 + 2 * H + M, config=config()).deescalated == 1
    put(engine, "crowding", "hour", "site", "TS01", [(T0 + 3 * H, 0.6)])
    evaluate(settings, engine, now=T0 + 3 * H + M, config=config())
    engine.dispose()

    engine = make_engine(store_url)  # restart while recovering: the timer is in the store
    evaluate(settings, engine, now=T0 + 3 * H + 10 * M, config=config())
    assert rows(engine, warnings)[0].state == "recovering"
    report = evaluate(settings, engine, now=T0 + 3 * H + 11 * M, config=config())
    assert report.resolved == 1

    (w,) = rows(engine, warnings)
    full = warning_with_history(engine, w.id)
    assert (full["state"], full["level"], full["handling"]) == ("resolved", "yellow", "assigned")
    assert (full["acknowledged_by"], full["assigned_to"]) == ("zhang", "市文化广电和旅游局")
    assert full["started_at"] == T0 and full["fired_at"] == T0 + 5 * M
    assert full["resolved_at"] == T0 + 3 * H + 11 * M and full["open_key"] is None
    assert [(h["from"], h["to"], h["at"]) for h in full["level_history"]] == [
        ("yellow", "orange", T0 + H + M), ("orange", "yellow", T0 + 2 * H + M)]
    assert [(h["kind"], h["to"], h["actor"]) for h in full["handling_history"]] == [
        ("ack", "acknowledged", "zhang"), ("assign", "assigned", "zhang")]
    # what the duty officer reads beside the value: what fired it and the worst while open
    assert (full["detail"]["trigger"], full["detail"]["worst"]) == (0.85, 0.95)
    assert [(h["from"], h["to"]) for h in full["history"] if h["kind"] == "state"] == [
        (None, "pending"), ("pending", "firing"), ("firing", "recovering"), ("recovering", "resolved")]
    assert full["level_info"]["label_zh"] == "黄色预警（III级）"
    engine.dispose()


def test_pending_survives_restart_and_fires_on_time(put, settings, store_url):
    engine = make_engine(store_url)
    put(engine, "crowding", "hour", "site", "TS02", [(T0, 0.91)])
    evaluate(settings, engine, now=T0 + 2 * M, config=config())
    engine.dispose()
    engine = make_engine(store_url)
    assert evaluate(settings, engine, now=T0 + 6 * M, config=config()).fired == 0
    assert evaluate(settings, engine, now=T0 + 7 * M, config=config()).fired == 1
    (w,) = rows(engine, warnings)
    assert (w.started_at, w.fired_at, w.level) == (T0 + 2 * M, T0 + 7 * M, "orange")
    engine.dispose()


def test_blip_shorter_than_for_leaves_nothing(put, settings, store):
    put(store, "crowding", "hour", "site", "TS01", [(T0, 0.85), (T0 + H, 0.5)])
    evaluate(settings, store, now=T0 + 50 * M, config=config())
    assert rows(store, warnings)[0].state == "pending"
    evaluate(settings, store, now=T0 + H, config=config())
    assert rows(store, warnings) == [] and rows(store, warning_events) == []


def test_notifications_queued_on_firing_escalation_resolution_only(put, settings, store):
    put(store, "crowding", "hour", "site", "TS01", [(T0, 0.85), (T0 + H, 0.95), (T0 + 2 * H, 0.85),
                                                    (T0 + 3 * H, 0.5)])
    cfg = config(hooks=[HOOK])
    for minute in range(0, 4 * 60, 5):
        evaluate(settings, store, now=T0 + minute * M, config=cfg)
    notes = [(e.from_value, e.to_value, e.detail["level"]) for e in rows(store, warning_events) if e.kind == "notify"]
    assert notes == [("firing", "pending", "yellow"), ("escalated", "pending", "orange"),
                     ("resolved", "pending", "yellow")]


def test_silence_suppresses_notification_not_the_warning(put, settings, store):
    add_silence(store, rule="crowd", scope="TS01", reason="演练", created_by=duty("li"), starts_at=T0 - H, ends_at=T0 + H)
    put(store, "crowding", "hour", "site", "TS01", [(T0, 0.85)])
    put(store, "crowding", "hour", "site", "TS02", [(T0, 0.85)])
    cfg = config(hooks=[HOOK])
    evaluate(settings, store, now=T0, config=cfg)
    report = evaluate(settings, store, now=T0 + 5 * M, config=cfg)
    assert report.fired == 2 and report.silenced == 1 and len(report.notifications) == 1
    by_scope = {w.scope: w.id for w in rows(store, warnings)}
    kinds = {(e.warning_id, e.kind) for e in rows(store, warning_events) if e.kind in ("notify", "silence")}
    assert kinds == {(by_scope["TS01"], "silence"), (by_scope["TS02"], "notify")}
    with pytest.raises(HandlingError, match="expiry"):
        add_silence(store, rule="crowd", reason="x", created_by=duty("li"), starts_at=T0, ends_at=T0)


def test_staleness_and_a_maintenance_window(put, settings, store):
    rules = parse_rules([{"id": "stale", "kind": "staleness", "title_zh": "数据滞后", "title_en": "Stale",
                          "levels": {"blue": 1, "yellow": 4}, "for": "30m"}])
    with store.begin() as conn:
        conn.execute(insert(source_status), [
            {"name": "env_monitor", "domain": "environment", "status": "failing", "data_time": T0 - 3 * H,
             "last_error": "timeout"},
            {"name": "traffic_detectors", "domain": "traffic", "status": "ok", "data_time": T0 + 25 * M, "last_error": None}])
    add_silence(store, source="env_monitor", reason="环保局数据库维护", created_by=duty("it"),
                starts_at=T0 - H, ends_at=T0 + 2 * H)
    cfg = config(rules, hooks=[HOOK])
    evaluate(settings, store, now=T0, config=cfg)
    report = evaluate(settings, store, now=T0 + 30 * M, config=cfg)
    by_scope = {w.scope: w for w in rows(store, warnings)}
    # never-polled sources are stale too (tourism, economy, hotline), env_monitor is silenced
    assert by_scope["env_monitor"].state == "firing" and by_scope["env_monitor"].domain == "environment"
    assert by_scope["env_monitor"].rule_kind == "staleness" and "traffic_detectors" not in by_scope
    assert by_scope["scenic_gates"].level == "yellow"
    assert report.silenced == 1 and report.fired == len(settings.sources) - 1  # all but traffic_detectors


def test_handling_rules(put, settings, store):
    put(store, "crowding", "hour", "site", "TS01", [(T0, 1.1)])
    evaluate(settings, store, now=T0, config=config())
    (w,) = rows(store, warnings)
    assign(store, w.id, actor=duty("wang"), department="市公安局", note="", now=T0 + M)  # acknowledges on the way
    with pytest.raises(HandlingError, match="already assigned by wang"):
        acknowledge(store, w.id, actor=duty("li"), note="")
    add_note(store, w.id, actor=duty("li"), note="现场已疏导", now=T0 + 2 * M)
    close(store, w.id, actor=duty("wang"), note="处置完毕", now=T0 + 3 * M)
    with pytest.raises(HandlingError):
        close(store, w.id, actor=duty("wang"), note="")
    full = warning_with_history(store, w.id)
    assert full["handling"] == "closed" and full["acknowledged_by"] == "wang" and full["closed_at"] == T0 + 3 * M
    assert [h["kind"] for h in full["handling_history"]] == ["assign", "note", "close"]


@pytest.mark.postgres
def test_lifecycle_on_postgresql(put, settings, pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        put(engine, "crowding", "hour", "site", "TS01", [(T0, 0.85), (T0 + H, 0.95)])
        evaluate(settings, engine, now=T0, config=config())
        evaluate(settings, engine, now=T0 + 5 * M, config=config())
        evaluate(settings, engine, now=T0 + H + M, config=config())
        (w,) = rows(engine, warnings)
        acknowledge(engine, w.id, actor=duty("zhang"), note="ok")
        full = warning_with_history(engine, w.id)
        assert (full["state"], full["level"], full["handling"]) == ("firing", "orange", "acknowledged")
        assert full["fired_at"] == T0 + 5 * M
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(warning_events)).scalar() == 4  # pending, firing, level, ack
    finally:
        engine.dispose()


def test_worst_value_follows_the_rule_s_direction():
    """接通率 below a floor: the worst is the lowest value; crowding above a ceiling: the highest.
    The trigger is the value that fired it, kept once set; a resolved warning stops counting."""
    from types import SimpleNamespace as NS

    from alerts.conditions import Observation
    from alerts.engine import extremes
    from alerts.lifecycle import Condition

    floor, ceiling = NS(op="<"), NS(op=">=")
    firing = Condition("firing", "yellow", T0, T0, value=0.80)
    seen = NS(detail={"trigger": 0.80, "worst": 0.78})
    obs = Observation("district", "411002", "breach", "yellow", 0.75)
    assert extremes(floor, seen, obs, firing) == {"trigger": 0.80, "worst": 0.75}
    assert extremes(ceiling, seen, obs, firing) == {"trigger": 0.80, "worst": 0.78}
    assert extremes(floor, None, obs, Condition("pending", "yellow", T0, value=0.75)) == {"trigger": None, "worst": 0.75}
    resolved = Condition("resolved", "yellow", T0, T0, resolved_at=T0, value=0.9)
    assert extremes(floor, seen, Observation("district", "411002", "ok", None, 0.9), resolved) == \
        {"trigger": 0.80, "worst": 0.78}
