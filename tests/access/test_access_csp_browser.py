"""Every page renders in Chromium under the Content-Security-Policy, with no violation.

Violations are caught twice: the ``securitypolicyviolation`` events of each document
(listened to from before any page script runs) and Chromium's console messages. A page
counts as rendered when Dash has drawn it and its network has gone quiet; the check is
that the policy blocks nothing any page does (inline scripts, clientside callbacks,
Plotly, Mantine's and Leaflet's styles, fonts, images, the lean wall index).
"""

from __future__ import annotations

from tests.access.harness import PASSWORD
from tests.access.test_access_login_browser import base_url as site  # noqa: F401 — the live server fixture

PAGES = ["/", "/traffic", "/environment", "/tourism", "/economy", "/hotline", "/warnings", "/sources", "/briefings",
         "/audit", "/wall", "/wall/overview"]

LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    [e.violatedDirective, e.blockedURI, (e.sample || '').slice(0, 80), e.sourceFile + ':' + e.lineNumber].join(' | ')));"""

RENDERED = """() => { const root = document.getElementById('react-entry-point');
    return root && root.querySelector('#_pages_content') && root.querySelector('#_pages_content').children.length > 0
        && !document.querySelector('._dash-loading'); }"""


class Watch:
    def __init__(self, page) -> None:
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                and ("Content Security Policy" in m.text or "Refused to" in m.text or m.type == "error") else None)
        page.on("pageerror", lambda e: self.console.append(f"uncaught: {e}"))


def _settle(page) -> None:
    try:
        page.wait_for_load_state("networkidle", timeout=15_000)
    except Exception:  # noqa: BLE001 — a wall polls on an interval: "idle" may never come; the render check follows
        pass
    page.wait_for_timeout(800)  # lazily loaded chunks (graphs, map) and the first callbacks' redraws


def test_every_page_renders_under_the_csp_without_a_violation(site, browser, harness):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.add_init_script(LISTEN)
    page = context.new_page()
    watch = Watch(page)
    response = page.goto(f"{site}/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#username", "u_admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{site}/")
    found: dict[str, list[str]] = {}
    drawn_graphs = 0
    for path in PAGES:
        response = page.goto(f"{site}{path}")
        assert response.status == 200, path
        assert "frame-ancestors" in response.headers["content-security-policy"], path
        page.wait_for_function(RENDERED, timeout=20_000)
        _settle(page)
        drawn_graphs += page.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length")
        violations = page.evaluate("window.__csp") + watch.console
        watch.console.clear()
        if violations:
            found[path] = violations
    # the sign-out form (the frame's), and the sign-in page of a signed-out reader
    page.goto(f"{site}/sources")
    page.wait_for_function(RENDERED, timeout=20_000)
    page.click("#logout")
    page.wait_for_url(f"{site}/login?out=1*")
    found_login = page.evaluate("window.__csp") + watch.console
    context.close()
    assert drawn_graphs > 0, "no Plotly figure was drawn: the policy was not tried on one"
    assert not found and not found_login, f"CSP violations or console errors: {found} {found_login}"


def test_a_wall_screen_opened_with_its_token_renders_under_the_csp(site, browser, harness):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_init_script(LISTEN)
    page = context.new_page()
    watch = Watch(page)
    screen = harness.wall_screen
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.url} {r.headers.get('referer', '')}"))
    page.goto(f"{site}/wall/{screen}?token={harness.wall_token}")
    assert page.url == f"{site}/wall/{screen}", "the token left the address bar"
    page.wait_for_function(RENDERED, timeout=20_000)
    _settle(page)
    violations = page.evaluate("window.__csp") + watch.console
    context.close()
    assert not violations, violations
    later = requests[1:]  # everything after the request that carried the token
    assert later and not [r for r in later if harness.wall_token in r], "the token is in no later URL or Referer"
