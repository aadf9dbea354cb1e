"""经济 — the statistics bureau's monthly and quarterly indicators with 同比, 环比, 累计 and
累计同比, revisions marked (the newest revision is shown; every older one is kept).

URL: ``/economy?district=<code>&range=1y|2y|5y|custom&detail=<indicator code>``. The range
here is a span of reporting periods, not hours: statistics arrive monthly or quarterly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import dcc

from citybrain import context
from citybrain.i18n import format_number, format_percent, pick, t
from components.page.callbacks import Rendered, register
from components.page.chart import graph_config
from components.page.kpi import Kpi
from components.page.layout import ChartSpec, PageSpec, domain_layout
from components.page.view import ECONOMY_RANGES, View, resolve
from components.table import table
from figures.page_charts import bar_figure, dual_axis_figure, line_figure, localize_dates
from metrics.economy import growth
from store.queries.domains import economy_districts, economy_frame, economy_revisions

dash.register_page(__name__, path="/economy", nav="nav.economy", order=40)

SPEC = PageSpec(
    prefix="economy", domain="economy", row_id="key", map_layers=("districts", "labels"),
    ranges=ECONOMY_RANGES, default_range="2y",
    charts=(ChartSpec("monthly", "economy.chart.monthly", "economy.hint.yoy", span=6),
            ChartSpec("quarterly", "economy.chart.quarterly", "economy.hint.revised", span=6),
            ChartSpec("ytd", "economy.chart.ytd", span=6),
            ChartSpec("districts", "economy.chart.districts", span=6)),
    table_title="economy.table",
    columns=[{"field": "name", "headerName": "economy.col.name"},
             {"field": "period", "headerName": "economy.col.period", "sort": "desc"},
             {"field": "value", "headerName": "economy.col.value", "type": "numericColumn"},
             {"field": "unit", "headerName": "economy.col.unit", "maxWidth": 100},
             {"field": "yoy", "headerName": "economy.col.yoy", "type": "numericColumn"},
             {"field": "pop", "headerName": "economy.col.pop", "type": "numericColumn"},
             {"field": "ytd", "headerName": "economy.col.ytd", "type": "numericColumn"},
             {"field": "ytd_yoy", "headerName": "economy.col.ytd_yoy", "type": "numericColumn"},
             {"field": "revision", "headerName": "economy.col.revision"}],
)


def layout(**kwargs: Any) -> Any:
    return domain_layout(SPEC, context.settings(), View.from_query(kwargs, ranges=ECONOMY_RANGES, default_range="2y"),
                         context.lang())


def series(engine: Any, settings: Any, district: str | None) -> pd.DataFrame:
    """All indicators' periods for the city (computed indicators) or one district (its
    newest-revision statistics, with 同比/环比/累计 by ``metrics.economy.growth``)."""
    if not district:
        return economy_frame(engine)
    parts = []
    agg = {i.code: i.aggregation for i in settings.indicators}
    for ind in settings.indicators:
        raw = economy_districts(engine, ind.code)
        raw = raw[raw["district"] == district] if not raw.empty else raw
        if raw.empty:
            continue
        g = growth(raw.assign(indicator=ind.code)[["indicator", "period", "value", "revision"]], aggregation=agg)
        parts.append(g.rename(columns={"indicator": "code"}))
    if not parts:
        return economy_frame(engine).iloc[0:0]
    out = pd.concat(parts, ignore_index=True)
    out["grain"] = out["frequency"]
    return out


def _fmt(v: Any, digits: int = 2) -> float | None:
    return None if v is None or v != v else round(float(v), digits)


def _pct_text(v: Any) -> str:
    return format_percent(v, points=True, signed=True)


def render(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> Rendered:
    w = resolve(view, settings.tz, now)
    df = series(engine, settings, view.district)
    first = w.start.astimezone(settings.tz).strftime("%Y-%m")
    last_p = w.end.astimezone(settings.tz).strftime("%Y-%m")
    month_key = df["period"].map(lambda p: p if "Q" not in p else f"{p[:4]}-{int(p[-1]) * 3:02d}") if not df.empty else None
    shown = df[(month_key >= first) & (month_key <= last_p)] if not df.empty else df
    inds = sorted(settings.indicators, key=lambda i: (not i.headline, i.freq != "month"))
    kpis, rows = [], []
    for ind in inds:
        s = shown[shown["code"] == ind.code].sort_values("period") if not shown.empty else shown
        unit = pick(ind.unit_zh, ind.unit_en, lang)
        name = pick(ind.name_zh, ind.name_en, lang)
        if s.empty:
            kpis.append(Kpi(ind.code, name, "—", unit, compare_keys=("kpi.vs_yoy", "kpi.vs_pop")))
            continue
        r = s.iloc[-1]
        revised = (r.get("revision") or 1) > 1
        note = t("economy.kpi.note", lang, period=r["period"], ytd=format_number(_fmt(r["ytd"]), lang),
                 ytd_yoy=_pct_text(r["ytd_yoy"])) + (t("economy.revised_mark", lang) if revised else "")
        kpis.append(Kpi(ind.code, name, format_number(_fmt(r["value"]), lang), unit,
                        wow=None if r["yoy"] != r["yoy"] or r["yoy"] is None else r["yoy"] / 100,
                        yoy=None if r["pop"] != r["pop"] or r["pop"] is None else r["pop"] / 100,
                        better="down" if ind.code.upper().startswith("CPI") else "up", note=note,
                        compare_keys=("kpi.vs_yoy", "kpi.vs_pop")))
        for x in s.itertuples():
            rev = int(x.revision) if x.revision == x.revision and x.revision is not None else 1
            rows.append({"key": f"{ind.code}|{x.period}", "code": ind.code, "name": name, "period": x.period,
                         "value": _fmt(x.value), "unit": unit, "yoy": _fmt(x.yoy, 1), "pop": _fmt(x.pop, 1),
                         "ytd": _fmt(x.ytd), "ytd_yoy": _fmt(x.ytd_yoy, 1),
                         "revision": t("economy.revision_n", lang, n=rev) if rev > 1 else t("economy.first", lang)})
    empty = t("page.no_data", lang)
    monthly = [i for i in inds if i.freq == "month"]
    quarterly = [i for i in inds if i.freq == "quarter"]

    def line_of(ind: Any, col: str) -> tuple[str, list, list]:
        s = shown[shown["code"] == ind.code].sort_values("period") if not shown.empty else shown
        return pick(ind.name_zh, ind.name_en, lang), list(s["period"]) if not s.empty else [], \
            list(s[col]) if not s.empty else []

    zero = [(0, "", "#adb5bd")]
    figures: dict[str, Any] = {
        "monthly": line_figure([line_of(i, "yoy") for i in monthly], points=True, refs=zero, empty_text=empty),
        "ytd": line_figure([line_of(i, "ytd_yoy") for i in monthly], points=True, refs=zero, empty_text=empty,
                           markers=True),
    }
    if quarterly:
        q = quarterly[0]
        s = shown[shown["code"] == q.code].sort_values("period") if not shown.empty else shown
        figures["quarterly"] = dual_axis_figure(
            list(s["period"]), list(s["value"]), list(s["yoy"]), bar_name=pick(q.name_zh, q.name_en, lang),
            line_name=t("kpi.vs_yoy", lang) + " %", revised=[(v or 1) > 1 for v in s["revision"]],
            revised_label=t("economy.revised", lang), y_title=pick(q.unit_zh, q.unit_en, lang), empty_text=empty)
    map_values: dict[str, Any] = {}
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    for head in monthly + quarterly:  # the first indicator the bureau reports per district
        raw = economy_districts(engine, head.code)
        raw = raw[raw["district"].isin(list(dnames))] if not raw.empty else raw
        if not raw.empty:
            latest = raw[raw["period"] == raw["period"].max()]
            figures["districts"] = bar_figure([dnames[d] for d in latest["district"]], list(latest["value"]),
                                              colors=["#f08c00" if d == view.district else "#4263eb"
                                                      for d in latest["district"]], y_title=pick(head.unit_zh, head.unit_en, lang),
                                              text=[format_number(v, lang) for v in latest["value"]])
            figures["districts"].update_layout(title={"text": f"{pick(head.name_zh, head.name_en, lang)} · "
                                                              f"{latest['period'].iloc[0]}", "font": {"size": 12}},
                                               margin={"t": 30})
            map_values["labels"] = {r.district: {"t": format_number(r.value, lang)} for r in latest.itertuples()}
            break
    return Rendered(kpis, figures, rows, map_values, None)


def detail(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """An indicator's drill-down: its whole history (value, 同比, revisions) and every revision received."""
    ind = next((i for i in settings.indicators if i.code == view.detail), None)
    if ind is None:
        return t("page.detail_unknown", lang, code=view.detail), None
    df = series(engine, settings, view.district)
    s = df[df["code"] == ind.code].sort_values("period") if not df.empty else df
    fig = dual_axis_figure(list(s["period"]), list(s["value"]), list(s["yoy"]), bar_name=pick(ind.name_zh, ind.name_en, lang),
                           line_name=t("kpi.vs_yoy", lang) + " %", revised=[(v or 1) > 1 for v in s["revision"]],
                           revised_label=t("economy.revised", lang), y_title=pick(ind.unit_zh, ind.unit_en, lang),
                           empty_text=t("page.no_data", lang))
    revs = economy_revisions(engine, ind.code, view.district or settings.city.code)
    revs = revs[revs["period"].isin(revs.loc[revs["revision"] > 1, "period"])].head(12) if not revs.empty else revs
    tbl = table([t("economy.col.period", lang), t("economy.col.revision", lang), t("economy.col.value", lang)],
                [[r.period, str(r.revision), format_number(r.value, lang)] for r in revs.itertuples()],
                className="cb-detail-table")
    title = dmc.Group([dmc.Text(t("economy.detail.title", lang, name=pick(ind.name_zh, ind.name_en, lang)), fw=700,
                                size="lg"), dmc.Badge(t(f"economy.freq.{ind.freq}", lang), variant="light"),
                       dmc.Badge(ind.code, variant="outline")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang), style={"height": "300px"}),
                                        span={"base": 12, "lg": 8}),
                            dmc.GridCol([dmc.Text(t("economy.revisions", lang), fw=600, size="sm"), tbl],
                                        span={"base": 12, "lg": 4})])


register(SPEC, render, detail)
