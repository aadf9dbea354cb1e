"""Deliver warning notifications to webhooks: JSON, or text for DingTalk / WeCom robots.

The engine leaves one ``notify`` event per (transition, webhook) with ``to_value =
"pending"`` — an outbox written in the same transaction as the transition. :func:`deliver`
sends them, retrying with exponential backoff, and records every delivery on that row:
``to_value`` becomes ``delivered``, ``failed`` or ``expired`` (older than ``max_age`` —
nobody should be paged about an hour-old transition), ``detail`` gains ``attempts``,
``http_status``, ``error`` and ``sent_at``. Only firing, escalation and resolution are
notified (STANDARDS.md lifecycle), never every evaluation.

Formats:

* ``json`` — ``{"rule", "scope_kind", "scope", "level", "state", "notice", "value",
  "values", "link", …}``;
* ``dingtalk`` and ``wecom`` — the group robots' text message
  ``{"msgtype": "text", "text": {"content": "..."}}``; their reply ``{"errcode": 0}``
  means accepted, any other errcode is a failed attempt. A DingTalk robot with 加签
  gets ``timestamp`` and ``sign`` (HMAC-SHA256 of "timestamp\\nsecret") in the URL.

Standard library only (urllib): no extra dependency for a feature every city uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select, update

from alerts.levels import level as level_info
from alerts.rules import WarningConfig, Webhook, load_warning_config
from citybrain.settings import Settings
from store.schema import warning_events

log = logging.getLogger(__name__)
UTC = timezone.utc

_NOTICE_ZH = {"firing": "触发", "escalated": "升级", "resolved": "解除"}
_STATE_ZH = {"pending": "待定", "firing": "生效中", "recovering": "恢复观察", "resolved": "已解除"}


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    expired: int = 0
    attempts: int = 0
    ids: list[int] = field(default_factory=list)


def payload_json(n: Mapping[str, Any], link: str) -> dict[str, Any]:
    """The JSON body: the warning as it was at the transition, plus a link to open it."""
    lv = level_info(n["level"])
    return {
        "warning_id": n["warning_id"], "rule": n["rule"], "rule_kind": n.get("rule_kind"),
        "domain": n["domain"], "scope_kind": n["scope_kind"], "scope": n["scope"], "district": n.get("district"),
        "level": lv.name, "level_zh": lv.label_zh, "level_en": lv.label_en, "level_colour": lv.colour,
        "state": n["state"], "notice": n["notice"], "title_zh": n["title_zh"], "title_en": n["title_en"],
        "value": n.get("value"), "values": n.get("values") or {}, "data_time": n.get("data_time"),
        "started_at": n.get("started_at"), "fired_at": n.get("fired_at"), "resolved_at": n.get("resolved_at"),
        "link": link,
    }


def text_content(n: Mapping[str, Any], link: str, tz: Any) -> str:
    """The robot text: level, title, what happened, the value, local time and the link."""
    lv = level_info(n["level"])
    at = n.get("resolved_at") if n["notice"] == "resolved" else n.get("fired_at") or n.get("started_at")
    when = datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""
    value = n.get("value")
    lines = [
        f"【{lv.label_zh}】{n['title_zh']}",
        f"状态：{_NOTICE_ZH.get(n['notice'], n['notice'])}（{_STATE_ZH.get(n['state'], n['state'])}）",
        f"数值：{value:g}" if isinstance(value, (int, float)) else "数值：—",
        f"时间：{when}",
        f"{lv.label_en}: {n['title_en']} — {n['notice']}",
    ]
    if link:
        lines.append(f"详情：{link}")
    return "\n".join(lines)


def body_for(hook: Webhook, n: Mapping[str, Any], link: str, tz: Any) -> dict[str, Any]:
    if hook.format == "json":
        return payload_json(n, link)
    return {"msgtype": "text", "text": {"content": text_content(n, link, tz)}}


def signed_url(hook: Webhook, now_ms: int) -> str:
    """DingTalk 加签: append timestamp and base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    if hook.format != "dingtalk" or not hook.secret:
        return hook.url
    digest = hmac.new(hook.secret.encode(), f"{now_ms}\n{hook.secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    sep = "&" if "?" in hook.url else "?"
    return f"{hook.url}{sep}timestamp={now_ms}&sign={sign}"


def post_once(hook: Webhook, body: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """One POST; returns (HTTP status, error or None). Robots' errcode ≠ 0 is an error."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(signed_url(hook, int(time.time() * 1000)), data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "citybrain-alerts"})
    try:
        with urllib.request.urlopen(req, timeout=hook.timeout.total_seconds()) as resp:  # noqa: S310 — configured URL
            status, text = resp.status, resp.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    if hook.format in ("dingtalk", "wecom"):
        try:
            reply = json.loads(text)
        except ValueError:
            reply = {}
        if isinstance(reply, dict) and reply.get("errcode") not in (None, 0):
            return status, f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}"
    return status, None


def deliver(settings: Settings, engine: Engine, report: Any = None, *, config: WarningConfig | None = None,
            now: datetime | None = None, max_age: timedelta = timedelta(hours=1),
            sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Send pending notifications (those of ``report``, or all pending); log each on its row."""
    config = config or load_warning_config(settings)
    hooks = {h.name: h for h in config.webhooks}
    now = now or datetime.now(UTC)
    query = select(warning_events).where(warning_events.c.kind == "notify", warning_events.c.to_value == "pending")
    if report is not None:
        ids = list(getattr(report, "notifications", report))
        if not ids:
            return DeliveryReport()
        query = query.where(warning_events.c.id.in_(ids))
    with engine.connect() as conn:
        pending = conn.execute(query.order_by(warning_events.c.id)).all()

    def body_of(hook: Webhook, ev: Any) -> Mapping[str, Any]:
        n = {**(ev.detail or {}), "warning_id": ev.warning_id}
        return body_for(hook, n, config.link_for(ev.warning_id), settings.tz)

    def record(ev: Any, outcome: str, result: dict[str, Any]) -> None:
        with engine.begin() as conn:
            conn.execute(update(warning_events).where(warning_events.c.id == ev.id).values(
                to_value=outcome, detail={**(ev.detail or {}), **result}))

    return deliver_outbox(pending, hooks, body_of, record, now=now, max_age=max_age, sleep=sleep)


def deliver_outbox(pending: Iterable[Any], hooks: Mapping[str, Webhook],
                   body_of: Callable[[Webhook, Any], Mapping[str, Any]],
                   record: Callable[[Any, str, dict[str, Any]], None], *, now: datetime, max_age: timedelta,
                   sleep: Callable[[float], None] = time.sleep, what: str = "notification") -> DeliveryReport:
    """Send outbox rows (each with ``id``, ``at`` and ``detail["webhook"]``) and record each outcome.

    The one delivery loop of the warnings' notices and the work orders' escalations and
    reminders (issue 21): a row older than ``max_age`` expires unsent, a row whose webhook
    is no longer configured fails, the rest are posted with the hook's retries and backoff;
    ``record(row, outcome, result)`` writes the outcome on the caller's own table.
    """
    out = DeliveryReport()
    for ev in pending:
        n = ev.detail or {}
        hook = hooks.get(n.get("webhook", ""))
        result: dict[str, Any] = {"attempts": 0, "http_status": None, "error": None}
        if now - ev.at > max_age:  # nobody should be paged about an hour-old transition
            outcome, result["error"] = "expired", f"older than {max_age}; not sent"
        elif hook is None:
            outcome, result["error"] = "failed", f"webhook {n.get('webhook')!r} is no longer configured"
        else:
            outcome, result = _send_with_retries(hook, body_of(hook, ev), sleep)
        result["sent_at"] = datetime.now(UTC).isoformat()
        record(ev, outcome, result)
        out.attempts += result["attempts"]
        setattr(out, outcome, getattr(out, outcome) + 1)
        out.ids.append(ev.id)
        if outcome == "failed":
            log.warning("%s %s to %s failed after %s attempts: %s", what, ev.id, n.get("webhook"),
                        result["attempts"], result["error"])
    return out


def send(hook: Webhook, body: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep
         ) -> tuple[str, dict[str, Any]]:
    """POST ``body`` to ``hook`` with its retries: ("delivered" | "failed", attempt record).

    For messages that are not warning transitions (a failed briefing), which have no
    outbox row of their own.
    """
    return _send_with_retries(hook, body, sleep)


def _send_with_retries(hook: Webhook, body: Mapping[str, Any],
                       sleep: Callable[[float], None]) -> tuple[str, dict[str, Any]]:
    wait = hook.backoff.total_seconds()
    errors: list[str] = []
    status: int | None = None
    for attempt in range(1, hook.retries + 2):
        status, error = post_once(hook, body)
        if error is None and status is not None and 200 <= status < 300:
            return "delivered", {"attempts": attempt, "http_status": status, "error": None,
                                 "errors": errors or None}
        errors.append(error or f"HTTP {status}")
        if attempt <= hook.retries:
            sleep(wait)
            wait *= 2
    return "failed", {"attempts": hook.retries + 1, "http_status": status, "error": errors[-1], "errors": errors}
