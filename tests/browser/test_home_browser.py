"""The home page in Chromium: the city, its sources, both languages, no console errors."""

from __future__ import annotations

import pytest

from tests.browserkit import assert_no_overflow, screenshot

pytestmark = pytest.mark.browser


def test_home_shows_city_and_every_source(live_server, live_settings, page_at):
    page = page_at
    page.goto(live_server + "/")
    page.wait_for_selector(".cb-sources-table tbody tr")
    assert page.locator(".cb-home-city").inner_text() == "许昌市"
    rows = page.locator(".cb-sources-table tbody tr")
    assert rows.count() == len(live_settings.sources)
    assert "市生态环境局" in page.locator(".cb-sources-table").inner_text()
    # Chinese glyphs really render: the CJK font is wider than a fallback box would be.
    width = page.evaluate("() => { const s = document.querySelector('.cb-home-city');"
                          " return s.getBoundingClientRect().width; }")
    assert width > 60
    assert_no_overflow(page, ".mantine-AppShell-main")
    screenshot(page, "home-zh")


def test_language_switch_is_remembered(live_server, page_at):
    page = page_at
    page.goto(live_server + "/")
    page.click("#lang-switch")
    page.wait_for_selector(".cb-sources-table tbody tr")
    assert page.locator(".cb-home-city").inner_text() == "Xuchang"
    assert "Data sources" in page.content()
    page.goto(live_server + "/")  # remembered across visits
    page.wait_for_selector(".cb-home-city")
    assert page.locator(".cb-home-city").inner_text() == "Xuchang"
    screenshot(page, "home-en")
