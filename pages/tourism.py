"""文旅 — scenic-site crowding for the culture and tourism bureau: present visitors against
each site's maximum instantaneous capacity (LB/T 034-2014: warn at 80%, stop entry at 100%),
arrivals, capacity per site, districts, the site map.

URL: ``/tourism?district=<code>&range=…&detail=<site>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import dcc

from citybrain import context
from citybrain.i18n import format_number, percent, pick, t
from components.citymap import crowding_color
from components.page.callbacks import Rendered, register
from components.page.chart import graph_config
from components.page.kpi import Kpi, base_frame, change
from components.page.layout import ChartSpec, PageSpec, domain_layout
from components.page.series import bucket, local_label, max_or_none
from components.page.view import View, resolve
from components.table import table
from figures.page_charts import bar_figure, line_figure, localize_dates
from store.queries.domains import indicator_frame, tourism_obs

dash.register_page(__name__, path="/tourism", nav="nav.tourism", order=30)

WARN, STOP = 0.8, 1.0

SPEC = PageSpec(
    prefix="tourism", domain="tourism", row_id="code", map_layers=("districts", "sites"),
    charts=(ChartSpec("crowding", "tourism.chart.crowding", "tourism.hint.crowding", span=8, height=320),
            ChartSpec("peaks", "tourism.chart.peaks", "page.hint.drill", span=4, height=320),
            ChartSpec("arrivals", "tourism.chart.arrivals", span=8),
            ChartSpec("districts", "tourism.chart.districts", span=4)),
    drill_charts=("peaks",), table_title="tourism.table",
    columns=[{"field": "code", "headerName": "tourism.col.code", "maxWidth": 100},
             {"field": "name", "headerName": "tourism.col.name"},
             {"field": "district", "headerName": "page.col.district"},
             {"field": "grade", "headerName": "tourism.col.grade", "maxWidth": 90},
             {"field": "capacity", "headerName": "tourism.col.capacity", "type": "numericColumn"},
             {"field": "daily_capacity", "headerName": "tourism.col.daily", "type": "numericColumn"},
             {"field": "present", "headerName": "tourism.col.present", "type": "numericColumn"},
             {"field": "ratio", "headerName": "tourism.col.ratio", "type": "numericColumn"},
             {"field": "peak", "headerName": "tourism.col.peak", "type": "numericColumn"},
             {"field": "hours_warn", "headerName": "tourism.col.hours_warn", "type": "numericColumn"},
             {"field": "arrivals", "headerName": "tourism.col.arrivals", "type": "numericColumn"}],
)


def layout(**kwargs: Any) -> Any:
    return domain_layout(SPEC, context.settings(), View.from_query(kwargs), context.lang())


def _pct(v: float | None) -> str:
    """A card's ratio in the one percent format (17.2, unit "%"), as the table and exports hold it."""
    p = percent(v)
    return "—" if p is None else f"{p:.1f}"


def render(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> Rendered:
    tz = settings.tz
    w = resolve(view, tz, now)
    sites = [s for s in settings.sites if not view.district or s.district == view.district]
    codes = [s.code for s in sites]

    def crowd(a: dt.datetime, b: dt.datetime) -> pd.DataFrame:
        df = indicator_frame(engine, "crowding", "hour", "site", a, b)
        return df[df["scope"].isin(codes)] if not df.empty else df

    def gates(a: dt.datetime, b: dt.datetime) -> pd.DataFrame:
        df = tourism_obs(engine, a, b)
        return df[df["site"].isin(codes)] if not df.empty else df

    cr = crowd(w.start, w.end)
    ob = gates(w.start, w.end)
    ob_w = base_frame(ob, gates(w.shifted(7).start, w.shifted(7).end))
    ob_y = base_frame(ob, gates(w.shifted(364).start, w.shifted(364).end))
    cr_w = base_frame(cr, crowd(w.shifted(7).start, w.shifted(7).end))
    arrivals = float(ob["entries"].sum()) if not ob.empty else None
    arr_w = float(ob_w["entries"].sum()) if not ob_w.empty else None
    arr_y = float(ob_y["entries"].sum()) if not ob_y.empty else None
    peak, peak_w = (max_or_none(f["value"]) if not f.empty else None for f in (cr, cr_w))
    latest = cr.dropna(subset=["value"]).groupby("scope").tail(1).set_index("scope") if not cr.empty else None
    present = int(sum((latest.loc[c, "detail"] or {}).get("present", 0) for c in latest.index)) if latest is not None else None
    warn_hours = int((cr["value"] >= WARN).sum()) if not cr.empty else 0
    kpis = [
        Kpi("present", t("tourism.kpi.present", lang), format_number(present, lang), t("tourism.unit.people", lang)),
        Kpi("arrivals", t("tourism.kpi.arrivals", lang), format_number(arrivals, lang), t("tourism.unit.people", lang),
            wow=change(arrivals, arr_w), yoy=change(arrivals, arr_y), better=""),
        Kpi("peak", t("tourism.kpi.peak", lang), _pct(peak), "%", wow=change(peak, peak_w), yoy=None, better="down"),
        Kpi("warn", t("tourism.kpi.warn_hours", lang), str(warn_hours), t("tourism.unit.site_hours", lang),
            note=t("tourism.kpi.warn_note", lang)),
        Kpi("capacity", t("tourism.kpi.capacity", lang), format_number(sum(s.capacity for s in sites), lang),
            t("tourism.unit.people", lang), note=t("tourism.kpi.capacity_note", lang)),
    ]
    empty = t("page.no_data", lang)
    names = {s.code: pick(s.name_zh, s.name_en, lang) for s in settings.sites}
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    lines = []
    if not cr.empty:
        b = bucket(cr, w.grain, tz, how="max", by="scope")
        lines = [(names.get(c, c), g["x"], g["value"]) for c, g in b.groupby("scope")]
    refs = [(WARN, t("tourism.ref.warn", lang), "#f08c00"), (STOP, t("tourism.ref.stop", lang), "#c92a2a")]
    figures: dict[str, Any] = {"crowding": line_figure(lines, refs=refs, percent=True, empty_text=empty)}
    per = cr.groupby("scope")["value"].max() if not cr.empty else pd.Series(dtype=float)
    ranked = sorted(sites, key=lambda s: -float(per.get(s.code, 0) or 0))
    figures["peaks"] = bar_figure([names[s.code] for s in ranked], [per.get(s.code) for s in ranked],
                                  codes=[s.code for s in ranked], horizontal=True, percent=True, refs=refs,
                                  colors=[crowding_color(per.get(s.code)) for s in ranked], empty_text=empty)
    arr = bucket(ob.rename(columns={"entries": "value"}), "hour" if w.grain == "hour" else "day", tz, how="sum") \
        if not ob.empty else pd.DataFrame(columns=["x", "value"])
    figures["arrivals"] = bar_figure(list(arr["x"]), list(arr["value"]), colors="#1098ad",
                                     y_title=t("tourism.unit.people", lang), empty_text=empty)
    site_d = {s.code: s.district for s in settings.sites}
    by_d = ob.assign(d=ob["site"].map(site_d)).groupby("d")["entries"].sum() if not ob.empty else pd.Series(dtype=float)
    figures["districts"] = bar_figure([dnames.get(d, d) for d in by_d.index], list(by_d.values), colors="#7048e8",
                                      y_title=t("tourism.unit.people", lang), empty_text=empty)
    per_arr = ob.groupby("site")["entries"].sum() if not ob.empty else pd.Series(dtype=float)
    rows = []
    for s in ranked:
        lr = latest.loc[s.code] if latest is not None and s.code in latest.index else None
        rows.append({"code": s.code, "name": names[s.code], "district": dnames.get(s.district, s.district),
                     "grade": s.grade, "capacity": s.capacity, "daily_capacity": s.daily_capacity,
                     "present": (lr["detail"] or {}).get("present") if lr is not None else None,
                     # percentages (17.2), as the cards show them; the map colours by the ratio itself
                     "ratio": percent(float(lr["value"])) if lr is not None else None,
                     "peak": percent(float(per[s.code])) if s.code in per.index else None,
                     "_ratio": float(lr["value"]) if lr is not None else None,
                     "hours_warn": int((cr[cr["scope"] == s.code]["value"] >= WARN).sum()) if not cr.empty else 0,
                     "arrivals": int(per_arr.get(s.code, 0))})
    map_values = {"sites": {r["code"]: {"c": crowding_color(r["_ratio"]), "r": round(min(max(r["_ratio"], 0), 1.2), 3)}
                            for r in rows if r["_ratio"] is not None}}
    for r in rows:
        del r["_ratio"]
    return Rendered(kpis, figures, rows, map_values,
                    dmc.Badge("LB/T 034-2014", variant="outline", color="teal", className="cb-standard-badge"))


def detail(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """A site's drill-down: present visitors against C1 with the 80%/100% lines; hourly entries."""
    site = next((s for s in settings.sites if s.code == view.detail), None)
    if site is None:
        return t("page.detail_unknown", lang, code=view.detail), None
    tz = settings.tz
    w = resolve(view, tz, now)
    df = indicator_frame(engine, "crowding", "hour", "site", w.start, w.end, site.code)
    x = [local_label(ts, tz, "%Y-%m-%d %H:%M") for ts in df["time"]] if not df.empty else []
    present = [(d or {}).get("present") for d in df["detail"]] if not df.empty else []
    fig = line_figure([(t("tourism.col.present", lang), x, present)], y_title=t("tourism.unit.people", lang),
                      refs=[(site.capacity * WARN, t("tourism.ref.warn", lang), "#f08c00"),
                            (site.capacity * STOP, t("tourism.ref.stop", lang), "#c92a2a")],
                      empty_text=t("page.no_data", lang))
    if w.end >= now - dt.timedelta(hours=2):  # issue 22: the next hours' forecast band and its accuracy
        from figures.forecast import add_band
        from forecast.read import forecast

        add_band(fig, forecast(settings, engine, "tourism_present", scope_kind="site", scope=site.code, horizon=24),
                 lang=lang, tz=tz, now=now)
    top = df.sort_values("value", ascending=False).head(8) if not df.empty else df
    tbl = table([t("page.col.time", lang), t("tourism.col.present", lang), t("tourism.col.ratio", lang)],
                [[local_label(r.time, tz), format_number((r.detail or {}).get("present"), lang), _pct(r.value)]
                 for r in top.itertuples()], className="cb-detail-table")
    facts = t("tourism.detail.facts", lang, c1=format_number(site.capacity, lang),
              c2=format_number(site.daily_capacity, lang) if site.daily_capacity else "—",
              open=f"{site.opening[0]}–{site.opening[1]}")
    title = dmc.Group([dmc.Text(t("tourism.detail.title", lang, name=pick(site.name_zh, site.name_en, lang)), fw=700,
                                size="lg"), dmc.Badge(site.grade or site.code, variant="outline"),
                       dmc.Text(facts, size="sm", c="dimmed")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang), style={"height": "300px"}),
                                        span={"base": 12, "lg": 8}), dmc.GridCol(tbl, span={"base": 12, "lg": 4})])


register(SPEC, render, detail)
