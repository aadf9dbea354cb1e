"""Browser scenarios: the real app on a real socket, driven by Debian's Chromium.

One app per test session (Dash registers page callbacks globally), served by Werkzeug
in a thread. Every page fixture fails its test if the browser logged a console error
or an uncaught exception — a page that errors in the console is not done.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import chromium_executable

SCREENSHOTS = Path(os.environ.get("CITYBRAIN_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory):
    from citybrain.settings import load_settings
    from store.engine import upgrade

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("browser-var"))
    upgrade(settings.resolved_store_url)
    return settings


@pytest.fixture(scope="session")
def live_server(live_settings) -> Iterator[str]:
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app(live_settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


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


@pytest.fixture(params=[(1920, 1080), (1440, 900)], ids=["wall-1920", "office-1440"])
def page_at(request, browser):
    """A fresh page at a wall and an office size; fails the test on any console error."""
    width, height = request.param
    context, page, watch = open_page(browser, width, height)
    page.cb_size = f"{width}x{height}"
    yield page
    context.close()
    shown = [e[:300] for e in watch.errors[:3]]
    assert watch.errors == [], f"{len(watch.errors)} console error(s), first: {shown}"


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
