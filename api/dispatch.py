"""API v1 of 指挥调度 (issue 21): events, work orders, their actions and the scorecards.

Other systems (12345, 数字城管) report events and read orders here. Every route needs a
token that may use the API on ``warnings`` (:func:`api.auth.require`); what it may then
do is decided by :mod:`dispatch.orders` itself — the command centre (duty officers,
admins) reports, dispatches, verifies, reopens, reminds and decides extensions; a
department head accepts, reports progress, finishes, returns and asks for extensions on
their department's orders; a district-bound token stays in its district.

Status codes: 201 created, 200 done, 400 malformed (the message names the field), 403
out of role or scope, 404 no such event or order (or outside the token's sight when
reading), 409 the action does not apply to the order as it stands (with the reason:
its state, a pending extension, someone acting first).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask

from access.identity import address
from access.roles import Principal
from api import params
from api.auth import require
from api.errors import ApiError
from api.routes import bp
from api.serialize import row as ser
from citybrain import context
from citybrain.errors import AccessRefused
from dispatch import orders as od
from dispatch.errors import InvalidInput, NotApplicable, NotFound
from dispatch.escalation import reminder_hook
from dispatch.scorecard import GROUPS, scorecards
from dispatch.sla import LEVELS, departments

RESOURCE = "warnings"  # who may read warnings through the API may use dispatch (then checked per action)
TEXT_PATTERN = "^[^\\x00]*$"
#: a text with at least one visible character (titles, categories, reasons)
NONBLANK_PATTERN = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
#: actions whose note is required (their reason, progress or result)
NOTE_REQUIRED = tuple(a for a, r in od.RULES.items() if r.needs_note)
DEFAULT_PERIOD = dt.timedelta(days=30)
#: orders read for one list request at most (sorted overdue first, then paged)
LIST_MAX = 10_000


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a dispatch function, its refusals as the API's statuses."""
    try:
        return func(*args, **kwargs)
    except AccessRefused as exc:
        raise ApiError(403, str(exc)) from None
    except InvalidInput as exc:
        raise ApiError(400, str(exc)) from None
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except NotApplicable as exc:
        raise ApiError(409, str(exc)) from None


def _body(allowed: set[str], example: str) -> dict[str, Any]:
    body = params.json_object()
    extra = sorted(set(body) - allowed)
    if extra:
        raise ApiError(400, f"unknown field {extra[0][:40]!r}; send JSON like {example}")
    return body


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
    if name in body and body[name] is None:
        raise ApiError(400, f"{name} is null; leave it out instead")
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name} is required")
        return None
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 7.0 is the integer 7 (JSON Schema 2020-12 §6.3)
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)) or \
            not isinstance(value, kind):
        raise ApiError(400, f"{name} has the wrong type")
    return value


def _id_field(body: dict[str, Any], name: str) -> int | None:
    value = _field(body, name, int)
    if value is not None and not 1 <= value <= od.MAX_ID:
        raise ApiError(404, f"{name} {value} names nothing")
    return value


def _until(value: Any) -> dt.datetime | None:
    """An RFC 3339 date or time (``api.params.TIME_PATTERN``); without an offset it is the city's clock."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40 or not params._TIME_CHECK.fullmatch(value):
        raise ApiError(400, "until must be a date or time like 2026-12-05T18:00:00+08:00 (no offset: the city's clock)")
    try:
        when = dt.datetime.fromisoformat(value.upper())
    except ValueError:  # year 0000: before any deadline
        return EARLIEST
    if when.tzinfo is None:
        when = when.replace(tzinfo=context.settings().tz)
    try:
        return _clamp(when.astimezone(dt.timezone.utc))
    except (OverflowError, ValueError):  # beyond what a datetime holds in UTC
        return EARLIEST if when.year < 5000 else LATEST


def _path_id(value: int, what: str) -> int:
    if not 1 <= value <= od.MAX_ID:
        raise ApiError(404, f"{what} {value} does not exist")
    return value


ORDER_FIELDS = ("id", "event_id", "title", "category", "district", "level", "warning_id", "department", "role",
                "state", "version", "dispatched_by", "dispatched_at", "respond_by", "resolve_by", "accepted_at",
                "finished_at", "closed_at", "returned_at", "result", "reopened", "extension_until",
                "respond_escalation", "resolve_escalation", "redispatch_of", "overdue", "overdue_clock")


def _order_item(o: dict[str, Any]) -> dict[str, Any]:
    item = {k: o.get(k) for k in ORDER_FIELDS}
    if "history" in o:
        item["history"] = [{k: h[k] for k in ("at", "kind", "from", "to", "actor", "note")} for h in o["history"]]
    return ser(item, context.settings().tz)


# ------------------------------------------------------------------------------ events

@bp.post("/events")
def event_create() -> Any:
    p = require(RESOURCE)
    body = _body({"title", "category", "district", "level", "description", "lat", "lon"},
                 '{"title": "…", "category": "…", "district": "411002", "level": "red", "description": "…"}')
    lat, lon = _field(body, "lat", (int, float)), _field(body, "lon", (int, float))
    eid = _call(od.create_event, context.engine(), context.settings(), actor=p,
                title=_field(body, "title", str, required=True), category=_field(body, "category", str, required=True),
                district=_field(body, "district", str, required=True), level=_field(body, "level", str, required=True),
                description=_field(body, "description", str) or "", lat=lat, lon=lon, origin="api",
                address=address())
    return flask.jsonify({"id": eid}), 201


@bp.get("/events/<int:event_id>")
def event_detail(event_id: int) -> Any:
    p = require(RESOURCE)
    ev = _call(od.get_event, context.engine(), _path_id(event_id, "event"), p)
    tz = context.settings().tz
    out = ser({k: v for k, v in ev.items() if k not in ("orders", "attachments")}, tz)
    visible = {o["id"] for o in od.list_orders(context.engine(), p, event_id=event_id)}
    out["orders"] = [ser({k: o[k] for k in ("id", "department", "role", "state", "respond_by", "resolve_by")}, tz)
                     for o in ev["orders"] if o["id"] in visible]
    out["attachments"] = [ser(a, tz) for a in ev["attachments"]]
    return flask.jsonify(out)


# --------------------------------------------------------------------------- attachments

@bp.post("/events/<int:event_id>/attachments")
def attachment_upload(event_id: int) -> Any:
    """The file is the raw body (``Content-Type`` image/jpeg, image/png or application/pdf),
    its name in ``?filename=``, the order it documents in ``?order_id=``: no multipart parsing,
    and the size is cut at the limit while reading."""
    from dispatch import attachments

    p = require(RESOURCE)
    req = flask.request
    kinds = {kind for _, kind, _ in attachments.SIGNATURES}
    if req.mimetype not in kinds:
        raise ApiError(415, f"send the file's bytes with Content-Type {', '.join(sorted(kinds))}")
    if req.content_length is not None and req.content_length > attachments.MAX_BYTES:
        raise ApiError(413, f"the file is larger than {attachments.MAX_BYTES} bytes")
    data = req.stream.read(attachments.MAX_BYTES + 1)
    if len(data) > attachments.MAX_BYTES:
        raise ApiError(413, f"the file is larger than {attachments.MAX_BYTES} bytes")
    filename = params.text("filename", max_len=attachments.NAME_MAX) or f"upload.{req.mimetype.rsplit('/', 1)[-1]}"
    order_id = params.whole("order_id", 0, 1, od.MAX_ID) if "order_id" in req.args else None
    if data and _call(attachments.sniff, data)[0] != req.mimetype:
        raise ApiError(400, f"the body is not {req.mimetype} (its content says otherwise)")
    aid = _call(attachments.add, context.engine(), context.settings(), _path_id(event_id, "event"),
                filename=filename, data=data, actor=p, order_id=order_id, address=address())
    return flask.jsonify({"id": aid, "event_id": event_id, "order_id": order_id}), 201


@bp.get("/attachments/<int:attachment_id>")
def attachment_download(attachment_id: int) -> Any:
    """The file, to a token that may see its event (404 otherwise, as if it did not exist)."""
    from dispatch.attachments import read
    from dispatch.web import file_response

    p = require(RESOURCE)
    meta, data = _call(read, context.engine(), context.settings(), _path_id(attachment_id, "attachment"), p)
    return file_response(meta, data)


# ------------------------------------------------------------------------------ orders

@bp.post("/orders")
def order_create() -> Any:
    p = require(RESOURCE)
    body = _body({"event_id", "warning_id", "department", "co_handlers", "note"},
                 '{"event_id": 1, "department": "traffic", "note": "…"} or {"warning_id": 1}')
    event_id, warning_id = _id_field(body, "event_id"), _id_field(body, "warning_id")
    department = _field(body, "department", str)
    co = _field(body, "co_handlers", list) or []
    note = _field(body, "note", str) or ""
    if (event_id is None) == (warning_id is None):
        raise ApiError(400, "give exactly one of event_id or warning_id")
    if any(not isinstance(d, str) for d in co) or len(co) > len(departments(context.settings())):
        raise ApiError(400, "co_handlers is a list of department codes, each at most once")
    engine, settings = context.engine(), context.settings()
    if warning_id is not None:
        oid = _call(od.order_from_warning, engine, settings, warning_id, actor=p, department=department, note=note,
                    address=address())
        ids = [oid]
        if co:
            ev = od.get_order(engine, oid)["event_id"]
            ids += _call(od.dispatch, engine, settings, ev, co, actor=p, note=note, address=address())
    else:
        if department is None:
            raise ApiError(400, "department is required with event_id")
        ids = _call(od.dispatch, engine, settings, event_id, [department, *co], actor=p, note=note,
                    address=address())
    o = od.get_order(engine, ids[0])
    return flask.jsonify(ser({"id": o["id"], "state": o["state"], "respond_by": o["respond_by"],
                              "resolve_by": o["resolve_by"], "event_id": o["event_id"],
                              "department": o["department"], "ids": ids}, settings.tz)), 201


@bp.post("/orders/<int:order_id>/actions")
def order_action(order_id: int) -> Any:
    p = require(RESOURCE)
    body = _body({"action", "note", "until"}, '{"action": "accept", "note": "…"}')
    action = _field(body, "action", str, required=True)
    note = _field(body, "note", str) or ""
    until = _until(_field(body, "until", str))
    if action not in od.RULES:
        raise ApiError(400, f"action must be one of {', '.join(od.ACTIONS)}")
    # well-formed but incomplete for this action: it does not apply as sent (409, with the reason)
    if action in NOTE_REQUIRED and not note.strip():
        raise ApiError(409, f"{action} needs a note (the reason, the progress or the result)")
    if (action == "extend") != (until is not None):
        raise ApiError(409, "extend needs until (the time asked for)" if action == "extend"
                       else f"until belongs to extend, not {action}")
    hook = reminder_hook(context.settings()) if action == "remind" else None
    o = _call(od.act, context.engine(), _path_id(order_id, "order"), action, actor=p, note=note, until=until,
              address=address(), on_remind=hook)
    return flask.jsonify(ser({"id": o["id"], "state": o["state"], "version": o["version"],
                              "respond_by": o["respond_by"], "resolve_by": o["resolve_by"],
                              "extension_until": o["extension_until"]}, context.settings().tz))


@bp.get("/orders/<int:order_id>")
def order_detail(order_id: int) -> Any:
    p = require(RESOURCE)
    return flask.jsonify(_order_item(_call(od.get_order, context.engine(), _path_id(order_id, "order"), p)))


def _district(p: Principal) -> str | None:
    asked = params.text("district")
    if p.district and asked not in (None, p.district):
        raise ApiError(403, f"this token is limited to district {p.district}")
    district = p.district or asked
    if district is not None and district not in {d.code for d in context.settings().districts} | {
            context.settings().city.code}:
        raise ApiError(404, f"unknown district {district!r}; see the city's districts in its config")
    return district


@bp.get("/orders")
def order_list() -> Any:
    p = require(RESOURCE)
    state = params.choice("state", od.STATES)
    department = params.choice("department", tuple(departments(context.settings())))
    overdue = params.choice("overdue", ("true", "false"), "false") == "true"
    district = _district(p)
    limit, offset = params.page()
    rows = od.list_orders(context.engine(), p, state=state, department=department, district=district,
                          overdue=overdue, limit=LIST_MAX)
    return flask.jsonify(params.envelope([_order_item(o) for o in rows[offset:offset + limit]], len(rows), limit,
                                         offset))


# --------------------------------------------------------------------------- scorecards

@bp.get("/scorecards")
def scorecard_list() -> Any:
    p = require(RESOURCE)
    tz = context.settings().tz
    start, end = params.instant("from", tz), params.instant("to", tz)
    by = params.choice("by", GROUPS, "department") or "department"
    now = dt.datetime.now(dt.timezone.utc)
    end = _clamp(end or now)
    start = _clamp(start or end - DEFAULT_PERIOD)
    items = scorecards(context.engine(), context.settings(), start, end, by=by, principal=p, now=now)
    if p.district and by == "district":
        items = [i for i in items if i["district"] == p.district]
    return flask.jsonify({"items": items, "from": ser({"t": start}, tz)["t"], "to": ser({"t": end}, tz)["t"],
                          "by": by})


#: the instants a scorecard period may span (before 1970 there are no orders; the city's zone
#: has local-mean-time offsets before 1901 that RFC 3339 cannot write)
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc)


def _clamp(t: dt.datetime) -> dt.datetime:
    return min(max(t, EARLIEST), LATEST)


# ------------------------------------------------------------------------------ document

def openapi_parts(settings: Any, ref: Any, errors: dict[str, Any], param: Any, times: list[dict],
                  page: list[dict], list_of: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schemas, paths) of these routes for :func:`api.openapi.openapi_document`."""
    from api.params import CODE_MAX, CODE_PATTERN

    depts = list(departments(settings))
    districts = [d.code for d in settings.districts] + [settings.city.code]
    null_str, null_time = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}
    time_ = {"type": "string", "format": "date-time"}
    null_int, null_num = {"type": ["integer", "null"]}, {"type": ["number", "null"]}
    ident = {"type": "integer", "minimum": 1, "maximum": od.MAX_ID}
    note = {"type": "string", "maxLength": od.NOTE_MAX, "pattern": TEXT_PATTERN}
    rate = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    schemas = {
        "EventIn": {"type": "object", "additionalProperties": False,
                    "required": ["title", "category", "district", "level"],
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": od.TITLE_MAX,
                                  "pattern": NONBLANK_PATTERN},
                        "category": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NONBLANK_PATTERN},
                        "district": {"enum": districts}, "level": {"enum": list(LEVELS)},
                        "description": note,
                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180}},
                    "dependentRequired": {"lat": ["lon"], "lon": ["lat"]}},
        "Created": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        "Event": {"type": "object", "required": ["id", "title", "category", "district", "level", "orders", "open"],
                  "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                                 "category": {"type": "string"}, "district": {"type": "string"},
                                 "level": {"enum": list(LEVELS)}, "description": {"type": "string"},
                                 "lat": null_num, "lon": null_num, "warning_id": null_int,
                                 "origin": {"type": "string"}, "reported_by": {"type": "string"},
                                 "created_at": time_, "open": {"type": "boolean"},
                                 "orders": {"type": "array", "items": {"type": "object"}},
                                 "attachments": {"type": "array", "items": {"type": "object"}}}},
        "OrderIn": {"type": "object", "additionalProperties": False,
                    "properties": {"event_id": ident, "warning_id": ident,
                                   "department": {"enum": depts},
                                   "co_handlers": {"type": "array", "items": {"enum": depts}, "maxItems": len(depts)},
                                   "note": note},
                    "oneOf": [{"required": ["event_id", "department"], "not": {"required": ["warning_id"]}},
                              {"required": ["warning_id"], "not": {"required": ["event_id"]}}]},
        "OrderCreated": {"type": "object", "required": ["id", "state", "respond_by", "resolve_by"],
                         "properties": {"id": {"type": "integer"}, "state": {"enum": list(od.STATES)},
                                        "respond_by": time_, "resolve_by": time_, "event_id": {"type": "integer"},
                                        "department": {"type": "string"},
                                        "ids": {"type": "array", "items": {"type": "integer"}}}},
        "ActionIn": {"type": "object", "additionalProperties": False, "required": ["action"],
                     "properties": {"action": {"enum": list(od.ACTIONS)}, "note": note,
                                    "until": {"type": "string", "pattern": params.TIME_PATTERN}}},
        "ActionDone": {"type": "object", "required": ["id", "state"],
                       "properties": {"id": {"type": "integer"}, "state": {"enum": list(od.STATES)},
                                      "version": {"type": "integer"}, "respond_by": time_, "resolve_by": time_,
                                      "extension_until": null_time}},
        "Order": {"type": "object", "required": ["id", "event_id", "department", "state", "respond_by",
                                                 "resolve_by", "overdue"],
                  "properties": {"id": {"type": "integer"}, "event_id": {"type": "integer"},
                                 "title": {"type": "string"}, "category": {"type": "string"},
                                 "district": {"type": "string"}, "level": {"enum": list(LEVELS)},
                                 "warning_id": null_int, "department": {"type": "string"},
                                 "role": {"enum": ["lead", "co"]}, "state": {"enum": list(od.STATES)},
                                 "version": {"type": "integer"}, "dispatched_by": {"type": "string"},
                                 "dispatched_at": time_, "respond_by": time_, "resolve_by": time_,
                                 "accepted_at": null_time, "finished_at": null_time, "closed_at": null_time,
                                 "returned_at": null_time, "result": null_str, "reopened": {"type": "integer"},
                                 "extension_until": null_time, "respond_escalation": {"type": "integer"},
                                 "resolve_escalation": {"type": "integer"}, "redispatch_of": null_int,
                                 "overdue": {"type": "boolean"}, "overdue_clock": {"enum": ["respond", "resolve", None]},
                                 "history": {"type": "array", "items": ref("HistoryEntry")}}},
        "Scorecard": {"type": "object",
                      "required": ["orders", "accepted_on_time_rate", "resolved_on_time_rate", "mean_hours_to_resolve",
                                   "p90_hours_to_resolve", "reopened_rate", "returned_rate", "overdue_open"],
                      "properties": {"department": {"type": "string"}, "district": {"type": "string"},
                                     "name_zh": {"type": "string"}, "name_en": {"type": "string"},
                                     "orders": {"type": "integer"}, "accepted_on_time_rate": rate,
                                     "resolved_on_time_rate": rate, "mean_hours_to_resolve": null_num,
                                     "p90_hours_to_resolve": null_num, "reopened_rate": rate, "returned_rate": rate,
                                     "overdue_open": {"type": "integer"}, "counts": {"type": "object"}}},
        "Scorecards": {"type": "object", "required": ["items", "from", "to", "by"],
                       "properties": {"items": {"type": "array", "items": ref("Scorecard")}, "from": time_,
                                      "to": time_, "by": {"enum": list(GROUPS)}}},
    }
    schemas["OrderPage"] = list_of("#/components/schemas/Order", keyset=False)

    def body(schema: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}

    def answer(code: str, what: str, schema: str) -> dict[str, Any]:
        return {code: {"description": what, "content": {"application/json": {"schema": ref(schema)}}}}

    conflict = {"409": {"description": "the action does not apply to the order as it stands (the reason)",
                        "content": {"application/json": {"schema": ref("Error")}}}}
    post_errors = {e: errors[e] for e in ("400", "401", "403", "404", "413", "415", "429")}
    get_errors = {e: errors[e] for e in ("400", "401", "403", "404", "429")}
    eid = param("id", ident, "event id", "path")
    oid = param("id", ident, "order id", "path")
    paths = {
        "/events": {"post": {"summary": "Report an event (事件) — the command centre's tokens",
                             "requestBody": body("EventIn"),
                             "responses": {**answer("201", "reported", "Created"), **post_errors}}},
        "/events/{id}": {"get": {"summary": "One event with its orders (those the token may see) and attachments",
                                 "parameters": [eid],
                                 "responses": {**answer("200", "OK", "Event"), **get_errors}}},
        "/orders": {
            "post": {"summary": "Dispatch an event, or a warning (its event made on first use), to a department",
                     "requestBody": body("OrderIn"),
                     "responses": {**answer("201", "dispatched", "OrderCreated"), **conflict, **post_errors}},
            "get": {"summary": "Work orders the token may see, overdue first, then by the running deadline",
                    "parameters": [param("state", {"enum": list(od.STATES)}, "state"),
                                   param("department", {"enum": depts}, "department"),
                                   param("district", {"type": "string", "minLength": 1, "maxLength": CODE_MAX,
                                                      "pattern": CODE_PATTERN}, "district code"),
                                   param("overdue", {"enum": ["true", "false"]}, "only orders late now"), *page],
                    "responses": {**answer("200", "OK", "OrderPage"), **get_errors}}},
        "/orders/{id}": {"get": {"summary": "One work order with its history", "parameters": [oid],
                                 "responses": {**answer("200", "OK", "Order"), **get_errors}}},
        "/orders/{id}/actions": {"post": {
            "summary": "Act on an order: " + ", ".join(od.ACTIONS) + f" (a note is required for "
                       f"{', '.join(NOTE_REQUIRED)}; until for extend)",
            "parameters": [oid], "requestBody": body("ActionIn"),
            "responses": {**answer("200", "done", "ActionDone"), **conflict, **post_errors}}},
        "/events/{id}/attachments": {"post": {
            "summary": "Attach a photo or PDF to an event (the raw bytes; type checked by content, at most "
                       "10 MB) — the centre, or the head of a department with an order on it",
            "parameters": [eid, param("filename", {"type": "string", "minLength": 1, "maxLength": 200,
                                                   "pattern": CODE_PATTERN}, "the file's name"),
                           param("order_id", ident, "the order the file documents")],
            "requestBody": {"required": True, "content": {k: {"schema": {"type": "string", "format": "binary"}}
                                                          for k in ("image/jpeg", "image/png", "application/pdf")}},
            "responses": {"201": {"description": "kept", "content": {"application/json": {"schema": {
                "type": "object", "required": ["id"], "properties": {
                    "id": {"type": "integer"}, "event_id": {"type": "integer"}, "order_id": null_int}}}}},
                **post_errors}}},
        "/attachments/{id}": {"get": {
            "summary": "An attachment's bytes, to a token that may see its event (404 otherwise)",
            "parameters": [param("id", ident, "attachment id", "path")],
            "responses": {"200": {"description": "the file", "content": {
                k: {"schema": {"type": "string", "format": "binary"}}
                for k in ("image/jpeg", "image/png", "application/pdf")}}, **get_errors}}},
        "/scorecards": {"get": {"summary": "监督考核: per department (or district) over [from, to), default the "
                                           "last 30 days (to not after from: an empty period, no orders)",
                                "parameters": [*times, param("by", {"enum": list(GROUPS)}, "group by")],
                                "responses": {**answer("200", "OK", "Scorecards"), **get_errors}}},
    }
    return schemas, paths
