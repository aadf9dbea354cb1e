"""Overdue work orders: detection, escalation and the webhooks that announce it.

Two clocks run on an order, both from its dispatch: *respond* (not accepted by
``respond_by``) while it is ``dispatched``, and *resolve* (not finished by ``resolve_by``)
while the department works on it (dispatched, accepted, in progress, reopened — a
finished order waits for the centre, not the department). An order is on time *at* its
deadline and late after it. With ``limit = deadline − dispatched_at``:

* the first escalation comes once ``now > deadline`` (the limit is used up);
* the second once ``now > dispatched_at + 2 × limit`` (twice the limit).

Each escalation is recorded once: the order's ``respond_escalation`` / ``resolve_escalation``
is raised by a conditional UPDATE (on the step and the state read), so a job run twice, or
two schedulers for a moment, escalate once; a run that finds an order already two limits
late records step 2 only. An approved extension restarts the resolve clock (its step
returns to 0).

A reminder (催办, :func:`reminder_hook`) leaves the same outbox rows for the department.

Notifications go through the warnings' webhook machinery (:mod:`alerts.notify`: JSON,
DingTalk or WeCom robots, retries with backoff): an escalation writes one ``notify``
row per webhook in the same transaction (an outbox, as warnings do), and :func:`deliver`
sends them and records the outcome on the row. The department hears through the
webhooks of the warnings file serving its domain (``groups``), the duty leader through
those named in ``[dispatch] leader_webhooks``; a hook that is both is sent once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from access import audit
from alerts.levels import level as level_info
from alerts.notify import DeliveryReport, deliver_outbox
from alerts.rules import WarningConfig, Webhook, load_warning_config
from citybrain.settings import Settings
from dispatch.orders import WORKING, ReminderHook
from dispatch.sla import departments
from store.schema import events, order_events, work_orders

UTC = timezone.utc
ACTOR = "scheduler"
_CLOCK_ZH = {"respond": "超时未签收", "resolve": "超时未办结"}


@dataclass
class EscalationReport:
    #: (order id, clock, step) of every escalation recorded by this run
    escalated: list[tuple[int, str, int]] = field(default_factory=list)
    #: ids of the ``notify`` rows written
    notifications: list[int] = field(default_factory=list)


def due_step(dispatched_at: datetime, deadline: datetime, now: datetime) -> int:
    """0 (on time, also *at* the deadline), 1 (past the limit) or 2 (past twice the limit)."""
    limit = deadline - dispatched_at
    if now > dispatched_at + 2 * limit:
        return 2
    return 1 if now > deadline else 0


def recipients(settings: Settings, config: WarningConfig, department: str, level: str) -> list[tuple[Webhook, str]]:
    """(webhook, who) to notify of an escalation: the department's hooks and the leader's."""
    leaders = set(settings.dispatch.leader_webhooks)
    out: dict[str, tuple[Webhook, str]] = {}
    for hook in config.webhooks:
        if hook.enabled and hook.name in leaders:
            out[hook.name] = (hook, "leader")
        elif hook.name not in leaders and hook.serves(department, level):
            out[hook.name] = (hook, "department")
    return list(out.values())


def check(settings: Settings, engine: Engine, *, now: datetime | None = None,
          config: WarningConfig | None = None) -> EscalationReport:
    """Record every escalation due at ``now`` (idempotent) with its outbox rows."""
    now = now or datetime.now(UTC)
    config = config or load_warning_config(settings)
    names = departments(settings)
    report = EscalationReport()
    with engine.connect() as conn:
        rows = conn.execute(select(work_orders, events.c.title, events.c.district, events.c.level)
                            .join(events, events.c.id == work_orders.c.event_id)
                            .where(work_orders.c.state.in_(WORKING)).order_by(work_orders.c.id)).all()
    for row in rows:
        for clock in ("respond", "resolve"):
            if clock == "respond" and row.state != "dispatched":
                continue
            deadline = row.respond_by if clock == "respond" else row.resolve_by
            column = f"{clock}_escalation"
            step = due_step(row.dispatched_at, deadline, now)
            if step <= getattr(row, column):
                continue
            with engine.begin() as conn:
                done = conn.execute(update(work_orders).where(
                    work_orders.c.id == row.id, work_orders.c[column] == getattr(row, column),
                    work_orders.c.state == row.state).values({column: step})).rowcount
                if done != 1:
                    continue  # accepted, finished or escalated meanwhile
                late = int((now - deadline).total_seconds() // 60)
                detail = {"clock": clock, "step": step, "deadline": deadline.isoformat(), "late_minutes": late,
                          "department": row.department}
                conn.execute(insert(order_events).values(order_id=row.id, at=now, kind="escalation",
                                                         from_state=row.state, to_state=row.state, actor=ACTOR,
                                                         detail=detail))
                report.notifications += queue_notices(conn, settings, config, row, detail, now,
                                                      names=names)
                audit.write(conn, actor=ACTOR, action="order.escalate", target=f"order:{row.id}", now=now,
                            detail=detail)
            report.escalated.append((row.id, clock, step))
    return report


def queue_notices(conn: Connection, settings: Settings, config: WarningConfig, row: Any, detail: dict[str, Any],
                  now: datetime, *, leader: bool = True, names: dict[str, Any] | None = None) -> list[int]:
    """Outbox rows (``notify``, pending) for the order ``row`` (with its event's title, district
    and level) to its department's webhooks and, if ``leader``, the duty leader's; their ids.
    Written on ``conn``: in the transaction of what they announce."""
    dept = (names or departments(settings)).get(row.department)
    message = {"order_id": row.id, "event_id": row.event_id, "title": row.title, "district": row.district,
               "level": row.level, "state": row.state, "department": row.department,
               "department_zh": dept.name_zh if dept else row.department,
               "department_en": dept.name_en if dept else row.department,
               "dispatched_at": row.dispatched_at.isoformat(), **detail}
    ids = []
    for hook, who in recipients(settings, config, row.department, row.level):
        if who == "leader" and not leader:
            continue
        ids.append(int(conn.execute(insert(order_events).values(
            order_id=row.id, at=now, kind="notify", to_state="pending", actor=ACTOR,
            detail={**message, "webhook": hook.name, "recipient": who})).inserted_primary_key[0]))
    return ids


def payload_json(n: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of an escalation: the order, the clock, the step and who it is for."""
    lv = level_info(n["level"])
    return {"kind": "work_order_escalation", **{k: n.get(k) for k in (
        "order_id", "event_id", "title", "district", "department", "department_zh", "department_en", "state",
        "clock", "step", "deadline", "late_minutes", "dispatched_at", "recipient", "note")},
        "level": lv.name, "level_zh": lv.label_zh, "level_colour": lv.colour}


def text_content(n: Mapping[str, Any], tz: Any) -> str:
    """The robot text (DingTalk / WeCom): level, title, department, which clock, the step, the deadline."""
    lv = level_info(n["level"])
    deadline = datetime.fromisoformat(n["deadline"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if n["clock"] == "remind":  # 催办 by the centre
        return "\n".join([f"【{lv.label_zh}·工单催办】{n['title']}", f"工单：#{n['order_id']}（事件 #{n['event_id']}）",
                          f"承办部门：{n['department_zh']}", f"时限：{deadline}", f"催办：{n.get('note') or '请尽快处置'}",
                          f"Work order #{n['order_id']}: reminder from the command centre"])
    return "\n".join([
        f"【{lv.label_zh}·工单{'二次' if n['step'] == 2 else ''}升级】{n['title']}",
        f"工单：#{n['order_id']}（事件 #{n['event_id']}）",
        f"承办部门：{n['department_zh']}",
        f"{_CLOCK_ZH.get(n['clock'], n['clock'])}：时限 {deadline}，已超 {n['late_minutes']} 分钟",
        f"Work order #{n['order_id']} overdue ({n['clock']}), escalation {n['step']}",
    ])


def deliver(settings: Settings, engine: Engine, report: EscalationReport | None = None, *,
            config: WarningConfig | None = None, now: datetime | None = None,
            max_age: timedelta = timedelta(hours=1), sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Send pending escalation notifications (those of ``report``, or all); record each outcome."""
    config = config or load_warning_config(settings)
    hooks = {h.name: h for h in config.webhooks}
    now = now or datetime.now(UTC)
    q = select(order_events).where(order_events.c.kind == "notify", order_events.c.to_state == "pending")
    if report is not None:
        if not report.notifications:
            return DeliveryReport()
        q = q.where(order_events.c.id.in_(report.notifications))
    with engine.connect() as conn:
        pending = conn.execute(q.order_by(order_events.c.id)).all()

    def body_of(hook: Webhook, ev: Any) -> Mapping[str, Any]:
        n = dict(ev.detail or {})
        return payload_json(n) if hook.format == "json" else {
            "msgtype": "text", "text": {"content": text_content(n, settings.tz)}}

    def record(ev: Any, outcome: str, result: dict[str, Any]) -> None:
        with engine.begin() as conn:
            conn.execute(update(order_events).where(order_events.c.id == ev.id, order_events.c.to_state == "pending")
                         .values(to_state=outcome, detail={**(ev.detail or {}), **result}))

    return deliver_outbox(pending, hooks, body_of, record, now=now, max_age=max_age, sleep=sleep,
                          what="escalation notice")


def escalation_step(settings: Settings, engine: Engine, touched: Any = None) -> int:
    """The scheduler's job: record due escalations and send their notices; how many escalated."""
    config = load_warning_config(settings)
    report = check(settings, engine, config=config)
    deliver(settings, engine, config=config)  # this run's and any left pending by a crash
    return len(report.escalated)


def reminder_hook(settings: Settings, config: WarningConfig | None = None) -> ReminderHook:
    """What :func:`dispatch.orders.act` calls on a 催办: outbox rows to the department's webhooks
    (not the leader's), sent by the escalation job's next :func:`deliver`."""
    config = config or load_warning_config(settings)

    def hook(conn: Connection, row: Any, note: str, now: datetime) -> list[int]:
        due = row.respond_by if row.state == "dispatched" else row.resolve_by
        detail = {"clock": "remind", "step": 0, "deadline": due.isoformat(),
                  "late_minutes": int((now - due).total_seconds() // 60), "department": row.department,
                  "note": note or None}
        return queue_notices(conn, settings, config, row, detail, now, leader=False)

    return hook
