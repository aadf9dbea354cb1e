"""Issue 18 acceptance: every office page, as every role that opens it, at a phone and an
office size, and as the admin (who opens them all) and a district head at a wall and a
triple-wall size — no console error, no failed request, nothing overflowing its box, no
two controls on top of each other, on a triple-wall one centred column of at most 1800 px;
a screenshot of each kept in ``SCREENSHOTS/matrix``.

The pages come from Dash's page registry (read by the server, filtered by the role's own
view rights), so a page another module registers later is visited without editing this
file; a page with a path template is visited through the links the role's menu offers
(and the warning detail page through a real warning). The wall is tested by its own suite.

Bounded time: one sign-in per role, one browser context per (role, size) and every page
visited in it; the store is 2 demo days built once. The run time is printed at the end
(``-s`` shows it); it is a report, never an assertion.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browserkit import SCREENSHOTS, ConsoleWatch, free_port

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("admin", "leader", "duty", "traffic_head", "traffic_411002", "analyst")
#: every role at a phone and an office screen; the wall sizes as the admin, who opens every
#: page the others do, and as the district head, whose pages hold one district's view (the
#: layout at 1920 and 5760 px follows the width and the data's shape, not the role's name)
SIZES = ((390, 844), (1440, 900))
WIDE = ((1920, 1080), (5760, 1080))
WIDE_ROLES = ("admin", "traffic_411002")
#: pages with their own suites (the wall: its canvas and text-size rules) or no content
SKIP_PREFIXES = ("/wall", "/404")
#: pages designed for the phone (issue 18): their controls must be ≥ 44 px tall at 390 px
PHONE_FIRST = ("/", "/warnings")

SERVE = """
import json, sys
from pathlib import Path
import dash
from citybrain.settings import load_settings
from app import create_app
from access.users import get_user, principal_of
from access.pages import page_resource
from access.roles import allowed
from store.engine import make_engine
from waitress import serve
s = load_settings(env={}, data_dir=sys.argv[1], cache_url="null")
app = create_app(s)
engine = make_engine(s.resolved_store_url)
pages = {}
for user in json.loads(sys.argv[3]):
    p = principal_of(get_user(engine, user))
    pages[user] = [{"path": e.get("path_template") or e["path"], "template": bool(e.get("path_template"))}
                   for e in dash.page_registry.values()
                   if page_resource(e) is None or allowed(p, "view", page_resource(e))]
Path(sys.argv[4]).write_text(json.dumps(pages))
serve(app.server, host="127.0.0.1", port=int(sys.argv[2]), threads=6, _quiet=True)
"""

#: the checks run in the page, after it settled. Returns a dict of findings (lists of strings).
CHECKS = """(phone) => {
  const out = {hscroll: [], clipped: [], sticking: [], overlap: [], small: []};
  const W = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > W + 1) {
    const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect(); return r.width > 0 && r.right > W + 1 && !clippedBy(e);
    }).filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > W + 1));
    out.hscroll = wide.slice(0, 5).map(describe);
  }
  function describe(e) {
    const id = e.id ? '#' + e.id : '';
    const cls = (typeof e.className === 'string' && e.className) ? '.' + e.className.trim().split(/\\s+/).slice(0, 2).join('.') : '';
    return (e.tagName.toLowerCase() + id + cls + ' "' + (e.textContent || '').trim().slice(0, 30) + '"');
  }
  function clips(el) {
    const s = getComputedStyle(el);
    return s.overflowX !== 'visible' || s.overflowY !== 'visible';
  }
  function clippedBy(e) {  // an ancestor that clips or scrolls e (a grid, a scrolling table)
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (clips(a)) return a;
    return null;
  }
  function visible(e) {
    const s = getComputedStyle(e);
    if (s.visibility === 'hidden' || s.display === 'none' || +s.opacity === 0) return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  // text cut off by its own box (the "已…" badge, "A source's maintenance windo")
  for (const e of document.querySelectorAll('body *')) {
    if (e.children.length || !e.textContent.trim() || !visible(e)) continue;
    if (e.closest('.ag-root, .js-plotly-plot, .leaflet-container, [aria-hidden="true"]')) continue;
    const s = getComputedStyle(e);
    if (s.clip !== 'auto' || s.clipPath !== 'none' || e.clientWidth <= 1) continue;  // for screen readers only
    if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
    if (s.overflowX === 'auto' || s.overflowX === 'scroll') continue;
    if (e.scrollWidth > e.clientWidth + 1) out.clipped.push(describe(e));
  }
  // a card's content sticking out of the card on the right (a squeezed table, a long label)
  for (const card of document.querySelectorAll('.mantine-Paper-root, .mantine-Card-root')) {
    if (!visible(card) || clips(card)) continue;
    const cr = card.getBoundingClientRect();
    for (const e of card.querySelectorAll('*')) {
      if (!visible(e) || e.closest('.leaflet-container, .js-plotly-plot, .ag-root-wrapper')) continue;
      const c = clippedBy(e);
      if (c && card.contains(c)) continue;
      const r = e.getBoundingClientRect();
      if (r.right > cr.right + 2) { out.sticking.push(describe(card) + ' > ' + describe(e)); break; }
    }
  }
  // interactive elements on top of each other, each rectangle cut to what its scrolling
  // ancestors let show; nested ones (a button inside a link) are one control
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab], [role=checkbox], [role=combobox]';
  const items = [];
  for (const e of document.querySelectorAll(sel)) {
    if (!visible(e) || e.closest('.ag-root-wrapper, .js-plotly-plot, .leaflet-container, details:not([open]) > :not(summary)')) continue;
    let r = e.getBoundingClientRect();
    let box = {l: r.left, t: r.top, r: r.right, b: r.bottom};
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (!clips(a)) continue;
      const ar = a.getBoundingClientRect();
      box = {l: Math.max(box.l, ar.left), t: Math.max(box.t, ar.top), r: Math.min(box.r, ar.right), b: Math.min(box.b, ar.bottom)};
    }
    if (box.r - box.l > 1 && box.b - box.t > 1) items.push([e, box]);
  }
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    const [a, p] = items[i], [b, q] = items[j];
    if (a.contains(b) || b.contains(a)) continue;
    const wrap = a.closest('.mantine-Input-wrapper');  // an input and its own clear button: one control
    if (wrap && wrap === b.closest('.mantine-Input-wrapper')) continue;
    const w = Math.min(p.r, q.r) - Math.max(p.l, q.l), h = Math.min(p.b, q.b) - Math.max(p.t, q.t);
    if (w > 2 && h > 2) out.overlap.push(describe(a) + ' × ' + describe(b));
  }
  // 掌上驾驶舱: on a phone every control of the page (not the menu) is a thumb's size
  if (phone) for (const [e, box] of items) {
    if (!e.closest('.mantine-AppShell-main') || e.closest('.ag-root-wrapper')) continue;
    const r = e.getBoundingClientRect();
    if (r.height < 43.5 && e.closest('label') === null) out.small.push(describe(e) + ' ' + Math.round(r.height) + 'px');
  }
  for (const k of Object.keys(out)) out[k] = [...new Set(out[k])].slice(0, 6);
  return out;
}"""



@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory) -> Iterator[tuple[str, dict[str, list[dict]]]]:
    """A 2-day demo store with the demo's users (a known password each), served by a
    subprocess (one Dash app per process); its URL and the pages each user may open."""
    from rich.console import Console

    from access.users import ensure_demo_users, set_password
    from citybrain.demo import prepare
    from citybrain.settings import load_settings
    from store.engine import make_engine

    data_dir = tmp_path_factory.mktemp("matrix")
    settings = load_settings(env={}, data_dir=data_dir, cache_url="null")
    prepare(settings, days=2, console=Console(quiet=True))
    engine = make_engine(settings.resolved_store_url)
    for user, _pw, _role in ensure_demo_users(engine, settings):
        set_password(engine, user, _password(user))
    engine.dispose()
    port, pages_file = free_port(), data_dir / "pages.json"
    log = (data_dir / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(data_dir), str(port), json.dumps(ROLES),
                             str(pages_file)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start: {(data_dir / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield url, json.loads(pages_file.read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _password(user: str) -> str:
    return f"Matrix-{user}-pw1"


def _sign_in(browser, url: str, user: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", _password(user))
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    state = context.storage_state()
    context.close()
    return state


def _paths(pages: list[dict], menu: list[str], warning: str | None) -> list[str]:
    """The role's pages: plain paths from the registry, template pages through the menu's
    links (a theme's /t/<code>) or, for the warning detail, a real warning."""
    out = [p["path"] for p in pages if not p["template"]]
    for p in pages:
        if p["template"] and p["path"].startswith("/warnings/") and warning:
            out.append(warning)
    prefixes = [p["path"].split("<")[0] for p in pages if p["template"]]
    out += [m for m in menu if any(m.startswith(x) for x in prefixes if x != "/")]
    return [p for p in dict.fromkeys(out) if not p.startswith(SKIP_PREFIXES)]


#: at 5760 px: the page's content is one column of at most 1800 px, centred (issue 18)
CENTRED = """() => [...document.querySelectorAll('#_pages_content > *')].filter(e => e.offsetParent !== null)
  .map(e => e.getBoundingClientRect()).filter(r => r.width > 1801 ||
    Math.abs(r.left - (document.documentElement.clientWidth - r.right)) > 40)
  .map(r => `content ${Math.round(r.left)}–${Math.round(r.right)} px, not one centred column of ≤ 1800 px`)"""


def _settle(page) -> None:
    """Until the network is quiet and no Dash component waits for a callback."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.querySelector('#_pages_content') && document.querySelector('#_pages_content').children.length"
                           " && !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=10_000)
    page.wait_for_timeout(300)  # the graphs' last relayout


@pytest.mark.timeout(1800)
def test_every_page_at_every_size_as_every_role(browser, matrix_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url, registry = matrix_server
    out = SCREENSHOTS / "matrix"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    problems: list[str] = []
    visits = 0
    for user in ROLES:
        state = _sign_in(browser, url, user)
        plan: list[str] | None = None
        for width, height in SIZES + (WIDE if user in WIDE_ROLES else ()):
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                          storage_state=state)
            page = context.new_page()
            watch, failed = ConsoleWatch(), []
            page.on("console", watch.on_console)
            page.on("pageerror", watch.on_pageerror)
            page.on("response", lambda r, failed=failed: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
            if plan is None:
                page.goto(url + "/warnings")
                _settle(page)
                menu = page.eval_on_selector_all(".cb-menu-link", "els => els.map(e => e.getAttribute('href'))")
                first = page.eval_on_selector_all(".cb-wrow[data-id]", "els => els.map(e => e.dataset.id)")
                plan = _paths(registry[user], menu, f"/warnings/{first[0]}" if first else None)
                assert plan, f"{user} opens no page"
            for path in plan:
                where = f"{user} {width}x{height} {path}"
                page.goto(url + path)
                try:
                    _settle(page)
                except PlaywrightTimeout:
                    problems.append(f"{where}: still loading after 10 s")
                visits += 1
                found = page.evaluate(CHECKS, width < 500 and path.split("?")[0] in PHONE_FIRST)
                if width > 3000:
                    found["wide"] = page.evaluate(CENTRED)
                for kind, items in found.items():
                    problems += [f"{where}: {kind}: {item}" for item in items]
                problems += [f"{where}: console: {e[:200]}" for e in watch.errors]
                problems += [f"{where}: response {f}" for f in failed]
                watch.errors.clear()
                failed.clear()
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(out / f"{user}-{name}-{width}x{height}.png"), full_page=width < 1000)
            context.close()
    elapsed = time.monotonic() - started
    print(f"\nmatrix: {visits} page visits in {elapsed:.0f} s ({elapsed / max(visits, 1):.2f} s each)")
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:80])
