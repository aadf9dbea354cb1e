"""``citybrain demo``: a whole city on a laptop, in one process, with no services.

Creates the simulated department databases (SQLite files under the data dir), brings
the store up to date, loads the city's entities, polls every source once so the pages
have data at once, computes the indicators and replays the warning rules over the history
(a fresh demo opens with its past warnings and the ones still open), then runs the scheduler
in the background — polling, evaluating warnings live, and the simulator appending new rows
every few seconds — and serves the app with waitress (a production WSGI server).
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
            console: Console | None = None, replay_warnings: bool = True) -> dict[str, Any]:
    """Everything before serving: departments, store, entities, a first poll, the indicators
    and (``replay_warnings``) the warnings of the history — :func:`run` replays those while
    the app already serves."""
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
            if replay_warnings:
                summary["warnings"] = _replay_history(settings, engine, days or settings.demo.days, progress)
            summary["orders"] = _seed_orders(settings, engine, progress)
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


def _replay_history(settings: Settings, engine: Any, days: int, progress: Progress | None = None) -> int:
    """The warnings the demo's history would have raised, so a fresh demo opens on a warnings
    center and a wall ticker with the past month's episodes and the ones still open (what
    ``citybrain compute`` replays; the scheduler's live evaluation carries on from now).

    Only on a store without warnings: a restarted demo keeps the warnings people have
    acknowledged or assigned (a replay rewinds every warning still open at its start)."""
    from sqlalchemy import func, select

    from alerts.replay import replay
    from store.schema import warnings

    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(warnings)).scalar_one():
            return 0
    now = dt.datetime.now(dt.timezone.utc)
    task = progress.add_task("预警回放 warnings replay", total=1) if progress else None
    report = replay(settings, engine, start=now - dt.timedelta(days=days), end=now)
    if progress is not None and task is not None:
        progress.update(task, completed=1)
    return len(report.warnings)


def _seed_orders(settings: Settings, engine: Any, progress: Progress | None = None) -> int:
    """A week of work orders run through the dispatch loop (issue 21), so the dispatch board,
    我的工单 and the scorecards open populated; a store that has them already is left alone
    (:func:`dispatch.demo.seed_history` is idempotent)."""
    from dispatch.demo import seed_history

    task = progress.add_task("工单演示 work orders", total=1) if progress else None
    made = seed_history(settings, engine)
    if progress is not None and task is not None:
        progress.update(task, completed=1)
    return made


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
    summary = prepare(settings, days=days, rebuild=rebuild, console=console, replay_warnings=not serve)
    console.print(f"ready in {summary['seconds']} s: " + ", ".join(f"{k} {v[0]:,} rows" for k, v in summary["poll"].items())
                  + (f"; {summary['warnings']} warnings replayed from the history" if summary.get("warnings") else ""))
    if not serve:
        return

    from access.users import ensure_demo_users
    from app import create_app
    from store.engine import make_engine

    engine = make_engine(settings.resolved_store_url)
    logins = ensure_demo_users(engine, settings)
    advance = _Advance(settings)
    briefing = briefing_schedule(settings)
    background = _Background(settings, engine, console, days or settings.demo.days, [
        (advance, {"trigger": "interval", "seconds": settings.demo.tick_seconds}, "simulator-advance")],
        daily_briefing=briefing is None)
    background.start()
    url = f"http://{settings.host}:{settings.port}/"
    console.print(f"\n  open  [bold cyan]{url}[/]   wall: [bold cyan]{url}wall[/]   (healthz: {url}healthz)\n")
    console.print(_logins_table(logins, {f"{t.code}_head": t.owner_zh for t in reversed(settings.themes)}))
    console.print(f"  briefings: {briefing or f'every day at {settings.briefing.time} (and 10 min from now if today has none)'}"
                  f" — archive at {url}briefings\n")
    console.print("  passwords are new every start; the simulated departments append new rows every "
                  f"{settings.demo.tick_seconds:g} s; press Ctrl+C to stop\n")
    try:
        serve_wsgi(create_app(settings).server, settings.host, settings.port)
    finally:
        background.stop()
        engine.dispose()


def serve_wsgi(server: Any, host: str, port: int, *, threads: int = 8) -> None:
    """Serve ``server`` with waitress, a production WSGI server in one process (pure Python,
    any OS) — not Flask's development server and its "do not use in production" banner.
    Threads, because a print or an export may take seconds while the wall keeps polling."""
    import logging

    from waitress import serve

    if not _port_free(host, port):
        raise CitybrainError(f"port {port} on {host} is in use; stop what runs there or pass --port {port + 1}")

    # waitress logs "Serving on …" and queue warnings at INFO/WARNING; the banner above says where to go
    logging.getLogger("waitress").setLevel(logging.WARNING)
    serve(server, host=host, port=port, threads=threads, ident="citybrain")


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


#: what each demo login is for (by role; a department head by their domain and district)
LOGIN_PURPOSE = {
    "admin": "管理员: everything, users, the audit log",
    "leader": "市领导 city leader: every page, the wall, briefings, exports; handles no warnings",
    "duty": "值班员 duty officer: the warnings center — acknowledge, assign, silence",
    "analyst": "分析员 analyst: every page, exports, the API; read-only",
    "wall": "大屏 wall: one wall screen (normally a token, see `citybrain token create --wall`)",
}


def login_purpose(user: str, role: str, owner: str | None = None) -> str:
    """One line per demo login saying who it stands for, so a newcomer knows whom to try."""
    if role == "department" and owner is not None:  # a theme department's head (issue 20)
        return f"局长/处长 department head of {owner}: its themes' pages and warnings, the whole city"
    if role == "department":
        domain, _, district = user.partition("_")
        district = "" if district == "head" else district
        where = f"district {district} only" if district else "the whole city"
        return f"局长/处长 department head: {domain} page and warnings, {where}"
    return LOGIN_PURPOSE.get(role, role)


def _logins_table(logins: list[tuple[str, str, str]], owners: dict[str, str] | None = None) -> Any:
    """The demo's logins; ``owners``: a theme department head's username → its department."""
    from rich.table import Table

    table = Table(title="演示账号 demo logins", title_justify="left")
    for col in ("user", "password", "role", "for"):
        table.add_column(col, no_wrap=col != "for")
    for user, password, role in logins:
        table.add_row(user, password, role, login_purpose(user, role, (owners or {}).get(user)))
    return table


class _Advance:
    """The demo's clock: the simulated departments catch up to now on every tick."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> None:
        import simulator

        simulator.advance(self.settings, until=dt.datetime.now(dt.timezone.utc))


class _Background:
    """The demo's background work, on a thread so the app answers at once: replay the
    history's warnings (tens of seconds on a busy laptop), then start the scheduler —
    after, so the live evaluation continues from the replayed state instead of racing it."""

    def __init__(self, settings: Settings, engine: Any, console: Console, days: int, extra_jobs: list[Any], *,
                 daily_briefing: bool) -> None:
        import threading

        self.settings, self.engine, self.console, self.days = settings, engine, console, days
        self.extra_jobs, self.daily_briefing = extra_jobs, daily_briefing
        self.scheduler: Any = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="citybrain-demo-start", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        import jobs

        started = time.monotonic()
        try:
            count = _replay_history(self.settings, self.engine, self.days)
            if count:
                self.console.print(f"  {count} warnings replayed from the history in "
                                   f"{time.monotonic() - started:.0f} s — /warnings and the wall show them")
        except Exception as exc:  # noqa: BLE001 — the demo serves on without history warnings, and says so
            self.console.print(f"[yellow]warnings replay failed ({type(exc).__name__}: {exc}); "
                               "run `citybrain compute` to replay them[/]")
        if not self.stopping.is_set():
            self.scheduler = jobs.start_background(self.settings, self.engine, extra_jobs=self.extra_jobs,
                                                   daily_briefing=self.daily_briefing)

    def stop(self) -> None:
        import jobs

        self.stopping.set()
        if self.scheduler is not None:
            jobs.stop_background(self.scheduler, wait=False)
