"""交通 — road traffic for the transport bureau: TPI (GB/T 33171) by hour with the peaks
marked, the most congested segments, congestion episodes, districts, the segment map.

URL: ``/traffic?district=<code>&range=…&detail=<segment>``.

"Incidents": the canonical traffic shape has no incidents table, so the page shows the
congestion episodes derived from ``speed_ratio`` (consecutive hours a segment was 中度/严重
拥堵) and the traffic warnings; source incidents need a canonical shape of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import dcc

from citybrain import context
from citybrain.i18n import pick, t
from components.citymap import grade_color
from components.page.callbacks import Rendered, register
from components.page.chart import graph_config
from components.page.kpi import Kpi, base_frame, change
from components.page.layout import ChartSpec, PageSpec, domain_layout
from components.page.series import bucket, local_label, max_or_none, mean_or_none
from components.page.view import View, resolve
from components.table import table
from figures.page_charts import bar_figure, hour_profile_figure, line_figure, localize_dates
from forecast.band import trend_band  # issue 22: the forecast band after the observed TPI
from metrics.traffic import LINK_GRADES as GRADES
from store.queries.domains import indicator_frame

dash.register_page(__name__, path="/traffic", nav="nav.traffic", order=10)

CONGESTED = ("中度拥堵", "严重拥堵")
GRADE_EN = dict(zip(GRADES, ("Free flow", "Basically free", "Light congestion", "Moderate congestion",
                             "Severe congestion"), strict=True))
#: morning and evening peak windows (local hours) in which the busiest hour is marked
PEAK_WINDOWS = ((6, 10), (16, 20))

SPEC = PageSpec(
    prefix="traffic", domain="traffic", row_id="key", map_layers=("districts", "segments"),
    charts=(ChartSpec("trend", "traffic.chart.trend", "traffic.hint.trend", span=8),
            ChartSpec("hours", "traffic.chart.hours", "traffic.hint.hours", span=4),
            ChartSpec("segments", "traffic.chart.segments", "page.hint.drill", span=6, height=340),
            ChartSpec("districts", "traffic.chart.districts", span=6, height=340)),
    drill_charts=("segments",), table_title="traffic.table",
    columns=[{"field": "segment", "headerName": "traffic.col.segment", "maxWidth": 110},
             {"field": "name", "headerName": "traffic.col.name"},
             {"field": "district", "headerName": "page.col.district"},
             {"field": "start", "headerName": "traffic.col.start"},
             {"field": "end", "headerName": "traffic.col.end"},
             {"field": "hours", "headerName": "traffic.col.hours", "type": "numericColumn"},
             {"field": "worst", "headerName": "traffic.col.worst"},
             {"field": "min_ratio", "headerName": "traffic.col.min_ratio", "type": "numericColumn"}],
)


def layout(**kwargs: Any) -> Any:
    return domain_layout(SPEC, context.settings(), View.from_query(kwargs), context.lang())


def grade_label(grade: str | None, lang: str) -> str:
    return (GRADE_EN.get(grade or "", grade or "") if lang == "en" else grade) or "—"


def peak_hours(profile: list[float | None]) -> list[int]:
    """The busiest hour inside each peak window (早高峰 6–10 时, 晚高峰 16–20 时)."""
    out = []
    for lo, hi in PEAK_WINDOWS:
        vals = [(profile[h], h) for h in range(lo, hi) if profile[h] is not None]
        if vals:
            out.append(max(vals)[1])
    return out


def episodes(ratios: pd.DataFrame) -> pd.DataFrame:
    """Congestion episodes: runs of consecutive hours a segment was 中度拥堵 or 严重拥堵.

    ``ratios``: speed_ratio rows (scope, time, value, category). One row per run with
    start, end (exclusive), hours, worst grade and lowest ratio; longest first.
    """
    cols = ["segment", "start", "end", "hours", "worst", "min_ratio"]
    if ratios.empty:
        return pd.DataFrame(columns=cols)
    bad = ratios[ratios["category"].isin(CONGESTED)].sort_values(["scope", "time"])
    rows = []
    for seg, g in bad.groupby("scope"):
        run_id = (g["time"].diff() != pd.Timedelta("1h")).cumsum()
        for _, r in g.groupby(run_id):
            worst = max(r["category"], key=GRADES.index)
            rows.append({"segment": seg, "start": r["time"].iloc[0], "end": r["time"].iloc[-1] + pd.Timedelta("1h"),
                         "hours": len(r), "worst": worst, "min_ratio": round(float(r["value"].min()), 2)})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["hours", "min_ratio"], ascending=[False, True]).reset_index(drop=True)


def congested_ranking(ratios: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The segments with the most 中度/严重拥堵 hours (``bad``), then the lowest mean ratio.

    Only segments that were congested at least one hour: a window without congestion
    gives an empty ranking (the chart says so) rather than ten zero-length bars.
    """
    if ratios.empty:
        return pd.DataFrame(columns=["mean", "bad"])
    per = ratios.groupby("scope").agg(mean=("value", "mean"),
                                      bad=("category", lambda c: int(c.isin(CONGESTED).sum())))
    per = per[per["bad"] > 0]
    return per.sort_values(["bad", "mean"], ascending=[False, True]).head(top)


def render(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> Rendered:
    tz = settings.tz
    w = resolve(view, tz, now)
    kind, scope = ("district", view.district) if view.district else ("city", "")
    tpi = indicator_frame(engine, "tpi", "hour", kind, w.start, w.end, scope)
    wk = base_frame(tpi, indicator_frame(engine, "tpi", "hour", kind, w.shifted(7).start, w.shifted(7).end, scope))
    yr = base_frame(tpi, indicator_frame(engine, "tpi", "hour", kind, w.shifted(364).start, w.shifted(364).end, scope))
    segs = [s for s in settings.segments if not view.district or s.district == view.district]
    codes = [s.code for s in segs]
    ratios = indicator_frame(engine, "speed_ratio", "hour", "segment", w.start, w.end)
    ratios = ratios[ratios["scope"].isin(codes)] if not ratios.empty else ratios
    rw = indicator_frame(engine, "speed_ratio", "hour", "segment", w.shifted(7).start, w.shifted(7).end)
    rw = base_frame(ratios, rw[rw["scope"].isin(codes)] if not rw.empty else rw)

    def share(df: pd.DataFrame) -> float | None:
        return float(df["category"].isin(CONGESTED).mean()) if not df.empty else None

    mean, mean_w, mean_y = (mean_or_none(f["value"]) if not f.empty else None for f in (tpi, wk, yr))
    peak, peak_w, peak_y = (max_or_none(f["value"]) if not f.empty else None for f in (tpi, wk, yr))
    cong, cong_w = share(ratios), share(rw)
    last = tpi.dropna(subset=["value"]).iloc[-1] if not tpi.dropna(subset=["value"]).empty else None
    eps = episodes(ratios)
    nothing = "—"
    kpis = [
        Kpi("now", t("traffic.kpi.now", lang), f"{last['value']:.1f}" if last is not None else nothing,
            grade_label(last["category"], lang) if last is not None else "", better="down"),
        Kpi("mean", t("traffic.kpi.mean", lang), f"{mean:.2f}" if mean is not None else nothing,
            wow=change(mean, mean_w), yoy=change(mean, mean_y), better="down"),
        Kpi("peak", t("traffic.kpi.peak", lang), f"{peak:.1f}" if peak is not None else nothing,
            wow=change(peak, peak_w), yoy=change(peak, peak_y), better="down"),
        Kpi("congested", t("traffic.kpi.congested", lang), f"{cong * 100:.1f}" if cong is not None else nothing, "%",
            wow=(cong - cong_w) if cong is not None and cong_w is not None else None, yoy=None, better="down",
            is_pp=True),
        Kpi("episodes", t("traffic.kpi.episodes", lang), str(len(eps)), note=t("traffic.kpi.episodes_note", lang)),
    ]
    empty = t("page.no_data", lang)
    trend = bucket(tpi, w.grain, tz)
    figures: dict[str, Any] = {"trend": line_figure(
        [("TPI", trend["x"], trend["value"])], y_title="TPI", y_range=(0, 10),
        refs=[(4, t("traffic.ref.light", lang), "#f08c00"), (6, t("traffic.ref.moderate", lang), "#e8590c"),
              (8, t("traffic.ref.severe", lang), "#c92a2a")], empty_text=empty, markers=w.grain != "hour")}
    trend_band(figures["trend"], settings, engine, "tpi", scope_kind=kind, scope=scope, window=w, now=now, lang=lang)
    profile: list[float | None] = [None] * 24
    if not tpi.empty:
        by_hour = tpi.assign(h=tpi["time"].dt.tz_convert(tz).dt.hour).groupby("h")["value"].mean()
        profile = [round(float(by_hour[h]), 2) if h in by_hour.index else None for h in range(24)]
    figures["hours"] = hour_profile_figure(profile, peak_hours(profile), peak_label=t("traffic.peak", lang),
                                           hour_suffix=t("page.hour_suffix", lang), y_title="TPI", empty_text=empty)
    names = {s.code: pick(s.name_zh, s.name_en, lang) for s in settings.segments}
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    per = congested_ranking(ratios)
    figures["segments"] = bar_figure([names.get(c, c) for c in per.index], list(per["bad"]), codes=list(per.index),
                                     horizontal=True, colors="#e8590c",
                                     text=[f"{t('traffic.ratio', lang)} {m:.2f}" for m in per["mean"]],
                                     empty_text=t("traffic.no_congestion", lang) if not ratios.empty else empty)
    dist = indicator_frame(engine, "tpi", "hour", "district", w.start, w.end)
    dmean = dist.groupby("scope")["value"].mean() if not dist.empty else pd.Series(dtype=float)
    shown = [d for d in settings.districts if d.code in dmean.index and (not view.district or d.code == view.district)]
    figures["districts"] = bar_figure([dnames[d.code] for d in shown], [round(float(dmean[d.code]), 2) for d in shown],
                                      colors="#4263eb", y_title="TPI", empty_text=empty)
    seg_district = {s.code: s.district for s in settings.segments}
    rows = [{"key": f"{r.segment}|{r.start.isoformat()}", "segment": r.segment, "name": names.get(r.segment, r.segment),
             "district": dnames.get(seg_district.get(r.segment, ""), ""),
             "start": local_label(r.start, tz, "%Y-%m-%d %H:%M"), "end": local_label(r.end, tz, "%Y-%m-%d %H:%M"),
             "hours": int(r.hours), "worst": grade_label(r.worst, lang), "min_ratio": r.min_ratio}
            for r in eps.itertuples()]
    latest = ratios.dropna(subset=["value"]).groupby("scope").tail(1) if not ratios.empty else ratios
    map_values = {"segments": {r.scope: {"c": grade_color(r.category)} for r in latest.itertuples()}}
    return Rendered(kpis, figures, rows, map_values,
                    dmc.Badge("GB/T 33171-2016", variant="outline", color="teal", className="cb-standard-badge"))


def detail(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """A segment's drill-down: speed and v/v_free over the window with the grade bands."""
    seg = next((s for s in settings.segments if s.code == view.detail), None)
    if seg is None:
        return t("page.detail_unknown", lang, code=view.detail), None
    tz = settings.tz
    w = resolve(view, tz, now)
    df = indicator_frame(engine, "speed_ratio", "hour", "segment", w.start, w.end, seg.code)
    x = [local_label(ts, tz, "%Y-%m-%d %H:%M") for ts in df["time"]] if not df.empty else []
    fig = line_figure([(t("traffic.ratio", lang), x, list(df["value"]) if not df.empty else [])], y_range=(0, 1.2),
                      refs=[(0.7, t("traffic.ref.r07", lang), "#82c91e"), (0.5, t("traffic.ref.r05", lang), "#f08c00"),
                            (0.3, t("traffic.ref.r03", lang), "#c92a2a")], empty_text=t("page.no_data", lang))
    eps = episodes(df.assign(scope=seg.code)) if not df.empty else episodes(df)
    tbl = table([t("traffic.col.start", lang), t("traffic.col.hours", lang), t("traffic.col.worst", lang)],
                [[local_label(r.start, tz), str(r.hours), grade_label(r.worst, lang)] for r in eps.head(10).itertuples()],
                className="cb-detail-table")
    facts = t("traffic.detail.facts", lang, ff=f"{seg.free_flow_kmh:.0f}", length=f"{seg.length_km:.1f}")
    title = dmc.Group([dmc.Text(t("traffic.detail.title", lang, name=pick(seg.name_zh, seg.name_en, lang)), fw=700,
                                size="lg"), dmc.Badge(seg.code, variant="outline"), dmc.Text(facts, size="sm", c="dimmed")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang), style={"height": "300px"}),
                                        span={"base": 12, "lg": 8}), dmc.GridCol(tbl, span={"base": 12, "lg": 4})])


register(SPEC, render, detail)
