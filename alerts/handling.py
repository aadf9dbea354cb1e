"""The handling axis of a warning — what people do with it — and silences.

Independent of the condition axis (:mod:`alerts.lifecycle`): escalation, de-escalation and
recovery never reset who acknowledged or who it is assigned to (STANDARDS.md: "acknowledgement
by a person (with a note) is a state of its own"). Every action is a ``warning_events`` row
(kind ack / assign / close / note) written with the warning row in one transaction, and
the update is conditional on the handling state read, so two duty officers clicking at
once cannot both win.

==================  ===========  ==============  ========  ==========
handling            acknowledge  assign          close     note
==================  ===========  ==============  ========  ==========
unacknowledged      acknowledged assigned (+ack)  closed    unchanged
acknowledged        refused      assigned        closed    unchanged
assigned            refused      assigned (re-)  closed    unchanged
closed              refused      refused         refused   unchanged
==================  ===========  ==============  ========  ==========

Pages and the API call these with the signed-in :class:`~access.roles.Principal` as
``actor``, after the access gate. Each function checks the principal again on the warning
it actually touches (defence in depth: a request that slipped past the gate is refused
here) and writes its audit row in the same transaction as the change, naming the warning;
a refusal raises :class:`~citybrain.errors.AccessRefused` and is audited with its target.
Silences are city-wide: only a principal who handles every domain sets or ends them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select, update

from access import audit
from access.roles import Principal, allowed, handles_everything
from alerts.levels import level as level_info
from citybrain.errors import AccessRefused, CitybrainError
from dispatch.orders import MAX_ID as MAX_ORDER_ID
from dispatch.orders import open_order_of_warning
from store.schema import silences, warning_events, warnings

UTC = timezone.utc
HANDLING = ("unacknowledged", "acknowledged", "assigned", "closed")


class HandlingError(CitybrainError):
    """An action that does not apply to the warning as it stands (message says why)."""


class WarningNotFound(HandlingError):
    def __init__(self, warning_id: int):
        super().__init__(f"warning {warning_id} does not exist; reload the warnings list")


#: the longest note or department name kept (a longer one is refused, not cut)
NOTE_MAX = 2000


def acknowledge(engine: Engine, warning_id: int, *, actor: Principal, note: str = "", now: datetime | None = None,
                address: str | None = None) -> dict:
    """A person has seen the warning and takes responsibility for it."""
    now = _now(now)
    return _act(engine, warning_id, actor, note, now, allowed_from=("unacknowledged",), to="acknowledged",
                kind="ack", values=lambda row: {"acknowledged_by": actor.name, "acknowledged_at": now},
                address=address)


def assign(engine: Engine, warning_id: int, *, actor: Principal, department: str, note: str = "",
           now: datetime | None = None, address: str | None = None) -> dict:
    """Hand the warning to a department (acknowledging it on the way if nobody had)."""
    now = _now(now)
    department = (department or "").strip() if isinstance(department, str) else ""
    if not department or len(department) > 100:
        raise HandlingError("name the department to assign to (1–100 characters)")

    def values(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"assigned_to": department, "assigned_at": now}
        if row.acknowledged_by is None:
            out |= {"acknowledged_by": actor.name, "acknowledged_at": now}
        return out

    return _act(engine, warning_id, actor, note, now, allowed_from=("unacknowledged", "acknowledged", "assigned"),
                to="assigned", kind="assign", values=values, detail={"department": department}, address=address)


def close(engine: Engine, warning_id: int, *, actor: Principal, note: str = "", now: datetime | None = None,
          address: str | None = None) -> dict:
    """Handling is finished (the condition axis carries on by itself). Not while a work order
    made from the warning is open (issue 21): the loop closes when the centre verifies the fix."""
    now = _now(now)
    ok_id = isinstance(warning_id, int) and not isinstance(warning_id, bool) and 0 < warning_id <= MAX_ORDER_ID
    blocking = open_order_of_warning(engine, warning_id) if ok_id else None
    if blocking:
        raise HandlingError(f"warning {warning_id} has open work order {blocking['id']} with "
                            f"{blocking['department']} ({blocking['state']}); close it once the order is verified")
    return _act(engine, warning_id, actor, note, now, allowed_from=("unacknowledged", "acknowledged", "assigned"),
                to="closed", kind="close", values=lambda row: {"closed_by": actor.name, "closed_at": now},
                address=address)


def add_note(engine: Engine, warning_id: int, *, actor: Principal, note: str, now: datetime | None = None,
             address: str | None = None) -> dict:
    """A remark in the warning's history; the handling state is unchanged."""
    if not isinstance(note, str) or not note.strip():
        raise HandlingError("a note needs some text")
    now = _now(now)
    return _act(engine, warning_id, actor, note, now, allowed_from=HANDLING, to=None, kind="note",
                values=lambda row: {}, address=address)


def refusal(principal: Principal | None, row: Any) -> str:
    """"" if ``principal`` may handle the warning ``row``; else why not."""
    if principal is None or not isinstance(principal, Principal):
        return "an action needs the signed-in principal"
    if not allowed(principal, "handle", row.domain):
        return f"{principal.role} {principal.name} may not handle {row.domain} warnings"
    if principal.district and row.district != principal.district:
        return f"{principal.name} handles district {principal.district} only, not {row.district}"
    return ""


def _apply(conn: Any, row: Any, actor: Principal, note: str, now: datetime, allowed_from: tuple[str, ...],
           to: str | None, kind: str, values: Any, detail: dict[str, Any] | None, target: str,
           address: str | None) -> None:
    """The change, its history event and its audit row, on one transaction."""
    if row.handling not in allowed_from:
        who = f" by {row.acknowledged_by}" if row.acknowledged_by else ""
        raise HandlingError(f"warning {row.id} is already {row.handling}{who}; cannot {kind} it now")
    new = to or row.handling
    done = conn.execute(update(warnings).where(warnings.c.id == row.id, warnings.c.handling == row.handling)
                        .values(handling=new, **values(row))).rowcount
    if done != 1:
        raise HandlingError(f"warning {row.id} was changed by someone else just now; reload and retry")
    conn.execute(insert(warning_events).values(
        warning_id=row.id, at=now, kind=kind, from_value=row.handling, to_value=new, actor=actor.name,
        note=note or None, detail=detail))
    audit.write(conn, actor=actor.name, action=f"warning.{kind}", target=target, address=address, now=now,
                detail={"domain": row.domain, "district": row.district, "from": row.handling, "to": new,
                        **(detail or {})})


def _refuse(engine: Engine, actor: Any, action: str, target: str, reason: str, address: str | None) -> AccessRefused:
    audit.record(engine, actor=getattr(actor, "name", None) or "?", action=action, target=target,
                 detail={"reason": reason, "where": "alerts.handling"}, address=address)
    return AccessRefused(reason, target=target)


def _act(engine: Engine, warning_id: int, actor: Principal, note: str, now: datetime, *,
         allowed_from: tuple[str, ...], to: str | None, kind: str, values: Any,
         detail: dict[str, Any] | None = None, address: str | None = None) -> dict:
    if not isinstance(warning_id, int) or isinstance(warning_id, bool) or not 0 < warning_id < 2**63:
        raise WarningNotFound(warning_id)
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise HandlingError(f"a note is text of at most {NOTE_MAX} characters")
    target = f"warning:{warning_id}"
    with engine.begin() as conn:
        row = conn.execute(select(warnings).where(warnings.c.id == warning_id)).first()
        if row is None:
            raise WarningNotFound(warning_id)
        reason = refusal(actor, row)
        if not reason:
            _apply(conn, row, actor, note, now, allowed_from, to, kind, values, detail, target, address)
    if reason:  # audited after the read transaction: a refusal changes nothing but the log
        raise _refuse(engine, actor, "warning.refused", target, reason, address)
    return warning_with_history(engine, warning_id)


# ----------------------------------------------------------------------------- silences

def add_silence(engine: Engine, *, rule: str | None = None, scope_kind: str | None = None, scope: str | None = None,
                source: str | None = None, reason: str, created_by: Principal, starts_at: datetime,
                ends_at: datetime, now: datetime | None = None, address: str | None = None) -> int:
    """Silence notifications of matching warnings in [starts_at, ends_at) — a maintenance
    window when ``source`` is given. Warnings still change state; only notifying stops.
    City-wide: only a principal who handles every domain's warnings may."""
    if not handles_everything(created_by):
        raise _refuse(engine, created_by, "silence.refused", f"silence:{rule or source or scope or '?'}",
                      "silences are city-wide; only those who handle every domain set them", address)
    if not any((rule, scope_kind, scope, source)):
        raise HandlingError("a silence needs at least one of rule, scope_kind, scope or source")
    if not reason.strip():
        raise HandlingError("give the reason for the silence (shown to the duty officers)")
    for t in (starts_at, ends_at):
        if t.tzinfo is None:
            raise HandlingError("silence times must be aware (UTC) datetimes")
    if ends_at <= starts_at:
        raise HandlingError("a silence must end after it starts; every silence needs an expiry")
    if len(reason) > NOTE_MAX:
        raise HandlingError(f"a reason is text of at most {NOTE_MAX} characters")
    with engine.begin() as conn:
        sid = conn.execute(insert(silences).values(
            rule=rule, scope_kind=scope_kind, scope=scope, source=source, reason=reason, created_by=created_by.name,
            created_at=_now(now), starts_at=starts_at, ends_at=ends_at)).inserted_primary_key[0]
        audit.write(conn, actor=created_by.name, action="silence.add", target=f"silence:{sid}", address=address,
                    detail={"rule": rule, "scope_kind": scope_kind, "scope": scope, "source": source,
                            "ends_at": ends_at.isoformat()})
    return sid


def end_silence(engine: Engine, silence_id: int, *, actor: Principal, now: datetime | None = None,
                address: str | None = None) -> bool:
    """Expire a silence now (it stays on record). False: no such silence running."""
    target = f"silence:{silence_id}"
    if not handles_everything(actor):
        raise _refuse(engine, actor, "silence.refused", target,
                      "silences are city-wide; only those who handle every domain end them", address)
    if not isinstance(silence_id, int) or isinstance(silence_id, bool) or not 0 < silence_id < 2**63:
        return False
    now = _now(now)
    with engine.begin() as conn:
        done = conn.execute(update(silences).where(silences.c.id == silence_id, silences.c.ends_at > now)
                            .values(ends_at=now)).rowcount
        if done:
            audit.write(conn, actor=actor.name, action="silence.end", target=target, address=address, now=now)
    return bool(done)


def active_silences(engine: Engine, *, now: datetime | None = None) -> list[dict]:
    now = _now(now)
    with engine.connect() as conn:
        rows = conn.execute(select(silences).where(silences.c.starts_at <= now, silences.c.ends_at > now)
                            .order_by(silences.c.ends_at)).all()
    return [dict(r._mapping) for r in rows]


# ------------------------------------------------------------------------------ reading

def warning_with_history(engine: Engine, warning_id: int) -> dict:
    """The warning ready for the pages and the API: its row, level labels and full history
    (state and level changes, acknowledgement, assignment, notes, notifications, silences)."""
    with engine.connect() as conn:
        row = conn.execute(select(warnings).where(warnings.c.id == warning_id)).first()
        if row is None:
            raise WarningNotFound(warning_id)
        events = conn.execute(select(warning_events).where(warning_events.c.warning_id == warning_id)
                              .order_by(warning_events.c.at, warning_events.c.id)).all()
    out = dict(row._mapping)
    lv = level_info(row.level)
    out["level_info"] = {"name": lv.name, "zh": lv.zh, "en": lv.en, "roman": lv.roman, "colour": lv.colour,
                         "label_zh": lv.label_zh, "label_en": lv.label_en}
    out["history"] = [
        {"id": e.id, "at": e.at, "kind": e.kind, "from": e.from_value, "to": e.to_value, "actor": e.actor,
         "note": e.note, "detail": e.detail} for e in events]
    out["level_history"] = [h for h in out["history"] if h["kind"] == "level"]
    out["handling_history"] = [h for h in out["history"] if h["kind"] in ("ack", "assign", "close", "note")]
    return out


def list_warnings(engine: Engine, *, open_only: bool = False, rule: str | None = None,
                  since: datetime | None = None, limit: int = 500) -> list[dict]:
    """Warnings newest first (without history); ``open_only``: not yet resolved."""
    q = select(warnings)
    if open_only:
        q = q.where(warnings.c.open_key.is_not(None))
    if rule:
        q = q.where(warnings.c.rule == rule)
    if since:
        q = q.where(warnings.c.started_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(warnings.c.started_at.desc(), warnings.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise HandlingError("times must be aware (UTC) datetimes")
    return now
