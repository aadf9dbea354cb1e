"""Briefing pieces without a browser: the print layout, blocks from page renders, the
checks' parsing, retention, the printer's message when there is no Chromium."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from briefings import layout
from briefings.checks import check
from briefings.document import Document, Figure, Kpi, Note, Section, Table
from briefings.printer import Printed, Printer
from briefings.sections import figure_blocks, figure_points, heading, kpi_blocks
from citybrain.errors import ChromiumMissing
from components.page.kpi import Kpi as PageKpi
from components.page.layout import ChartSpec, PageSpec


def _doc() -> Document:
    return Document(kind="daily", title="城市运行简报", subtitle="2026年11月20日", lang="zh", header="许昌<市>",
                    cover=[("城市", "许昌市")],
                    sections=[Section("index", "一、城市生命体征指数", [[Kpi("指数", "82.1")],
                                                                  Figure("f1", "走势", {"data": [{"y": [1, 2]}]})]),
                              Section("quality", "二、数据质量", [Table("t", ["a", "b"], [["x", "1"]], numeric=(1,)),
                                                               Note("<b>not bold</b>", "quality")])])


def test_layout_escapes_text_and_embeds_figures_as_json():
    html = layout.render_html(_doc())
    assert "许昌&lt;市&gt;" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    spec = re.search(r'data-figure="f1".*?<script type="application/json">(.*?)</script>', html, re.S).group(1)
    fig = json.loads(spec)
    assert fig["layout"]["width"] > 600 and fig["layout"]["font"]["family"].startswith("'WenQuanYi")
    assert "window.cbPrint" in html and '<script src="/plotly.min.js">' in html
    assert 'class="num nw"' in html  # a short numeric column: right-aligned, never wrapped


def test_the_cover_shares_page_one_and_sections_flow_except_after_the_summary():
    """No page of metadata alone (issue 18: fewer, denser pages): the cover's facts head page 1
    in daily briefings and page exports alike; sections follow one another without a page
    break, only a section marked ends_page (the 要情摘要) pushes the next onto a new page."""
    doc = _doc()
    html = layout.render_html(doc)
    assert 'class="cover compact"' in html and 'class="cover"' not in html
    assert "ends-page" not in html.split("</style>")[1]
    doc.sections[0].ends_page = True
    body = layout.render_html(doc).split("</style>")[1]
    assert body.count('class="ends-page"') == 1 and '<section id="index" class="ends-page">' in body
    doc.kind = "page"
    assert 'class="cover compact"' in layout.render_html(doc)


def test_script_closing_tags_in_figure_data_cannot_end_the_script():
    doc = _doc()
    doc.sections[0].blocks[1] = Figure("f1", "x", {"data": [{"y": [1], "name": "</script><h1>x"}]})
    assert "</script><h1>" not in layout.render_html(doc)


def test_heading_numerals():
    assert heading(1, "交通运行", "zh") == "一、交通运行"
    assert heading(8, "数据质量", "zh") == "八、数据质量"
    assert heading(3, "Tourism", "en") == "3. Tourism"


def test_figure_points_counts_non_blank_values_and_typed_arrays():
    assert figure_points({"data": [{"x": [1, 2, 3], "y": [1, None, 3]}]}) == 3
    assert figure_points({"data": [{"y": [None, None]}]}) == 0
    assert figure_points({"data": [{"y": {"bdata": "AAAA", "dtype": "f8", "shape": "4"}}]}) == 4
    assert figure_points({"data": []}) == 0


def test_kpi_blocks_write_out_comparisons_and_tone():
    kpis = kpi_blocks([PageKpi("aqi", "AQI", "120", wow=0.1, yoy=None, better="down"),
                       PageKpi("rate", "接通率", "95.0", "%", wow=-0.02, yoy=0.01, better="up", is_pp=True)], "zh")
    assert kpis[0].note.startswith("较上周同期 +10.0%") and "—" in kpis[0].note and kpis[0].tone == "bad"
    assert "-2.0pp" in kpis[1].note and kpis[1].tone == "bad"


def test_empty_figures_become_notes_and_an_odd_half_figure_goes_wide():
    spec = PageSpec(prefix="p", domain="traffic", row_id="k", map_layers=(), columns=[],
                    charts=(ChartSpec("a", "traffic.chart.trend", span=6), ChartSpec("b", "traffic.chart.hours", span=6),
                            ChartSpec("c", "traffic.chart.segments", span=6)))
    figs, notes = figure_blocks("traffic", spec, {"a": {"data": [{"y": [1]}]}, "b": {"data": [{"y": [None]}]},
                                                  "c": {"data": [{"y": [2, 3]}]}}, "zh")
    assert [f.id for f in figs] == ["traffic-a", "traffic-c"] and all(not f.wide for f in figs)
    assert len(notes) == 1 and "无数据" in notes[0].text
    figs, _ = figure_blocks("traffic", spec, {"a": {"data": [{"y": [1]}]}}, "zh")
    assert figs[0].wide


def test_checks_report_missing_headings_empty_figures_script_errors_and_fonts(tmp_path, monkeypatch):
    from briefings import checks

    monkeypatch.setattr(checks, "pdf_pages", lambda p: 1)
    monkeypatch.setattr(checks, "pdf_text", lambda p, **k: "一、城市生命体征指数 other text")
    monkeypatch.setattr(checks, "pdf_fonts", lambda p: [("AAAAAA+DejaVuSans", True), ("[none]", True)])
    printed = Printed(pdf=b"", figures=[{"id": "f1", "points": 0, "drawn": True, "height": 200}],
                      errors=["uncaught: boom"])
    report = check(_doc(), printed, tmp_path / "x.pdf")
    text = "; ".join(report.problems)
    assert "二、数据质量" in text and "f1 is empty" in text and "boom" in text and "CJK" in text
    assert report.headings_found == ["一、城市生命体征指数"] and not report.ok


def test_no_chromium_says_how_to_install_it():
    printer = Printer(executable="/nonexistent/chromium")
    try:
        with pytest.raises(ChromiumMissing, match="apt-get install chromium"):
            printer.print_parts("", "", timeout=5)
    finally:
        printer.close()


def test_purge_removes_old_briefings_and_their_files(brief_settings, tmp_path):
    from briefings.archive import purge
    from store.engine import make_engine, upgrade
    from store.schema import briefings

    settings = brief_settings.model_copy(update={"data_dir": tmp_path})
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    now = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc)
    files = {}
    with engine.begin() as conn:
        for age in (10, 364, 365, 366, 800):
            f = tmp_path / f"b{age}.pdf"
            f.write_bytes(b"%PDF")
            files[age] = f
            day = (now.astimezone(settings.tz) - dt.timedelta(days=age)).date()
            conn.execute(briefings.insert().values(kind="daily", date=day, status="done", path=str(f), created_at=now))
    assert purge(settings, engine, now=now) == 2  # 366 and 800 days; 365 is the boundary and stays
    assert files[365].exists() and not files[366].exists() and not files[800].exists()
    forever = settings.model_copy(update={"briefing": settings.briefing.model_copy(update={"retention_days": 0})})
    assert purge(forever, engine, now=now + dt.timedelta(days=5000)) == 0
    engine.dispose()


def test_archive_table_lists_status_pages_and_download_links(brief_app, tmp_path):
    from pages.briefings import archive_table

    now = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc)
    (tmp_path / "x.pdf").write_bytes(b"%PDF-")
    (tmp_path / "y.pdf").write_bytes(b"%PDF-")
    long = "no Chromium at /usr/bin/chromium to print the briefing with; install it with `sudo apt-get install " \
           "chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils` (Debian/Ubuntu; .ci/run does this)"
    rows = [{"id": 7, "kind": "daily", "date": dt.date(2026, 11, 20), "status": "done", "pages": 12,
             "path": str(tmp_path / "x.pdf"), "created_at": now, "error": None},
            {"id": 8, "kind": "page", "date": dt.date(2026, 11, 20), "status": "failed", "pages": 2,
             "path": str(tmp_path / "y.pdf"), "created_at": now, "error": "section heading '一' is not in the PDF text"},
            {"id": 9, "kind": "page", "date": dt.date(2026, 11, 20), "status": "failed", "pages": None,
             "path": str(tmp_path / "never-printed.pdf"), "created_at": now, "error": long}]
    text = json.dumps(archive_table(rows, dt.timezone(dt.timedelta(hours=8)), "zh").to_plotly_json(), default=str,
                      ensure_ascii=False)
    assert "/briefings/7.pdf" in text and "/briefings/8.pdf" in text and "已完成" in text and "失败" in text
    assert "2026-11-21 08:00" in text
    # issue 18: a print that never produced a file offers no link (it answered 404), and its
    # problem is shown whole (the archive cut it at "…Chromiu")
    assert "/briefings/9.pdf" not in text and long in text


def test_the_scheduler_adds_the_morning_briefing_only_when_asked(brief_settings, brief_engine):
    from apscheduler.schedulers.background import BackgroundScheduler

    from jobs.scheduler import build

    for wanted in (False, True):
        scheduler = BackgroundScheduler(timezone=brief_settings.tz)
        jobs = build(scheduler, brief_settings, brief_engine, periodic=(), daily_briefing=wanted)
        job = scheduler.get_job("briefing")
        jobs.guard.release()
        jobs.engines.dispose()
        if not wanted:
            assert job is None
            continue
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert fields["hour"] == "7" and fields["minute"] == "30" and str(job.trigger.timezone) == "Asia/Shanghai"


def test_the_app_for_a_briefing_can_be_built_in_a_job_thread(brief_settings):
    """A scheduler runs the briefing in a worker thread, after Dash was imported in the main
    one: Dash's context variable is unset there and register_page raised LookupError."""
    import threading

    import dash  # noqa: F401 — imported in this (main) thread first, as in the scheduler

    from briefings.archive import build_server

    outcome: list = []

    def job() -> None:
        try:
            outcome.append(build_server(brief_settings))
        except Exception as exc:  # noqa: BLE001 — the test reports it
            outcome.append(exc)

    worker = threading.Thread(target=job)
    worker.start()
    worker.join(120)
    assert outcome and not isinstance(outcome[0], Exception), outcome
