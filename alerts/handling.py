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

Pages and the API call these with the signed-in user as ``actor``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select, update

from alerts.levels import level as level_info
from citybrain.errors import CitybrainError
from store.schema import silences, warning_events, warnings

UTC = timezone.utc
HANDLING = ("unacknowledged", "acknowledged", "assigned", "closed")


class HandlingError(CitybrainError):
    """An action that does not apply to the warning as it stands (message says why)."""


class WarningNotFound(HandlingError):
    def __init__(self, warning_id: int):
        super().__init__(f"warning {warning_id} does not exist; reload the warnings list")


def acknowledge(engine: Engine, warning_id: int, *, actor: str, note: str = "", now: datetime | None = None) -> dict:
    """A person has seen the warning and takes responsibility for it."""
    now = _now(now)
    return _act(engine, warning_id, actor, note, now, allowed=("unacknowledged",), to="acknowledged",
                kind="ack", values={"acknowledged_by": actor, "acknowledged_at": now})


def assign(engine: Engine, warning_id: int, *, actor: str, department: str, note: str = "",
           now: datetime | None = None) -> dict:
    """Hand the warning to a department (acknowledging it on the way if nobody had)."""
    now = _now(now)
    department = (department or "").strip()
    if not department or len(department) > 100:
        raise HandlingError("name the department to assign to (1–100 characters)")
    row = _get(engine, warning_id)
    values: dict[str, Any] = {"assigned_to": department, "assigned_at": now}
    if row.acknowledged_by is None:
        values |= {"acknowledged_by": actor, "acknowledged_at": now}
    return _act(engine, warning_id, actor, note, now, allowed=("unacknowledged", "acknowledged", "assigned"),
                to="assigned", kind="assign", values=values, detail={"department": department})


def close(engine: Engine, warning_id: int, *, actor: str, note: str = "", now: datetime | None = None) -> dict:
    """Handling is finished (the condition axis carries on by itself)."""
    now = _now(now)
    return _act(engine, warning_id, actor, note, now, allowed=("unacknowledged", "acknowledged", "assigned"),
                to="closed", kind="close", values={"closed_by": actor, "closed_at": now})


def add_note(engine: Engine, warning_id: int, *, actor: str, note: str, now: datetime | None = None) -> dict:
    """A remark in the warning's history; the handling state is unchanged."""
    if not note.strip():
        raise HandlingError("a note needs some text")
    now = _now(now)
    return _act(engine, warning_id, actor, note, now, allowed=HANDLING, to=None, kind="note", values={})


def _act(engine: Engine, warning_id: int, actor: str, note: str, now: datetime, *, allowed: tuple[str, ...],
         to: str | None, kind: str, values: dict[str, Any], detail: dict[str, Any] | None = None) -> dict:
    actor = (actor or "").strip()
    if not actor or len(actor) > 64:
        raise HandlingError("an action needs the acting user's name (1–64 characters)")
    with engine.begin() as conn:
        row = conn.execute(select(warnings).where(warnings.c.id == warning_id)).first()
        if row is None:
            raise WarningNotFound(warning_id)
        if row.handling not in allowed:
            who = f" by {row.acknowledged_by}" if row.acknowledged_by else ""
            raise HandlingError(f"warning {warning_id} is already {row.handling}{who}; cannot {kind} it now")
        new = to or row.handling
        done = conn.execute(update(warnings).where(warnings.c.id == warning_id,
                                                   warnings.c.handling == row.handling)
                            .values(handling=new, **values)).rowcount
        if done != 1:
            raise HandlingError(f"warning {warning_id} was changed by someone else just now; reload and retry")
        conn.execute(insert(warning_events).values(
            warning_id=warning_id, at=now, kind=kind, from_value=row.handling, to_value=new, actor=actor,
            note=note or None, detail=detail))
    return warning_with_history(engine, warning_id)


# ----------------------------------------------------------------------------- silences

def add_silence(engine: Engine, *, rule: str | None = None, scope_kind: str | None = None, scope: str | None = None,
                source: str | None = None, reason: str, created_by: str, starts_at: datetime, ends_at: datetime,
                now: datetime | None = None) -> int:
    """Silence notifications of matching warnings in [starts_at, ends_at) — a maintenance
    window when ``source`` is given. Warnings still change state; only notifying stops."""
    if not any((rule, scope_kind, scope, source)):
        raise HandlingError("a silence needs at least one of rule, scope_kind, scope or source")
    if not reason.strip():
        raise HandlingError("give the reason for the silence (shown to the duty officers)")
    for t in (starts_at, ends_at):
        if t.tzinfo is None:
            raise HandlingError("silence times must be aware (UTC) datetimes")
    if ends_at <= starts_at:
        raise HandlingError("a silence must end after it starts; every silence needs an expiry")
    with engine.begin() as conn:
        return conn.execute(insert(silences).values(
            rule=rule, scope_kind=scope_kind, scope=scope, source=source, reason=reason, created_by=created_by,
            created_at=_now(now), starts_at=starts_at, ends_at=ends_at)).inserted_primary_key[0]


def end_silence(engine: Engine, silence_id: int, *, now: datetime | None = None) -> None:
    """Expire a silence now (it stays on record)."""
    now = _now(now)
    with engine.begin() as conn:
        conn.execute(update(silences).where(silences.c.id == silence_id, silences.c.ends_at > now).values(ends_at=now))


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


def _get(engine: Engine, warning_id: int) -> Any:
    with engine.connect() as conn:
        row = conn.execute(select(warnings).where(warnings.c.id == warning_id)).first()
    if row is None:
        raise WarningNotFound(warning_id)
    return row


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise HandlingError("times must be aware (UTC) datetimes")
    return now
