"""Webhook delivery to a local HTTP server over a real socket: retries, formats, the log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from alerts.engine import evaluate
from alerts.notify import deliver, signed_url
from alerts.rules import WarningConfig, Webhook, parse_rules
from store.schema import warning_events
from tests.webhooks import webhook_receiver

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)

RULES = parse_rules([{
    "id": "crowd", "kind": "threshold", "title_zh": "景区客流预警", "title_en": "Scenic crowding",
    "domain": "tourism", "indicator": "crowding", "grain": "hour", "scope_kind": "site", "op": ">=",
    "levels": {"yellow": 0.8, "orange": 0.9}}])


@pytest.fixture
def server():
    """The shared local receiver (tests/webhooks.py): /flaky 500 once, /down always 500."""
    with webhook_receiver() as got:
        yield got


def hook(name, url, **kw):
    return Webhook(name=name, url=url, retries=2, backoff=timedelta(milliseconds=10), timeout=timedelta(seconds=2),
                   **kw)


def fire(put, settings, store, cfg):
    put(store, "crowding", "hour", "site", "TS01", [(T0, 0.93)])
    return evaluate(settings, store, now=T0, config=cfg)


def test_json_retried_after_500_and_logged(put, settings, store, server):
    base, seen = server
    cfg = WarningConfig(rules=RULES, webhooks=[hook("ops", f"{base}/flaky")], link="http://wall/warnings/{id}")
    report = fire(put, settings, store, cfg)
    out = deliver(settings, store, report, config=cfg, now=T0 + M)
    assert (out.delivered, out.failed, out.attempts) == (1, 0, 2)
    assert [s["path"] for s in seen] == ["/flaky", "/flaky"]
    body = seen[-1]["body"]
    assert (body["rule"], body["scope_kind"], body["scope"], body["level"], body["state"], body["notice"]) == (
        "crowd", "site", "TS01", "orange", "firing", "firing")
    assert body["value"] == 0.93 and body["link"] == f"http://wall/warnings/{body['warning_id']}"
    assert body["values"]["indicator"] == "crowding" and body["level_zh"] == "橙色预警（II级）"
    with store.connect() as conn:
        (ev,) = conn.execute(select(warning_events).where(warning_events.c.kind == "notify")).all()
    assert ev.to_value == "delivered" and ev.detail["attempts"] == 2 and ev.detail["http_status"] == 200
    assert ev.detail["errors"] == ["HTTP 500 Internal Server Error"]
    assert deliver(settings, store, config=cfg, now=T0 + M).delivered == 0  # sent once, not on every call


def test_down_endpoint_fails_after_retries_and_robot_text(put, settings, store, server):
    base, seen = server
    cfg = WarningConfig(rules=RULES, link="http://wall/warnings/{id}", webhooks=[
        hook("down", f"{base}/down"),
        hook("ding", f"{base}/ding?access_token=abc", format="dingtalk", secret="SEC123"),
        hook("wecom", f"{base}/wecom", format="wecom", min_level="red"),  # orange is below its min level
        hook("refuses", f"{base}/robot-refuses", format="wecom")])
    report = fire(put, settings, store, cfg)
    out = deliver(settings, store, report, config=cfg, now=T0 + M)
    assert (out.delivered, out.failed, out.attempts) == (1, 2, 3 + 1 + 3)
    with store.connect() as conn:
        log = {e.detail["webhook"]: e for e in conn.execute(
            select(warning_events).where(warning_events.c.kind == "notify")).all()}
    assert set(log) == {"down", "ding", "refuses"}
    assert (log["down"].to_value, log["down"].detail["attempts"]) == ("failed", 3)
    assert log["down"].detail["error"] == "HTTP 500 Internal Server Error"
    assert log["refuses"].detail["error"].startswith("errcode 310000")
    ding = next(s for s in seen if s["path"] == "/ding")
    assert ding["body"]["msgtype"] == "text"
    content = ding["body"]["text"]["content"]
    assert content.startswith("【橙色预警（II级）】景区客流预警（曹丞相府）")
    assert "时间：2026-11-02 08:00" in content and "http://wall/warnings/" in content
    assert ding["query"]["access_token"] == ["abc"] and "sign" in ding["query"] and "timestamp" in ding["query"]


def test_dingtalk_signature_is_the_documented_hmac():
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote_plus

    h = Webhook(name="d", url="https://oapi.dingtalk.com/robot/send?access_token=x", format="dingtalk", secret="s")
    expected = quote_plus(base64.b64encode(hmac.new(b"s", b"1700000000000\ns", hashlib.sha256).digest()).decode())
    assert signed_url(h, 1700000000000).endswith(f"&timestamp=1700000000000&sign={expected}")


def test_old_notifications_expire_instead_of_paging(put, settings, store, server):
    base, seen = server
    cfg = WarningConfig(rules=RULES, webhooks=[hook("ops", f"{base}/ok")])
    fire(put, settings, store, cfg)
    out = deliver(settings, store, config=cfg, now=T0 + timedelta(hours=2))
    assert out.expired == 1 and seen == []
