"""The command-centre wall in Chromium, against the demo city.

The app runs in a subprocess (so the outage test can stop and start it on the same
port) over a demo store built once for this module, with the wall accelerated by a
test-only settings override (refresh 0.5 s, rotation 1 s). One simulated department
(traffic) is "stopped" 40 minutes ago: its tile must say so while the others carry on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browserkit import SCREENSHOTS, free_port, open_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WALL = {"refresh": "0.5s", "interval": "1s", "rotate": True}
#: the demo's data is frozen while the tests run: give the slow domains room, keep traffic strict
DOMAINS = {"environment": {"max_age": "3h"}, "tourism": {"max_age": "1h"}, "hotline": {"max_age": "1h"}}
SCREENS = ["overview", "environment", "traffic", "tourism", "economy", "hotline"]

SERVE = """
import inspect, json, sys
from citybrain.settings import load_settings
from app import create_app
# sign-in (access/) is another issue's concern: run the demo "open" (no users → everyone admin)
kw = {"open_demo": sys.argv[5] == "open"} if "open_demo" in inspect.signature(create_app).parameters else {}
from werkzeug.serving import make_server
s = load_settings(env={}, data_dir=sys.argv[1], wall=json.loads(sys.argv[3]), domains=json.loads(sys.argv[4]))
make_server("127.0.0.1", int(sys.argv[2]), create_app(s, **kw).server, threaded=True).serve_forever()
"""



class WallServer:
    """The app in a subprocess that can be stopped and started again on the same port."""

    def __init__(self, data_dir: Path, *, open_demo: bool = True) -> None:
        self.data_dir, self.port, self.proc = data_dir, free_port(), None
        self.open_demo = open_demo
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import urllib.request

        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(self.data_dir), str(self.port), json.dumps(WALL), json.dumps(DOMAINS),
             "open" if self.open_demo else "signed"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
            stderr=(self.data_dir / "server.log").open("ab"))  # a file, not a pipe: an undrained pipe stalls the server
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:  # noqa: BLE001 — not up yet
                if self.proc.poll() is not None:
                    raise RuntimeError((self.data_dir / "server.log").read_text(errors="replace")[-2000:])
                time.sleep(0.2)
        raise RuntimeError("wall server did not start in 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A 2-day demo store; traffic stopped 40 min ago; two active warnings and one resolved."""
    from sqlalchemy import insert, update

    import jobs.indicators
    from citybrain import demo
    from citybrain.settings import load_settings
    from store.engine import make_engine
    from store.schema import source_status, users, warnings

    data_dir = tmp_path_factory.mktemp("wall-var")
    settings = load_settings(env={}, data_dir=data_dir)
    demo.prepare(settings, days=2)
    engine = make_engine(settings.resolved_store_url)
    now = dt.datetime.now(dt.timezone.utc)
    jobs.indicators.compute(settings, engine, start=now - dt.timedelta(days=2), end=now, now=now)
    with engine.begin() as conn:
        conn.execute(users.delete())  # open demo: the wall is not what signs people in
        conn.execute(update(source_status).where(source_status.c.domain == "traffic")
                     .values(data_time=now - dt.timedelta(minutes=40)))
        base = {"domain": "environment", "scope_kind": "city", "scope": "", "handling": "unacknowledged",
                "started_at": now - dt.timedelta(hours=1)}
        conn.execute(insert(warnings), [
            base | {"rule": "aqi_red", "level": "red", "state": "firing", "title_zh": "全市AQI重度污染",
                    "title_en": "City AQI heavily polluted", "fired_at": now - dt.timedelta(minutes=30)},
            base | {"rule": "crowd", "domain": "tourism", "level": "yellow", "state": "recovering",
                    "title_zh": "曹丞相府客流超过80%", "title_en": "Cao Cao Mansion above 80%", "fired_at": now},
            base | {"rule": "old", "level": "blue", "state": "resolved", "title_zh": "已解除的预警",
                    "title_en": "A resolved warning", "fired_at": now - dt.timedelta(hours=3)},
        ])
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def wall_server(demo_store):
    server = WallServer(demo_store.data_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chromium(browser):
    """The session's one Chromium (tests/conftest.py): Playwright refuses a second sync instance."""
    return browser


FILLED = """() => {
  const vals = [...document.querySelectorAll('.cb-wall-screen.cb-active .cb-tile-value, .cb-wall-screen.cb-active .cb-vital-value')];
  return vals.length > 0 && vals.every(v => /\\d/.test(v.textContent));
}"""


def _until(page, js: str, arg=None, timeout: float = 45000) -> None:
    """Poll ``js`` (a function) until it returns true. Not ``page.wait_for_function``: its
    string predicates are compiled with eval in the page, which the CSP (no 'unsafe-eval')
    refuses; ``page.evaluate`` runs the function through the DevTools protocol instead."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(js, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout / 1000:.0f} s: {js[:120]}")
        page.wait_for_timeout(200)


def _wait_filled(page) -> None:
    _until(page, FILLED)
    page.wait_for_timeout(600)  # let the figures and map restyle settle


#: (screen width, height, ?canvas= or None): the wall fits whatever screen it is on — the
#: command centre's single panel and three-panel wall with and without a canvas that does not
#: match, an office screen and a phone (a leader may open the wall anywhere)
CASES = [(1920, 1080, None), (1920, 1080, "5760x1080"), (5760, 1080, None), (5760, 1080, "1920x1080"),
         (1440, 900, None), (390, 844, None)]
MIN_WALL_FONT_PX = 40

#: the smallest visible text in the wall's design px (CSS px inside the scaled root, per design
#: unit: 40 is 40 px on a 1920×1080 panel whatever the screen): every element with text of its
#: own, the charts' axis labels (SVG text) included
MIN_FONT = """() => {
  const root = document.getElementById('wall-root');
  const unit = parseFloat(getComputedStyle(root).getPropertyValue('--u')) || 1;
  const sizes = [...root.querySelectorAll('*')]
    .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.getClientRects().length
            && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.leaflet-control-container')
            && !e.closest('.cb-wall-screen:not(.cb-active)'))
    .map(e => [parseFloat(getComputedStyle(e).fontSize) / unit, e.textContent.trim().slice(0, 30)]);
  sizes.sort((a, b) => a[0] - b[0]);
  return sizes[0];
}"""

#: panels (tiles, lists, charts) that stick out of their column, or columns out of the wall
OUTSIDE = """() => {
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const root = document.getElementById('wall-root').getBoundingClientRect();
  const bad = [];
  for (const col of document.querySelectorAll('.cb-wall-col, .cb-wall-center, .cb-wall-head, .cb-wall-ticker')) {
    if (!inside(col.getBoundingClientRect(), root)) bad.push(col.className);
  }
  for (const panel of document.querySelectorAll('.cb-wall-screen.cb-active > *, .cb-wall-screen.cb-active .cb-vital > *')) {
    const col = panel.closest('.cb-wall-col').getBoundingClientRect();
    if (panel.getClientRects().length && !inside(panel.getBoundingClientRect(), col)) bad.push(panel.className);
  }
  return bad;
}"""

#: visible text that leaves its panel (a tile, list, board, chart, the header or the ticker):
#: cut-off rows, values pushed out by a long name. The ticker's track scrolls by design: its
#: items are checked against the ticker's height only.
OVERFLOW = """() => {
  const panels = '.cb-tile, .cb-rank, .cb-board, .cb-fc, .cb-trend, .cb-vital, .cb-wall-head, .cb-wall-ticker, .cb-legends';
  const bad = [];
  for (const e of document.querySelectorAll('#wall-root *')) {
    if (e.closest('.cb-wall-screen:not(.cb-active)') || e.closest('.leaflet-container')) continue;
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
    const panel = e.parentElement.closest(panels);
    if (!panel) continue;
    const r = e.getBoundingClientRect(), p = panel.getBoundingClientRect();
    const tick = panel.classList.contains('cb-wall-ticker');
    const out = r.top < p.top - 1 || r.bottom > p.bottom + 1 || (!tick && (r.left < p.left - 1 || r.right > p.right + 1));
    if (out) bad.push(e.textContent.trim().slice(0, 30));
  }
  return bad;
}"""

#: interactive elements (links, buttons, inputs, focusable) that lie on top of one another
OVERLAP = """() => {
  const els = [...document.querySelectorAll('a, button, input, select, textarea, [role=button], [tabindex]:not([tabindex="-1"])')]
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
            && !e.closest('.cb-wall-screen:not(.cb-active)'));
  const bad = [];
  els.forEach((a, i) => els.slice(i + 1).forEach(b => {
    if (a.contains(b) || b.contains(a)) return;
    const r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1) bad.push([a.outerHTML.slice(0, 60), b.outerHTML.slice(0, 60)]);
  }));
  return bad;
}"""

#: every district outline lies within the map's box (the city is fitted, 禹州市/襄城县 included)
MAP_FIT = """() => {
  const box = document.querySelector('#wall-map').getBoundingClientRect();
  const paths = [...document.querySelectorAll('.cb-map-layer-districts path')];
  const out = paths.map(p => p.getBoundingClientRect())
    .filter(r => r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2 || r.bottom > box.bottom + 2);
  return {n: paths.length, out: out.length};
}"""

PASSWORD = "Wall-accept-pw1"


@pytest.fixture(scope="module")
def signed_server(demo_store, tmp_path_factory):
    """The demo store copied, with a leader who signs in, one wall token per screen, and an open
    red event held by two departments (the boards' and ticker's clocks); served signed-in only."""
    import shutil

    from access.tokens import create_token
    from access.users import add_user
    from citybrain.settings import load_settings
    from dispatch.orders import dispatch, event_from_warning
    from store.engine import make_engine
    from store.schema import warnings

    data_dir = tmp_path_factory.mktemp("wall-signed")
    for name in ("citybrain.db", "citybrain.db-wal", "citybrain.db-shm"):
        if (demo_store.data_dir / name).exists():
            shutil.copy2(demo_store.data_dir / name, data_dir / name)
    settings = load_settings(env={}, data_dir=data_dir)
    engine = make_engine(settings.resolved_store_url)
    from access.roles import Principal
    from sqlalchemy import select

    add_user(engine, "leader", PASSWORD, "leader", settings=settings)
    tokens = {s.name: create_token(engine, kind="wall", name=f"wall {s.name}", role="wall", created_by="test",
                                   screen=s.name, settings=settings)[1] for s in settings.wall.screens}
    with engine.connect() as conn:
        red = conn.execute(select(warnings.c.id).where(warnings.c.rule == "aqi_red")).scalar_one()
    duty = Principal("test-duty", "duty", via="test")
    now = dt.datetime.now(dt.timezone.utc)
    event = event_from_warning(engine, settings, red, actor=duty, now=now - dt.timedelta(minutes=25))
    dispatch(engine, settings, event, ["environment", "traffic"], actor=duty, now=now - dt.timedelta(minutes=25))
    # the city TPI forecast (the forecast job's own backtest and serve); the sites stay without one
    from forecast.run import backtest

    backtest(settings, engine, indicators=["tpi"])
    engine.dispose()
    server = WallServer(data_dir, open_demo=False)
    server.start()
    server.tokens = tokens
    yield server
    server.stop()


def _sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


#: a leader may open the wall on any screen; a wall token opens it on the wall's own panels
#: (the layout depends on the screen, not on who asks: the token's cases check its access path)
ROLE_CASES = [(case, "leader") for case in CASES] + [(case, "wall") for case in CASES if case[2] is None
                                                     and case[0] >= 1920]


@pytest.mark.parametrize("case,role", ROLE_CASES,
                         ids=[f"{c[0]}x{c[1]}-canvas-{c[2] or 'none'}-{r}" for c, r in ROLE_CASES])
def test_every_screen_fits_its_screen_readable_at_5m(signed_server, chromium, case, role):
    """Issue 18's acceptance, per screen size and role (a leader signed in; a wall opened with
    its screen's token): whatever the screen and ?canvas=, every screen of the rotation fills
    the window in the layout its shape calls for, no text is below 40 px of a 1080-line panel,
    no panel leaves its column and no text its panel, no interactive elements overlap, the
    map shows the whole city, the board and ticker carry counts and a running clock, and the
    console stays clean. One browser context per size and role; screenshots kept."""
    width, height, canvas = case
    context, page, watch = open_page(chromium, width, height)
    query = f"canvas={canvas}&" if canvas else ""
    url = signed_server.url
    try:
        if role == "leader":
            _sign_in(page, url)
        for screen in SCREENS:
            t0 = time.monotonic()
            token = f"token={signed_server.tokens[screen]}" if role == "wall" else ""
            if role == "wall":
                # one browser trading one wall token for another: leave the last screen first — a
                # request of it still in flight would answer with its (other screen's) session cookie
                page.goto("about:blank")
            page.goto(f"{url}/wall/{screen}?{query}{token}".rstrip("?&"), wait_until="commit")
            _wait_filled(page)
            page.wait_for_timeout(1200)  # a clock tick: clocks written, rows that do not fit hidden
            loaded = time.monotonic() - t0
            assert loaded < 30, f"{screen} took {loaded:.1f} s to show numbers"
            active = ".cb-wall-screen.cb-active"
            if screen == "overview":
                from citybrain.settings import load_settings

                # the five domains' tiles, and one per theme marked overview (issue 20)
                assert page.locator(f"{active} .cb-tile:not(.cb-tile-th)").count() == 5
                assert page.locator(f"{active} .cb-tile-th").count() == len(
                    {t.code for t in load_settings(env={}).themes for i in t.indicators if i.overview})
                tourism = page.locator(f"{active} .cb-tile-tourism .cb-rank-row:not(.cb-empty)")
                assert tourism.count() >= 1 and "%" in tourism.first.inner_text()
            else:
                assert page.locator(f"{active} .cb-rank-row:not(.cb-empty)").count() >= 1
                # the board: open warnings by level, and the red event with its departments and clock
                board = page.locator(f"{active} .cb-board")
                assert board.locator(".cb-count").count() == 4 and board.is_visible()
            # the header: city name in real CJK glyphs (not empty boxes), a running clock
            city = page.locator(".cb-wall-city")
            assert city.inner_text() == "许昌市"
            assert city.bounding_box()["width"] > 3 * 30 * min(1, width / 1920), "CJK glyphs missing"
            assert ":" in page.locator("#wall-clock").inner_text()
            assert not page.locator(".mantine-AppShell-header").is_visible()
            # the ticker counts open warnings by level and names the red one with its age and owner
            assert page.locator(".cb-ticker-counts .cb-level-red .cb-count-n").inner_text() == "1"
            red = page.locator(".cb-tick.cb-level-red").first
            assert "全市AQI重度污染" in red.inner_text() and "生态环境" in red.inner_text()
            assert ":" in red.locator(".cb-clock").inner_text()
            # fills the screen in the layout for its shape (a portrait screen: the 16:9 wall, whole)
            tall = width / height < 1.3
            _until(page, "([w, h, tall]) => { const r = document.getElementById('wall-root').getBoundingClientRect();"
                         " return Math.abs(r.width - w) < 2 && (tall ? r.height <= h + 1 : Math.abs(r.height - h) < 2); }",
                   [width, height, tall], 5000)
            wide = page.evaluate("() => document.documentElement.classList.contains('cb-wall-wide')")
            assert wide == (width / height >= 2.6), f"{screen}: wrong layout for {width}x{height}"
            size, text = page.evaluate(MIN_FONT)
            assert size >= MIN_WALL_FONT_PX - 0.5, f"{screen}: '{text}' is {size:.1f} px (< {MIN_WALL_FONT_PX})"
            assert page.evaluate(OUTSIDE) == [], f"{screen}: panels outside their column"
            assert page.evaluate(OVERFLOW) == [], f"{screen}: text outside its panel"
            assert page.evaluate(OVERLAP) == [], f"{screen}: interactive elements overlap"
            _until(page, "() => document.querySelectorAll('.cb-map-layer-districts path').length > 0", timeout=10000)
            page.wait_for_timeout(300)
            fit = page.evaluate(MAP_FIT)
            assert fit["n"] >= 5 and fit["out"] == 0, f"{screen}: {fit['out']} of {fit['n']} districts outside the map"
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"wall-{role}-{screen}-{width}x{height}-canvas-{canvas or 'none'}.png"))
    finally:
        context.close()
    assert watch.errors == [], f"console errors: {watch.errors[:3]}"


def test_next_hours_panel_shows_a_stored_forecast_or_says_there_is_none(signed_server, chromium):
    """Issue 22: the traffic screen's 未来4小时 shows the next hours of the stored TPI forecast
    (hour, value, 80 % range) with its standing against the baseline; the tourism screen, whose
    sites have no stored forecast here, says 暂无预测 and shows no number."""
    context, page, watch = open_page(chromium, 1920, 1080)
    try:
        _sign_in(page, signed_server.url)
        page.goto(f"{signed_server.url}/wall/traffic", wait_until="commit")
        _wait_filled(page)
        panel = page.locator(".cb-wall-screen.cb-active .cb-fc")
        _until(page, "() => !document.querySelector('.cb-wall-screen.cb-active .cb-fc-cells').classList.contains('cb-hidden')",
               timeout=15000)
        cells = panel.locator(".cb-fc-cell")
        assert cells.count() == 4
        for i in range(4):
            text = cells.nth(i).inner_text()
            assert "时" in text and "–" in text and any(ch.isdigit() for ch in text), text
        assert "基线" in panel.locator(".cb-fc-note").inner_text()
        assert not panel.locator(".cb-fc-none").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "wall-next-hours-traffic-1920x1080.png"))
        page.goto(f"{signed_server.url}/wall/tourism", wait_until="commit")
        _wait_filled(page)
        panel = page.locator(".cb-wall-screen.cb-active .cb-fc")
        assert panel.locator(".cb-fc-none").inner_text() == "暂无预测" and panel.locator(".cb-fc-none").is_visible()
        assert not panel.locator(".cb-fc-cells").is_visible()
    finally:
        context.close()
    assert watch.errors == []


def test_clocks_count_up_in_the_browser(signed_server, chromium):
    """Issue 21: a board's clock counts up every second in the browser (wall.js sets its text
    from the start time the refresh sent; nothing per second comes from the server); the red
    event's row names both departments holding it."""
    context, page, watch = open_page(chromium, 1920, 1080)
    try:
        _sign_in(page, signed_server.url)
        page.goto(f"{signed_server.url}/wall/environment", wait_until="commit")
        _wait_filled(page)
        row = page.locator(".cb-wall-screen.cb-active .cb-board-row.cb-level-red").first
        _until(page, "() => /\\d:\\d\\d:\\d\\d/.test(document.querySelector("
                     "'.cb-wall-screen.cb-active .cb-board-row.cb-level-red .cb-clock').textContent)", timeout=10000)
        assert "生态环境" in row.inner_text() and "交通" in row.inner_text()
        first = row.locator(".cb-clock").inner_text()
        page.wait_for_timeout(2100)
        second = row.locator(".cb-clock").inner_text()
        h, m, s1 = map(int, first.split(":"))
        h2, m2, s2 = map(int, second.split(":"))
        assert (h2 * 3600 + m2 * 60 + s2) - (h * 3600 + m * 60 + s1) >= 2, (first, second)
        assert (h * 60 + m) >= 24, first  # the event was dispatched 25 minutes before the module began
    finally:
        context.close()
    assert watch.errors == []


def test_stale_department_shows_age_and_badge_others_carry_on(wall_server, chromium):
    context, page, watch = open_page(chromium, 1920, 1080)
    try:
        page.goto(f"{wall_server.url}/wall/overview", wait_until="commit")
        _wait_filled(page)
        tiles = ".cb-wall-screen.cb-active .cb-tile"
        traffic = page.locator(f"{tiles}-traffic")
        assert "cb-is-stale" in traffic.get_attribute("class")
        assert traffic.locator(".cb-stale-badge").is_visible()
        import re

        minutes = re.search(r"(\d+)分钟前", traffic.inner_text())
        assert minutes and int(minutes.group(1)) >= 40, traffic.inner_text()  # stopped 40 min before setup
        for domain in ("environment", "tourism", "economy", "hotline"):
            tile = page.locator(f"{tiles}-{domain}")
            assert not tile.locator(".cb-stale-badge").is_visible(), domain
            assert any(ch.isdigit() for ch in tile.inner_text()), domain
        banner = page.locator(".cb-banner")
        assert "cb-banner-stale" in banner.get_attribute("class") and "交通" in banner.inner_text()
        # the ticker: active warnings counted by level, the red and orange ones named, in their colours
        page.wait_for_selector(".cb-tick.cb-level-red")
        assert "全市AQI重度污染" in page.locator(".cb-tick.cb-level-red").inner_text()
        # (the demo's own replayed warnings may add to the counts: at least the inserted ones)
        assert int(page.locator(".cb-ticker-counts .cb-level-yellow .cb-count-n").inner_text()) >= 1
        assert page.locator(".cb-tick.cb-level-yellow").count() == 0  # counted, not named
        assert "已解除" not in page.locator(".cb-wall-ticker").inner_text()
    finally:
        context.close()
    assert watch.errors == []


def _forget_cached_queries(settings) -> None:
    """Empty the server's file cache (its entries, not its folder): the next refresh reads the store."""
    for entry in (settings.data_dir / "cache").iterdir():
        entry.unlink(missing_ok=True)


def test_a_change_and_its_undoing_both_reach_the_wall(wall_server, chromium, demo_store):
    """A refresh sends only what changed and patches the fingerprints it keeps in the
    browser: a value that changes and then changes back must show both times (a lost
    fingerprint would hold back the second change as "already shown")."""
    from sqlalchemy import delete, insert

    from store.engine import make_engine
    from store.schema import warnings

    engine = make_engine(demo_store.resolved_store_url)
    row = {"rule": "flip", "domain": "traffic", "scope_kind": "city", "scope": "", "handling": "unacknowledged",
           "level": "red", "state": "firing", "title_zh": "临时测试预警", "title_en": "A passing test warning",
           "started_at": dt.datetime.now(dt.timezone.utc), "fired_at": dt.datetime.now(dt.timezone.utc)}
    ticker = ".cb-wall-ticker"
    context, page, watch = open_page(chromium, 1920, 1080)
    try:
        page.goto(f"{wall_server.url}/wall/overview", wait_until="commit")
        _wait_filled(page)
        assert "临时测试预警" not in page.locator(ticker).inner_text()
        for present in (True, False, True, False):
            with engine.begin() as conn:
                if present:
                    conn.execute(insert(warnings), [row])
                else:
                    conn.execute(delete(warnings).where(warnings.c.rule == "flip"))
            _forget_cached_queries(demo_store)
            _until(page, "([sel, on]) => document.querySelector(sel).textContent.includes('临时测试预警') === on",
                   [ticker, present], timeout=20000)
    finally:
        context.close()
        with engine.begin() as conn:
            conn.execute(delete(warnings).where(warnings.c.rule == "flip"))
        engine.dispose()
    assert watch.errors == []


@pytest.mark.slow
def test_longevity_dom_and_heap_stay_flat(wall_server, chromium, record_property):
    """Hundreds of refresh and rotation cycles in a real Chromium: nodes and heap stay flat."""
    from sqlalchemy import update

    from store.engine import make_engine
    from store.schema import warnings

    context, page, watch = open_page(chromium, 1920, 1080)
    engine = make_engine(f"sqlite:///{wall_server.data_dir.resolve() / 'citybrain.db'}")
    posts = []
    page.on("request", lambda r: posts.append(1) if "_dash-update-component" in r.url else None)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def measure() -> tuple[int, float]:
        cdp.send("HeapProfiler.collectGarbage")
        nodes = page.evaluate("() => document.getElementsByTagName('*').length")
        heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["JSHeapUsedSize"]
        return nodes, heap

    try:
        t0 = time.monotonic()
        page.goto(f"{wall_server.url}/wall", wait_until="commit")
        _wait_filled(page)
        load = time.monotonic() - t0
        page.evaluate("""() => { window.__rotations = 0; new MutationObserver(() => window.__rotations++)
            .observe(document.getElementById('wall-title'), {childList: true, characterData: true, subtree: true}); }""")
        page.wait_for_timeout(8000)  # warm up: every screen shown once, caches and fonts loaded
        nodes0, heap0 = measure()
        posts.clear()
        samples = []
        for i in range(12):
            with engine.begin() as conn:  # make the data change too: the ticker flips between 1 and 2 warnings
                conn.execute(update(warnings).where(warnings.c.rule == "crowd")
                             .values(state="recovering" if i % 2 else "resolved"))
            page.wait_for_timeout(5000)
            samples.append(measure())
        nodes1, heap1 = measure()
        rotations = page.evaluate("() => window.__rotations")
        refreshes = len(posts) // 2  # refresh + heartbeat per tick
    finally:
        context.close()
        engine.dispose()
    report = (f"load {load:.1f} s; {rotations} rotations, {refreshes} refreshes; nodes {nodes0} → {nodes1} "
              f"(max {max(s[0] for s in samples)}); heap {heap0 / 1e6:.1f} MB → {heap1 / 1e6:.1f} MB "
              f"(max {max(s[1] for s in samples) / 1e6:.1f} MB)")
    record_property("longevity", report)
    print("\nlongevity:", report)
    (SCREENSHOTS / "wall-longevity.txt").write_text(report + "\n", encoding="utf-8")
    assert rotations >= 30 and refreshes >= 60, report  # floors for a loaded CI box; see the report
    assert abs(nodes1 - nodes0) <= max(20, nodes0 * 0.02), report
    assert heap1 <= heap0 * 1.3 + 2e6, report
    assert [e for e in watch.errors] == [], watch.errors[:3]


def test_server_outage_banner_and_recovery(wall_server, chromium, demo_store):
    """Stop the server under a running wall → banner; start it → the wall recovers by itself."""
    from sqlalchemy import select

    from store.engine import make_engine
    from store.schema import wall_heartbeats

    context, page, _watch = open_page(chromium, 1920, 1080)  # network errors are expected here
    try:
        page.goto(f"{wall_server.url}/wall?client=test-wall", wait_until="commit")
        _wait_filled(page)
        banner = page.locator("#wall-conn-banner")
        assert "cb-hidden" in banner.get_attribute("class")
        wall_server.stop()
        _until(page, "() => !document.getElementById('wall-conn-banner').classList.contains('cb-hidden')",
               timeout=15000)
        assert "连接已中断" in banner.inner_text()
        value = page.locator(".cb-wall-screen.cb-active .cb-tile-value, .cb-wall-screen.cb-active .cb-vital-value").first
        assert any(ch.isdigit() for ch in value.inner_text()), "the last picture stays"
        page.wait_for_timeout(2000)
        page.screenshot(path=str(SCREENSHOTS / "wall-connection-lost-1920x1080.png"))
        restarted = dt.datetime.now(dt.timezone.utc)
        wall_server.start()
        _until(page, "() => document.getElementById('wall-conn-banner').classList.contains('cb-hidden')",
               timeout=20000)
        page.wait_for_timeout(2000)
        engine = make_engine(demo_store.resolved_store_url)
        with engine.connect() as conn:
            beat = conn.execute(select(wall_heartbeats).where(wall_heartbeats.c.client == "test-wall")).one()
        engine.dispose()
        last = beat.last_seen if beat.last_seen.tzinfo else beat.last_seen.replace(tzinfo=dt.timezone.utc)
        assert last > restarted, "the wall's refresh reached the restarted server without a reload"
        assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    finally:
        context.close()


#: the office map card: every district outline inside the map box, and the legend shown
PAGE_MAP_FIT = """() => {
  const box = document.querySelector('.cb-page-map').getBoundingClientRect();
  const paths = [...document.querySelectorAll('.cb-page-map .cb-map-layer-districts path')];
  const out = paths.filter(p => { const r = p.getBoundingClientRect();
    return r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2 || r.bottom > box.bottom + 2; });
  const legend = document.querySelector('.cb-citymap-box > .cb-legend');
  return {n: paths.length, out: out.length, legend: legend ? getComputedStyle(legend).display : 'none',
          width: box.width};
}"""


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_domain_page_map_is_fitted_with_a_legend_and_drills_down(wall_server, chromium, size):
    """The pages' map cards: the real outlines fitted to the card (phone included), the legend
    of the page's theme in the standard colours, and a click on a district filters the page."""
    width, height = size
    context, page, watch = open_page(chromium, width, height)
    try:
        page.goto(f"{wall_server.url}/environment", wait_until="commit")
        _until(page, "() => document.querySelectorAll('.cb-page-map .cb-map-layer-districts path').length >= 5",
               timeout=30000)
        page.locator(".cb-page-map").scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        fit = page.evaluate(PAGE_MAP_FIT)
        assert fit["n"] >= 5 and fit["out"] == 0 and fit["legend"] != "none", fit
        assert fit["width"] <= width, "the map card is wider than the phone"
        legend = page.locator(".cb-citymap-box > .cb-legend").inner_text()
        assert "轻度污染" in legend and "HJ 633" in legend
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".cb-page-map-box").screenshot(path=str(SCREENSHOTS / f"page-map-environment-{width}x{height}.png"))
        # drill down: a click on 襄城县's outline filters the page to it
        target = page.evaluate("""() => {
          const b = document.querySelector('.cb-page-map').getBoundingClientRect();
          const paths = [...document.querySelectorAll('.cb-page-map .cb-map-layer-districts path')];
          const r = paths.map(p => p.getBoundingClientRect()).sort((a, c) => c.width * c.height - a.width * a.height)[0];
          return [r.left + r.width / 2, r.top + r.height / 2];
        }""")
        page.mouse.click(*target)
        _until(page, "() => new URL(location.href).searchParams.has('district')", timeout=10000)
        code = page.evaluate("() => new URL(location.href).searchParams.get('district')")
        assert code.startswith("4110"), code
    finally:
        context.close()
    assert watch.errors == [], f"console errors: {watch.errors[:3]}"


def test_rotation_changes_the_map_theme_and_legend(wall_server, chromium):
    """One map for every screen: rotating to the hotline screen shades districts by calls
    (blues) and shows the calls legend; the overview shades them by the index."""
    from components.citymap import CALLS_COLORS, NO_DATA

    fills = "() => [...document.querySelectorAll('#wall-map .cb-map-layer-districts path')].map(p => p.getAttribute('fill'))"
    legend = ("() => [...document.querySelectorAll('.cb-legends .cb-legend')]"
              ".filter(l => getComputedStyle(l).display !== 'none').map(l => l.className)")
    context, page, watch = open_page(chromium, 1920, 1080)
    try:
        page.goto(f"{wall_server.url}/wall", wait_until="commit")
        _wait_filled(page)
        # the wall rotates every second here: check each screen's picture in one look
        blues = json.dumps([c.lower() for c in CALLS_COLORS])
        calls = (f"() => document.getElementById('wall-root').className.includes('cb-theme-calls')"
                 f" && ({fills})().every(f => {json.dumps([c.lower() for c in (*CALLS_COLORS, NO_DATA)])}"
                 f".includes((f || '').toLowerCase())) && ({fills})().some(f => {blues}.includes((f || '').toLowerCase()))"
                 f" && JSON.stringify(({legend})()) === '[\"cb-legend cb-legend-calls\"]'")
        # the hotline screen is one second in eight (the themes' screens rotate too): on a
        # busy machine a restyle may miss a turn, so allow a few rounds
        _until(page, calls, timeout=60000)
        index = (f"() => document.getElementById('wall-root').className.includes('cb-theme-index')"
                 f" && !({fills})().some(f => {blues}.includes((f || '').toLowerCase()))"
                 f" && JSON.stringify(({legend})()) === '[\"cb-legend cb-legend-index\"]'")
        _until(page, index, timeout=30000)
    finally:
        context.close()
    assert watch.errors == [], f"console errors: {watch.errors[:3]}"
