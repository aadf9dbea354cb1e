"""Issue 18's presentation bugs on the themed pages, with the demo's data."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from components.page.view import View, resolve


def test_hotline_rates_axis_holds_the_dates_of_the_viewed_period(ctx, demo_settings, demo_engine):
    """"MM-DD" strings were read as year-month: the axis showed Mar 4 – Apr 1 2012."""
    hotline = importlib.import_module("pages.hotline")
    now = dt.datetime.now(dt.timezone.utc)
    view = View(range="7d")
    out = hotline.render(demo_engine, demo_settings, view, "zh", now)
    w = resolve(view, demo_settings.tz, now)
    first = w.start.astimezone(demo_settings.tz).date()
    last = w.end.astimezone(demo_settings.tz).date()
    fig = out.figures["rates"]
    xs = [x for tr in fig.data for x in tr.x]
    assert xs, "the demo has answer rates"
    days = {dt.date.fromisoformat(x) for x in xs}
    assert all(first <= d <= last for d in days), (sorted(days), first, last)
    from figures.page_charts import localize_dates

    ax = localize_dates(fig, "zh").layout.xaxis
    assert ax.type == "date" and all("月" in t for t in ax.ticktext)


def test_overdue_tickets_show_status_labels_not_codes(ctx, demo_settings, demo_engine):
    hotline = importlib.import_module("pages.hotline")
    out = hotline.render(demo_engine, demo_settings, View(range="7d"), "zh", dt.datetime.now(dt.timezone.utc))
    statuses = {r["status"] for r in out.rows}
    assert statuses, "the demo has overdue tickets"
    assert not any(s.isdigit() for s in statuses), statuses
    assert statuses <= {"已受理", "已派单", "已办结", "已回访", "未接通"}


def test_status_labels_come_from_the_config_then_the_defaults(demo_settings):
    from components.page.labels import status_label

    hot = next(s for s in demo_settings.sources if s.domain == "hotline")
    custom = demo_settings.model_copy(update={"sources": [
        hot.model_copy(update={"status_labels": {"20": {"zh": "转办中", "en": "Passed on"}, "77": "挂起"}})]})
    assert status_label("20", custom, "zh") == "转办中" and status_label("20", custom, "en") == "Passed on"
    assert status_label("77", custom, "en") == "挂起"  # a label in one language serves both
    bare = demo_settings.model_copy(update={"sources": [hot.model_copy(update={"status_labels": {}})]})
    assert status_label("30", bare, "zh") == "已办结" and status_label("30", bare, "en") == "Closed"
    assert status_label("99", bare, "zh") == "99" and status_label(None, bare, "zh") == ""


def test_tourism_table_and_card_agree_on_the_percent(ctx, demo_settings, demo_engine):
    """承载率 was 0.172 in the table and exports but 17 % on the card."""
    tourism = importlib.import_module("pages.tourism")
    out = tourism.render(demo_engine, demo_settings, View(range="7d"), "zh", dt.datetime.now(dt.timezone.utc))
    peaks = [r["peak"] for r in out.rows if r["peak"] is not None]
    assert peaks and max(peaks) > 1, "percentages, not ratios"
    card = next(k for k in out.kpis if k.key == "peak")
    assert card.unit == "%" and float(card.value) == pytest.approx(max(peaks), abs=0.05)


@pytest.mark.parametrize("target, detail, zh, en", [
    ("export:traffic:traffic", {"format": "csv"}, "导出 交通 CSV", "Export Traffic CSV"),
    ("warning:12", None, "预警 #12", "Warning #12"),
    ("pdf:traffic:city", None, "交通 PDF（全市）", "Traffic PDF (whole city)"),
    ("pdf:hotline:411002", None, "12345热线 PDF（魏都区）", "12345 Hotline PDF (Weidu)"),
    ("callback:warnings.act", None, "预警中心 · act", "Warnings center · act"),
    ("view:411002/", None, "视图 魏都区", "View Weidu"),
    ("screen:overview", None, "大屏 overview", "Wall screen overview"),
    ('{"grid":["MATCH"],"type":"cb-download"}.data', {"format": "xlsx"}, "导出 表格 XLSX", "Export table XLSX"),
])
def test_audit_targets_read_as_words(demo_settings, target, detail, zh, en):
    """/audit showed raw Dash ids ({"grid":["MATCH"],"type":"cb-download"}.data)."""
    from components.page.labels import audit_action, audit_target

    assert audit_target(target, demo_settings, "zh", detail) == zh
    assert audit_target(target, demo_settings, "en", detail) == en
    assert audit_action("warning.ack", "zh") == "确认预警" and audit_action("export", "en") == "Export"


def test_every_audit_action_has_words():
    from access.audit import ACTIONS
    from components.page.labels import audit_action

    assert [a for a in ACTIONS if audit_action(a, "zh") == a or audit_action(a, "en") == a] == []


def test_housekeeping_runs_are_summarised_not_listed(pages_app):
    """/sources: the job log was flooded by simulator-advance every 5 s."""
    from pages.sources import group_runs

    t0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.timezone.utc)
    runs = []
    for i in range(200):
        runs.append({"job": "simulator-advance", "status": "ok", "rows": 3, "started_at": t0 - dt.timedelta(seconds=5 * i)})
        if i % 12 == 0:
            runs.append({"job": "poll:env_monitor", "status": "ok", "rows": 10, "started_at": t0 - dt.timedelta(seconds=5 * i)})
    runs.append({"job": "simulator-advance", "status": "failed", "rows": None, "started_at": t0 - dt.timedelta(hours=1)})
    shown, groups = group_runs(runs, listed=50)
    assert [r["job"] for r in shown].count("poll:env_monitor") == 17
    assert any(r["job"] == "simulator-advance" and r["status"] == "failed" for r in shown), "failures stay listed"
    assert groups == [{"job": "simulator-advance", "runs": 200, "rows": 600, "first": t0 - dt.timedelta(seconds=995),
                       "last": t0}]


def test_exports_carry_filters_city_time_and_real_cells():
    """Exports: the file name in city time (not UTC), a header block with the filters and the
    as-of time, real dates and numbers with column widths in XLSX."""
    import base64
    import io
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from components.export import table_file

    cols = [{"field": "ticket", "headerName": "工单号"}, {"field": "created", "headerName": "受理时间"},
            {"field": "overdue_h", "headerName": "超期小时"}, {"field": "status", "headerName": "状态"}]
    rows = [{"ticket": "2026112000396", "created": "2026-11-20 10:47", "overdue_h": 279.0, "status": "已派单"},
            {"ticket": "2026112300991", "created": "2026-11-23 17:15", "overdue_h": 199.9, "status": "已派单"}]
    header = [("区县", "魏都区"), ("时间范围", "近7天"), ("数据截至", "2026-12-05 09:10")]
    now = dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.timezone.utc)  # 09:30 in Xuchang
    xl = table_file(rows, cols, "xlsx", "hotline", now=now, tz=ZoneInfo("Asia/Shanghai"), header=header)
    assert xl["filename"] == "hotline-20261205-0930.xlsx"
    ws = load_workbook(io.BytesIO(base64.b64decode(xl["content"]))).active
    assert [ws.cell(row=i, column=1).value for i in (1, 2, 3)] == ["区县", "时间范围", "数据截至"]
    assert ws.cell(row=3, column=2).value == "2026-12-05 09:10"
    assert [c.value for c in ws[5]] == ["工单号", "受理时间", "超期小时", "状态"]
    assert ws.cell(row=6, column=2).value == dt.datetime(2026, 11, 20, 10, 47)  # a date, not text
    assert ws.cell(row=6, column=2).number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(row=6, column=3).value == 279 and ws.cell(row=7, column=3).value == 199.9
    assert ws.column_dimensions["A"].width >= 15 and ws.column_dimensions["B"].width >= 16
    assert ws.freeze_panes == "A6"
    csv = base64.b64decode(table_file(rows, cols, "csv", "hotline", now=now, tz=ZoneInfo("Asia/Shanghai"),
                                      header=header)["content"]).decode("utf-8-sig").splitlines()
    assert csv[:5] == ["区县,魏都区", "时间范围,近7天", "数据截至,2026-12-05 09:10", "", "工单号,受理时间,超期小时,状态"]
    assert csv[5] == "2026112000396,2026-11-20 10:47:00,279,已派单"


def test_export_header_names_the_filters_of_the_page_url(ctx, demo_settings):
    from components.export import export_header

    now = dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.timezone.utc)
    lines = dict(export_header("traffic", "zh", now=now, user="sadmin",
                               page_url="http://x/traffic?district=411002&range=7d"))
    assert lines["区县"] == "魏都区" and lines["时间范围"] == "近7天" and lines["导出人"] == "sadmin"
    assert lines["生成时间"] == "2026-12-05 09:30" and "数据截至" in lines


@pytest.mark.parametrize("module", ["environment", "traffic", "tourism", "hotline", "economy"])
def test_one_district_view_drops_the_district_comparison_and_keeps_its_rows_full(pages_app, module):
    """One district's view has nothing to compare: no full-width one-bar districts chart; the
    chart before it takes its width (the row stays full)."""
    from components.page.printing import chart_spans, shown_charts

    spec = importlib.import_module(f"pages.{module}").SPEC
    city, one = chart_spans(spec, View()), chart_spans(spec, View(district="411002"))
    assert city == {c.key: c.span for c in spec.charts}
    assert one["districts"] == 0 and "districts" not in shown_charts(spec, View(district="411002"))
    assert sum(one.values()) == sum(city.values())


def _figures(doc) -> list:
    from briefings.document import Figure

    out = []
    for sec in doc.sections:
        for b in sec.blocks:
            out += [x for x in (b if isinstance(b, list) else [b]) if isinstance(x, Figure)]
    return out


@pytest.mark.parametrize("page", ["traffic", "environment", "tourism", "hotline", "economy"])
def test_page_export_prints_the_map_and_no_one_bar_district_chart(ctx, demo_settings, demo_engine, page):
    from briefings.pages import build_page
    from briefings.sections import figure_points

    now = dt.datetime.now(dt.timezone.utc)
    city = {f.id: f for f in _figures(build_page(demo_settings, demo_engine, page, View(), "zh", now=now))}
    assert f"{page}-map" in city, "the page shows a map: its export prints it"
    assert figure_points(city[f"{page}-map"].figure) > 0
    one = {f.id: f for f in _figures(build_page(demo_settings, demo_engine, page, View(district="411002"), "zh", now=now))}
    assert f"{page}-map" in one and f"{page}-districts" not in one


def test_the_printed_map_of_one_district_is_that_district(ctx, demo_settings):
    from figures.page_map import map_figure

    layers = ("districts", "segments")
    city = map_figure(demo_settings, layers, {}, "zh")
    one = map_figure(demo_settings, layers, {}, "zh", district="411002")
    home = {s.code for s in demo_settings.segments if s.district == "411002"}
    lines = lambda fig: [tr for tr in fig.data if tr.mode == "lines" and tr.fill != "toself"]  # noqa: E731
    assert len(lines(one)) == len(home) < len(lines(city))
    labels = [tr for tr in one.data if tr.mode == "text"][0]
    assert list(labels.text) == ["魏都区"]
    # the English print names the district in English, and the legend says the theme in English
    en = map_figure(demo_settings, layers, {}, "en", district="411002", legend="grade")
    assert [tr for tr in en.data if tr.mode == "text"][0].text == ("Weidu",)
    assert en.layout.legend.title.text and not any("\u4e00" <= ch <= "\u9fff" for ch in en.layout.legend.title.text)
