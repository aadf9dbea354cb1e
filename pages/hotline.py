"""12345热线 — the citizen hotline: volume by category and district, hot issues, the KPIs
against GB/T 33358-2016 (answer within 15 s; 接通率 ≥ 95%), 按时办结率, 满意率, overdue tickets.

URL: ``/hotline?district=<code>&range=…&detail=<category>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import dcc

from citybrain import context
from citybrain.i18n import format_number, pick, t
from components.citymap import index_color
from components.page.callbacks import Rendered, register
from components.page.chart import graph_config
from components.page.kpi import Kpi, base_frame, change
from components.page.labels import category_label, status_label
from components.page.layout import ChartSpec, PageSpec, domain_layout
from components.page.series import bucket, local_label
from components.page.view import View, resolve
from components.table import table
from figures.page_charts import bar_figure, line_figure, localize_dates
from forecast.band import trend_band  # issue 22: the forecast band after the observed calls
from store.queries.domains import hotline_tickets, indicator_frame, overdue_tickets

dash.register_page(__name__, path="/hotline", nav="nav.hotline", order=50)

TARGET_RATE = 0.95  # GB/T 33358-2016: 24-hour connection rate ≥ 95%
ANSWER_SECONDS = 15  # GB/T 33358-2016: answer within 15 s
UNANSWERED = "未接通"

SPEC = PageSpec(
    prefix="hotline", domain="hotline", row_id="key", map_layers=("districts",),
    charts=(ChartSpec("trend", "hotline.chart.trend", span=8),
            ChartSpec("rates", "hotline.chart.rates", "hotline.hint.rates", span=4),
            ChartSpec("categories", "hotline.chart.categories", "hotline.hint.categories", span=6, height=340),
            ChartSpec("districts", "hotline.chart.districts", span=6, height=340)),
    drill_charts=("categories",), table_title="hotline.table",
    columns=[{"field": "ticket", "headerName": "hotline.col.ticket"},
             {"field": "category", "headerName": "hotline.col.category"},
             {"field": "district", "headerName": "page.col.district"},
             {"field": "created", "headerName": "hotline.col.created"},
             {"field": "due", "headerName": "hotline.col.due"},
             {"field": "overdue_h", "headerName": "hotline.col.overdue_h", "type": "numericColumn", "sort": "desc"},
             {"field": "status", "headerName": "hotline.col.status"}],
)


def layout(**kwargs: Any) -> Any:
    return domain_layout(SPEC, context.settings(), View.from_query(kwargs), context.lang())


def weighted_rates(days: pd.DataFrame) -> tuple[float | None, float | None]:
    """接通率 and 15秒接通率 over several days, weighted by calls offered (not a mean of rates)."""
    if days.empty:
        return None, None
    offered = sum((d or {}).get("offered", 0) for d in days["detail"])
    answered = sum((d or {}).get("answered", 0) for d in days["detail"])
    fast = sum((d or {}).get("answer_rate_15s", 0) * (d or {}).get("answered", 0) for d in days["detail"])
    if not offered:
        return None, None
    return answered / offered, (fast / answered if answered else None)


def render(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> Rendered:
    tz = settings.tz
    w = resolve(view, tz, now)
    kind, scope = ("district", view.district) if view.district else ("city", "")
    day0 = w.start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)
    calls = indicator_frame(engine, "hotline_calls", "hour", kind, w.start, w.end, scope)
    calls_w = base_frame(calls, indicator_frame(engine, "hotline_calls", "hour", kind, w.shifted(7).start,
                                                w.shifted(7).end, scope))
    calls_y = base_frame(calls, indicator_frame(engine, "hotline_calls", "hour", kind, w.shifted(364).start,
                                                w.shifted(364).end, scope))
    total, total_w, total_y = (float(f["value"].sum()) if not f.empty else None for f in (calls, calls_w, calls_y))

    def days(name: str, a: dt.datetime, b: dt.datetime) -> pd.DataFrame:
        return indicator_frame(engine, name, "day", kind, a, b, scope)

    ans = days("hotline_answer_rate", day0, w.end)
    ans_w = base_frame(ans, days("hotline_answer_rate", day0 - dt.timedelta(days=7), w.end - dt.timedelta(days=7)))
    rate, fast = weighted_rates(ans)
    rate_w, fast_w = weighted_rates(ans_w)
    ontime = days("hotline_on_time_rate", day0, w.end)
    sat = days("hotline_satisfaction", day0, w.end)
    on, sat_v = (float(f["value"].mean()) if not f.empty and f["value"].notna().any() else None for f in (ontime, sat))
    over = overdue_tickets(engine, now.replace(second=0, microsecond=0))
    if view.district and not over.empty:
        over = over[over["district"] == view.district]
    pct = lambda v: "—" if v is None else f"{v * 100:.1f}"  # noqa: E731
    pp = lambda a, b: None if a is None or b is None else a - b  # noqa: E731
    kpis = [
        Kpi("calls", t("hotline.kpi.calls", lang), format_number(total, lang), t("hotline.unit.calls", lang),
            wow=change(total, total_w), yoy=change(total, total_y)),
        Kpi("answer", t("hotline.kpi.answer", lang), pct(rate), "%", wow=pp(rate, rate_w), better="up", is_pp=True,
            note=t("hotline.kpi.answer_note", lang)),
        Kpi("fast", t("hotline.kpi.fast", lang), pct(fast), "%", wow=pp(fast, fast_w), better="up", is_pp=True,
            note=t("hotline.kpi.fast_note", lang)),
        Kpi("ontime", t("hotline.kpi.ontime", lang), pct(on), "%", better="up", is_pp=True),
        Kpi("satisfaction", t("hotline.kpi.satisfaction", lang), pct(sat_v), "%", better="up", is_pp=True),
        Kpi("overdue", t("hotline.kpi.overdue", lang), format_number(len(over), lang), t("hotline.unit.tickets", lang),
            better="down", note=t("hotline.kpi.overdue_note", lang)),
    ]
    empty = t("page.no_data", lang)
    trend = bucket(calls, w.grain, tz, how="sum")
    figures: dict[str, Any] = {"trend": line_figure([(t("hotline.kpi.calls", lang), trend["x"], trend["value"])],
                                                    y_title=t("hotline.unit.calls", lang), empty_text=empty,
                                                    markers=w.grain != "hour")}
    trend_band(figures["trend"], settings, engine, "hotline_calls", scope_kind=kind, scope=scope, window=w, now=now,
               lang=lang)
    # whole local dates: "MM-DD" strings were read by plotly as year-month (issue 18: Mar 4 – Apr 1 2012)
    dr = ans.assign(x=ans["time"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d")) if not ans.empty else ans
    figures["rates"] = line_figure(
        [(t("hotline.kpi.answer", lang), list(dr["x"]) if not dr.empty else [], list(dr["value"]) if not dr.empty else []),
         (t("hotline.kpi.fast", lang), list(dr["x"]) if not dr.empty else [],
          [(d or {}).get("answer_rate_15s") for d in dr["detail"]] if not dr.empty else []),
         (t("hotline.kpi.ontime", lang), [r.time.tz_convert(tz).strftime("%Y-%m-%d") for r in ontime.itertuples()],
          list(ontime["value"]) if not ontime.empty else [])],
        refs=[(TARGET_RATE, t("hotline.ref.target", lang), "#c92a2a")], percent=True, markers=True, empty_text=empty)
    tk = hotline_tickets(engine, w.start, w.end)
    prev = hotline_tickets(engine, w.start - (w.end - w.start), w.start)
    if view.district:
        tk = tk[tk["district"] == view.district] if not tk.empty else tk
        prev = prev[prev["district"] == view.district] if not prev.empty else prev
    cats = tk[tk["category"] != UNANSWERED]["category"].value_counts() if not tk.empty else pd.Series(dtype=int)
    pcats = prev["category"].value_counts() if not prev.empty else pd.Series(dtype=int)
    growth = [change(float(n), float(pcats.get(c, 0))) for c, n in cats.items()]
    figures["categories"] = bar_figure(
        [category_label(c, lang) for c in cats.index], list(cats.values), codes=list(cats.index), horizontal=True,
        colors=["#e03131" if g is not None and g >= 0.2 else "#4263eb" for g in growth],
        text=[f"{n} ({'+' if (g or 0) > 0 else ''}{g * 100:.0f}%)" if g is not None else str(n)
              for n, g in zip(cats.values, growth, strict=True)], empty_text=empty)
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    dcount = tk["district"].value_counts() if not tk.empty else pd.Series(dtype=int)
    figures["districts"] = bar_figure([dnames.get(d, d) for d in dcount.index], list(dcount.values), colors="#1098ad",
                                      y_title=t("hotline.unit.calls", lang), empty_text=empty)
    now_min = now.replace(second=0, microsecond=0)
    rows = [{"key": f"{r.category}|{r.ticket}", "ticket": r.ticket, "category": category_label(r.category, lang),
             "district": dnames.get(r.district, r.district), "created": local_label(r.created_at, tz, "%Y-%m-%d %H:%M"),
             "due": local_label(r.due_at, tz, "%Y-%m-%d %H:%M"),
             "overdue_h": round((now_min - r.due_at.to_pydatetime()).total_seconds() / 3600, 1),
             "status": status_label(r.status, settings, lang)} for r in over.itertuples()]
    drate = indicator_frame(engine, "hotline_on_time_rate", "day", "district", day0, w.end)
    dmean = drate.groupby("scope")["value"].mean() if not drate.empty else pd.Series(dtype=float)
    map_values = {"districts": {c: {"c": index_color(float(v) * 100)} for c, v in dmean.items() if v == v}}
    return Rendered(kpis, figures, rows, map_values,
                    dmc.Badge("GB/T 33358-2016", variant="outline", color="teal", className="cb-standard-badge"))


def detail(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """A category's drill-down: its daily calls over the window, and where they came from."""
    cat = view.detail or ""
    tz = settings.tz
    w = resolve(view, tz, now)
    df = indicator_frame(engine, "hotline_calls", "hour", "category", w.start, w.end, cat)
    b = bucket(df, w.grain, tz, how="sum")
    fig = line_figure([(category_label(cat, lang), b["x"], b["value"])], y_title=t("hotline.unit.calls", lang), markers=w.grain != "hour",
                      empty_text=t("page.no_data", lang))
    tk = hotline_tickets(engine, w.start, w.end)
    tk = tk[tk["category"] == cat] if not tk.empty else tk
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    by = tk.groupby("district").agg(n=("ticket", "count"), closed=("closed_at", "count")) if not tk.empty else None
    tbl = table([t("page.col.district", lang), t("hotline.unit.calls", lang), t("hotline.col.closed", lang)],
                [[dnames.get(d, d), str(int(r.n)), str(int(r.closed))] for d, r in by.iterrows()] if by is not None else [],
                className="cb-detail-table")
    title = dmc.Group([dmc.Text(t("hotline.detail.title", lang, name=category_label(cat, lang)), fw=700, size="lg"),
                       dmc.Badge(t("hotline.detail.count", lang, n=len(tk)), variant="light")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang), style={"height": "300px"}),
                                        span={"base": 12, "lg": 8}), dmc.GridCol(tbl, span={"base": 12, "lg": 4})])


register(SPEC, render, detail)
