"""Photos and PDFs of an event (the scene, the evidence of a finished order).

The bytes live in the data directory under ``attachments/<event>/<sha256>.<ext>``
(private: 0700 directories, 0600 files, as the store's own file), the metadata in the
``attachments`` table. A file is accepted when its *content* is one of the allowed types
— JPEG (ISO/IEC 10918-1 SOI marker FF D8 FF), PNG (ISO/IEC 15948 signature) or PDF
(ISO 32000-1 §7.5.2 header ``%PDF-``) — whatever its name or declared type says, and when
it is at most :data:`MAX_BYTES`. The same bytes attached twice to one event are one file.

Who may attach: the command centre (in its district) and the head of a department with an
order on the event; who may read: whoever may read the event (:func:`dispatch.orders.get_event`).
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from access import audit
from access.roles import Principal
from citybrain.settings import Settings
from dispatch.errors import InvalidInput, NotFound
from dispatch.orders import aware_now, get_event, is_centre, refused
from dispatch.sla import headed_by
from store.engine import private_dir
from store.schema import attachments

#: the largest file kept (a phone photo is 2–6 MB; a scanned PDF of a few pages fits)
MAX_BYTES = 10 * 1024 * 1024
#: content signature → (content type, file extension)
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
NAME_MAX = 200


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) of ``data`` by its signature; :class:`InvalidInput` otherwise."""
    for magic, kind, ext in SIGNATURES:
        if data.startswith(magic):
            return kind, ext
    raise InvalidInput("only JPEG or PNG photos and PDF documents can be attached (checked by their content)")


def root(settings: Settings) -> Path:
    return Path(settings.data_dir) / "attachments"


def add(engine: Engine, settings: Settings, event_id: int, *, filename: str, data: bytes, actor: Principal,
        order_id: int | None = None, now: datetime | None = None, address: str | None = None) -> int:
    """Keep ``data`` for the event (and the order it documents); the attachment's id."""
    now = aware_now(now)
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidInput("the file is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is {len(data)} bytes; at most {MAX_BYTES} bytes ({MAX_BYTES // 2**20} MB)")
    if not isinstance(filename, str) or not filename.strip() or len(filename) > NAME_MAX or "\x00" in filename:
        raise InvalidInput(f"give the file's name (1–{NAME_MAX} characters)")
    kind, ext = sniff(bytes(data))
    ev = get_event(engine, event_id)  # NotFound when there is none
    if order_id is not None and order_id not in {o["id"] for o in ev["orders"]}:
        raise NotFound(f"order {order_id} is not an order of event {event_id}")
    departments_on_it = {o["department"] for o in ev["orders"]}
    may = (is_centre(actor) or bool(headed_by(actor) & departments_on_it)) and (
        not actor.district or actor.district == ev["district"])
    if not may:
        raise refused(engine, actor, f"event:{event_id}",
                      f"{actor.name} may not attach files to event {event_id}", address)
    digest = hashlib.sha256(data).hexdigest()
    rel = Path(str(event_id)) / f"{digest}.{ext}"
    path = root(settings) / rel
    private_dir(path.parent)
    if not path.exists():  # written whole then renamed: a reader never sees half a file
        tmp = path.with_suffix(f".{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    with engine.begin() as conn:
        aid = conn.execute(insert(attachments).values(
            event_id=event_id, order_id=order_id, filename=filename.strip()[:NAME_MAX], content_type=kind,
            size=len(data), sha256=digest, path=rel.as_posix(), uploaded_by=actor.name,
            uploaded_at=now)).inserted_primary_key[0]
        audit.write(conn, actor=actor.name, action="event.attach", target=f"event:{event_id}", address=address,
                    now=now, detail={"attachment": aid, "order": order_id, "type": kind, "size": len(data)})
    return int(aid)


def read(engine: Engine, settings: Settings, attachment_id: int, principal: Principal) -> tuple[dict[str, Any], bytes]:
    """(metadata, bytes) of an attachment, for a principal who may read its event; else :class:`NotFound`."""
    if not isinstance(attachment_id, int) or isinstance(attachment_id, bool) or not 1 <= attachment_id <= 2**31 - 1:
        raise NotFound(f"attachment {attachment_id} does not exist")
    with engine.connect() as conn:
        row = conn.execute(select(attachments).where(attachments.c.id == attachment_id)).first()
    if row is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    get_event(engine, row.event_id, principal)  # NotFound outside the principal's sight
    if row.path is None:
        raise NotFound(f"attachment {attachment_id} is kept at {row.url}, not here")
    path = (root(settings) / row.path).resolve()
    if root(settings).resolve() not in path.parents:  # a tampered path never leaves the attachments directory
        raise NotFound(f"attachment {attachment_id} does not exist")
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # removed from the data directory by hand: gone, not a server error
        raise NotFound(f"attachment {attachment_id}'s file is missing from the data directory") from None
    return {k: v for k, v in dict(row._mapping).items() if k != "path"}, data
