"""「导出简报」: a page's view as PDF through the web route, with its filters printed; the
archive download; access refusals; the button on the pages."""

from __future__ import annotations

import pytest

from briefings import checks

pytestmark = [pytest.mark.browser]


#: printing is a POST from a page of this site (what the browser's form sends)
SAME_SITE = {"Origin": "http://localhost"}


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def client(brief_app, printer):
    return brief_app.server.test_client()


def test_page_export_prints_the_filters_used(client, tmp_path, brief_settings):
    resp = client.post("/export/pdf/traffic?district=411002&range=7d", headers=SAME_SITE)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/pdf" and "attachment" in resp.headers["Content-Disposition"]
    path = tmp_path / "traffic.pdf"
    path.write_bytes(resp.data)
    text = _squash(checks.pdf_text(path))
    assert "交通页面导出" in text
    assert "区县魏都区" in text and "时间范围近7天" in text and "时间窗口" in text
    assert "一、当前视图" in text and "二、拥堵事件" in text
    assert any(emb for name, emb in checks.pdf_fonts(path) if "WenQuanYi" in name)


def test_economy_and_overview_export(client, tmp_path):
    for page, heading in (("economy", "一、当前视图"), ("overview", "一、城市生命体征指数")):
        resp = client.post(f"/export/pdf/{page}", headers=SAME_SITE)
        assert resp.status_code == 200, (page, resp.data[:300])
        path = tmp_path / f"{page}.pdf"
        path.write_bytes(resp.data)
        assert heading in _squash(checks.pdf_text(path))


def test_export_is_recorded_and_downloadable_from_the_archive(client, brief_engine):
    from briefings.archive import list_briefings

    assert client.post("/export/pdf/hotline?range=today", headers=SAME_SITE).status_code == 200
    row = list_briefings(brief_engine, kind="page", limit=1)[0]
    assert row["status"] == "done" and row["checks"]["page"] == "hotline"
    resp = client.get(f"/briefings/{row['id']}.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    assert client.get("/briefings/999999.pdf").status_code == 404


def test_unknown_page_is_refused(client):
    assert client.post("/export/pdf/audit", headers=SAME_SITE).status_code in (403, 404)
    assert client.post("/export/pdf/nothing", headers=SAME_SITE).status_code in (403, 404)


def test_themed_pages_and_home_carry_the_export_button(brief_app):
    import json

    from citybrain.i18n import t

    with brief_app.server.test_request_context("/traffic?district=411002&range=7d"):
        import importlib

        home_page, traffic_page = (importlib.import_module(m) for m in ("pages.home", "pages.traffic"))
        traffic = json.dumps(traffic_page.layout(district="411002", range="7d").to_plotly_json(), default=str,
                             ensure_ascii=False)
        home = json.dumps(home_page.layout().to_plotly_json(), default=str, ensure_ascii=False)
    assert "/export/pdf/traffic?district=411002&range=7d" in traffic and t("brief.export", "zh") in traffic
    assert "/export/pdf/overview" in home


@pytest.mark.parametrize(("role", "domains", "shown"), [
    ("leader", (), True),
    ("department", ("traffic",), True),
    ("department", ("environment",), False),
    ("duty", (), False),
])
def test_export_button_is_offered_only_to_whoever_may_print(brief_app, role, domains, shown):
    """The route refuses a role without ``print`` (403); the page shows it the button disabled, with why."""
    import flask

    from access.roles import Principal
    from components.page.layout import pdf_button

    with brief_app.server.test_request_context("/traffic"):
        flask.g.user = Principal(name="u", role=role, domains=domains)
        form = pdf_button("x-pdf", "/export/pdf/traffic", "zh", "traffic")
    assert form.children.disabled is (not shown)
    assert (form.children.title is None) is shown  # the reason, for whoever may not
    assert form.action == "/export/pdf/traffic" and form.method == "post"  # kept for the page's callback


def test_a_get_prints_nothing(client, brief_engine):
    """Printing writes a file and two rows: a link on another site must not trigger it."""
    from sqlalchemy import func, select

    from store.schema import briefings

    def count() -> int:
        with brief_engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(briefings)).scalar_one()

    before = count()
    resp = client.get("/export/pdf/traffic")
    assert resp.mimetype != "application/pdf" and count() == before


@pytest.mark.parametrize("lang, words", [("zh", "没有安装 Chromium"), ("en", "Chromium, which prints it, is not installed")])
def test_no_chromium_is_a_page_with_the_fix_not_a_raw_500(brief_app, brief_engine, monkeypatch, lang, words):
    """Issue 18: 导出简报 on a machine without Chromium answered a raw English 500 and the
    archive kept a message cut at "…Chromiu". Now: the reader's language, the one command
    that fixes it, and the archive row with the whole message."""
    import briefings.archive as archive
    from briefings.archive import list_briefings
    from briefings.printer import APT_FIX, Printer

    monkeypatch.setattr(archive, "process_printer", lambda: Printer("/nonexistent/chromium"))
    client = brief_app.server.test_client()
    resp = client.post(f"/export/pdf/traffic?range=today&lang={lang}", headers=SAME_SITE)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.mimetype == "text/html", body[:300]
    assert "Internal Server Error" not in body and APT_FIX in body and "/nonexistent/chromium" in body
    row = list_briefings(brief_engine, kind="page", limit=1)[0]
    assert row["status"] == "failed" and row["path"] is None
    assert "/nonexistent/chromium" in row["error"] and row["error"].endswith("Chromium/Chrome binary")


def test_no_playwright_names_the_pip_command(monkeypatch):
    import sys

    from briefings.printer import PIP_FIX, Printer, explain
    from citybrain.errors import ChromiumMissing

    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails as if not installed
    printer = Printer(sys.executable)  # an existing file, so the playwright check is reached
    with pytest.raises(ChromiumMissing) as caught:
        printer._ensure_browser()
    text, fix = explain(caught.value, "zh")
    assert "playwright" in text and fix == PIP_FIX
