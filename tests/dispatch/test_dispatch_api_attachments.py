"""Attachments through the API and the pages' download route (issue 21: photos and PDFs,
size-limited, type-checked, served only to those who may see the event)."""

from __future__ import annotations

from typing import Any

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but signed\n"


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.access.harness import build

    harness = build(tmp_path_factory.mktemp("api-attach"))
    yield harness
    harness.engine.dispose()


def auth(h, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {h.tokens[user]}"}


def upload(h, user: str, event_id: int, data: bytes, kind: str = "image/png", **query: Any) -> Any:
    return h.server.test_client().post(f"/api/v1/events/{event_id}/attachments", data=data,
                                       headers={**auth(h, user), "Content-Type": kind},
                                       query_string={"filename": "现场.png", **query})


def an_order(h, department: str = "traffic") -> tuple[int, int]:
    c = h.server.test_client()
    eid = c.post("/api/v1/events", json={"title": "井盖缺失", "category": "roads", "district": h.district,
                                          "level": "red"}, headers=auth(h, "u_duty")).json["id"]
    oid = c.post("/api/v1/orders", json={"event_id": eid, "department": department},
                 headers=auth(h, "u_duty")).json["id"]
    return eid, oid


def test_upload_and_download_by_scope(h):
    eid, oid = an_order(h)
    r = upload(h, "u_traffic", eid, PNG, order_id=oid)
    assert r.status_code == 201, r.json
    aid = r.json["id"]
    assert r.json["order_id"] == oid
    client = h.server.test_client()
    got = client.get(f"/api/v1/attachments/{aid}", headers=auth(h, "u_duty"))
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "filename*=UTF-8''" in got.headers[
        "Content-Disposition"]
    # another department and a wall may not see the event: as if it did not exist
    assert client.get(f"/api/v1/attachments/{aid}", headers=auth(h, "u_env")).status_code == 404
    assert client.get(f"/api/v1/attachments/{aid}", headers=auth(h, "u_analyst")).status_code == 200
    ev = client.get(f"/api/v1/events/{eid}", headers=auth(h, "u_traffic")).json
    assert [a["id"] for a in ev["attachments"]] == [aid] and "path" not in ev["attachments"][0]
    # the pages' session route: the same rule
    assert h.client("u_traffic").get(f"/attachments/{aid}").data == PNG
    assert h.client("u_env").get(f"/attachments/{aid}").status_code == 404
    assert h.client("u_wall").get(f"/attachments/{aid}").status_code == 403
    assert h.server.test_client().get(f"/attachments/{aid}").status_code in (401, 302, 303)


def test_upload_refusals(h):
    eid, oid = an_order(h)
    assert upload(h, "u_env", eid, PNG).status_code in (403, 404)  # not its department's event
    assert upload(h, "u_traffic", eid, b"GIF89a....", kind="image/gif").status_code == 415
    assert upload(h, "u_traffic", eid, b"<html>not a png</html>").status_code == 400  # content, not the label
    assert upload(h, "u_traffic", eid, PDF).status_code == 400  # says png, is a pdf
    assert upload(h, "u_traffic", eid, PDF, kind="application/pdf").status_code == 201
    assert upload(h, "u_traffic", eid, b"").status_code == 400
    from dispatch.attachments import MAX_BYTES

    assert upload(h, "u_traffic", eid, PNG + b"\x00" * MAX_BYTES).status_code == 413
    assert upload(h, "u_traffic", eid, PNG, order_id="x").status_code == 400
    assert upload(h, "u_traffic", eid, PNG, order_id=2**31 + 5).status_code == 400
    assert upload(h, "u_traffic", 2**31 + 5, PNG).status_code == 404
    assert h.server.test_client().get("/api/v1/attachments/99999", headers=auth(h, "u_duty")).status_code == 404
