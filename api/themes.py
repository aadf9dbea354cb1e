"""API v1 for the themes (专题, issue 20): the list, indicator values and observations.

* ``GET /api/v1/themes`` — codes, names, owner, entities and indicators (units, kinds,
  levels, the factor a % quotient is shown with), the themes the token may read;
* ``GET /api/v1/indicators/<theme>.<indicator>`` — hour or day values with the envelope,
  fields and keyset paging of the other indicator routes (``value`` in the indicator's
  unit; a share or ratio as a fraction, ``display_factor`` says ×100 for "%");
  ``entity=``, ``district=``, ``category=``, ``grain=``, ``from=``, ``to=``;
* ``GET /api/v1/observations/<theme>`` — the stored readings and events, oldest first.

The routes join :data:`api.routes.bp`; the two shared paths (``/indicators/<name>``,
``/observations/<domain>``) hand a theme's name over to :func:`theme_indicator` and
:func:`theme_observations`.
"""

from __future__ import annotations

from typing import Any

import flask
from sqlalchemy import select

from access.roles import allowed
from api import params
from api.auth import principal, require
from api.errors import ApiError
from api.paging import Key
from api.routes import _check_district, _district_of, _page, _window, bp
from api.serialize import period_fields
from api.serialize import value as ser_value
from citybrain import context
from store.schema import indicators, theme_obs
from themes.compute import places
from themes.queries import LEVEL_NAMES
from themes.spec import Theme

GRAINS = ("hour", "day")


def _theme(code: str) -> Theme:
    theme = context.settings().theme(code)
    if theme is None:
        codes = [t.code for t in context.settings().themes]
        raise ApiError(404, f"unknown theme {code!r}; use one of {', '.join(codes) or '(none configured)'}")
    return theme


def describe(theme: Theme) -> dict[str, Any]:
    """A theme as ``/themes`` lists it."""
    ents: Any = theme.entities
    if isinstance(ents, list):
        ents = [{"code": e.code, "name_zh": e.name_zh, "name_en": e.name_en, "district": e.district, "lat": e.lat,
                 "lon": e.lon, "attrs": e.attrs} for e in ents]
    return {
        "code": theme.code, "name_zh": theme.name_zh, "name_en": theme.name_en, "owner_zh": theme.owner_zh,
        "owner_en": theme.owner_en, "max_age_seconds": theme.max_age.total_seconds(), "entities": ents,
        "overview": theme.overview,
        "indicators": [{"code": i.code, "name": theme.metric(i.code), "name_zh": i.name_zh, "name_en": i.name_en,
                        "unit": i.unit, "kind": i.kind, "agg": i.aggregation, "decimals": i.decimals,
                        "display_factor": i.display_factor, "direction": i.direction, "levels": i.levels,
                        "forecast": i.forecast, "overview": i.overview} for i in theme.indicators],
    }


@bp.get("/themes")
def themes_list() -> Any:
    p = principal()
    limit, offset = params.page()
    items = [describe(t) for t in context.settings().themes if allowed(p, "api", t.code)]
    return flask.jsonify(params.envelope(items[offset:offset + limit], len(items), limit, offset))


def theme_indicator(name: str) -> Any:
    """``/indicators/<theme>.<indicator>``: the rows of one theme indicator."""
    code, _, ind_code = name.partition(".")
    theme = _theme(code)
    try:
        ind = theme.indicator(ind_code)
    except KeyError:
        raise ApiError(404, f"theme {code} has no indicator {ind_code!r}; use one of "
                            f"{', '.join(theme.metric(i.code) for i in theme.indicators)}") from None
    p = require(theme.code)
    # month and quarter are the other indicators' grains: allowed by the shared document, and
    # a theme has no rows of them (its values are hours and days)
    grain = params.choice("grain", (*GRAINS, "month", "quarter"), "hour") or "hour"
    entity, category, district = params.text("entity"), params.text("category"), _district_of(p)
    _check_district(district)
    if entity and category:
        raise ApiError(400, "give entity or category, not both")
    start, end = _window()
    tz = context.settings().tz
    where = places(context.settings(), theme)
    c = indicators.c
    q = select(indicators).where(c.name == theme.metric(ind.code), c.grain == grain)
    if entity:
        if entity not in where.index:
            raise ApiError(404, f"theme {code} has no entity {entity!r}")
        if district and where.at[entity, "district"] != district:
            raise ApiError(404, f"entity {entity} lies outside district {district}")
        kind = "entity" if theme.own_entities else {"districts": "district", "city": "city"}.get(
            str(theme.entities), "entity")
        q = q.where(c.scope_kind == kind, c.scope == ("" if kind == "city" else entity))
    elif category:
        if district:
            raise ApiError(400, "categories are city-wide; leave district out")
        q = q.where(c.scope_kind == "category", c.scope == category)
    elif district:
        q = q.where(c.scope_kind == "district", c.scope == district)
    else:
        q = q.where(c.scope_kind == "city")
    q = _within(q, c.time, start, end)
    # (name, grain) are fixed, so (time, scope_kind, scope) is the rest of the primary key: strict
    page = _page(q, [Key(c.time, "time", "time"), Key(c.scope_kind, "scope_kind"), Key(c.scope, "scope")])
    items = []
    for r in page.rows:
        detail = r.get("detail") if isinstance(r.get("detail"), dict) else {}
        kind = r["scope_kind"]
        item = {k: ser_value(v, tz) for k, v in detail.items()}
        item.update({"time": ser_value(r["time"], tz), "grain": r["grain"], "scope_kind": kind,
                     "entity": r["scope"] if kind == "entity" else (r["scope"] if entity and kind == "district"
                                                                    else None),
                     "district": (r["scope"] if kind == "district" else
                                  where["district"].get(r["scope"]) if kind == "entity" else district),
                     "category": r["scope"] if kind == "category" else None,
                     "value": ser_value(r["value"]), "level": r["level"],
                     "level_name": LEVEL_NAMES[r["level"]] if r["level"] is not None else None,
                     "unit": ind.unit, **period_fields(r["time"], r["grain"], tz)})
        items.append(item)
    return flask.jsonify(page.envelope(items))


def theme_observations(code: str) -> Any:
    """``/observations/<theme>``: the theme's stored rows, oldest first."""
    theme = _theme(code)
    p = require(theme.code)
    entity, district = params.text("entity"), _district_of(p)
    _check_district(district)
    start, end = _window()
    tz = context.settings().tz
    where = places(context.settings(), theme)
    c = theme_obs.c
    q = select(c.time, c.entity, c.ref, c.category, c.vals, c.source, c.source_updated_at).where(c.theme == theme.code)
    if entity:
        q = q.where(c.entity == entity)
    if district:
        q = q.where(c.entity.in_([e for e, d in where["district"].items() if d == district]))
    q = _within(q, c.time, start, end)
    page = _page(q, [Key(c.time, "time", "time"), Key(c.entity, "entity"), Key(c.ref, "ref")])
    items = []
    for r in page.rows:
        item = {"time": ser_value(r["time"], tz), "entity": r["entity"],
                "district": where["district"].get(r["entity"]), "id": r["ref"] or None, "category": r["category"],
                "source": r["source"], "source_updated_at": ser_value(r["source_updated_at"], tz)}
        item.update({k: ser_value(v) for k, v in (r["vals"] or {}).items()})
        items.append(item)
    return flask.jsonify(page.envelope(items))


def _within(q: Any, column: Any, start: Any, end: Any) -> Any:
    """``q`` limited to [start, end) on ``column`` (either end open when None)."""
    if start is not None:
        q = q.where(column >= start)
    return q if end is None else q.where(column < end)


def openapi_parts(settings: Any, ref: Any, page: list[dict[str, Any]], list_of: Any,
                  errors: dict[str, Any]) -> tuple[dict, dict]:
    """The themes' schemas and ``/themes`` for :func:`api.openapi.openapi_document` (theme
    codes and ``<theme>.<indicator>`` names join the enums of the shared paths there)."""
    schemas = {
        "Theme": {"type": "object", "required": ["code", "name_zh", "name_en", "owner_zh", "indicators", "entities"],
                  "properties": {"code": {"type": "string"}, "name_zh": {"type": "string"},
                                 "name_en": {"type": "string"}, "owner_zh": {"type": "string"},
                                 "owner_en": {"type": "string"}, "max_age_seconds": {"type": "number"},
                                 "overview": {"type": "boolean"},
                                 "entities": {"description": "the theme's own entities, or the name of the city list "
                                                             "it uses (stations, sites, segments, districts, city)"},
                                 "indicators": {"type": "array", "items": {"type": "object", "properties": {
                                     "code": {"type": "string"}, "name": {"type": "string",
                                                                          "description": "<theme>.<indicator>"},
                                     "unit": {"type": "string"}, "kind": {"enum": ["measured", "count", "share",
                                                                                    "ratio"]},
                                     "display_factor": {"type": "number", "description": "show value × this in unit"
                                                                                         " (100 for a % quotient)"},
                                     "levels": {"type": ["object", "null"]}}}}}},
        "ThemeObservation": {"type": "object", "additionalProperties": True,
                             "required": ["time", "entity", "district", "id", "category", "source"],
                             "description": "a stored reading or event; then one member per mapped field"},
    }
    schemas["ThemePage"] = list_of("#/components/schemas/Theme", keyset=False)
    schemas["ThemeObservationPage"] = list_of("#/components/schemas/ThemeObservation")
    paths = {
        "/themes": _get("The city's themes (专题) this token may read: indicators, units, entities", page,
                        ref("ThemePage"), errors, ("400", "401", "429")),
    }
    return schemas, paths


def _get(summary: str, parameters: list[dict], schema: dict, errors: dict[str, Any], codes: tuple[str, ...]) -> dict:
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                                  **{e: errors[e] for e in codes}}}}


def theme_metrics(settings: Any) -> list[str]:
    """Every theme indicator's API name: ``<theme>.<indicator>``."""
    return [t.metric(i.code) for t in settings.themes for i in t.indicators]
