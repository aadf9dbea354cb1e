"""``citybrain demo``: a whole city on a laptop, in one process, with no services.

Creates the simulated department databases (SQLite files under the data dir), brings
the store up to date, loads the city's entities, polls every source once so the pages
have data at once, then runs the scheduler in the background — polling, and the
simulator appending new rows every few seconds — and serves the app.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from citybrain.errors import CitybrainError
from citybrain.settings import Settings


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def prepare(settings: Settings, *, days: int | None = None, rebuild: bool = False,
            console: Console | None = None) -> dict[str, Any]:
    """Everything before serving: departments, store, entities, a first poll."""
    import connectors
    import simulator
    from store.engine import make_engine, upgrade
    from store.entities import sync_from_config

    console = console or Console()
    started = time.monotonic()
    summary: dict[str, Any] = {}
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    try:
        summary["entities"] = sync_from_config(engine, settings)
        urls = simulator.default_urls(settings)
        missing = [d for d, url in urls.items() if not _sqlite_file(url).exists()]
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=False) as progress:
            if rebuild or missing:
                tasks: dict[str, Any] = {}

                def on_progress(department: str, done: int, total: int) -> None:
                    if department not in tasks:
                        tasks[department] = progress.add_task(f"模拟 {department} department", total=total)
                    progress.update(tasks[department], completed=done, total=total)

                summary["simulated"] = simulator.create(settings, days=days or settings.demo.days, progress=on_progress)
            else:
                summary["simulated"] = simulator.advance(settings)
            task = progress.add_task("首次采集 first poll", total=len(settings.sources))
            reports = []
            for source in settings.sources:
                reports.extend(connectors.poll(settings, engine, [source.name]))
                progress.advance(task)
            summary["indicators"] = _compute_history(settings, engine, reports, days or settings.demo.days, progress)
        summary["poll"] = {r.name: (r.rows_written, r.error) for r in reports}
        for r in reports:
            if r.error:
                console.print(f"[yellow]source {r.name}: {r.error}[/]")
    finally:
        engine.dispose()
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


def _compute_history(settings: Settings, engine: Any, reports: list[Any], days: int, progress: Progress) -> int:
    """Indicators for the history just polled (the scheduler keeps them current afterwards)."""
    from jobs.indicators import compute

    now = dt.datetime.now(dt.timezone.utc)
    spans = [r.touched for r in reports if r.touched and r.domain != "economy"]
    if not spans:
        return 0
    start = max(min(lo for lo, _ in spans), now - dt.timedelta(days=days))
    task = progress.add_task("计算指标 indicators", total=1)

    def on_progress(step: str, done: int, total: int) -> None:
        progress.update(task, description=f"计算指标 indicators: {step}", completed=done, total=total)

    report = compute(settings, engine, start=start, end=now, now=now, progress=on_progress)
    return report.total


def _sqlite_file(url: str) -> Any:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    return Path(make_url(url).database or "")


def run(settings: Settings, *, days: int | None = None, rebuild: bool = False, serve: bool = True,
        console: Console | None = None) -> None:
    console = console or Console()
    if serve and not _port_free(settings.host, settings.port):
        raise CitybrainError(f"port {settings.port} on {settings.host} is in use; stop what runs there or pass --port 8051")
    console.print(f"[bold]{settings.city.name_zh} {settings.city.name_en}[/] — 城市运行智慧大脑 demo, data in {settings.data_dir.resolve()}")
    summary = prepare(settings, days=days, rebuild=rebuild, console=console)
    console.print(f"ready in {summary['seconds']} s: " + ", ".join(f"{k} {v[0]:,} rows" for k, v in summary["poll"].items()))
    if not serve:
        return

    import jobs
    from access.users import ensure_demo_users
    from app import create_app
    from store.engine import make_engine

    engine = make_engine(settings.resolved_store_url)
    logins = ensure_demo_users(engine, settings)
    advance = _Advance(settings)
    briefing = briefing_schedule(settings)
    scheduler = jobs.start_background(
        settings, engine,
        extra_jobs=[(advance, {"trigger": "interval", "seconds": settings.demo.tick_seconds}, "simulator-advance")],
        daily_briefing=briefing is None,
    )
    url = f"http://{settings.host}:{settings.port}/"
    console.print(f"\n  open  [bold cyan]{url}[/]   wall: [bold cyan]{url}wall[/]   (healthz: {url}healthz)\n")
    console.print(_logins_table(logins))
    console.print(f"  briefings: {briefing or f'every day at {settings.briefing.time} (and 10 min from now if today has none)'}"
                  f" — archive at {url}briefings\n")
    console.print("  passwords are new every start; the simulated departments append new rows every "
                  f"{settings.demo.tick_seconds:g} s; press Ctrl+C to stop\n")
    try:
        create_app(settings).run(host=settings.host, port=settings.port, debug=False)
    finally:
        jobs.stop_background(scheduler, wait=False)
        engine.dispose()


def briefing_schedule(settings: Settings) -> str | None:
    """Why the demo does not schedule the morning briefing, or None when it does.

    The demo must run on a machine with nothing installed, so a missing Chromium turns
    the daily job off (with the fix printed) instead of failing every morning.
    """
    if not settings.briefing.enabled:
        return "off ([briefing] enabled = false)"
    from pathlib import Path

    from briefings.printer import INSTALL_HINT, chromium_path

    if not Path(chromium_path()).exists():
        return f"not scheduled: no Chromium at {chromium_path()}; {INSTALL_HINT}"
    return None


def _logins_table(logins: list[tuple[str, str, str]]) -> Any:
    from rich.table import Table

    table = Table(title="演示账号 demo logins", title_justify="left")
    for col in ("user", "password", "role"):
        table.add_column(col)
    for user, password, role in logins:
        table.add_row(user, password, role)
    return table


class _Advance:
    """The demo's clock: the simulated departments catch up to now on every tick."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> None:
        import simulator

        simulator.advance(self.settings, until=dt.datetime.now(dt.timezone.utc))
