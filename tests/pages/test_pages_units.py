"""Plain-function tests of the page building blocks, queries and callback bodies."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from components.export import table_file
from components.page.callbacks import drill_code, next_view
from components.page.kpi import change
from components.page.view import NO_DISTRICT, View, resolve

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 21, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in the city


def test_view_round_trip_and_sanitising():
    v = View.from_query({"district": "411002", "range": "7d", "detail": "R003", "start": "x"})
    assert v == View("411002", "7d", None, None, "R003")
    assert v.to_query() == "?district=411002&range=7d&detail=R003"
    assert View.from_query({"range": "bogus"}).range == "24h"
    assert View.from_query({"range": "custom"}).range == "24h"  # custom without dates falls back
    c = View.from_query({"range": "custom", "start": "2026-11-01", "end": "2026-11-03"})
    assert c.to_query() == "?range=custom&start=2026-11-01&end=2026-11-03"


def test_resolve_in_city_time():
    today = resolve(View(range="today"), TZ, NOW)
    assert today.start == dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.timezone.utc)  # local midnight
    assert today.grain == "hour"
    custom = resolve(View(range="custom", start="2026-11-01", end="2026-11-10"), TZ, NOW)
    assert custom.start == dt.datetime(2026, 10, 31, 16, tzinfo=dt.timezone.utc)
    assert custom.end == dt.datetime(2026, 11, 10, 16, tzinfo=dt.timezone.utc)
    assert custom.grain == "day"
    assert resolve(View(range="2y"), TZ, NOW).grain == "month"
    w = resolve(View(range="24h"), TZ, NOW)
    assert w.shifted(7).end == w.end - dt.timedelta(days=7)


def test_next_view_filter_drill_close():
    cur = View(range="24h").to_data()
    v = next_view(cur, "env-district", "411002", "7d", [None, None])
    assert v["district"] == "411002" and v["range"] == "7d"
    v2 = next_view(v, "cb-grid", "411002", "7d", None, cell={"rowId": "R003|2026-11-20T01:00:00+00:00"})
    assert v2["detail"] == "R003"
    v3 = next_view(v2, "env-chart-stations", "411002", "7d", None, click={"points": [{"customdata": "XC02"}]})
    assert v3["detail"] == "XC02"
    assert next_view(v3, "env-detail-close", "411002", "7d", None)["detail"] is None
    # picking "custom" without both dates keeps the previous window
    assert next_view(cur, "env-range", None, "custom", [None, None])["range"] == "24h"
    assert next_view(cur, "env-dates", None, "custom", ["2026-11-01", "2026-11-02"])["range"] == "custom"


def test_drill_code_and_change():
    assert drill_code("cb-grid", {"rowId": "GDP|2026-Q3"}, None) == "GDP"
    assert drill_code("x", None, {"points": [{"customdata": ["TS01"]}]}) == "TS01"
    assert drill_code("x", None, None) is None
    assert change(110, 100) == pytest.approx(0.1)
    assert change(1, None) is None and change(1, 0) is None


def test_export_rows_match_the_grid():
    cols = [{"field": "code", "headerName": "站点"}, {"field": "aqi", "headerName": "AQI"}, {"field": "x", "hide": True}]
    rows = [{"code": "XC01", "aqi": 101, "x": 1}, {"code": "XC02", "aqi": None, "x": 2}]
    csv = table_file(rows, cols, "csv", "env")
    import base64

    text = base64.b64decode(csv["content"]).decode("utf-8-sig")
    assert text.splitlines() == ["站点,AQI", "XC01,101", "XC02,"]  # a count stays a count (was 101.0)
    xl = table_file(rows, cols, "xlsx", "env")
    frame = pd.read_excel(io.BytesIO(base64.b64decode(xl["content"])))
    assert list(frame.columns) == ["站点", "AQI"] and list(frame["站点"]) == ["XC01", "XC02"]
    assert xl["filename"].startswith("env-") and xl["filename"].endswith(".xlsx")
    with pytest.raises(ValueError):
        table_file(rows, cols, "pdf", "env")


def test_traffic_episodes_and_peaks(pages_app):
    from pages.traffic import episodes, peak_hours

    t0 = pd.Timestamp("2026-11-20 00:00", tz="UTC")
    df = pd.DataFrame({"scope": ["R1"] * 4 + ["R2"], "time": [t0 + pd.Timedelta(hours=h) for h in (0, 1, 2, 5)] + [t0],
                       "value": [0.35, 0.25, 0.45, 0.38, 0.9],
                       "category": ["中度拥堵", "严重拥堵", "轻度拥堵", "中度拥堵", "畅通"]})
    eps = episodes(df)
    assert list(eps["hours"]) == [2, 1]
    assert eps.iloc[0]["worst"] == "严重拥堵" and eps.iloc[0]["min_ratio"] == 0.25
    profile = [1.0] * 24
    profile[8], profile[18] = 5.0, 6.0
    assert peak_hours(profile) == [8, 18]


def test_congested_ranking_lists_only_congested_segments(pages_app):
    from pages.traffic import congested_ranking

    t0 = pd.Timestamp("2026-11-20T00:00Z")
    rows = [("R1", 0, 0.45, "中度拥堵"), ("R1", 1, 0.25, "严重拥堵"), ("R2", 0, 0.8, "畅通"),
            ("R3", 0, 0.45, "中度拥堵"), ("R3", 1, 0.6, "轻度拥堵"), ("R4", 0, 0.2, "严重拥堵")]
    ratios = pd.DataFrame([{"scope": s, "time": t0 + pd.Timedelta(hours=h), "value": v, "category": c}
                           for s, h, v, c in rows])
    ranked = congested_ranking(ratios)
    assert list(ranked.index) == ["R1", "R4", "R3"], "most congested hours first, then the lower mean ratio"
    assert list(ranked["bad"]) == [2, 1, 1]
    calm = ratios.assign(category="畅通")
    assert congested_ranking(calm).empty, "no zero-length bars when nothing was congested"
    assert congested_ranking(ratios.iloc[:0]).empty


def test_hotline_weighted_rates(pages_app):
    from pages.hotline import weighted_rates

    days = pd.DataFrame({"detail": [{"offered": 100, "answered": 90, "answer_rate_15s": 1.0},
                                    {"offered": 10, "answered": 10, "answer_rate_15s": 0.0}]})
    rate, fast = weighted_rates(days)
    assert rate == pytest.approx(100 / 110) and fast == pytest.approx(0.9)
    assert weighted_rates(pd.DataFrame({"detail": []})) == (None, None)


@pytest.mark.parametrize("module,detail_code,view", [
    ("environment", "XC01", View(range="7d")),
    ("traffic", "R003", View(range="7d")),
    ("tourism", "TS01", View(range="7d")),
    ("hotline", "交通出行", View(range="7d")),
    ("economy", "GDP", View(range="2y")),
])
def test_render_with_demo_data(ctx, demo_settings, demo_engine, module, detail_code, view):
    """The callback body as a plain function: real data in, every chart and KPI filled,
    a district narrows the rows, the drill-down builds."""
    m = importlib.import_module(f"pages.{module}")
    now = dt.datetime.now(dt.timezone.utc)
    for lang in ("zh", "en"):
        out = m.render(demo_engine, demo_settings, view, lang, now)
        assert {c.key for c in m.SPEC.charts} <= set(out.figures)
        assert out.kpis and any(k.value != "—" for k in out.kpis)
        assert all(fig.data for fig in out.figures.values())
        fields = {c["field"] for c in m.SPEC.columns} | {m.SPEC.row_id}
        assert all(set(r) >= fields for r in out.rows)
    whole = m.render(demo_engine, demo_settings, view, "zh", now)
    narrow = m.render(demo_engine, demo_settings, View(district="411002", range=view.range), "zh", now)
    assert len(narrow.rows) <= len(whole.rows)
    title, body = m.detail(demo_engine, demo_settings, view.with_detail(detail_code), "zh", now)
    assert body is not None
    assert m.detail(demo_engine, demo_settings, view.with_detail("NOPE"), "zh", now)[1] is None or module == "hotline"


def test_environment_no_year_base_is_a_dash(ctx, demo_settings, demo_engine):
    from pages.environment import render

    out = render(demo_engine, demo_settings, View(range="24h"), "zh", dt.datetime.now(dt.timezone.utc))
    mean = next(k for k in out.kpis if k.key == "mean")
    assert mean.yoy is None  # the demo store has no data a year back: "—", never a number


def test_environment_in_english_names_aqi_categories_in_english(ctx, demo_settings, demo_engine):
    from pages.environment import aqi_category, render

    assert (aqi_category(252, "en"), aqi_category(252, "zh")) == ("Heavily Polluted", "重度污染")
    out = render(demo_engine, demo_settings, View(range="24h"), "en", dt.datetime.now(dt.timezone.utc))
    now = next(k for k in out.kpis if k.key == "now")
    text = repr(now)
    assert not any(zh in text for zh in ("优", "良", "污染")), text


def test_active_warnings_query(ctx, demo_engine):
    from store.queries.domains import active_warnings

    assert [w["rule"] for w in active_warnings.uncached(demo_engine, "environment")] == ["aqi_high"]
    assert active_warnings.uncached(demo_engine, "environment", "411002") == []


def test_catalogue_has_every_page_key():
    import re
    from pathlib import Path

    from citybrain.i18n import catalogue

    root = Path(__file__).resolve().parents[2]
    used: set[str] = set()
    for path in [*root.glob("pages/[!h]*.py"), root / "pages/hotline.py", *root.glob("components/page/*.py"),
                 root / "components/grid.py"]:
        if path.name in ("home.py", "wall.py", "not_found_404.py"):
            continue
        used |= set(re.findall(r'"((?:page|kpi|range|export|env|traffic|tourism|economy|hotline|nav)\.[a-z0-9_.]+)"',
                               path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalogue())
    assert missing == []


@pytest.mark.parametrize("module", ["environment", "traffic", "tourism", "hotline", "economy"])
def test_render_survives_forged_views(ctx, demo_settings, demo_engine, module):
    """Issue 17: forged view values (non-objects, object filters, dates that do not parse,
    a window wholly in the future) render as a valid view — and an unreadable district
    shows no district's rows, never the whole city's."""
    m = importlib.import_module(f"pages.{module}")
    now = dt.datetime.now(dt.timezone.utc)
    for forged in ([], "7d", {"district": {"$ne": None}}, {"district": ["411002"], "range": "7d"},
                   {"range": "custom", "start": "2026-11-01' OR 1=1--", "end": "x"},
                   {"range": "custom", "start": "2199-12-30", "end": "2199-12-31"}, {"detail": {"a": 1}}):
        view = View.from_data(forged)
        out = m.render(demo_engine, demo_settings, view, "zh", now)
        if view.district == NO_DISTRICT:
            assert out.rows == [], forged
        m.detail(demo_engine, demo_settings, view.with_detail("XC01"), "zh", now)
