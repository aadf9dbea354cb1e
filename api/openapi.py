"""The OpenAPI 3.1 document of API v1, built from the same constants the routes use."""

from __future__ import annotations

from typing import Any

from alerts.levels import LEVEL_NAMES
from api.params import CODE_MAX, CODE_PATTERN, DEFAULT_LIMIT, MAX_BODY, MAX_LIMIT, MAX_OFFSET, TIME_PATTERN
from citybrain.settings import DOMAINS

NULL_STR = {"type": ["string", "null"]}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
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


PAGE = [_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
               "rows per page"),
        _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "rows to skip")]
#: a calendar date or a date and time (to the minute or second, an optional fraction and
#: offset): what :func:`api.params.instant` reads, as a pattern so that the document
#: allows exactly what the API accepts
TIME = {"type": "string", "pattern": TIME_PATTERN}
TIMES = [_param("from", TIME, "start (inclusive): ISO 8601 / RFC 3339 date or time, e.g. 2026-11-01, "
                              "2026-11-01T08:00:00+08:00, 2026-11-01T00:00:00Z; UTC if no offset"),
         _param("to", TIME, "end (exclusive), as from")]
CODE = {"type": "string", "minLength": 1, "maxLength": CODE_MAX, "pattern": CODE_PATTERN}
DISTRICT = _param("district", CODE, "district code (leave out for all)")
ENTITY = _param("entity", CODE, "station / segment / site / indicator / category code (leave out for all)")


def _list_of(item_ref: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "total", "limit", "offset", "next"],
            "properties": {"items": {"type": "array", "items": {"$ref": item_ref}}, "total": {"type": "integer"},
                           "limit": {"type": "integer"}, "offset": {"type": "integer"}, "next": NULL_STR}}


def _get(summary: str, parameters: list[dict], schema: dict, errors: tuple[str, ...] = ("400", "401", "403", "429")) -> dict:
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                                  **{e: ERRORS[e] for e in errors}}}}


def openapi_document(settings: Any) -> dict[str, Any]:
    from api.routes import GRAINS, HANDLINGS, INDICATORS, MAX_ID, NOTE_MAX, STATES

    schemas = {
        "Error": {"type": "object", "required": ["message", "status"],
                  "properties": {"message": {"type": "string"}, "status": {"type": "integer"}}},
        "Source": {"type": "object", "required": ["name", "domain", "status", "last_attempt", "last_success",
                                                   "watermark", "lag_seconds", "rows_read", "rows_written",
                                                   "rows_quarantined", "last_error"],
                   "properties": {"name": {"type": "string"}, "domain": {"enum": list(DOMAINS)},
                                  "status": {"type": "string"}, "last_attempt": NULL_TIME, "last_success": NULL_TIME,
                                  "watermark": NULL_STR, "lag_seconds": NULL_NUM,
                                  "rows_read": {"type": "integer"}, "rows_written": {"type": "integer"},
                                  "rows_quarantined": {"type": "integer"}, "last_error": NULL_STR}},
        "Observation": {"type": "object", "additionalProperties": True,
                        "description": "one cleaned canonical row of the domain (DESIGN.md canonical shapes)"},
        "IndicatorRow": {"type": "object", "additionalProperties": True,
                         "required": ["time", "entity", "value", "level", "category"],
                         "properties": {"time": {"type": "string", "format": "date-time"}, "entity": NULL_STR,
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
        schemas[f"{name}Page"] = _list_of(f"#/components/schemas/{name}")
    ref = lambda n: {"$ref": f"#/components/schemas/{n}"}  # noqa: E731
    wid = _param("id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "warning id", "path")
    paths = {
        "/sources": _get("Every configured source with status, watermark, lag and cumulative counts", PAGE,
                         ref("SourcePage")),
        "/observations/{domain}": _get(
            "Cleaned canonical rows of a domain (times in UTC)",
            [_param("domain", {"enum": list(DOMAINS)}, "domain", "path"), ENTITY, DISTRICT, *TIMES, *PAGE],
            ref("ObservationPage"), ("400", "401", "403", "404", "429")),
        "/indicators/{name}": _get(
            "Indicator rows; no entity = city-wide (aqi rows carry iaqi, primary, standard)",
            [_param("name", {"enum": list(INDICATORS)}, "indicator", "path"), ENTITY, DISTRICT,
             _param("grain", {"enum": list(GRAINS)}, "period length"), *TIMES, *PAGE],
            ref("IndicatorRowPage"), ("400", "401", "403", "404", "429")),
        "/vital-signs": _get("The vital-signs index with the contribution of each component",
                             [DISTRICT, *TIMES, *PAGE], ref("IndicatorRowPage"), ("400", "401", "403", "404", "429")),
        "/warnings": _get("Warnings, newest first, with their history",
                          [_param("state", {"enum": list(STATES)}, "condition state"),
                           _param("level", {"enum": list(LEVEL_NAMES)}, "level"),
                           _param("domain", {"enum": list(DOMAINS)}, "domain"), DISTRICT, *TIMES, *PAGE],
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
    return {
        "openapi": "3.1.0",
        "info": {"title": f"citybrain API — {settings.city.name_en}", "version": "1.0.0",
                 "description": "The city's indicators for other systems. Bearer tokens: `citybrain token create`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
