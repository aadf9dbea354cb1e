"""API v1 for the forecasts (决策支持, issue 22).

* ``GET /api/v1/forecasts/<indicator>?entity=&district=&grain=&horizon=`` — the served
  points ``{time, value, lo80, hi80, lo95, hi95}`` from the first period after the
  series' last observation (times in the city's clock with their offset), with the model,
  whether the seasonal-naive baseline serves, the last observation and its age, and the
  backtest's accuracy; in the envelope of the other list routes.
* ``GET /api/v1/forecasts/<indicator>/accuracy?entity=&district=&grain=`` — ``{model,
  baseline: "seasonal_naive", mase, smape, coverage80, coverage95, origins, horizon, …}``.
* ``GET /api/v1/forecast-warnings/hit-rate`` — how many fired forecast warnings ("预计")
  were confirmed by the value itself within their window.

Which series: ``tourism_present`` and ``aqi`` / ``pm25`` need ``entity`` (a site, a
station: there is no city-wide series, 404); ``tpi`` takes ``district`` (none: the city); ``hotline_calls`` takes ``entity``
(a category) or ``district`` (neither: the city) and ``grain`` hour or day; a theme's
``<theme>.<indicator>`` marked ``forecast = true`` takes ``entity`` (none: the city).
A token limited to a district gets 403 for another district's series; a department
token 403 for another domain's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask

from api import params
from api.auth import require
from api.errors import ApiError
from api.routes import _check_district, bp
from api.serialize import value as ser_value
from citybrain import context
from forecast.read import Forecast, forecast
from forecast.series import Spec, district_of, find, indicator_names, specs

UTC = dt.timezone.utc
GRAINS = ("hour", "day")
#: entity kind each forecast indicator's ``entity`` names (none: entity not accepted)
ENTITY_KIND = {"tourism_present": "site", "aqi": "station", "pm25": "station", "hotline_calls": "category",
               "tpi": None}


def _resolve(indicator: str) -> tuple[Spec, str]:
    """The series a request names: (spec, scope), or 400/403/404 saying what to fix."""
    settings = context.settings()
    if indicator not in indicator_names(settings):
        raise ApiError(404, f"no forecast for {indicator!r}; use one of {', '.join(indicator_names(settings))}")
    grains = sorted({s.grain for s in specs(settings) if s.indicator == indicator})
    grain = params.choice("grain", GRAINS, "hour") or "hour"
    if grain not in grains:
        raise ApiError(404, f"no {grain} forecast of {indicator}; it is forecast by {' and '.join(grains)}")
    entity, district = params.text("entity"), params.text("district")
    theme = "." in indicator
    kind = "entity" if theme else ENTITY_KIND.get(indicator)
    if entity and district and kind not in ("site", "station"):
        raise ApiError(404, f"no forecast of {indicator} per {kind} and district; send one of entity and district")
    if entity:
        if kind is None:
            raise ApiError(404, f"no per-entity forecast of {indicator}; filter with district (none: the city)")
        scope_kind, scope = kind, entity
    elif district and not theme and find(settings, indicator, grain, "district"):
        _check_district(district)
        scope_kind, scope = "district", district
    elif find(settings, indicator, grain, "city"):
        scope_kind, scope = "city", ""
    else:
        raise ApiError(404, f"no city-wide forecast of {indicator}; it is forecast per {kind}: "
                            f"send entity=<{kind} code>")
    spec = find(settings, indicator, grain, scope_kind)
    if spec is None:
        raise ApiError(404, f"no {grain} forecast of {indicator} per {scope_kind}")
    if scope_kind in ("site", "station"):
        pool = settings.sites if scope_kind == "site" else settings.stations
        if scope not in {e.code for e in pool}:
            raise ApiError(404, f"unknown {scope_kind} {scope!r}; see the city's {scope_kind}s in its config")
        if district and district_of(settings, scope_kind, scope) != district:
            raise ApiError(404, f"{scope_kind} {scope} is not in district {district}")
    p = require(spec.domain)
    if p.district:
        inside = district_of(settings, scope_kind, scope)
        if inside != p.district:
            raise ApiError(403, f"this token is limited to district {p.district}")
    return spec, scope


def _head(spec: Spec, scope: str, f: Forecast | None) -> dict[str, Any]:
    settings = context.settings()
    tz = settings.tz
    now = dt.datetime.now(UTC)
    out: dict[str, Any] = {
        "indicator": spec.indicator, "grain": spec.grain, "scope": spec.scope_kind,
        "entity": scope if spec.scope_kind not in ("city", "district") else None,
        "district": scope if spec.scope_kind == "district" else district_of(settings, spec.scope_kind, scope),
        "unit": spec.unit, "model": None, "baseline_serves": None, "last_observation": None,
        "age_seconds": None, "made_at": None, "note_zh": spec.note_zh or None, "note_en": spec.note_en or None}
    if f is not None:
        out.update({"model": f.model, "baseline_serves": f.fallback, "last_observation": ser_value(f.last_obs, tz),
                    "age_seconds": int(f.age(now, spec.period).total_seconds()),
                    "made_at": ser_value(f.made_at, tz)})
    return out


def _window(acc: dict[str, Any], grain: str) -> float | None:
    """Days the backtest's errors span (``weeks`` is the window asked for; a short history covers less)."""
    from forecast.read import window_days

    days = window_days(acc, grain)
    return round(days, 2) if days is not None else None


def _num(v: Any) -> float | None:
    return None if v is None or v != v else round(float(v), 4)


@bp.get("/forecasts/<indicator>/accuracy")
def forecast_accuracy(indicator: str) -> Any:
    spec, scope = _resolve(indicator)
    settings = context.settings()
    f = forecast(settings, context.engine(), spec.indicator, grain=spec.grain, scope_kind=spec.scope_kind,
                 scope=scope, horizon=0)
    acc = dict(f.accuracy) if f is not None else {}
    return flask.jsonify({
        **_head(spec, scope, f),
        "model": acc.get("model", f.model if f else None), "baseline": "seasonal_naive",
        "mase": acc.get("mase"), "smape": acc.get("smape"), "coverage80": acc.get("coverage80"),
        "coverage95": acc.get("coverage95"), "origins": acc.get("origins", 0), "horizon": acc.get("horizon"),
        "weeks": acc.get("weeks"), "days": _window(acc, spec.grain), "baseline_mase": acc.get("baseline_mase"),
        "better_than_baseline": acc.get("better_than_baseline"), "by_horizon": acc.get("by_horizon"),
        "candidates": acc.get("candidates")})


@bp.get("/forecasts/<indicator>")
def forecast_points(indicator: str) -> Any:
    spec, scope = _resolve(indicator)
    # hours: up to 48; a daily series serves 14 days, and asks for more get what there is
    horizon = min(params.whole("horizon", spec.horizon if spec.grain == "day" else 24, 1, 48), spec.horizon)
    limit, offset = params.page()
    settings = context.settings()
    tz = settings.tz
    f = forecast(settings, context.engine(), spec.indicator, grain=spec.grain, scope_kind=spec.scope_kind,
                 scope=scope, horizon=horizon)
    items = []
    if f is not None:
        for r in f.points.itertuples(index=False):
            items.append({"time": ser_value(r.time.to_pydatetime(), tz), "value": _num(r.value),
                          "lo80": _num(r.lo80), "hi80": _num(r.hi80), "lo95": _num(r.lo95), "hi95": _num(r.hi95)})
    body = params.envelope(items[offset:offset + limit], len(items), limit, offset)
    acc = f.accuracy if f is not None else {}
    body.update(_head(spec, scope, f))
    body["accuracy"] = {k: acc.get(k) for k in ("model", "mase", "smape", "coverage80", "coverage95", "origins",
                                                "horizon", "weeks", "baseline_mase", "better_than_baseline")} \
        | {"baseline": "seasonal_naive", "days": _window(acc, spec.grain)}
    return flask.jsonify(body)


@bp.get("/forecast-warnings/hit-rate")
def forecast_hit_rate() -> Any:
    p = require("warnings")
    from forecast.warn import hit_rate

    days = params.whole("days", 0, 0, 3660) or None  # 0 / none: every fired 预计 warning
    rate = hit_rate(context.settings(), context.engine(), district=p.district,
                    domains=list(p.domains) if p.role == "department" else None, days=days)
    return flask.jsonify(rate)


def openapi_parts(settings: Any, ref: Any, errors: dict[str, Any], param: Any) -> tuple[dict, dict]:
    """Schemas and paths of the forecast routes for :func:`api.openapi.openapi_document`."""
    zone = str(settings.city.timezone)
    num = {"type": ["number", "null"]}
    names = indicator_names(settings)
    point = {"type": "object", "required": ["time", "value", "lo80", "hi80", "lo95", "hi95"],
             "properties": {"time": {"type": "string", "format": "date-time",
                                     "description": f"start of the period, the city's clock with offset ({zone})"},
                            "value": num, "lo80": num, "hi80": num, "lo95": num, "hi95": num}}
    head = {"indicator": {"type": "string"}, "grain": {"enum": list(GRAINS)}, "scope": {"type": "string"},
            "entity": {"type": ["string", "null"]}, "district": {"type": ["string", "null"]},
            "model": {"type": ["string", "null"]},
            "baseline_serves": {"type": ["boolean", "null"],
                                "description": "true: no model beat the seasonal-naive baseline on this series' "
                                               "backtest (or none ran yet), and the baseline's forecast is served"},
            "last_observation": {"type": ["string", "null"], "format": "date-time",
                                 "description": "the newest complete observed period; points start after it"},
            "age_seconds": {"type": ["integer", "null"], "description": "how old that observation is"},
            "note_zh": {"type": ["string", "null"]}, "note_en": {"type": ["string", "null"],
                                                                 "description": "what accuracy to expect (air quality: "
                                                                                "no weather forecast is used)"}}
    accuracy = {"type": "object", "required": ["model", "baseline", "mase", "smape", "coverage80", "coverage95",
                                               "origins", "horizon"],
                "properties": {**head, "baseline": {"const": "seasonal_naive"},
                               "mase": {**num, "description": "mean absolute error over the rolling-origin "
                                                               "backtest, scaled by the in-sample seasonal-naive "
                                                               "error (< 1: better than the baseline's scale)"},
                               "smape": num, "coverage80": num, "coverage95": num,
                               "origins": {"type": "integer"}, "horizon": {"type": ["integer", "null"]},
                               "weeks": {"type": ["integer", "null"], "description": "weeks of origins asked for"},
                               "days": {**num, "description": "days the backtest's errors actually span (first "
                                                              "origin to the last origin's horizon end): what "
                                                              "the page's 近N周/近N天 says"},
                               "baseline_mase": num,
                               "better_than_baseline": num}}
    page = {"type": "object", "required": ["items", "total", "limit", "offset", "next"],
            "properties": {"items": {"type": "array", "items": ref("ForecastPoint")}, "total": {"type": "integer"},
                           "limit": {"type": "integer"}, "offset": {"type": "integer"},
                           "next": {"type": ["string", "null"]}, **head, "accuracy": {"type": "object"}}}
    hit = {"type": "object", "required": ["fired", "scored", "confirmed", "hit_rate"],
           "properties": {"fired": {"type": "integer"}, "scored": {"type": "integer"},
                          "confirmed": {"type": "integer"}, "hit_rate": num, "by_rule": {"type": "object"},
                          "days": {"type": ["integer", "null"], "description": "the window asked for (none: all)"}}}
    from api.openapi import CODE as code  # what api.params.text accepts
    from api.openapi import PAGE  # the same bounds api.params.page enforces
    common = [param("indicator", {"enum": names}, "forecast indicator (or <theme>.<indicator>)", "path"),
              param("entity", code, "site (tourism_present), station (aqi, pm25), category (hotline_calls), "
                                    "theme entity"),
              param("district", code, "district (tpi, hotline_calls); none: the city"),
              param("grain", {"enum": list(GRAINS)}, "hour (default) or day (hotline_calls)")]
    err = {e: errors[e] for e in ("400", "401", "403", "404", "429")}

    def get(summary: str, parameters: list, schema: dict) -> dict:
        return {"get": {"summary": summary, "parameters": parameters,
                        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                                      **err}}}

    paths = {
        "/forecasts/{indicator}": get(
            "Forecast points with 80/95 % intervals from the period after the last observation",
            [*common, param("horizon", {"type": "integer", "minimum": 1, "maximum": 48},
                            "periods ahead (hours: ≤ 48, default 24; days: 14 at most are served)"),
             *PAGE],
            ref("ForecastPage")),
        "/forecasts/{indicator}/accuracy": get(
            "The served model's rolling-origin backtest against the seasonal-naive baseline", common,
            ref("ForecastAccuracy")),
        "/forecast-warnings/hit-rate": get(
            "Share of fired forecast warnings (预计) confirmed by the value",
            [param("days", {"type": "integer", "minimum": 0, "maximum": 3660},
                   "only warnings fired in the last days (the warnings center shows 30); 0 or none: all")],
            ref("ForecastHitRate")),
    }
    return {"ForecastPoint": point, "ForecastPage": page, "ForecastAccuracy": accuracy, "ForecastHitRate": hit}, paths
