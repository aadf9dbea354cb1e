"""The OpenAPI 3.1 document of API v1, built from the same constants the routes use."""

from __future__ import annotations

from typing import Any

from alerts.levels import LEVEL_NAMES
from api.params import CODE_MAX, CODE_PATTERN, DEFAULT_LIMIT, MAX_BODY, MAX_LIMIT, MAX_OFFSET, TIME_PATTERN
from citybrain.settings import DOMAINS

NULL_STR = {"type": ["string", "null"]}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
PERIOD_PATTERN = "^[0-9]{4}-(?:[0-9]{2}(?:-[0-9]{2})?|Q[1-4])$"
NULL_NUM = {"type": ["number", "null"]}
ERRORS = {s: {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
          for s, d in (("400", "a parameter is wrong (the message names it)"), ("401", "no live token"),
                       ("403", "outside the token's role, domains or district"), ("404", "no such thing"),
                       ("413", f"the body is larger than {MAX_BODY} bytes"),
                       ("415", "the body is not application/json"),
                       ("429", "rate limit reached (see Retry-After)"))}


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


LIMIT = _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
               "rows per page")
OFFSET = _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "rows to skip")
PAGE = [LIMIT, OFFSET]
#: the lists paged by keyset: ``offset`` still works for old clients, ``next`` is the way
KEYSET_PAGE = [LIMIT, {**OFFSET, "deprecated": True,
                       "description": "rows to skip (old clients; its cost grows with the offset — follow next)"}]
NEXT = ("the link to the next page, null on the last: follow it as given. It carries a cursor naming the last "
        "row sent, signed by the server and bound to this query (a cursor not issued for it is a 400); pages "
        "keep their place while rows are written and cost the same at any depth")
#: a calendar date or a date and time (to the minute or second, an optional fraction and
#: offset): what :func:`api.params.instant` reads, as a pattern so that the document
#: allows exactly what the API accepts
TIME = {"type": "string", "pattern": TIME_PATTERN}


def _times(zone: str) -> list[dict[str, Any]]:
    return [_param("from", TIME, f"start (inclusive): an ISO 8601 / RFC 3339 date or time. A bare date or a time "
                                 f"without an offset is the city's clock ({zone}): 2015-12-01 is the city's day, "
                                 "2015-12-01T08:00 its eight o'clock; an offset is honoured (2015-12-01T00:00:00Z, "
                                 "2015-12-01T08:00:00+08:00)"),
            _param("to", TIME, "end (exclusive), read as from")]



CODE = {"type": "string", "minLength": 1, "maxLength": CODE_MAX, "pattern": CODE_PATTERN}
DISTRICT = _param("district", CODE, "district code (leave out for all)")
ENTITY = _param("entity", CODE, "station / segment / site / indicator / category code (leave out for all)")


def _list_of(item_ref: str, *, keyset: bool = True) -> dict[str, Any]:
    """A page of a list. Keyset lists count ``total`` on the first page only (``offset`` too is
    null on the pages a cursor reached): counting every page would cost the whole result again."""
    counted = {"type": ["integer", "null"]} if keyset else {"type": "integer"}
    return {"type": "object", "required": ["items", "total", "limit", "offset", "next"],
            "properties": {"items": {"type": "array", "items": {"$ref": item_ref}},
                           "total": {**counted, "description": "rows in the whole list (first page only)"
                                     if keyset else "rows in the whole list"},
                           "limit": {"type": "integer"}, "offset": counted,
                           "next": {**NULL_STR, "description": NEXT if keyset else "the link to the next page"}}}


def _get(summary: str, parameters: list[dict], schema: dict, errors: tuple[str, ...] = ("400", "401", "403", "429")) -> dict:
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                                  **{e: ERRORS[e] for e in errors}}}}


def openapi_document(settings: Any) -> dict[str, Any]:
    from api.routes import GRAINS, HANDLINGS, INDICATORS, MAX_ID, NOTE_MAX, STATES

    from api.themes import theme_metrics

    zone = str(settings.city.timezone)
    times = _times(zone)
    domains = [*DOMAINS, *(t.code for t in settings.themes)]  # issue 20: themes are domains here
    local_time = {"type": "string", "format": "date-time",
                  "description": f"the instant in the city's clock with its offset ({zone}), e.g. 2015-12-01T00:00:00+08:00"}

    schemas = {
        "Error": {"type": "object", "required": ["message", "status"],
                  "properties": {"message": {"type": "string"}, "status": {"type": "integer"}}},
        "Source": {"type": "object", "required": ["name", "domain", "status", "last_attempt", "last_success",
                                                   "watermark", "lag_seconds", "rows_read", "rows_written",
                                                   "rows_quarantined", "last_error", "field_issues"],
                   "properties": {"name": {"type": "string"}, "domain": {"enum": domains},
                                  "status": {"type": "string"}, "last_attempt": NULL_TIME, "last_success": NULL_TIME,
                                  "watermark": NULL_STR, "lag_seconds": NULL_NUM,
                                  "rows_read": {"type": "integer"}, "rows_written": {"type": "integer"},
                                  "rows_quarantined": {"type": "integer"}, "last_error": NULL_STR,
                                  "field_issues": {
                                      "type": "array", "description": "stored rows with a field left empty because the "
                                      "department's value was missing or unusable, per field and rule (issue 19)",
                                      "items": {"type": "object", "required": ["field", "rule", "n", "last_received"],
                                                "properties": {"field": {"type": "string"}, "rule": {"type": "string"},
                                                               "n": {"type": "integer"},
                                                               "last_received": NULL_TIME}}}}},
        "Observation": {"type": "object", "additionalProperties": True,
                        "description": "one cleaned canonical row of the domain (DESIGN.md canonical shapes); "
                                       f"its times in the city's clock with their offset ({zone})"},
        "IndicatorRow": {"type": "object", "additionalProperties": True,
                         "required": ["time", "entity", "value", "level", "category"],
                         "properties": {"time": {**local_time, "description": "start of the period, " + local_time[
                                            "description"]},
                                        "date": {"type": "string", "format": "date",
                                                 "description": "day rows: the city's calendar day, e.g. 2015-12-01"},
                                        "period": {"type": "string", "pattern": PERIOD_PATTERN,
                                                   "description": "day, month and quarter rows: the period as the city "
                                                                  "names it: 2015-12-01, 2015-12, 2015-Q4"},
                                        "entity": NULL_STR,
                                        "district": NULL_STR, "grain": {"type": "string"}, "value": NULL_NUM,
                                        "level": {"type": ["integer", "null"]}, "category": NULL_STR,
                                        "iaqi": {"type": "object"}, "primary": {"type": "array"},
                                        "standard": NULL_STR}},
        "HistoryEntry": {"type": "object", "properties": {
            "at": {"type": "string", "format": "date-time"}, "kind": {"type": "string"}, "from": NULL_STR,
            "to": NULL_STR, "actor": NULL_STR, "note": NULL_STR}},
        "Warning": {"type": "object", "required": ["id", "rule", "domain", "scope", "entity", "district", "level",
                                                    "state", "handling", "started_at", "fired_at", "resolved_at",
                                                    "history"],
                    "properties": {"id": {"type": "integer"}, "rule": {"type": "string"}, "domain": {"type": "string"},
                                   "scope": {"type": "string"}, "entity": NULL_STR, "district": NULL_STR,
                                   "level": {"enum": list(LEVEL_NAMES)}, "state": {"enum": list(STATES)},
                                   "handling": {"enum": list(HANDLINGS)}, "started_at": {"type": "string", "format": "date-time"},
                                   "fired_at": NULL_TIME, "resolved_at": NULL_TIME,
                                   "history": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryEntry"}}}},
    }
    for name in ("Source", "Observation", "IndicatorRow", "Warning"):
        schemas[f"{name}Page"] = _list_of(f"#/components/schemas/{name}", keyset=name != "Source")
    ref = lambda n: {"$ref": f"#/components/schemas/{n}"}  # noqa: E731
    wid = _param("id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "warning id", "path")
    paths = {
        "/sources": _get("Every configured source with status, watermark, lag and cumulative counts", PAGE,
                         ref("SourcePage")),
        "/observations/{domain}": _get(
            "Cleaned canonical rows of a domain, oldest first (times in the city's clock)",
            [_param("domain", {"enum": domains}, "domain or theme", "path"), ENTITY, DISTRICT, *times, *KEYSET_PAGE],
            ref("ObservationPage"), ("400", "401", "403", "404", "429")),
        "/indicators/{name}": _get(
            "Indicator rows; no entity = city-wide (aqi rows carry iaqi, primary, standard)",
            [_param("name", {"enum": [*INDICATORS, *theme_metrics(settings)]},
                    "indicator, or <theme>.<indicator> (hour and day)", "path"), ENTITY, DISTRICT,
             _param("grain", {"enum": list(GRAINS)}, "period length"), *times, *KEYSET_PAGE],
            ref("IndicatorRowPage"), ("400", "401", "403", "404", "429")),
        "/vital-signs": _get("The vital-signs index with the contribution of each component",
                             [DISTRICT, *times, *KEYSET_PAGE], ref("IndicatorRowPage"),
                             ("400", "401", "403", "404", "429")),
        "/warnings": _get("Warnings, newest first, with their history",
                          [_param("state", {"enum": list(STATES)}, "condition state"),
                           _param("level", {"enum": list(LEVEL_NAMES)}, "level"),
                           _param("domain", {"enum": domains}, "domain"), DISTRICT, *times, *KEYSET_PAGE],
                          ref("WarningPage"), ("400", "401", "403", "404", "429")),
        "/warnings/{id}": _get("One warning with its history", [wid], ref("Warning"), ("401", "403", "404", "429")),
        "/warnings/{id}/ack": {"post": {
            "summary": "Acknowledge a warning with a note",
            "parameters": [wid],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"note": {"type": "string", "maxLength": NOTE_MAX, "pattern": "^[^\\x00]*$"}}}}}},
            "responses": {"200": {"description": "acknowledged", "content": {"application/json": {"schema": ref("Warning")}}},
                          "409": {"description": "already acknowledged or closed",
                                  "content": {"application/json": {"schema": ref("Error")}}},
                          **{e: ERRORS[e] for e in ("400", "401", "403", "404", "413", "415", "429")}}}},
    }
    from api.dispatch import openapi_parts  # issue 21: events, orders, scorecards

    more_schemas, more_paths = openapi_parts(settings, ref, ERRORS, _param, times, PAGE, _list_of)
    schemas.update(more_schemas)
    paths.update(more_paths)
    from api.themes import openapi_parts as theme_parts  # issue 20: /themes

    more_schemas, more_paths = theme_parts(settings, ref, PAGE, _list_of, ERRORS)
    schemas.update(more_schemas)
    paths.update(more_paths)
    from api.forecast import openapi_parts as forecast_parts  # issue 22: /forecasts

    more_schemas, more_paths = forecast_parts(settings, ref, ERRORS, _param)
    schemas.update(more_schemas)
    paths.update(more_paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"citybrain API — {settings.city.name_en}", "version": "1.0.0",
                 "description": "The city's indicators for other systems. Bearer tokens: `citybrain token create`. "
                                f"Times are the city's clock ({zone}): a date or a time without an offset in a "
                                "query is local, and every time in an answer carries its offset. Lists page by "
                                "the next link (a signed keyset cursor)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
