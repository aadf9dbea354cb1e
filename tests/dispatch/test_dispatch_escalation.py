"""Time travel over an order's clocks: deadlines, the first escalation at the limit, the
second at twice the limit, idempotence, reminders; webhooks delivered with retries to a
local HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from alerts.rules import WarningConfig, Webhook
from dispatch.escalation import check, deliver, due_step
from dispatch.orders import get_order, list_orders
from store.schema import audit_log, order_events
from tests.dispatch.conftest import PRINCIPALS, T0
from tests.webhooks import webhook_receiver

M = dt.timedelta(minutes=1)
S = dt.timedelta(seconds=1)


@pytest.fixture
def receiver():
    """The shared local receiver (tests/webhooks.py): /flaky 500 once, /down always 500."""
    with webhook_receiver() as got:
        yield got


def hook(name, url, **kw):
    return Webhook(name=name, url=url, retries=2, backoff=dt.timedelta(milliseconds=10),
                   timeout=dt.timedelta(seconds=2), **kw)


def _leader(world, *names):
    world.settings = world.settings.model_copy(update={"dispatch": world.settings.dispatch.model_copy(
        update={"leader_webhooks": list(names)})})


def test_due_step_is_on_time_at_the_exact_deadline():
    limit = dt.timedelta(minutes=15)
    assert due_step(T0, T0 + limit, T0 + limit) == 0
    assert due_step(T0, T0 + limit, T0 + limit + S) == 1
    assert due_step(T0, T0 + limit, T0 + 2 * limit) == 1
    assert due_step(T0, T0 + limit, T0 + 2 * limit + S) == 2


def test_respond_clock_escalates_twice_and_once_each(world):
    oid = world.order("red")  # respond 15 min, resolve 2 h
    cfg = WarningConfig()
    assert check(world.settings, world.engine, now=T0 + 15 * M, config=cfg).escalated == []
    assert not get_order(world.engine, oid, now=T0 + 15 * M)["overdue"]
    late = get_order(world.engine, oid, now=T0 + 15 * M + S)
    assert late["overdue"] and late["overdue_clock"] == "respond"
    assert [o["id"] for o in list_orders(world.engine, PRINCIPALS["duty"], overdue=True, now=T0 + 16 * M)] == [oid]
    assert list_orders(world.engine, PRINCIPALS["duty"], overdue=True, now=T0 + 15 * M) == []
    assert check(world.settings, world.engine, now=T0 + 16 * M, config=cfg).escalated == [(oid, "respond", 1)]
    assert check(world.settings, world.engine, now=T0 + 17 * M, config=cfg).escalated == []  # idempotent
    assert check(world.settings, world.engine, now=T0 + 30 * M, config=cfg).escalated == []  # at 2× limit: not yet
    assert check(world.settings, world.engine, now=T0 + 31 * M, config=cfg).escalated == [(oid, "respond", 2)]
    assert check(world.settings, world.engine, now=T0 + 32 * M, config=cfg).escalated == []
    o = get_order(world.engine, oid)
    assert o["respond_escalation"] == 2 and [h["detail"]["step"] for h in o["history"] if h["kind"] == "escalation"] \
        == [1, 2]
    with world.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "order.escalate")).scalars().all() \
            == ["scheduler", "scheduler"]


def test_accepting_stops_the_respond_clock_and_resolve_clock_runs_on(world):
    oid = world.order("orange")  # 30 min / 4 h
    world.act(oid, "accept", "traffic", at=T0 + 29 * M)
    cfg = WarningConfig()
    assert check(world.settings, world.engine, now=T0 + 3 * 60 * M, config=cfg).escalated == []
    assert check(world.settings, world.engine, now=T0 + 4 * 60 * M + S, config=cfg).escalated == [(oid, "resolve", 1)]
    world.act(oid, "remind", "duty", at=T0 + 5 * 60 * M, note="请尽快处置")  # 催办: an event, the clock unchanged
    o = get_order(world.engine, oid, now=T0 + 5 * 60 * M)
    assert o["overdue_clock"] == "resolve" and o["history"][-1]["kind"] == "remind"
    assert o["resolve_by"] == T0 + 4 * 60 * M
    # an extension approved starts a new clock; its own limit is measured from dispatch
    world.act(oid, "extend", "traffic", at=T0 + 5 * 60 * M, until=T0 + 6 * 60 * M)
    world.act(oid, "approve", "duty", at=T0 + 5 * 60 * M + M)
    assert get_order(world.engine, oid)["resolve_escalation"] == 0
    assert check(world.settings, world.engine, now=T0 + 6 * 60 * M, config=cfg).escalated == []
    assert check(world.settings, world.engine, now=T0 + 6 * 60 * M + S, config=cfg).escalated == [(oid, "resolve", 1)]
    assert check(world.settings, world.engine, now=T0 + 12 * 60 * M + S, config=cfg).escalated == [(oid, "resolve", 2)]
    world.act(oid, "finish", "traffic", at=T0 + 13 * 60 * M)
    assert not get_order(world.engine, oid, now=T0 + 20 * 60 * M)["overdue"]  # awaiting the centre, not late


def test_a_run_after_a_long_pause_records_the_second_step_only(world):
    oid = world.order("yellow")  # 2 h / 24 h
    report = check(world.settings, world.engine, now=T0 + 49 * 60 * M, config=WarningConfig())
    assert sorted(report.escalated) == [(oid, "resolve", 2), (oid, "respond", 2)]


def test_webhooks_to_the_department_and_the_leader_with_retries(world, receiver):
    base, seen = receiver
    _leader(world, "leader")
    cfg = WarningConfig(webhooks=[hook("traffic_room", f"{base}/flaky", groups=["traffic"]),
                                  hook("env_room", f"{base}/env", groups=["environment"]),
                                  hook("leader", f"{base}/leader", format="dingtalk", groups=["none"]),
                                  hook("hi_only", f"{base}/hi", groups=["traffic"], min_level="red")])
    oid = world.order("orange")
    report = check(world.settings, world.engine, now=T0 + 31 * M, config=cfg)
    assert len(report.notifications) == 2  # traffic room and leader; not env, not the red-only hook
    out = deliver(world.settings, world.engine, report, config=cfg, now=T0 + 31 * M, sleep=lambda s: None)
    assert (out.delivered, out.failed, out.attempts) == (2, 0, 3)  # the flaky one took two attempts
    by_path = {}
    for s in seen:
        by_path.setdefault(s["path"], []).append(s["body"])
    assert len(by_path["/flaky"]) == 2 and len(by_path["/leader"]) == 1
    body = by_path["/flaky"][-1]
    assert (body["order_id"], body["clock"], body["step"], body["department"], body["recipient"], body["level"]) == (
        oid, "respond", 1, "traffic", "department", "orange")
    text = by_path["/leader"][0]["text"]["content"]
    assert "工单升级" in text and "超时未签收" in text and "市交通运输局" in text
    with world.engine.connect() as conn:
        rows = conn.execute(select(order_events).where(order_events.c.kind == "notify")).all()
    assert {r.to_state for r in rows} == {"delivered"} and {r.detail["attempts"] for r in rows} == {1, 2}
    # the second escalation notifies again; a second delivery run sends nothing twice
    report = check(world.settings, world.engine, now=T0 + 61 * M, config=cfg)
    assert report.escalated == [(oid, "respond", 2)]
    deliver(world.settings, world.engine, config=cfg, now=T0 + 61 * M, sleep=lambda s: None)
    deliver(world.settings, world.engine, config=cfg, now=T0 + 62 * M, sleep=lambda s: None)
    assert len(seen) == 3 + 2 and "二次升级" in seen[-1]["body"].get("text", {}).get("content", "二次升级")


def test_a_receiver_that_stays_down_is_recorded_failed(world, receiver):
    base, seen = receiver
    cfg = WarningConfig(webhooks=[hook("traffic_room", f"{base}/down", groups=["traffic"])])
    world.order("red")
    report = check(world.settings, world.engine, now=T0 + 16 * M, config=cfg)
    out = deliver(world.settings, world.engine, report, config=cfg, now=T0 + 16 * M, sleep=lambda s: None)
    assert (out.delivered, out.failed, out.attempts) == (0, 1, 3) and len(seen) == 3
    with world.engine.connect() as conn:
        row = conn.execute(select(order_events).where(order_events.c.kind == "notify")).one()
    assert row.to_state == "failed" and "500" in row.detail["error"]
    # an old pending notice expires instead of paging people late
    world.order("red", at=T0 + 60 * M)
    report = check(world.settings, world.engine, now=T0 + 80 * M, config=cfg)
    out = deliver(world.settings, world.engine, report, config=cfg, now=T0 + 3 * 60 * M, sleep=lambda s: None)
    assert out.expired == len(report.notifications) == 2 and len(seen) == 3  # the new order's and the old one's step 2


def _checks_at_once(world, n: int = 4):
    from concurrent.futures import ThreadPoolExecutor

    oids = [world.order("red") for _ in range(3)]
    with ThreadPoolExecutor(n) as pool:
        reports = list(pool.map(lambda _: _safe_check(world), range(n)))
    escalated = sorted(e for r in reports if not isinstance(r, Exception) for e in r.escalated)
    assert escalated == sorted((o, "respond", 1) for o in oids), reports
    with world.engine.connect() as conn:
        rows = conn.execute(select(order_events).where(order_events.c.kind == "escalation")).all()
    assert len(rows) == 3  # each escalation recorded once, however many checks ran


def _safe_check(world):
    try:
        return check(world.settings, world.engine, now=T0 + 16 * M, config=WarningConfig())
    except Exception as exc:  # noqa: BLE001 — SQLite may refuse a concurrent writer; the others carry on
        return exc


def test_concurrent_checks_escalate_once_sqlite(world):
    _checks_at_once(world)


@pytest.mark.postgres
def test_concurrent_checks_escalate_once_postgresql(pg_world):
    _checks_at_once(pg_world)


def test_the_scheduler_runs_the_escalation_job(world):
    from apscheduler.schedulers.background import BackgroundScheduler

    from dispatch.escalation import escalation_step
    from jobs.scheduler import build

    scheduler = BackgroundScheduler(timezone="UTC")
    build(scheduler, world.settings, world.engine, periodic=())
    job = scheduler.get_job("dispatch_escalation")
    assert job is not None and job.trigger.interval.total_seconds() == world.settings.dispatch.check_seconds
    oid = world.order("red", at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    assert escalation_step(world.settings, world.engine, {}) == 1  # respond, twice past its 15 min; resolve runs to 2 h
    assert get_order(world.engine, oid)["respond_escalation"] == 2


def test_a_reminder_reaches_the_department(world, receiver):
    from dispatch.escalation import reminder_hook
    from dispatch.orders import act

    base, seen = receiver
    _leader(world, "leader")
    cfg = WarningConfig(webhooks=[hook("traffic_room", f"{base}/robot", format="wecom", groups=["traffic"]),
                                  hook("leader", f"{base}/leader", groups=["none"])])
    oid = world.order("yellow")
    world.act(oid, "accept", "traffic", at=T0 + M)
    act(world.engine, oid, "remind", actor=PRINCIPALS["duty"], note="请今日内办结", now=T0 + 2 * M,
        on_remind=reminder_hook(world.settings, cfg))
    out = deliver(world.settings, world.engine, config=cfg, now=T0 + 3 * M, sleep=lambda s: None)
    assert out.delivered == 1 and [s["path"] for s in seen] == ["/robot"]  # the department only
    text = seen[0]["body"]["text"]["content"]
    assert "工单催办" in text and "请今日内办结" in text and "市交通运输局" in text
