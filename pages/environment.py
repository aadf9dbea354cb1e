"""环境 — air quality for the environment bureau: AQI (HJ 633) by hour and day, the AQI
calendar, pollutant breakdown and primary pollutant, stations, the edition used.

URL: ``/environment?district=<code>&range=today|24h|7d|30d|custom&start=&end=&detail=<station>``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import dcc

from citybrain import context
from citybrain.i18n import percent, pick, t
from components.page.callbacks import Rendered, register
from components.page.chart import graph_config
from components.page.kpi import Kpi, base_frame, change
from components.page.layout import ChartSpec, PageSpec, domain_layout
from components.page.series import bucket, local_label, max_or_none, mean_or_none
from components.page.view import View, Window, resolve
from components.table import table
from figures.page_charts import bar_figure, calendar_figure, line_figure, localize_dates
from metrics.air import aqi_level
from store.queries.domains import indicator_frame

dash.register_page(__name__, path="/environment", nav="nav.environment", order=20)

POLLUTANTS = (("pm25", "PM2.5"), ("pm10", "PM10"), ("o3", "O₃"), ("no2", "NO₂"), ("so2", "SO₂"), ("co", "CO"))
AQI_LEVEL_COLORS = ("#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023")

SPEC = PageSpec(
    prefix="env", domain="environment", row_id="code", map_layers=("districts", "stations"),
    charts=(ChartSpec("trend", "env.chart.trend", "env.hint.trend", span=8),
            ChartSpec("calendar", "env.chart.calendar", "env.hint.calendar", span=4),
            ChartSpec("pollutants", "env.chart.pollutants", "env.hint.pollutants", span=4),
            ChartSpec("stations", "env.chart.stations", "page.hint.drill", span=4),
            ChartSpec("districts", "env.chart.districts", span=4)),
    drill_charts=("stations",), table_title="env.table",
    columns=[{"field": "code", "headerName": "env.col.code", "maxWidth": 140},
             {"field": "name", "headerName": "env.col.name"},
             {"field": "district", "headerName": "page.col.district"},
             {"field": "aqi", "headerName": "env.col.aqi", "type": "numericColumn"},
             {"field": "category", "headerName": "env.col.category"},
             {"field": "primary", "headerName": "env.col.primary"},
             {"field": "mean", "headerName": "env.col.mean", "type": "numericColumn"},
             {"field": "max", "headerName": "env.col.max", "type": "numericColumn"},
             {"field": "standard", "headerName": "env.col.standard"},
             {"field": "time", "headerName": "page.col.time"}],
)


def aqi_category(value: float, lang: str) -> str:
    """The HJ 633 category of an AQI in the reader's language (the store keeps the Chinese)."""
    _, zh, en, _ = aqi_level(float(value))
    return pick(zh, en, lang)


def layout(**kwargs: Any) -> Any:
    return domain_layout(SPEC, context.settings(), View.from_query(kwargs), context.lang())


def _scope(view: View) -> tuple[str, str]:
    return ("district", view.district) if view.district else ("city", "")


def _primary(details: Any) -> str:
    counts = Counter(p for d in details for p in ((d or {}).get("primary") or []))
    return counts.most_common(1)[0][0] if counts else "—"


def _good_share(df: Any) -> float | None:
    v = df["value"].dropna() if not df.empty else df
    return float((v <= 100).mean()) if len(v) else None


def render(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> Rendered:
    """Environment content for ``view``: KPIs, five charts, station rows, map colours."""
    tz = settings.tz
    w = resolve(view, tz, now)
    kind, scope = _scope(view)
    hourly = indicator_frame(engine, "aqi", "hour", kind, w.start, w.end, scope)
    week = indicator_frame(engine, "aqi", "hour", kind, *_shift(w, 7), scope)
    year = indicator_frame(engine, "aqi", "hour", kind, *_shift(w, 364), scope)
    week, year = base_frame(hourly, week), base_frame(hourly, year)
    mean, mean_w, mean_y = (mean_or_none(f["value"]) if not f.empty else None for f in (hourly, week, year))
    peak, peak_w, peak_y = (max_or_none(f["value"]) if not f.empty else None for f in (hourly, week, year))
    good, good_w, good_y = (_good_share(f) for f in (hourly, week, year))
    last = hourly.dropna(subset=["value"]).iloc[-1] if not hourly.dropna(subset=["value"]).empty else None
    nothing = "—"
    kpis = [
        Kpi("now", t("env.kpi.now", lang), f"{last['value']:.0f}" if last is not None else nothing,
            aqi_category(last["value"], lang) if last is not None else "", better="down",
            note=t("env.kpi.primary_now", lang, p=", ".join((last["detail"] or {}).get("primary") or []) or "—")
            if last is not None else ""),
        Kpi("mean", t("env.kpi.mean", lang), f"{mean:.0f}" if mean is not None else nothing,
            wow=change(mean, mean_w), yoy=change(mean, mean_y), better="down"),
        Kpi("max", t("env.kpi.max", lang), f"{peak:.0f}" if peak is not None else nothing,
            wow=change(peak, peak_w), yoy=change(peak, peak_y), better="down"),
        Kpi("good", t("env.kpi.good", lang), f"{percent(good):.1f}" if good is not None else nothing, "%",
            wow=(good - good_w) if good is not None and good_w is not None else None,
            yoy=(good - good_y) if good is not None and good_y is not None else None, better="up", is_pp=True),
        Kpi("primary", t("env.kpi.primary", lang), _primary(hourly["detail"]) if not hourly.empty else nothing,
            note=t("env.kpi.primary_note", lang)),
    ]
    empty = t("page.no_data", lang)
    trend = bucket(hourly, w.grain, tz)
    figures: dict[str, Any] = {
        "trend": line_figure([(t("env.series.aqi", lang), trend["x"], trend["value"])], y_title="AQI",
                             refs=[(100, t("env.ref.100", lang), "#f08c00"), (200, t("env.ref.200", lang), "#c92a2a")],
                             empty_text=empty, markers=w.grain != "hour"),
    }
    cal_start = min(w.start, w.end - dt.timedelta(days=35))
    daily = indicator_frame(engine, "aqi", "day", kind, cal_start, w.end, scope)
    days = [(r.time.tz_convert(tz).date(), r.value, (r.detail or {}).get("color")) for r in daily.itertuples()]
    figures["calendar"] = calendar_figure(days, weekday_labels=t("page.weekdays", lang).split(","), empty_text=empty,
                                                 lang=lang)
    iaqi = {code: mean_or_none(hourly["detail"].map(lambda d, c=code: (d or {}).get("iaqi", {}).get(c)))
            if not hourly.empty else None for code, _ in POLLUTANTS}
    figures["pollutants"] = bar_figure([label for _, label in POLLUTANTS], [iaqi[c] for c, _ in POLLUTANTS],
                                       colors=["#4263eb", "#748ffc", "#f08c00", "#e8590c", "#fab005", "#868e96"],
                                       refs=[(100, t("env.ref.over", lang), "#c92a2a")], y_title="IAQI",
                                       empty_text=empty)
    stations = [s for s in settings.stations if not view.district or s.district == view.district]
    st = indicator_frame(engine, "aqi", "hour", "station", w.start, w.end)
    st = st[st["scope"].isin([s.code for s in stations])] if not st.empty else st
    names = {s.code: pick(s.name_zh, s.name_en, lang) for s in settings.stations}
    dnames = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    per = st.groupby("scope")["value"].agg(["mean", "max"]) if not st.empty else None
    ranked = sorted(stations, key=lambda s: -(per["mean"].get(s.code, 0) if per is not None else 0))
    figures["stations"] = bar_figure([names[s.code] for s in ranked],
                                     [round(per["mean"].get(s.code), 1) if per is not None and s.code in per.index
                                      else None for s in ranked],
                                     codes=[s.code for s in ranked], horizontal=True, colors="#4263eb",
                                     empty_text=empty)
    dist = indicator_frame(engine, "aqi", "hour", "district", w.start, w.end)
    dmean = dist.groupby("scope")["value"].mean() if not dist.empty else {}
    shown = [d for d in settings.districts if not view.district or d.code == view.district]
    figures["districts"] = bar_figure([dnames[d.code] for d in shown],
                                      [round(float(dmean[d.code]), 1) if d.code in dmean else None for d in shown],
                                      colors="#1098ad", empty_text=empty)
    latest = st.dropna(subset=["value"]).groupby("scope").tail(1).set_index("scope") if not st.empty else None
    rows = []
    for s in ranked:
        lr = latest.loc[s.code] if latest is not None and s.code in latest.index else None
        det = (lr["detail"] or {}) if lr is not None else {}
        rows.append({"code": s.code, "name": names[s.code], "district": dnames.get(s.district, s.district),
                     "aqi": None if lr is None else int(lr["value"]),
                     "category": None if lr is None else aqi_category(lr["value"], lang),
                     "primary": ", ".join(det.get("primary") or []) or "—",
                     "mean": round(float(per["mean"][s.code]), 1) if per is not None and s.code in per.index else None,
                     "max": int(per["max"][s.code]) if per is not None and s.code in per.index else None,
                     "standard": det.get("standard"),
                     "time": local_label(lr["time"] if lr is not None else None, tz)})
    map_values = {
        "stations": {r["code"]: {"c": AQI_LEVEL_COLORS[min(int(latest.loc[r["code"], "level"] or 1), 6) - 1],
                                 "t": str(r["aqi"])} for r in rows if r["aqi"] is not None},
    }
    if not dist.empty:
        dl = dist.dropna(subset=["value"]).groupby("scope").tail(1)
        map_values["districts"] = {r.scope: {"c": (r.detail or {}).get("color") or "#adb5bd"} for r in dl.itertuples()}
    editions = sorted({(d or {}).get("standard") for d in hourly["detail"]} - {None}) if not hourly.empty else []
    badges = dmc.Group([dmc.Badge(t("env.standard", lang, edition=e), variant="outline", color="teal",
                                  className="cb-standard-badge") for e in editions], gap=4)
    return Rendered(kpis, figures, rows, map_values, badges)


def _shift(w: Window, days: int) -> tuple[dt.datetime, dt.datetime]:
    s = w.shifted(days)
    return s.start, s.end


def detail(engine: Any, settings: Any, view: View, lang: str, now: dt.datetime) -> tuple[Any, Any]:
    """A station's drill-down: hourly AQI and each pollutant's IAQI over the window, last hours."""
    station = next((s for s in settings.stations if s.code == view.detail), None)
    if station is None:
        return t("page.detail_unknown", lang, code=view.detail), None
    tz = settings.tz
    w = resolve(view, tz, now)
    df = indicator_frame(engine, "aqi", "hour", "station", w.start, w.end, station.code)
    x = [local_label(ts, tz, "%Y-%m-%d %H:%M") for ts in df["time"]] if not df.empty else []
    series = [("AQI", x, list(df["value"]) if not df.empty else [])]
    for code, label in POLLUTANTS:
        series.append((label, x, [(d or {}).get("iaqi", {}).get(code) for d in df["detail"]] if not df.empty else []))
    fig = line_figure(series, y_title="AQI / IAQI", refs=[(100, t("env.ref.100", lang), "#f08c00")],
                      empty_text=t("page.no_data", lang))
    if w.end >= now - dt.timedelta(hours=2):  # issue 22: the AQI forecast band (no weather input: its note says so)
        from figures.forecast import add_band
        from forecast.read import forecast

        add_band(fig, forecast(settings, engine, "aqi", scope_kind="station", scope=station.code, horizon=24),
                 lang=lang, tz=tz, now=now)
    recent = df.dropna(subset=["value"]).tail(12).iloc[::-1] if not df.empty else df
    tbl = table([t("page.col.time", lang), "AQI", t("env.col.category", lang), t("env.col.primary", lang),
                 t("env.col.standard", lang)],
                [[local_label(r.time, tz), f"{r.value:.0f}", aqi_category(r.value, lang), ", ".join((r.detail or {}).get("primary") or []),
                  (r.detail or {}).get("standard", "")] for r in recent.itertuples()], className="cb-detail-table")
    dname = next((pick(d.name_zh, d.name_en, lang) for d in settings.districts if d.code == station.district), "")
    title = dmc.Group([dmc.Text(t("env.detail.title", lang, name=pick(station.name_zh, station.name_en, lang)),
                                fw=700, size="lg"), dmc.Badge(dname, variant="light"), dmc.Badge(station.code, variant="outline")])
    return title, dmc.Grid([dmc.GridCol(dcc.Graph(figure=localize_dates(fig, lang), config=graph_config(lang), style={"height": "300px"}),
                                        span={"base": 12, "lg": 8}),
                            dmc.GridCol(tbl, span={"base": 12, "lg": 4})])


register(SPEC, render, detail)
