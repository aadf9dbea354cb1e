"""Browser-test helpers: Chromium flags, console watching, screenshots, clipping checks.

Plain functions; the fixtures that use them (``browser``, ``page_at``) live in
tests/conftest.py so one Playwright instance serves the whole session — Playwright's
sync API refuses a second instance while one runs.
"""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOTS = Path(os.environ.get("CITYBRAIN_SCREENSHOTS", Path(__file__).resolve().parents[1] / "screenshots"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

class ConsoleWatch:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(msg.text)

    def on_pageerror(self, exc) -> None:
        self.errors.append(f"uncaught: {exc}")


def open_page(browser, width: int, height: int, *, locale: str = "zh-CN"):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    watch = ConsoleWatch()
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_pageerror)
    return context, page, watch


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.cb_size}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_overflow(page, selector: str) -> None:
    """No element under ``selector`` has text wider than its box (clipped text)."""
    clipped = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel + ' *')]
            .filter(e => e.children.length === 0 && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1
                     && getComputedStyle(e).overflow !== 'visible')
            .map(e => e.textContent.trim().slice(0, 40))""",
        selector,
    )
    assert clipped == [], f"clipped text: {clipped}"


def free_port() -> int:
    """A TCP port nobody listens on now, for a test's own server."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
