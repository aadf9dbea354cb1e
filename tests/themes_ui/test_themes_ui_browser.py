"""The theme surfaces in Chromium on a store with the demo's themes (issue 20): the page
``/t/<code>`` of each of the demo city's themes as the leader and as the owning department's head,
their wall screens at the command centre's sizes (text never below 40 px, nothing outside
its panel), and the daily briefing's theme sections printed — each with no console error.

The demo is prepared for 2 days with a wall screen per theme given as settings
(``[[wall.screens]] kind = "theme"``); the app serves in a thread. Which themes there are is
read from the demo's config: no Python outside simulator/ names them (tests/themes)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.browser.test_wall_browser import MIN_FONT, MIN_WALL_FONT_PX, OUTSIDE, OVERFLOW
from tests.browserkit import open_page

pytestmark = pytest.mark.browser

#: the demo city's themes, by position in its config (it declares two)
THEMES = (0, 1)
PASSWORD = "Passw0rd-{}-x1"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from citybrain import demo as demo_city
    from citybrain.settings import load_settings
    from access.users import add_user
    from store.engine import make_engine

    themes = load_settings(env={}).themes
    assert len(themes) >= len(THEMES), "the demo city declares two themes"
    screens = [{"name": "overview", "kind": "overview", "title_zh": "城市运行总览", "title_en": "City overview"}] + [
        {"name": t.code, "kind": "theme", "theme": t.code, "title_zh": t.name_zh, "title_en": t.name_en,
         "layers": ["districts"]} for t in themes]
    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("themes-ui"), cache_url="null",
                             wall={"screens": screens, "rotate": False})
    demo_city.prepare(settings, days=2, replay_warnings=False)
    engine = make_engine(settings.resolved_store_url)
    add_user(engine, "leader_t", PASSWORD.format("leader_t"), "leader", settings=settings)
    # the head of the department that owns both themes (owner_zh), and one of another department
    add_user(engine, "owner_head_t", PASSWORD.format("owner_head_t"), "department",
             domains=[themes[0].owner_zh], settings=settings)
    add_user(engine, "traffic_head_t", PASSWORD.format("traffic_head_t"), "department", domains=["traffic"],
             settings=settings)
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def server(demo):
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app(demo)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", app
    srv.shutdown()


def signed_in(browser, base: str, user: str, width: int, height: int, locale: str = "zh-CN"):
    context, page, watch = open_page(browser, width, height, locale=locale)
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD.format(user))
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, watch


@pytest.mark.parametrize("user", ["leader_t", "owner_head_t"])
@pytest.mark.parametrize("index", THEMES)
def test_the_theme_page_renders_from_its_spec(browser, server, demo, user, index):
    base, _ = server
    theme = demo.themes[index]
    code = theme.code
    if user == "owner_head_t" and theme.owner_zh != demo.themes[0].owner_zh:
        pytest.skip("the head's department owns the first theme only")
    context, page, watch = signed_in(browser, base, user, 1440, 900)
    try:
        page.goto(f"{base}/t/{code}?range=7d")
        page.wait_for_function(f"() => document.querySelectorAll('.cb-kpi').length === {len(theme.indicators)}",
                               timeout=30_000)
        page.wait_for_function("() => document.querySelectorAll('#theme-chart-ranking .bars path, "
                               "#theme-chart-ranking .point path').length > 0", timeout=30_000)
        page.wait_for_function("() => document.querySelectorAll('.ag-center-cols-container .ag-row').length > 0",
                               timeout=30_000)
        assert page.inner_text(".cb-page-title") == theme.name_zh
        labels = page.locator(".cb-kpi-label").all_inner_texts()
        assert labels == [i.name_zh for i in theme.indicators]  # every card named by the spec, in its order
        assert "—" not in page.locator(".cb-kpi-value").first.inner_text()
        nav = page.locator(".cb-nav-full").inner_text()
        owned = [t for t in demo.themes if user == "leader_t" or t.owner_zh == demo.themes[0].owner_zh]
        assert all(t.name_zh in nav for t in owned)  # the reader's themes in the header
        # drill-down: a click on a place in the table opens its detail
        page.locator(".ag-center-cols-container .ag-row .ag-cell").first.click()
        page.wait_for_function("() => new URLSearchParams(location.search).get('detail')", timeout=15_000)
        page.wait_for_function("() => getComputedStyle(document.getElementById('theme-detail-box')).display === 'block'",
                               timeout=15_000)
    finally:
        context.close()
    assert watch.errors == [], watch.errors[:3]


def test_another_department_head_is_refused(browser, server, demo):
    base, _ = server
    context, page, watch = signed_in(browser, base, "traffic_head_t", 1440, 900)
    try:
        theme = demo.themes[0]
        response = page.goto(f"{base}/t/{theme.code}")
        assert response.status == 403
        assert theme.name_zh not in page.locator("body").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (5760, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("index", THEMES)
def test_the_wall_theme_screen_is_readable(browser, server, demo, index, size):
    base, _ = server
    code = demo.themes[index].code
    context, page, watch = signed_in(browser, base, "leader_t", *size)
    try:
        page.goto(f"{base}/wall/{code}")
        page.wait_for_function(
            "() => { const v = document.querySelector('.cb-wall-screen.cb-active .cb-tile-theme .cb-tile-value');"
            " return v && v.textContent.trim() && v.textContent.trim() !== '—'; }", timeout=30_000)
        page.wait_for_function("() => document.querySelector('.cb-wall-screen.cb-active .cb-rank-row:not(.cb-empty)')",
                               timeout=30_000)
        smallest = page.evaluate(MIN_FONT)
        assert smallest[0] >= MIN_WALL_FONT_PX - 0.5, smallest
        assert page.evaluate(OUTSIDE) == []
        assert page.evaluate(OVERFLOW) == []
        assert demo.themes[index].name_zh in page.locator(".cb-wall-screen.cb-active").first.inner_text()
    finally:
        context.close()
    assert watch.errors == [], watch.errors[:3]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_briefing_prints_a_section_per_theme(server, demo, lang, tmp_path):
    from briefings.archive import print_document
    from briefings.daily import build_daily, default_day
    from store.engine import make_engine

    _, app = server
    engine = make_engine(demo.resolved_store_url)
    with app.server.app_context():
        doc = build_daily(demo, engine, default_day(demo), lang)
    engine.dispose()
    sections = [s for s in doc.sections if s.id.startswith("theme-")]
    assert [s.id for s in sections] == [f"theme-{t.code}" for t in demo.themes if t.briefing]
    # printed in Chromium and checked as every briefing is: each heading in the PDF's text, each figure drawn
    report, _ = print_document(doc, tmp_path / f"brief-{lang}.pdf", timeout=90)
    assert report.ok, report.problems
    for theme in demo.themes:
        assert any(theme.name(lang) in h for h in report.headings_found), report.headings_found
    from briefings.document import Figure

    figures = [[f for b in s.blocks for f in (b if isinstance(b, list) else [b]) if isinstance(f, Figure)]
               for s in sections]
    assert all(figures), "each theme section has its figures (the check fails an empty one)"
    if lang == "en":  # no Chinese in the English sections
        text = repr([[b for b in s.blocks] for s in sections])
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text[:300]
