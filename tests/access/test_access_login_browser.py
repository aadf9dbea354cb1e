"""A real browser signs in through the login page and lands on the page it asked for."""

from __future__ import annotations

import threading

import pytest

from tests.access.harness import PASSWORD



@pytest.fixture(scope="module")
def base_url(harness):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, harness.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_sign_in_then_forbidden_page_then_sign_out(base_url, browser):
    """One Playwright per session: the shared ``browser`` fixture (tests/conftest.py)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/traffic")
    assert "/login" in page.url
    page.fill("#username", "u_traffic")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    assert page.locator("[role=alert]").is_visible()
    page.fill("#username", "u_traffic")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base_url}/traffic")
    # a function, not an expression: Playwright eval()s an expression, which the CSP refuses
    page.wait_for_function("() => (document.querySelector('#traffic-kpis') || {}).textContent", timeout=20_000)
    cookie = next(c for c in page.context.cookies() if c["name"] == "citybrain_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    response = page.goto(f"{base_url}/environment")
    assert response.status == 403 and "无权访问" in page.content()
    page.goto(f"{base_url}/logout")  # a GET only asks: the sign-out is the form's POST
    page.click("#logout-submit")
    page.wait_for_url(f"{base_url}/login?out=1*")
    page.goto(f"{base_url}/traffic")
    assert "/login" in page.url, "signed out"
    context.close()
