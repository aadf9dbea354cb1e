"""The bodies of the dispatch pages' callbacks: act on an order, dispatch, attach a file.

Each returns ``(ok, message)`` in the reader's language; the authority is
:mod:`dispatch.orders` (role, scope and state are checked there, in the action's
transaction, and refusals are audited), so these only translate the outcome.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from access.roles import Principal
from citybrain.errors import AccessRefused
from citybrain.i18n import t
from citybrain.settings import Settings
from components.dispatch.ui import part
from dispatch import attachments, orders
from dispatch.errors import DispatchError
from dispatch.escalation import reminder_hook
from store.schema import attachments as attachment_rows

UTC = dt.timezone.utc


def state_value(states: list[Any], kind: str, oid: Any) -> Any:
    """The value of the card part ``kind`` (a pattern id ``{"type": kind, "id": oid}``) among a
    callback's ``ctx.states_list`` entries (lists of {id, property, value})."""
    for group in states:
        for item in group if isinstance(group, list) else [group]:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, dict) and ident.get("type") == kind and ident.get("id") == oid:
                return item.get("value")
    return None


def _outcome(func: Any, lang: str, done: str) -> tuple[bool, str]:
    try:
        func()
    except AccessRefused as exc:
        return False, t("dispatch.failed", lang, why=str(exc))
    except DispatchError as exc:
        return False, t("dispatch.failed", lang, why=str(exc))
    return True, t("dispatch.done", lang, what=done)


def order_files(engine: Engine, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Attachments' (id, filename) per order, for the cards' evidence links."""
    if not order_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(attachment_rows.c.id, attachment_rows.c.order_id, attachment_rows.c.filename)
                            .where(attachment_rows.c.order_id.in_(order_ids)).order_by(attachment_rows.c.id)).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.order_id, []).append({"id": r.id, "filename": r.filename})
    return out


def act_on_order(engine: Engine, settings: Settings, ns: str, trigger: Any, states: list[Any], *,
                 actor: Principal | None, lang: str, address: str | None,
                 need_evidence: bool = False) -> tuple[bool, str]:
    """The button ``trigger`` ({type, id, action}) was pressed on a card of page ``ns``."""
    if not isinstance(trigger, dict) or not isinstance(trigger.get("id"), int) or actor is None:
        return False, t("dispatch.pick", lang)
    oid, action = trigger["id"], str(trigger.get("action"))
    note = state_value(states, part(ns, "note"), oid)
    note = note if isinstance(note, str) else ""
    until = None
    if action == "extend":
        try:
            hours = int(state_value(states, part(ns, "until"), oid) or 24)
            until = orders.get_order(engine, oid)["resolve_by"] + dt.timedelta(hours=hours)
        except (ValueError, TypeError, DispatchError):
            return False, t("dispatch.pick", lang)
    if action == "finish" and need_evidence and not order_files(engine, [oid]).get(oid):
        return False, t("dispatch.upload.none", lang)
    hook = reminder_hook(settings) if action == "remind" else None
    return _outcome(lambda: orders.act(engine, oid, action, actor=actor, note=note, until=until, address=address,
                                       on_remind=hook), lang, f"{t(f'dispatch.do.{action}', lang)} #{oid}")


def dispatch_item(engine: Engine, settings: Settings, kind: str, item_id: int, department: str | None,
                  note: str, *, actor: Principal | None, lang: str, address: str | None) -> tuple[bool, str]:
    """Dispatch a warning (its event made on first use) or an event to ``department``."""
    if actor is None or not isinstance(item_id, int):
        return False, t("dispatch.pick", lang)
    if not department:
        return False, t("dispatch.need_department", lang)
    if kind == "warning":
        run = lambda: orders.order_from_warning(engine, settings, item_id, actor=actor,  # noqa: E731
                                                department=department, note=note, address=address)
    else:
        run = lambda: orders.dispatch(engine, settings, item_id, [department], actor=actor,  # noqa: E731
                                      note=note, address=address)
    return _outcome(run, lang, t("dispatch.do.dispatch", lang))


def decode_upload(contents: Any) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL; :class:`dispatch.errors.InvalidInput` if it is not one."""
    from dispatch.errors import InvalidInput

    if not isinstance(contents, str) or "," not in contents:
        raise InvalidInput("the upload is not a file")
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the upload is not a file") from None


def attach(engine: Engine, settings: Settings, event_id: int, contents: Any, filename: Any, *,
           actor: Principal | None, lang: str, order_id: int | None = None,
           address: str | None = None) -> tuple[bool, str]:
    """Keep an uploaded photo or PDF (type and size checked by :mod:`dispatch.attachments`)."""
    if actor is None:
        return False, t("dispatch.pick", lang)
    try:
        attachments.add(engine, settings, event_id, filename=str(filename or "")[:200], data=decode_upload(contents),
                        actor=actor, order_id=order_id, address=address)
    except (AccessRefused, DispatchError) as exc:
        return False, t("dispatch.upload.bad", lang, why=str(exc))
    return True, t("dispatch.upload.ok", lang, name=str(filename))
