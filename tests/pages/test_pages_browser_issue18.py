"""Issue 18 on screen: the English header at 1440 px stays one line, and a Chinese page's
date axes carry Chinese dates (plotly's zh-CN locale and the per-language tick formats)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("page_at", [(1440, 900)], indirect=True, ids=["office-1440"])
def test_english_header_stays_on_one_line_and_hotline_axes_read_in_each_language(page_at, live_server):
    page = page_at
    page.goto(f"{live_server}/hotline?range=7d")
    page.wait_for_selector("#hotline-chart-rates .xtick text")
    ticks = _texts(page, "#hotline-chart-rates .xtick text")
    assert ticks and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", x) for x in ticks), ticks
    assert not any(re.search(r"20(0|1)\d", x) for x in ticks), "MM-DD read as a year"
    page.context.add_cookies([{"name": "citybrain_lang", "value": "en", "url": live_server}])
    page.goto(f"{live_server}/hotline?range=7d")
    page.wait_for_selector("#hotline-chart-rates .xtick text")
    en = _texts(page, "#hotline-chart-rates .xtick text")
    assert en and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", x) for x in en), en
    header = page.locator(".cb-header")
    box = header.bounding_box()
    links = [a.bounding_box() for a in page.locator(".cb-nav-full a.cb-nav").all()]
    assert links, "the English header shows its links at 1440 px"
    assert len({round(b["y"]) for b in links}) == 1, "the navigation wrapped onto a second line"
    assert all(b["y"] + b["height"] <= box["y"] + box["height"] + 1 for b in links)


def _texts(page, selector: str) -> list[str]:
    """Text of SVG elements (tick labels have no innerText)."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
