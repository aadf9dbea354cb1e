"""Attachments: type checked by content, size-limited, private files in the data dir, read
only by those who may see the event."""

from __future__ import annotations

import stat

import pytest

from citybrain.errors import AccessRefused
from dispatch import attachments as att
from dispatch.errors import InvalidInput, NotFound
from dispatch.orders import get_event, get_order
from tests.dispatch.conftest import PRINCIPALS, T0

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"x" * 50


def test_attach_read_and_refuse(world):
    oid = world.order()
    eid = get_order(world.engine, oid)["event_id"]
    a = att.add(world.engine, world.settings, eid, filename="现场.jpg", data=JPEG, actor=PRINCIPALS["duty"], now=T0)
    b = att.add(world.engine, world.settings, eid, filename="result.pdf", data=PDF, actor=PRINCIPALS["traffic"],
                order_id=oid, now=T0)
    meta, data = att.read(world.engine, world.settings, b, PRINCIPALS["traffic"])
    assert data == PDF and meta["content_type"] == "application/pdf" and meta["order_id"] == oid
    files = get_event(world.engine, eid)["attachments"]
    assert [f["id"] for f in files] == [a, b] and "path" not in files[0]
    path = att.root(world.settings) / str(eid) / f"{meta['sha256']}.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(NotFound):
        att.read(world.engine, world.settings, a, PRINCIPALS["environment"])  # not their department's event
    with pytest.raises(NotFound):
        att.read(world.engine, world.settings, a, PRINCIPALS["traffic_other_district"])
    assert att.read(world.engine, world.settings, a, PRINCIPALS["leader"])[1] == JPEG
    with pytest.raises(AccessRefused):
        att.add(world.engine, world.settings, eid, filename="x.jpg", data=JPEG, actor=PRINCIPALS["environment"])
    with pytest.raises(AccessRefused):
        att.add(world.engine, world.settings, eid, filename="x.jpg", data=JPEG, actor=PRINCIPALS["analyst"])


@pytest.mark.parametrize("data,name,match", [
    (b"GIF89a" + b"\x00" * 10, "x.jpg", "only JPEG or PNG"),  # the name lies; the content decides
    (b"<html><script>", "x.pdf", "only JPEG or PNG"),
    (b"", "x.jpg", "empty"),
    (JPEG + b"\x00" * att.MAX_BYTES, "big.jpg", "at most"),
    (JPEG, "", "name"),
])
def test_bad_files_are_refused(world, data, name, match):
    eid = world.event()
    with pytest.raises(InvalidInput, match=match):
        att.add(world.engine, world.settings, eid, filename=name, data=data, actor=PRINCIPALS["duty"])
    with pytest.raises(NotFound):
        att.add(world.engine, world.settings, 99999, filename="a.jpg", data=JPEG, actor=PRINCIPALS["duty"])
    with pytest.raises(NotFound):
        att.read(world.engine, world.settings, 2**40, PRINCIPALS["duty"])
