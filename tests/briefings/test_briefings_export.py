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
