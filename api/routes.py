"""The routes of API v1: sources, observations, indicators, vital signs, warnings.

Every route reads the store through SQLAlchemy Core with bound parameters, filters by the
token's scope (a department token sees its domains, a district token its district) and
answers JSON in the city's clock (:mod:`api.serialize`; ``from``/``to`` without an
offset are local, :func:`api.params.instant`); lists page by a signed keyset cursor in
their ``next`` link (:mod:`api.paging`), ``offset`` kept for old clients.
"""

from __future__ import annotations

from typing import Any

import flask
from sqlalchemy import Date, Integer, Select, and_, or_, select

from access.identity import address
from access.roles import Principal, allowed
from alerts import handling
from alerts.levels import LEVEL_NAMES
from api import paging, params
from api.auth import require
from api.errors import ApiError, register_handlers
from api.openapi import openapi_document
from api.paging import Key
from api.serialize import period_fields
from api.serialize import row as ser
from api.serialize import value as ser_value
from citybrain import context
from citybrain.errors import AccessRefused
from citybrain.settings import DOMAINS
from store.queries.sources import field_issue_counts, source_overview
from store.schema import entities, indicators, source_status, warning_events, warnings
from store.types import UTCDateTime

bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")
register_handlers(bp)  # at definition: a blueprint is set up once, then registered on every app

#: domain → (entity column, time column, entity kind in ``entities`` or None if the table has ``district``)
OBSERVATION_SHAPES: dict[str, tuple[str, str, str | None]] = {
    "environment": ("station", "time", "station"), "traffic": ("segment", "time", "segment"),
    "tourism": ("site", "time", "site"), "economy": ("indicator", "period_start", None),
    "hotline": ("category", "created_at", None),
}
#: indicator → (domain resource, entity scope kind)
INDICATORS: dict[str, tuple[str, str]] = {
    "aqi": ("environment", "station"), "tpi": ("traffic", "segment"), "speed_ratio": ("traffic", "segment"),
    "crowding": ("tourism", "site"), "hotline_calls": ("hotline", "category"),
    "hotline_answer_rate": ("hotline", "category"), "hotline_on_time_rate": ("hotline", "category"),
    "hotline_satisfaction": ("hotline", "category"), "economy": ("economy", "indicator"),
    "vital_signs": ("overview", "district"),
}
GRAINS = ("hour", "day", "month", "quarter")
STATES = ("pending", "firing", "recovering", "resolved")
HANDLINGS = ("unacknowledged", "acknowledged", "assigned", "closed")
ENTITY_KINDS = ("station", "segment", "site")
#: ids are the store's INTEGER keys (PostgreSQL int4): a larger one names no warning (404),
#: and must not reach the database, where binding it overflows (issue 17: ids ≥ 2⁶³ were 500s)
MAX_ID = 2**31 - 1
NOTE_MAX = handling.NOTE_MAX  # what the handling functions keep


@bp.before_request
def _options() -> Any:
    """``OPTIONS`` lists this resource's methods (Flask's own answer adds Dash's catch-all GET)."""
    if flask.request.method == "OPTIONS":
        from api import allowed_methods

        response = flask.current_app.response_class(status=200)
        response.headers["Allow"] = ", ".join(allowed_methods(flask.request.path))
        return response
    return None


def _page(q: Select, keys: list[Key]) -> paging.Page:
    with context.engine().connect() as conn:
        return paging.fetch(conn, q, keys)


def _window() -> tuple[Any, Any]:
    """``from`` and ``to`` as UTC instants; a bare date or a time without offset is the city's clock."""
    tz = context.settings().tz
    return params.instant("from", tz), params.instant("to", tz)


def _kind(column: Any) -> str:
    """How a key column travels in a cursor (:class:`api.paging.Key`)."""
    if isinstance(column.type, UTCDateTime):
        return "time"
    if isinstance(column.type, Date):
        return "date"
    return "int" if isinstance(column.type, Integer) else "text"


def _district_of(p: Principal) -> str | None:
    """The district the request is limited to: the token's, and a different one asked for is 403."""
    asked = params.text("district")
    if p.district and asked not in (None, p.district):
        raise ApiError(403, f"this token is limited to district {p.district}")
    return p.district or asked


def _check_district(code: str | None) -> None:
    if code is not None and code not in {d.code for d in context.settings().districts}:
        raise ApiError(404, f"unknown district {code!r}; see the city's districts in its config")


@bp.get("/openapi.json")
def openapi() -> Any:
    return flask.jsonify(openapi_document(context.settings()))


@bp.get("/sources")
def sources() -> Any:
    require("sources")
    limit, offset = params.page()
    with context.engine().connect() as conn:
        stored = {r.name: r._asdict() for r in conn.execute(select(source_status))}
    overview = source_overview(context.engine(), context.settings())
    tz = context.settings().tz
    issues: dict[str, list[dict[str, Any]]] = {}
    for r in field_issue_counts(context.engine()):
        issues.setdefault(r["source"], []).append(
            {"field": r["field"], "rule": r["rule"], "n": r["n"], "last_received": r["last_received"]})
    items = []
    for src in overview:
        st = stored.get(src["name"], {})
        items.append(ser({
            "name": src["name"], "domain": src["domain"], "status": src["status"],
            "last_attempt": src["last_attempt"], "last_success": src["last_success"],
            "watermark": st.get("watermark"), "lag_seconds": src["lag_seconds"],
            "rows_read": st.get("rows_read_total") or 0, "rows_written": st.get("rows_written_total") or 0,
            "rows_quarantined": st.get("rows_quarantined_total") or 0, "last_error": src["last_error"],
            "field_issues": issues.get(src["name"], [])}, tz))
    return flask.jsonify(params.envelope(items[offset:offset + limit], len(items), limit, offset))


@bp.get("/observations/<domain>")
def observations(domain: str) -> Any:
    if domain not in DOMAINS and context.settings().theme(domain) is not None:
        from api.themes import theme_observations  # issue 20

        return theme_observations(domain)
    if domain not in DOMAINS:
        raise ApiError(404, f"unknown domain {domain!r}; use one of {', '.join(DOMAINS)}")
    p = require(domain)
    from store.schema import OBSERVATIONS

    table = OBSERVATIONS[domain]
    entity_col, time_col, kind = OBSERVATION_SHAPES[domain]
    entity, district = params.text("entity"), _district_of(p)
    _check_district(district)
    start, end = _window()
    tz = context.settings().tz
    cols = [c for c in table.c if c.name != "ingested_at"]
    if kind is not None:
        q = select(*cols, entities.c.district).select_from(table.outerjoin(
            entities, and_(entities.c.kind == kind, entities.c.code == table.c[entity_col])))
        district_col = entities.c.district
    else:
        q = select(*cols)
        district_col = table.c.district
    if entity:
        q = q.where(table.c[entity_col] == entity)
    if district:
        q = q.where(district_col == district)
    tcol = table.c[time_col]
    if domain == "economy":  # periods start on the city's calendar days
        start, end = (start.astimezone(tz).date() if start else None), (end.astimezone(tz).date() if end else None)
    if start is not None:
        q = q.where(tcol >= start)
    if end is not None:
        q = q.where(tcol < end)
    order = list(dict.fromkeys([tcol, table.c[entity_col], *table.primary_key.columns]))  # ends with the key: strict
    page = _page(q, [Key(c, c.name, _kind(c)) for c in order])
    return flask.jsonify(page.envelope([ser(r, tz) for r in page.rows]))


def _indicator_rows(name: str, p: Principal, *, grain: str, entity_kind: str) -> Any:
    entity, district = params.text("entity"), _district_of(p)
    _check_district(district)
    start, end = _window()
    tz = context.settings().tz
    q = select(indicators).where(indicators.c.name == name, indicators.c.grain == grain)
    if entity:
        kinds = (entity_kind,) if name != "aqi" else ("station",)
        q = q.where(indicators.c.scope_kind.in_(kinds), indicators.c.scope == entity)
        if district and entity_kind in ENTITY_KINDS:
            inside = select(entities.c.code).where(entities.c.kind == entity_kind, entities.c.district == district)
            q = q.where(indicators.c.scope.in_(inside))
    elif district:
        q = q.where(indicators.c.scope_kind == "district", indicators.c.scope == district)
    elif name == "economy":
        q = q.where(indicators.c.scope_kind == "indicator")
    else:
        q = q.where(indicators.c.scope_kind == "city")
    if start is not None:
        q = q.where(indicators.c.time >= start)
    if end is not None:
        q = q.where(indicators.c.time < end)
    # (name, grain) are fixed above, so (time, scope_kind, scope) is the rest of the primary key: strict
    page = _page(q, [Key(indicators.c.time, "time", "time"), Key(indicators.c.scope_kind, "scope_kind"),
                     Key(indicators.c.scope, "scope")])
    items = []
    for r in page.rows:
        detail = r.get("detail") if isinstance(r.get("detail"), dict) else {}
        item = {k: ser_value(v, tz) for k, v in detail.items()
                if k not in ("time", "entity", "district", "value", "level", "category", "grain", "date", "period")}
        if name == "aqi":
            item.setdefault("iaqi", {})
            item.setdefault("primary", [])
            item.setdefault("standard", None)
        item.update({"time": ser_value(r["time"], tz), "grain": r["grain"], "scope_kind": r["scope_kind"],
                     "entity": r["scope"] if r["scope_kind"] not in ("city", "district") else None,
                     "district": r["scope"] if r["scope_kind"] == "district" else district,
                     "value": ser_value(r["value"]), "level": r["level"], "category": r["category"],
                     **period_fields(r["time"], r["grain"], tz)})
        items.append(item)
    return flask.jsonify(page.envelope(items))


@bp.get("/indicators/<name>")
def indicator(name: str) -> Any:
    if "." in name:  # <theme>.<indicator> (issue 20)
        from api.themes import theme_indicator

        return theme_indicator(name)
    if name not in INDICATORS:
        raise ApiError(404, f"unknown indicator {name!r}; use one of {', '.join(INDICATORS)}")
    resource, kind = INDICATORS[name]
    p = require(resource)
    default = "month" if name == "economy" else "hour"
    return _indicator_rows(name, p, grain=params.choice("grain", GRAINS, default) or default, entity_kind=kind)


@bp.get("/vital-signs")
def vital_signs() -> Any:
    p = require("overview")
    if params.text("entity"):
        raise ApiError(400, "vital-signs has no entity; filter with district")
    return _indicator_rows("vital_signs", p, grain="hour", entity_kind="district")


# ------------------------------------------------------------------------------ warnings

def _warning_item(r: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    return ser({
        "id": r["id"], "rule": r["rule"], "domain": r["domain"], "scope": r["scope_kind"],
        "entity": r["scope"] if r["scope_kind"] not in ("city", "district") else None,
        "district": r["district"] or (r["scope"] if r["scope_kind"] == "district" else None),
        "level": r["level"], "state": r["state"], "handling": r["handling"], "title_zh": r["title_zh"],
        "title_en": r["title_en"], "value": r["value"], "started_at": r["started_at"], "fired_at": r["fired_at"],
        "resolved_at": r["resolved_at"], "acknowledged_by": r["acknowledged_by"],
        "acknowledged_at": r["acknowledged_at"], "assigned_to": r["assigned_to"],
        "history": [{"at": h["at"], "kind": h["kind"], "from": h["from_value"], "to": h["to_value"],
                     "actor": h["actor"], "note": h["note"]} for h in history]}, context.settings().tz)


def _histories(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    with context.engine().connect() as conn:
        for e in conn.execute(select(warning_events).where(warning_events.c.warning_id.in_(ids))
                              .order_by(warning_events.c.at, warning_events.c.id)):
            out[e.warning_id].append(dict(e._mapping))
    return out


def _visible(p: Principal) -> list[Any]:
    """Conditions limiting warnings to what the token may see: its domains (department), its district."""
    conds: list[Any] = []
    if p.role == "department":
        conds.append(warnings.c.domain.in_(list(p.domains)))
    if p.district:
        conds.append(or_(warnings.c.district == p.district,
                         and_(warnings.c.scope_kind == "district", warnings.c.scope == p.district)))
    return conds


@bp.get("/warnings")
def warnings_list() -> Any:
    p = require("warnings")
    q = select(warnings).where(*_visible(p))
    state, level = params.choice("state", STATES), params.choice("level", LEVEL_NAMES)
    domain = params.choice("domain", [*DOMAINS, *(t.code for t in context.settings().themes)])
    district = _district_of(p)
    _check_district(district)
    start, end = _window()
    for col, v in ((warnings.c.state, state), (warnings.c.level, level), (warnings.c.domain, domain),
                   (warnings.c.district, district)):
        if v is not None:
            q = q.where(col == v)
    if start is not None:
        q = q.where(warnings.c.started_at >= start)
    if end is not None:
        q = q.where(warnings.c.started_at < end)
    page = _page(q, [Key(warnings.c.started_at, "started_at", "time", descending=True),
                     Key(warnings.c.id, "id", "int", descending=True)])  # newest first
    hist = _histories([r["id"] for r in page.rows])
    return flask.jsonify(page.envelope([_warning_item(r, hist[r["id"]]) for r in page.rows]))


def _one(p: Principal, warning_id: int) -> dict[str, Any]:
    if not 1 <= warning_id <= MAX_ID:
        raise ApiError(404, f"warning {warning_id} does not exist")
    with context.engine().connect() as conn:
        r = conn.execute(select(warnings).where(warnings.c.id == warning_id, *_visible(p))).first()
    if r is None:
        raise ApiError(404, f"warning {warning_id} does not exist or is outside this token's scope")
    return dict(r._mapping)


@bp.get("/warnings/<int:warning_id>")
def warning_detail(warning_id: int) -> Any:
    p = require("warnings")
    r = _one(p, warning_id)
    return flask.jsonify(_warning_item(r, _histories([warning_id])[warning_id]))


@bp.post("/warnings/<int:warning_id>/ack")
def warning_ack(warning_id: int) -> Any:
    p = require("warnings")
    body = params.json_object()
    note = body.get("note", "")
    if set(body) - {"note"} or not isinstance(note, str) or len(note) > NOTE_MAX or "\x00" in note:
        raise ApiError(400, f'send JSON like {{"note": "…"}} (note: text without NUL, at most {NOTE_MAX} characters)')
    r = _one(p, warning_id)
    if not allowed(p, "handle", r["domain"]):
        raise ApiError(403, f"this token ({p.role}) may not acknowledge {r['domain']} warnings")
    engine = context.engine()
    try:  # checks the token's principal again and writes the audit row with the change
        handling.acknowledge(engine, warning_id, actor=p, note=note, address=address())
    except AccessRefused as exc:
        raise ApiError(403, str(exc)) from None
    except handling.HandlingError as exc:
        raise ApiError(409, str(exc)) from None
    return flask.jsonify(_warning_item(_one(p, warning_id), _histories([warning_id])[warning_id]))
