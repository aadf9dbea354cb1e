"""Events (事件) and work orders (工单): dispatch and the order's state machine.

A work order takes an event to one department (``lead`` or ``co``-handler) with a
respond-by and a resolve-by deadline from the event's level (:mod:`dispatch.sla`).

==============  =========================  ===========  ======================================
action          from                       to           who
==============  =========================  ===========  ======================================
accept 签收     dispatched                 accepted     the department's head
progress 处置   accepted, in_progress,     in_progress  the department's head (note required)
                reopened
finish 办结     accepted, in_progress,     finished     the department's head (result required)
                reopened
return 退单     dispatched, accepted       returned     the department's head (reason required)
extend 延期申请 accepted, in_progress,     (same)       the department's head (until, reason);
                reopened                                one pending request at a time
verify 核查结案 finished                   closed       the command centre
reopen 返工     finished                   reopened     the command centre (reason required)
remind 催办     dispatched, accepted,      (same)       the command centre
                in_progress, reopened
approve         a pending extension        (same)       the command centre: resolve_by = until
refuse          a pending extension        (same)       the command centre (reason required)
==============  =========================  ===========  ======================================

The command centre is the duty officers and admins (``duty``, ``admin``); a department's
head is a ``department`` principal whose ``domains`` hold the order's department. A
district-bound principal acts on events of their district only. Leaders, analysts and
wall screens act on nothing. The centre never acts as a department, nor a department as
the centre: whoever verifies a fix is not whoever reported it (separation of duties,
GB/T 22239-2019 8.1.4.2 c: 管理用户的权限分离).

Every action is one transaction: the conditional UPDATE (on the state *and* the version
read, so two people acting at once cannot both win), its ``order_events`` row and its
audit row (:func:`access.audit.write`). A returned order ends there; the centre dispatches
the event again (:func:`dispatch`), and the new order records which returned one it
replaces (``redispatch_of``). A reopened order keeps its resolve-by deadline: rework
late is late.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from access import audit
from access.roles import Principal
from citybrain.errors import AccessRefused
from citybrain.settings import Settings
from dispatch.errors import Conflict, InvalidInput, NotApplicable, NotFound
from dispatch.sla import LEVELS, deadlines, department_of_domain, departments, headed_by
from store.schema import attachments, events, order_events, warnings, work_orders

UTC = timezone.utc

#: an order still in someone's hands (``finished`` awaits the centre's verification)
OPEN_STATES: tuple[str, ...] = ("dispatched", "accepted", "in_progress", "finished", "reopened")
STATES: tuple[str, ...] = (*OPEN_STATES, "closed", "returned")
#: states in which the department is working (the resolve-by clock runs against it)
WORKING: tuple[str, ...] = ("dispatched", "accepted", "in_progress", "reopened")
CENTRE_ROLES: tuple[str, ...] = ("duty", "admin")
NOTE_MAX = 2000
TITLE_MAX = 200
#: the furthest an extension may reach, from the request (a year: beyond, the order is not one)
MAX_EXTENSION = timedelta(days=366)
#: ids are INTEGER keys (PostgreSQL int4): a larger id names nothing and must not reach the database
MAX_ID = 2**31 - 1


#: called on a reminder inside its transaction: (connection, the order row with its event's
#: title, district and level, the note, now) → ids of the outbox rows written
ReminderHook = Callable[[Connection, Any, str, datetime], list[int]]


@dataclass(frozen=True)
class Rule:
    by: str  # centre | department
    from_states: tuple[str, ...]
    to: str | None  # None: the state is unchanged (a reminder, an extension request …)
    needs_note: bool = False


RULES: dict[str, Rule] = {
    "accept": Rule("department", ("dispatched",), "accepted"),
    "progress": Rule("department", ("accepted", "in_progress", "reopened"), "in_progress", True),
    "finish": Rule("department", ("accepted", "in_progress", "reopened"), "finished", True),
    "return": Rule("department", ("dispatched", "accepted"), "returned", True),
    "extend": Rule("department", ("accepted", "in_progress", "reopened"), None, True),
    "verify": Rule("centre", ("finished",), "closed"),
    "reopen": Rule("centre", ("finished",), "reopened", True),
    "remind": Rule("centre", WORKING, None),
    "approve": Rule("centre", WORKING, None),
    "refuse": Rule("centre", WORKING, None, True),
}
ACTIONS: tuple[str, ...] = tuple(RULES)


# ------------------------------------------------------------------------------ scope

def is_centre(principal: Principal) -> bool:
    return principal.role in CENTRE_ROLES


def refusal(principal: Any, by: str, department: str, district: str) -> str:
    """"" if ``principal`` may act as ``by`` (centre | department) on an order of ``department``
    for an event in ``district``; else why not."""
    if not isinstance(principal, Principal):
        return "an action needs the signed-in principal"
    if by == "centre" and not is_centre(principal):
        return f"{principal.role} {principal.name} is not the command centre (duty officers and admins act here)"
    if by == "department" and department not in headed_by(principal):
        return f"{principal.name} does not head department {department!r}; only its head acts on its orders"
    if principal.district and district != principal.district:
        return f"{principal.name} acts in district {principal.district} only, not {district}"
    return ""


def visible(principal: Principal) -> list[Any]:
    """Conditions limiting orders (joined with their event) to what ``principal`` may read:
    department heads their departments, district-bound principals their district; wall
    screens nothing."""
    conds: list[Any] = []
    if principal.role == "wall":
        conds.append(work_orders.c.id.is_(None))
    if principal.role == "department":
        conds.append(work_orders.c.department.in_(sorted(headed_by(principal))))
    if principal.district:
        conds.append(events.c.district == principal.district)
    return conds


def refused(engine: Engine, actor: Any, target: str, reason: str, address: str | None) -> AccessRefused:
    audit.record(engine, actor=getattr(actor, "name", None) or "?", action="order.refused", target=target,
                 detail={"reason": reason, "where": "dispatch.orders"}, address=address)
    return AccessRefused(reason, target=target)


# ------------------------------------------------------------------------------ events

def create_event(engine: Engine, settings: Settings, *, actor: Principal, title: str, category: str,
                 district: str, level: str, description: str = "", lat: float | None = None,
                 lon: float | None = None, origin: str = "manual", now: datetime | None = None,
                 address: str | None = None) -> int:
    """Report an event by hand (a call from the public security bureau, a patrol): its id.

    Only the command centre reports events; a district-bound duty officer in their district.
    """
    now = aware_now(now)
    title = _text("title", title, TITLE_MAX, required=True)
    category = _text("category", category, 64, required=True)
    description = _text("description", description, NOTE_MAX)
    codes = {d.code for d in settings.districts} | {settings.city.code}
    if not isinstance(district, str) or district not in codes:
        raise InvalidInput(f"district {str(district)[:64]!r} is not one of the city's: {', '.join(sorted(codes))}")
    if level not in LEVELS:
        raise InvalidInput(f"level {str(level)[:16]!r} is not a level; use one of {', '.join(LEVELS)}")
    for name, value, lo, hi in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not lo <= value <= hi):
            raise InvalidInput(f"{name} must be a number between {lo} and {hi} (or left out)")
    if (lat is None) != (lon is None):
        raise InvalidInput("give both lat and lon, or neither")
    reason = refusal(actor, "centre", "", district)
    if reason:
        raise refused(engine, actor, "event:new", reason, address)
    with engine.begin() as conn:
        eid = conn.execute(insert(events).values(
            title=title, category=category, district=district, level=level, description=description,
            lat=lat, lon=lon, origin=origin, reported_by=actor.name, created_at=now)).inserted_primary_key[0]
        audit.write(conn, actor=actor.name, action="event.report", target=f"event:{eid}", address=address, now=now,
                    detail={"district": district, "level": level, "category": category, "origin": origin})
    return int(eid)


def event_from_warning(engine: Engine, settings: Settings, warning_id: int, *, actor: Principal,
                       now: datetime | None = None, address: str | None = None) -> int:
    """The event of a warning, made on first use (a warning becomes at most one event)."""
    _check_id(warning_id, "warning")
    with engine.connect() as conn:
        w = conn.execute(select(warnings).where(warnings.c.id == warning_id)).first()
        existing = conn.execute(select(events.c.id).where(events.c.warning_id == warning_id)).scalar()
    if w is None:
        raise NotFound(f"warning {warning_id} does not exist")
    district = w.district or (w.scope if w.scope_kind == "district" else settings.city.code)
    reason = refusal(actor, "centre", "", district)
    if reason:
        raise refused(engine, actor, f"warning:{warning_id}", reason, address)
    if existing is not None:
        return int(existing)
    now = aware_now(now)
    try:
        with engine.begin() as conn:
            eid = conn.execute(insert(events).values(
                title=w.title_zh[:TITLE_MAX], category=w.domain, district=district, level=w.level,
                description=w.title_en or "", warning_id=warning_id, origin="warning", reported_by=actor.name,
                created_at=now)).inserted_primary_key[0]
            audit.write(conn, actor=actor.name, action="event.report", target=f"event:{eid}", address=address,
                        now=now, detail={"warning": warning_id, "district": district, "level": w.level})
    except IntegrityError:  # someone made it at the same moment: theirs is the one
        with engine.connect() as conn:
            eid = conn.execute(select(events.c.id).where(events.c.warning_id == warning_id)).scalar_one()
    return int(eid)


def suggested_department(engine: Engine, warning_id: int) -> str | None:
    """The department a warning would go to: the owner of its rule's domain."""
    with engine.connect() as conn:
        domain = conn.execute(select(warnings.c.domain).where(warnings.c.id == warning_id)).scalar()
    return department_of_domain(domain) if domain else None


# ---------------------------------------------------------------------------- dispatch

def dispatch(engine: Engine, settings: Settings, event_id: int, departments_: Sequence[str], *,
             actor: Principal, note: str = "", now: datetime | None = None,
             address: str | None = None) -> list[int]:
    """Dispatch the event to ``departments_`` (the first leads unless a lead already works on
    it; the rest co-handle): one order each, in one transaction; their ids.

    A department with an open order on the event is refused (:class:`NotApplicable`); a
    department whose order was returned may get the event again. The new order replaces the
    event's latest returned order not yet replaced (``redispatch_of``).
    """
    now = aware_now(now)
    _check_id(event_id, "event")
    note = _text("note", note, NOTE_MAX)
    known = departments(settings)
    if isinstance(departments_, str) or not departments_:
        raise InvalidInput("name at least one department")
    wanted = list(dict.fromkeys(departments_))
    for d in wanted:
        if not isinstance(d, str) or d not in known:
            raise InvalidInput(f"department {str(d)[:64]!r} is not known; use one of {', '.join(known)}")
    target = f"event:{event_id}"
    try:
        with engine.begin() as conn:
            # write-lock the event before reading its orders: two officers dispatching it at once are
            # served one after the other and the second sees the first's open order. A no-op UPDATE,
            # not SELECT … FOR UPDATE: pysqlite begins its transaction only at the first write, so
            # on SQLite the read would otherwise not be inside the locked transaction at all
            conn.execute(update(events).where(events.c.id == event_id).values(level=events.c.level))
            ev = conn.execute(select(events).where(events.c.id == event_id)).first()
            if ev is None:
                raise NotFound(f"event {event_id} does not exist")
            reason = refusal(actor, "centre", "", ev.district)
            if not reason:
                ids = _dispatch(conn, settings, ev, wanted, actor, note, now, address)
    except OperationalError as exc:
        if _busy(exc):
            raise Conflict(f"event {event_id} was dispatched by someone else just now; reload and retry") from None
        raise
    if reason:
        raise refused(engine, actor, target, reason, address)
    return ids


def _dispatch(conn: Connection, settings: Settings, ev: Any, wanted: list[str], actor: Principal, note: str,
              now: datetime, address: str | None) -> list[int]:
    existing = conn.execute(select(work_orders).where(work_orders.c.event_id == ev.id)
                            .order_by(work_orders.c.id)).all()
    busy = {o.department: o for o in existing if o.state in OPEN_STATES}
    for d in wanted:
        if d in busy:
            raise NotApplicable(f"event {ev.id} already has open order {busy[d].id} with {d} ({busy[d].state})")
    replaced = {o.redispatch_of for o in existing if o.redispatch_of is not None}
    returned = [o for o in existing if o.state == "returned" and o.id not in replaced]
    has_lead = any(o.role == "lead" for o in existing if o.state in OPEN_STATES or o.state == "closed")
    respond_by, resolve_by = deadlines(settings, ev.level, now)
    ids = []
    for i, d in enumerate(wanted):
        role = "lead" if i == 0 and not has_lead else "co"
        of = returned.pop().id if returned and role == "lead" else None
        oid = int(conn.execute(insert(work_orders).values(
            event_id=ev.id, department=d, role=role, state="dispatched", version=0, dispatched_by=actor.name,
            dispatched_at=now, respond_by=respond_by, resolve_by=resolve_by, reopened=0, respond_escalation=0,
            resolve_escalation=0, redispatch_of=of)).inserted_primary_key[0])
        conn.execute(insert(order_events).values(order_id=oid, at=now, kind="dispatch", from_state=None,
                                                 to_state="dispatched", actor=actor.name, note=note or None,
                                                 detail={"department": d, "role": role, "redispatch_of": of}))
        audit.write(conn, actor=actor.name, action="order.dispatch", target=f"order:{oid}", address=address, now=now,
                    detail={"event": ev.id, "department": d, "role": role, "district": ev.district,
                            "level": ev.level, "redispatch_of": of})
        ids.append(oid)
    return ids


def order_from_warning(engine: Engine, settings: Settings, warning_id: int, *, actor: Principal,
                       department: str | None = None, note: str = "", now: datetime | None = None,
                       address: str | None = None) -> int:
    """One-click dispatch from a warning: its event (made on first use) to ``department``
    (default: the owner of the warning's domain); the order's id."""
    eid = event_from_warning(engine, settings, warning_id, actor=actor, now=now, address=address)
    dept = department or suggested_department(engine, warning_id)
    return dispatch(engine, settings, eid, [dept or ""], actor=actor, note=note, now=now, address=address)[0]


# ------------------------------------------------------------------------------ actions

def act(engine: Engine, order_id: int, action: str, *, actor: Principal, note: str = "",
        until: datetime | None = None, now: datetime | None = None, address: str | None = None,
        on_remind: ReminderHook | None = None) -> dict[str, Any]:
    """Apply ``action`` to the order as ``actor``; the order afterwards.

    Raises :class:`InvalidInput` (malformed), :class:`NotFound`, :class:`AccessRefused`
    (out of role or scope; audited as ``order.refused``), :class:`NotApplicable` (the
    state does not allow it, with the reason) and :class:`Conflict` (someone else acted
    first). ``on_remind`` (:func:`dispatch.escalation.reminder_hook`) queues a reminder's
    webhook notices in its transaction.
    """
    if action not in RULES:
        raise InvalidInput(f"action {str(action)[:32]!r} is not known; use one of {', '.join(ACTIONS)}")
    rule = RULES[action]
    now = aware_now(now)
    _check_id(order_id, "order")
    note = _text("note", note, NOTE_MAX)
    if rule.needs_note and not note.strip():
        raise InvalidInput(f"{action} needs a note (the reason, the progress or the result)")
    if action == "extend":
        if not isinstance(until, datetime) or until.tzinfo is None:
            raise InvalidInput("extend needs until: the aware date and time the department asks to resolve by")
    elif until is not None:
        raise InvalidInput(f"until belongs to extend only, not {action}")
    target = f"order:{order_id}"
    try:
        with engine.begin() as conn:
            row = conn.execute(select(work_orders, events.c.district, events.c.level, events.c.title)
                               .join(events, events.c.id == work_orders.c.event_id)
                               .where(work_orders.c.id == order_id)).first()
            if row is None:
                raise NotFound(f"order {order_id} does not exist")
            reason = refusal(actor, rule.by, row.department, row.district)
            if not reason:
                _apply(conn, row, action, rule, actor, note, until, now, target, address)
                if action == "remind" and on_remind is not None:
                    on_remind(conn, row, note, now)
    except OperationalError as exc:
        if _busy(exc):
            raise Conflict(f"order {order_id} was changed by someone else just now; reload and retry") from None
        raise
    if reason:  # audited after the read transaction: a refusal changes nothing but the log
        raise refused(engine, actor, target, reason, address)
    return get_order(engine, order_id)


def _apply(conn: Connection, row: Any, action: str, rule: Rule, actor: Principal, note: str,
           until: datetime | None, now: datetime, target: str, address: str | None) -> None:
    if row.state not in rule.from_states:
        raise NotApplicable(f"order {row.id} is {row.state}; {action} applies to orders that are "
                            f"{' or '.join(rule.from_states)}")
    values: dict[str, Any] = {}
    detail: dict[str, Any] = {"department": row.department, "district": row.district, "from": row.state}
    if action == "accept":
        values = {"accepted_at": now}
    elif action == "finish":  # a pending extension request lapses: the work is done
        values = {"finished_at": now, "result": note, "extension_until": None}
    elif action == "return":
        values = {"returned_at": now, "extension_until": None}
    elif action == "verify":
        values = {"closed_at": now}
    elif action == "reopen":
        values = {"reopened": row.reopened + 1, "finished_at": None}
    elif action == "extend":
        assert until is not None
        if row.extension_until is not None:
            raise NotApplicable(f"order {row.id} already has an extension request pending (until "
                                f"{row.extension_until.isoformat()}); wait for the centre's decision")
        if until > now + MAX_EXTENSION:
            raise NotApplicable(f"until {until.isoformat()} is more than {MAX_EXTENSION.days} days away; "
                                "ask for a nearer time (and again later if need be)")
        if until <= row.resolve_by:
            raise NotApplicable(f"until {until.isoformat()} is not after the order's resolve-by "
                                f"{row.resolve_by.isoformat()}; ask for a later time")
        values = {"extension_until": until.astimezone(UTC)}
        detail["until"] = until.astimezone(UTC).isoformat()
    elif action in ("approve", "refuse"):
        if row.extension_until is None:
            raise NotApplicable(f"order {row.id} has no extension request pending; nothing to {action}")
        detail["until"] = row.extension_until.isoformat()
        values = {"extension_until": None}
        if action == "approve":
            # the new deadline starts a new clock: earlier escalations of the old one are spent
            values |= {"resolve_by": row.extension_until, "resolve_escalation": 0}
            detail["previous_resolve_by"] = row.resolve_by.isoformat()
    new = rule.to or row.state
    done = conn.execute(update(work_orders).where(
        work_orders.c.id == row.id, work_orders.c.state == row.state, work_orders.c.version == row.version)
        .values(state=new, version=row.version + 1, **values)).rowcount
    if done != 1:
        raise Conflict(f"order {row.id} was changed by someone else just now; reload and retry")
    detail["to"] = new
    conn.execute(insert(order_events).values(order_id=row.id, at=now, kind=action, from_state=row.state,
                                             to_state=new, actor=actor.name, note=note or None, detail=detail))
    audit.write(conn, actor=actor.name, action=f"order.{action}", target=target, address=address, now=now,
                detail=detail)


# ------------------------------------------------------------------------------ reading



def get_order(engine: Engine, order_id: int, principal: Principal | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """The order with its event's title, district and level and its history; ``principal``
    given: :class:`NotFound` unless they may read it."""
    _check_id(order_id, "order")
    q = (select(work_orders, events.c.title, events.c.district, events.c.level, events.c.category,
                events.c.warning_id)
         .join(events, events.c.id == work_orders.c.event_id).where(work_orders.c.id == order_id))
    if principal is not None:
        q = q.where(*visible(principal))
    with engine.connect() as conn:
        row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"order {order_id} does not exist or is outside your scope")
        hist = conn.execute(select(order_events).where(order_events.c.order_id == order_id)
                            .order_by(order_events.c.at, order_events.c.id)).all()
    out = dict(row._mapping)
    out.update(overdue_of(out, aware_now(now)))
    out["history"] = [{"id": h.id, "at": h.at, "kind": h.kind, "from": h.from_state, "to": h.to_state,
                       "actor": h.actor, "note": h.note, "detail": h.detail} for h in hist
                      if h.kind != "notify"]
    return out


def overdue_of(order: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Is the order late now, and which clock: ``respond`` (not accepted by respond-by) or
    ``resolve`` (not finished by resolve-by). On time *at* the exact deadline; late after it."""
    state = order["state"]
    late = None
    if state in WORKING and now > order["resolve_by"]:
        late = "resolve"
    elif state == "dispatched" and now > order["respond_by"]:
        late = "respond"
    return {"overdue": late is not None, "overdue_clock": late}


def list_orders(engine: Engine, principal: Principal | None, *, state: str | None = None,
                department: str | None = None, district: str | None = None, overdue: bool = False,
                event_id: int | None = None, now: datetime | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Orders ``principal`` may read (None: every order — for the wall and the briefing, whose
    callers decide who sees them), due first (the nearer deadline of the running clock)."""
    now = aware_now(now)
    q = (select(work_orders, events.c.title, events.c.district, events.c.level, events.c.category,
                events.c.warning_id).join(events, events.c.id == work_orders.c.event_id)
         .where(*(visible(principal) if principal is not None else ())))
    if state is not None:
        q = q.where(work_orders.c.state == state)
    if department is not None:
        q = q.where(work_orders.c.department == department)
    if district is not None:
        q = q.where(events.c.district == district)
    if event_id is not None:
        q = q.where(work_orders.c.event_id == event_id)
    if overdue:
        q = q.where(or_(and_(work_orders.c.state.in_(WORKING), work_orders.c.resolve_by < now),
                        and_(work_orders.c.state == "dispatched", work_orders.c.respond_by < now)))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(work_orders.c.resolve_by, work_orders.c.id).limit(limit)).all()
    out = []
    for r in rows:
        item = dict(r._mapping)
        item.update(overdue_of(item, now))
        out.append(item)
    out.sort(key=lambda o: (not o["overdue"], o["state"] not in OPEN_STATES, _due(o), o["id"]))
    return out


def _due(order: dict[str, Any]) -> datetime:
    return order["respond_by"] if order["state"] == "dispatched" else order["resolve_by"]


def get_event(engine: Engine, event_id: int, principal: Principal | None = None) -> dict[str, Any]:
    """The event with its orders and attachments' metadata; a department head sees only
    events dispatched to their department, a district user only their district's."""
    _check_id(event_id, "event")
    with engine.connect() as conn:
        ev = conn.execute(select(events).where(events.c.id == event_id)).first()
        if ev is None:
            raise NotFound(f"event {event_id} does not exist")
        orders = conn.execute(select(work_orders).where(work_orders.c.event_id == event_id)
                              .order_by(work_orders.c.id)).all()
        files = conn.execute(select(attachments).where(attachments.c.event_id == event_id)
                             .order_by(attachments.c.id)).all()
    if principal is not None:
        if principal.role == "wall" or (principal.district and ev.district != principal.district) or (
                principal.role == "department" and not {o.department for o in orders} & headed_by(principal)):
            raise NotFound(f"event {event_id} does not exist or is outside your scope")
    out = dict(ev._mapping)
    out["orders"] = [dict(o._mapping) for o in orders]
    out["attachments"] = [{k: v for k, v in dict(a._mapping).items() if k != "path"} for a in files]
    out["open"] = any(o.state in OPEN_STATES for o in orders)
    return out


def open_order_of_warning(engine: Engine, warning_id: int) -> dict[str, Any] | None:
    """The first open order of the warning's event, if any: the warning cannot be closed meanwhile."""
    with engine.connect() as conn:
        row = conn.execute(select(work_orders.c.id, work_orders.c.state, work_orders.c.department)
                           .join(events, events.c.id == work_orders.c.event_id)
                           .where(events.c.warning_id == warning_id, work_orders.c.state.in_(OPEN_STATES))
                           .order_by(work_orders.c.id).limit(1)).first()
    return dict(row._mapping) if row else None


# ------------------------------------------------------------------------------ helpers

def _busy(exc: OperationalError) -> bool:
    """SQLite: a writer that read before another's commit cannot write (busy snapshot, locked)."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _check_id(value: Any, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise NotFound(f"{what} {str(value)[:24]} does not exist")


def _text(name: str, value: Any, max_len: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
        raise InvalidInput(f"{name} must be text of at most {max_len} characters (no NUL)")
    if required and not value.strip():
        raise InvalidInput(f"{name} cannot be empty")
    return value


def aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise InvalidInput("times must be aware (UTC) datetimes")
    return now
