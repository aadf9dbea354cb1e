"""Chromium prints the print layout: one browser per process, driven from one thread.

Playwright's sync API is bound to the thread that started it, while requests (the
threaded dev server, gunicorn threads) and scheduler jobs arrive on any thread. So a
:class:`Printer` owns a single worker thread; every print is submitted to it and the
browser it launched on first use is reused for every later print in the process. A
crashed browser is relaunched on the next print.

The document is served to the page from memory through Playwright's request routing
(``http://print.citybrain/``), together with plotly.js from the installed plotly
package — no web server, no sign-in and no network is needed, so ``citybrain brief``
and the scheduler print exactly what the web route prints.

Loading plotly.js costs more than drawing a whole briefing, so the printer keeps one
warm page with it loaded and swaps each document into it (``cbRender``), replacing the
page every :attr:`Printer.WARM_PRINTS` prints to bound what it can accumulate.

Printing waits for the explicit signal the layout's script raises once every figure is
drawn (``window.cbPrint.done``), never a fixed sleep; the script's record of what it
drew (points per figure, errors) comes back with the PDF for the checks.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citybrain.errors import ChromiumMissing, PrintFailed

BASE = "http://print.citybrain"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
#: The one command that gives a Debian/Ubuntu machine everything printing needs: Chromium,
#: Noto Sans CJK (what the screens draw Chinese with), WenQuanYi Micro Hei (a TrueType CJK
#: face: Chromium embeds it in the PDF as a named font, Noto's CFF outlines become unnamed
#: Type 3 glyphs — see briefings.layout.FONT) and poppler-utils (the PDF checks).
APT_FIX = "sudo apt-get install chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils"
#: The one command that installs the Python driver (no `playwright install`: the system Chromium is used).
PIP_FIX = "python3 -m pip install playwright"
INSTALL_HINT = (f"install it with `{APT_FIX}` (Debian/Ubuntu; .ci/run does this) "
                "or set CITYBRAIN_CHROMIUM to the path of a Chromium/Chrome binary")


def missing(reason: str, fix: str, message: str, detail: str = "", executable: str | None = None) -> ChromiumMissing:
    """A :class:`ChromiumMissing` that also says, for the web page and the archive, which
    part is missing (``reason``: playwright | binary | launch), the one command that fixes
    it and the executable it looked for — :func:`explain` renders it in either language."""
    exc = ChromiumMissing(message)
    exc.reason, exc.fix, exc.detail = reason, fix, detail  # type: ignore[attr-defined]
    exc.executable = executable or chromium_path()  # type: ignore[attr-defined]
    return exc


def explain(exc: BaseException, lang: str) -> tuple[str, str]:
    """(what is wrong, the command that fixes it) in ``lang`` for a printing failure:
    the archive row and the 导出简报 answer say it to a person, not as a stack trace."""
    from citybrain.i18n import t

    reason = getattr(exc, "reason", None)
    if isinstance(exc, ChromiumMissing) and reason:
        text = t(f"brief.print.missing.{reason}", lang, path=getattr(exc, "executable", chromium_path()),
                 detail=getattr(exc, "detail", ""))
        return text, str(getattr(exc, "fix", ""))
    # the PDF checks need poppler-utils (briefings.checks._tool): the same apt command installs it
    return t("brief.print.failed", lang, detail=str(exc)), APT_FIX if "poppler" in str(exc) else ""


def chromium_path() -> str:
    """The Chromium binary to print with (``CITYBRAIN_CHROMIUM``, else ``/usr/bin/chromium``)."""
    return os.environ.get("CITYBRAIN_CHROMIUM", "/usr/bin/chromium")


@functools.cache
def plotly_js() -> bytes:
    """The plotly.js the pages draw with: its basic bundle (scatter, bar, pie — every
    trace the figure builders make), vendored in ``assets/vendor`` at the version of the
    installed plotly package (a quarter of the full bundle's size and parse time), and the
    zh-CN locale the pages register beside it."""
    from citybrain.settings import PROJECT_ROOT

    vendor = PROJECT_ROOT / "assets" / "vendor"
    # with its zh-CN locale registered, as the pages have it (Chinese month names on date axes)
    return (vendor / "plotly-basic.min.js").read_bytes() + b"\n" + (vendor / "plotly-locale-zh-cn.js").read_bytes()


@dataclass
class Printed:
    """A printed PDF and what the layout's script reported while drawing it."""

    pdf: bytes
    figures: list[dict[str, Any]] = field(default_factory=list)  # id, points, drawn, height, error
    headings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    seconds: float = 0.0


class Printer:
    """A headless Chromium of this process, reused for every print (see module docstring)."""

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or chromium_path()
        self._thread = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="citybrain-printer")
        self._playwright: Any = None
        self._browser: Any = None
        self._warm: Any = None  # (context, page, errors list, prints served)
        self._lock = threading.Lock()

    # -- public
    def print_parts(self, css: str, body: str, *, lang: str = "zh-CN", title: str = "", header: str = "",
                    footer: str = "", timeout: float = 60.0) -> Printed:
        """Print a document given as (stylesheet, body, from :func:`briefings.layout.render_parts`)
        in the warm page, wait for its "all figures drawn" signal, print A4 portrait."""
        future = self._thread.submit(self._print_warm, css, body, lang, title, header, footer, timeout)
        try:
            return future.result(timeout=timeout + 30)
        except cf.TimeoutError:
            raise PrintFailed(f"Chromium did not finish printing within {timeout + 30:.0f} s") from None

    def close(self) -> None:
        """Close the browser and stop the thread (idempotent)."""
        with self._lock:
            try:
                self._thread.submit(self._shutdown).result(timeout=30)
            except (RuntimeError, cf.TimeoutError):
                pass
            self._thread.shutdown(wait=False)

    # -- on the printer thread
    def _ensure_browser(self) -> Any:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if not Path(self.executable).exists():
            raise missing("binary", APT_FIX, f"no Chromium at {self.executable} to print the briefing with; {INSTALL_HINT}",
                          executable=self.executable)
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise missing("playwright", PIP_FIX, "the Python package playwright is missing; install it with "
                          f"`{PIP_FIX}` (no `playwright install` needed: citybrain uses the system Chromium)"
                          + ("" if Path(self.executable).exists() else f"; then {INSTALL_HINT}")) from None
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 — Playwright's launch errors have no common base worth naming
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise missing("launch", APT_FIX, f"Chromium at {self.executable} did not start ({first}); {INSTALL_HINT}",
                          first, executable=self.executable) from None
        return self._browser

    #: prints served by one warm page before it is replaced (bounds what a page can leak)
    WARM_PRINTS = 50

    def _warm_page(self, timeout: float) -> tuple[Any, list[str]]:
        if self._warm is not None:
            context, page, errors, served = self._warm
            if served < self.WARM_PRINTS and not page.is_closed() and self._browser.is_connected():
                self._warm = (context, page, errors, served + 1)
                errors.clear()
                return page, errors
            self._close_warm()
        from briefings.layout import shell_html

        browser = self._ensure_browser()
        context = browser.new_context(viewport={"width": 794, "height": 1123})
        errors: list[str] = []
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.route(f"{BASE}/**", functools.partial(_serve, shell_html().encode("utf-8")))
        try:
            page.goto(f"{BASE}/", wait_until="load", timeout=timeout * 1000)
            page.wait_for_function("() => typeof Plotly !== 'undefined' && typeof cbRender === 'function'",
                                   timeout=timeout * 1000)
        except Exception as exc:  # noqa: BLE001 — Playwright TimeoutError/Error
            context.close()
            raise PrintFailed(f"the print page did not load plotly.js ({str(exc).splitlines()[0]})") from None
        self._warm = (context, page, errors, 1)
        return page, errors

    def _close_warm(self) -> None:
        if self._warm is not None:
            try:
                self._warm[0].close()
            except Exception:  # noqa: BLE001 — a crashed browser took it already
                pass
            self._warm = None

    def _print_warm(self, css: str, body: str, lang: str, title: str, header: str, footer: str,
                    timeout: float) -> Printed:
        import time

        started = time.perf_counter()
        page, errors = self._warm_page(timeout)
        ms = timeout * 1000
        try:
            page.evaluate("([css, body, lang, title]) => cbRender(css, body, lang, title)", [css, body, lang, title])
            page.wait_for_function("() => window.cbPrint && window.cbPrint.done === true", timeout=ms)
            report = page.evaluate("() => window.cbPrint")
            pdf = page.pdf(format="A4", print_background=True, display_header_footer=True,
                           header_template=header or "<span></span>", footer_template=footer or "<span></span>",
                           margin={"top": "18mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        except Exception as exc:  # noqa: BLE001 — Playwright TimeoutError/Error: start afresh next time
            self._close_warm()
            detail = "; ".join(errors[:3]) or str(exc).splitlines()[0]
            raise PrintFailed(f"the print layout did not signal that its figures were drawn ({detail})") from None
        return Printed(pdf=pdf, figures=list(report.get("figures") or []), headings=list(report.get("headings") or []),
                       errors=list(errors) + list(report.get("errors") or []), seconds=time.perf_counter() - started)

    def _shutdown(self) -> None:
        self._close_warm()
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # noqa: BLE001 — a crashed browser is already gone
                pass
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


def _serve(html: bytes, route: Any) -> None:
    path = route.request.url[len(BASE):].split("?")[0]
    if path in ("", "/"):
        route.fulfill(status=200, body=html, headers={"content-type": "text/html; charset=utf-8"})
    elif path == "/plotly.min.js":
        route.fulfill(status=200, body=plotly_js(), headers={"content-type": "text/javascript"})
    else:
        route.fulfill(status=404, body=b"not part of the print layout")


@functools.cache
def process_printer() -> Printer:
    """This process's printer (one browser per process, as STACK.md asks).

    A process-wide handle like a connection pool — it holds no data, so several gunicorn
    workers each having their own is what we want. Closed at interpreter exit.
    """
    import atexit

    printer = Printer()
    atexit.register(printer.close)
    return printer
