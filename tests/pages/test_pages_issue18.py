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
