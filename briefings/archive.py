"""Producing, checking and keeping briefings: the ``briefings`` table and its PDF files.

:func:`produce_daily` is what ``citybrain brief``, the scheduler's morning job and the
archive page's "produce now" button all call. A row is written ``running`` first, so a
crash leaves evidence; the PDF is written whole (temporary file, then rename) and read
back by :mod:`briefings.checks`. A failed check marks the row ``failed`` with the
reasons, keeps the partial file for whoever investigates, and — when webhooks are
configured for warnings — tells the duty group, because a briefing that silently does
not arrive is the failure this feature exists to prevent.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from briefings.checks import CheckReport, check
from briefings.document import Document
from briefings.layout import footer_template, header_template, html_lang, render_parts
from briefings.printer import Printer, process_printer
from citybrain.errors import BriefingError, CheckFailed
from citybrain.settings import Settings
from store.schema import briefings

log = logging.getLogger(__name__)
UTC = dt.timezone.utc


@dataclass
class Produced:
    """One produced PDF: its row, file, check report and timings."""

    id: int | None
    path: Path
    status: str
    report: CheckReport
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def archive_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "briefings"


def daily_path(settings: Settings, day: dt.date) -> Path:
    return archive_dir(settings) / f"{day:%Y}" / f"citybrain-{settings.city.code}-{day.isoformat()}.pdf"


def print_document(doc: Document, path: Path, *, printer: Printer | None = None,
                   timeout: float = 60.0) -> tuple[CheckReport, dict[str, float]]:
    """Print ``doc`` to ``path`` and check it; returns the report (problems, not raised)."""
    import time

    printer = printer or process_printer()
    started = time.perf_counter()
    css, body = render_parts(doc)
    printed = printer.print_parts(css, body, lang=html_lang(doc), title=doc.title, header=header_template(doc),
                                  footer=footer_template(doc), timeout=timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pdf.part")
    tmp.write_bytes(printed.pdf)
    os.replace(tmp, path)
    printed_at = time.perf_counter()
    report = check(doc, printed, path)
    return report, {"print": printed_at - started, "check": time.perf_counter() - printed_at,
                    "chromium": printed.seconds}


def _may_print(engine: Engine, principal: Any, day: dt.date, address: str | None) -> str:
    """The principal's name if they may produce briefings; else :class:`AccessRefused` (audited)."""
    from access import audit
    from access.roles import allowed
    from citybrain.errors import AccessRefused

    if not allowed(principal, "print", "briefings"):
        target = f"briefing:{day.isoformat()}"
        audit.record(engine, actor=getattr(principal, "name", None) or "?", action="print.refused", target=target,
                     detail={"reason": "no print right on briefings"}, address=address)
        raise AccessRefused("producing briefings needs the print right (duty officers, leaders, admins)", target)
    return str(principal.name)


def produce_daily(settings: Settings, engine: Engine, day: dt.date, *, out: Path | None = None,
                  requested_by: str = "scheduler", lang: str = "zh", printer: Printer | None = None,
                  now: dt.datetime | None = None, build: Any = None, notify: bool = True,
                  server: Any = None, principal: Any = None, address: str | None = None) -> Produced:
    """Build, print, check and archive the briefing of ``day``; never raises for a failed
    check (the row says ``failed``), raises :class:`BriefingError` only when nothing could
    be printed at all (after recording that on the row).

    ``principal``: the person asking through the web (the scheduler and the CLI are
    trusted callers and pass none) — they need ``print`` on ``briefings``, checked here
    again after the gate (:class:`AccessRefused`, audited), and their request is audited in
    the transaction that opens the archive row.
    ``build`` replaces the document builder (tests break the layout with it).
    """
    import time

    from briefings.daily import build_daily, period

    now = now or dt.datetime.now(UTC)
    if principal is not None:
        requested_by = _may_print(engine, principal, day, address)
    path = Path(out) if out else daily_path(settings, day)
    start, end = period(day, settings)
    with engine.begin() as conn:
        bid = conn.execute(insert(briefings).values(
            kind="daily", date=day, period_from=start, period_to=end, status="running", path=str(path),
            requested_by=requested_by, created_at=now)).inserted_primary_key[0]
        if principal is not None:
            from access import audit

            audit.write(conn, actor=principal.name, action="briefing.produce", target=f"briefing:{bid}",
                        detail={"date": day.isoformat(), "lang": lang}, address=address, now=now)
    seconds: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        with _app_context(settings, server):
            doc = (build or build_daily)(settings, engine, day, lang, now=now)
        seconds["build"] = time.perf_counter() - t0
        report, timings = print_document(doc, path, printer=printer, timeout=settings.briefing.timeout_seconds)
        seconds.update(timings)
    except BriefingError as exc:
        _finish(engine, bid, "failed", None, str(exc))
        _notify_failure(settings, day, [str(exc)], path if path.exists() else None, notify)
        raise
    except Exception as exc:
        _finish(engine, bid, "failed", None, f"{type(exc).__name__}: {exc}")
        _notify_failure(settings, day, [f"{type(exc).__name__}: {exc}"], None, notify)
        raise
    status = "done" if report.ok else "failed"
    error = None if report.ok else "; ".join(report.problems)
    _finish(engine, bid, status, report, error, seconds=seconds)
    if not report.ok:
        log.error("briefing %s failed its checks: %s (file kept at %s)", day, error, path)
        _notify_failure(settings, day, report.problems, path, notify)
    return Produced(bid, path, status, report, seconds, error)


def _finish(engine: Engine, bid: int, status: str, report: CheckReport | None, error: str | None, *,
            seconds: dict[str, float] | None = None) -> None:
    checks = {**(report.to_data() if report else {}), "seconds": {k: round(v, 3) for k, v in (seconds or {}).items()}}
    with engine.begin() as conn:
        conn.execute(update(briefings).where(briefings.c.id == bid).values(
            status=status, pages=report.pages if report else None, checks=checks, error=error,
            finished_at=dt.datetime.now(UTC)))


def build_server(settings: Settings) -> Any:
    """A Flask server from ``create_app`` — callable from any thread.

    ``dash.register_page`` reads Dash's callback-context variable, which Dash sets only in
    the thread that first imported it; a scheduler job thread has none (LookupError:
    callback_context, seen in the 10-minute load run), so the thread gets the empty value
    the importing thread has.
    """
    from dash._callback_context import context_value

    from app import create_app

    try:
        context_value.get()
    except LookupError:
        context_value.set({})
    return create_app(settings, open_demo=False).server


class _app_context:
    """The page queries are memoized through Flask-Caching, which needs an app context:
    inside a request there is one; otherwise ``server`` (a Flask app from ``create_app``)
    is used, or one is built — about 4 s, so long-lived callers pass their own."""

    def __init__(self, settings: Settings, server: Any = None) -> None:
        self.settings, self.server, self.ctx = settings, server, None

    def __enter__(self) -> None:
        import flask

        if flask.has_app_context():
            return
        if self.server is None:
            self.server = build_server(self.settings)
        self.ctx = self.server.app_context()
        self.ctx.push()

    def __exit__(self, *exc: Any) -> None:
        if self.ctx is not None:
            self.ctx.pop()


def _notify_failure(settings: Settings, day: dt.date, problems: list[str], path: Path | None, enabled: bool) -> None:
    """Tell every webhook serving the "briefing" group (or all groups) that a briefing failed."""
    if not enabled:
        return
    try:
        from alerts.notify import send
        from alerts.rules import load_warning_config

        hooks = [h for h in load_warning_config(settings).webhooks if h.serves("briefing", "orange")]
    except Exception as exc:  # noqa: BLE001 — a broken warnings file must not hide the briefing failure
        log.warning("could not load webhooks to report the failed briefing: %s", exc)
        return
    text = (f"【城市运行简报】{day.isoformat()} 简报生成失败：" + "；".join(problems[:5])
            + (f"（部分文件：{path}）" if path else ""))
    for hook in hooks:
        body = ({"kind": "briefing_failed", "date": day.isoformat(), "problems": problems,
                 "path": str(path) if path else None} if hook.format == "json"
                else {"msgtype": "text", "text": {"content": text}})
        outcome, record = send(hook, body)
        log.info("briefing failure notice to %s: %s %s", hook.name, outcome, record.get("error") or "")


# ------------------------------------------------------------------ archive reads and retention

def list_briefings(engine: Engine, *, kind: str | None = "daily", limit: int = 200) -> list[dict[str, Any]]:
    """Newest first."""
    stmt = select(briefings).order_by(briefings.c.created_at.desc(), briefings.c.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(briefings.c.kind == kind)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def get_briefing(engine: Engine, bid: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(briefings).where(briefings.c.id == bid)).first()
    return dict(row._mapping) if row else None


def purge(settings: Settings, engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Delete briefings (rows and files) older than ``[briefing] retention_days``; 0 keeps all."""
    days = settings.briefing.retention_days
    if days <= 0:
        return 0
    now = now or dt.datetime.now(UTC)
    cutoff = (now.astimezone(settings.tz) - dt.timedelta(days=days)).date()
    with engine.begin() as conn:
        old = conn.execute(select(briefings.c.id, briefings.c.path).where(briefings.c.date < cutoff)).all()
        for row in old:
            if row.path:
                Path(row.path).unlink(missing_ok=True)
        if old:
            conn.execute(delete(briefings).where(briefings.c.id.in_([r.id for r in old])))
    return len(old)


def scheduled(settings: Settings, engine: Engine, now: dt.datetime | None = None, *,
              server: Any = None) -> Produced | None:
    """The scheduler's morning job: yesterday's briefing (unless already done), then retention."""
    from briefings.daily import default_day

    now = now or dt.datetime.now(UTC)
    day = default_day(settings, now)
    hour, minute = (int(x) for x in settings.briefing.time.split(":"))
    if now.astimezone(settings.tz).time() < dt.time(hour, minute):
        # started before the briefing time (a restart at 03:00): yesterday's data may still
        # be arriving; the cron run at the configured time produces it
        return None
    with engine.connect() as conn:
        done = conn.execute(select(briefings.c.id).where(
            briefings.c.kind == "daily", briefings.c.date == day, briefings.c.status == "done")).first()
    produced = None
    if done is None:
        try:
            produced = produce_daily(settings, engine, day, requested_by="scheduler", now=now, server=server)
        except BriefingError as exc:
            log.error("the daily briefing of %s could not be printed: %s", day, exc)
            raise
    removed = purge(settings, engine, now=now)
    if removed:
        log.info("briefing retention removed %d briefing(s)", removed)
    if produced is not None and produced.status != "done":
        raise CheckFailed(produced.report.problems, str(produced.path))
    return produced


class DailyJob:
    """The scheduler's job: :func:`scheduled` with one Flask app built on first use and
    kept (building one takes seconds; the scheduler runs for months)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine, self.server = settings, engine, None

    def __call__(self) -> None:
        if self.server is None:
            self.server = build_server(self.settings)
        scheduled(self.settings, self.engine, server=self.server)

    def trigger(self) -> dict[str, Any]:
        """APScheduler arguments: every day at ``[briefing] time`` (city zone), and once ten
        minutes after start, so a scheduler that was down at that time catches up (a day
        already done is skipped) without printing while a restart is still settling."""
        hour, minute = (int(x) for x in self.settings.briefing.time.split(":"))
        return {"trigger": "cron", "hour": hour, "minute": minute, "timezone": self.settings.tz,
                "next_run_time": dt.datetime.now(self.settings.tz) + dt.timedelta(minutes=10),
                "misfire_grace_time": 6 * 3600}
