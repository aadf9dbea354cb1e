"""The vital-signs panel: the index now, its sub-indices, its 24-hour trend, districts ranked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dash import html

from citybrain.i18n import pick, t
from citybrain.settings import DOMAINS, Settings
from components.citymap import index_color
from components.wall.fmt import age, hour_format, local_hhmm
from components.wall.ids import Fill, wid
from components.wall.ranking import Row, ranking, ranking_fill
from components.wall.trend import trend_fill, trend_panel
from figures.trend import trend_data


def level_key(value: float | None) -> str:
    """Index → a word a leader reads at a glance (thresholds match the map's shading)."""
    if value is None:
        return ""
    return "good" if value >= 70 else "fair" if value >= 55 else "poor"


def vital_panel(key: str, settings: Settings, lang: str, *, font_px: int) -> html.Div:
    subs = [html.Div([html.Span(t(f"wall.sub.{d}", lang), className="cb-sub-name"),
                      html.Span("—", id=wid("text", f"{key}.sub.{d}"), className="cb-sub-value")],
                     className="cb-sub") for d in DOMAINS]
    head = html.Div([
        html.Div([html.Span(t("wall.vital", lang), className="cb-vital-title"),
                  html.Span(html.Span(id=wid("text", f"{key}.level")), id=wid("class", f"{key}.level"),
                            className="cb-chip cb-empty")], className="cb-vital-head"),
        html.Div([html.Span("—", id=wid("text", f"{key}.value"), className="cb-vital-value"),
                  html.Div([html.Span(id=wid("text", f"{key}.asof.time")), html.Span(id=wid("text", f"{key}.asof.age"))],
                           className="cb-vital-asof")], className="cb-vital-main"),
        html.Div(subs, className="cb-subs"),
    ], className="cb-vital-block")
    return html.Div([
        head,
        trend_panel(f"{key}.trend", t("wall.vital_trend", lang), font_px=font_px, color="#4dabf7", y_range=(0, 100),
                    tick_format=hour_format(lang)),
        ranking(f"{key}.rank", t("wall.vital_rank", lang), min(len(settings.districts), 10)),
    ], className="cb-vital")


def district_missing(settings: Settings, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """district code → the index's sub-indices it has no current value for although they
    apply (the coverage rule of ``metrics.composite``): what a "数据不足" row names."""
    from metrics.composite import inputs_by_district, missing_sub_indices

    spec = settings.vital_signs_spec
    where = inputs_by_district(settings)
    station_d = {s.code: s.district for s in settings.stations}
    segment_d = {s.code: s.district for s in settings.segments}
    site_d = {s.code: s.district for s in settings.sites}
    have = {
        "aqi": {station_d.get(s["code"]) for s in (data.get("air") or {}).get("stations", [])},
        "tpi": {segment_d.get(s["code"]) for s in (data.get("traffic") or {}).get("segments", [])}
        | {d["code"] for d in (data.get("traffic") or {}).get("districts", [])},
        "crowding_max": {site_d.get(s["code"]) for s in (data.get("tourism") or {}).get("sites", [])},
    }
    calls = {c for c, _n in (data.get("hotline") or {}).get("districts", [])}
    economy = bool((data.get("economy") or {}).get("headline"))
    out = {}
    for d in settings.districts:
        present = {col: d.code in codes for col, codes in have.items()}
        applicable = {col: d.code in codes for col, codes in where.items()}
        for sub in spec.sub_indices:
            for i in sub.indicators:
                if i.source not in present:
                    present[i.source] = economy if sub.name == "economy" else d.code in calls
        out[d.code] = missing_sub_indices(spec, present, applicable)
    return out


def vital_fill(key: str, data: Mapping[str, Any] | None, *, settings: Settings, lang: str, now: dt.datetime,
               missing: Mapping[str, list[str]] | None = None) -> Fill:
    data = data or {}
    tz = settings.tz
    value = data.get("value")
    level = level_key(value)
    fill: Fill = {
        ("text", f"{key}.value"): "—" if value is None else f"{value:.1f}",
        ("text", f"{key}.level"): t(f"wall.vital.{level}", lang) if level else "",
        ("class", f"{key}.level"): f"cb-chip cb-vital-{level}" if level else "cb-chip cb-empty",
        ("text", f"{key}.asof.time"): t("wall.asof", lang, time=local_hhmm(data.get("time"), tz, now)),
        ("text", f"{key}.asof.age"): age(data.get("time"), now, lang),
    }
    subs = data.get("sub_indices") or {}
    for d in DOMAINS:
        v = subs.get(d)
        fill[("text", f"{key}.sub.{d}")] = "—" if v is None else f"{v:.0f}"
    fill |= trend_fill(f"{key}.trend", trend_data(data.get("series") or [], tz=tz))
    names = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    ranked = data.get("districts") or []
    rows = [Row(names.get(d["code"], d["code"]), f"{d['value']:.1f}", d["value"] / 100, index_color(d["value"]))
            for d in ranked]
    # a district whose sources cover too little of the index's weight has no index
    # (the composite's declared min_coverage); it is listed last as such, not left out
    have = {d["code"] for d in ranked}
    missing = missing or {}
    sep = "、" if lang != "en" else ", "
    rows += [Row(names[d.code], t("wall.vital.insufficient", lang) + (
                 t("wall.vital.lacks", lang, what=sep.join(t(f"wall.sub.{m}", lang) if m in DOMAINS else m for m in missing[d.code]))
                 if missing.get(d.code) else ""), None)
             for d in settings.districts if d.code not in have]
    fill |= ranking_fill(f"{key}.rank", rows, min(len(settings.districts), 10))
    return fill
