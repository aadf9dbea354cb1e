"""The audit log: who did what, when, to what, from where — written and read here only.

Rows go to ``audit_log`` (store/schema.py). Secrets never enter it: callers pass names
and ids, and :func:`record` drops any detail key that looks like a secret.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from store.schema import audit_log

log = logging.getLogger("citybrain.audit")
UTC = dt.timezone.utc
_SECRET_KEYS = ("password", "token", "secret", "hash")

#: the actions written, for the audit page's filter and the tests
ACTIONS: tuple[str, ...] = (
    "login", "login.failed", "login.throttled", "login.locked", "logout", "sso.login", "request.cross_site",
    "warning.ack", "warning.assign", "warning.close", "warning.note", "warning.refused",
    "silence.add", "silence.end", "export", "pdf",
    "user.add", "user.disable", "user.enable", "user.passwd", "token.create", "token.revoke",
    "access.denied", "access.malformed", "briefing.produce", "silence.refused", "export.refused", "print.refused",
    # 指挥调度 (dispatch.orders.ACTIONS, dispatch.escalation, dispatch.attachments)
    "event.report", "event.attach", "order.dispatch", "order.accept", "order.progress", "order.finish",
    "order.return", "order.extend", "order.verify", "order.reopen", "order.remind", "order.approve", "order.refuse",
    "order.escalate", "order.refused",
)


def write(conn: Connection, *, actor: str, action: str, target: str | None = None,
          detail: dict[str, Any] | None = None, address: str | None = None, now: dt.datetime | None = None) -> None:
    """Append one audit row on ``conn``: inside the transaction of the change it records,
    so the change and its row are written together or not at all."""
    clean = {k: v for k, v in (detail or {}).items() if not any(s in k.lower() for s in _SECRET_KEYS)} or None
    conn.execute(insert(audit_log).values(
        at=now or dt.datetime.now(UTC), actor=(actor or "?")[:64], action=action[:64],
        target=(target or None) and str(target)[:200], detail=clean, address=(address or None) and address[:64]))


def record(engine: Engine, *, actor: str, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, address: str | None = None,
           now: dt.datetime | None = None) -> None:
    """Append one audit row. Never raises into the caller's request: an audit failure is logged."""
    try:
        with engine.begin() as conn:
            write(conn, actor=actor, action=action, target=target, detail=detail, address=address, now=now)
    except Exception:  # noqa: BLE001 — the action itself succeeded; losing its audit row must be visible, not fatal
        log.exception("could not write audit row %s by %s", action, actor)


def read(engine: Engine, *, actor: str | None = None, action: str | None = None,
         since: dt.datetime | None = None, until: dt.datetime | None = None,
         limit: int = 200, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Audit rows newest first, filtered; returns (rows, total matching)."""
    q = select(audit_log)
    conds = []
    if actor:
        conds.append(audit_log.c.actor == actor)
    if action:
        conds.append(audit_log.c.action == action)
    if since:
        conds.append(audit_log.c.at >= since)
    if until:
        conds.append(audit_log.c.at < until)
    if conds:
        q = q.where(*conds)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        rows = conn.execute(q.order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
                            .limit(max(1, min(limit, 1000))).offset(max(0, offset))).all()
    return [dict(r._mapping) for r in rows], total
