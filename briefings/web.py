"""HTTP routes of the briefings: a page's view as PDF, and archived briefings.

``POST /export/pdf/<page>?district=…&range=…`` prints the view in the query string (the
page's own URL parameters, so the button's form carries the reader's filters) — a POST
because printing writes a file, an archive row and an audit row;
``GET /briefings/<id>.pdf`` serves an archived briefing. Both are checked by
:func:`access.require` (role, domain, audit row); a district-limited reader's export is
held to their district whatever the query says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import flask
from sqlalchemy import insert

from citybrain import context
from citybrain.i18n import t
from store.schema import briefings

UTC = dt.timezone.utc


def init_app(server: flask.Flask) -> None:
    from access import require

    @server.post("/export/pdf/<page>")
    @require("print", lambda page: page)
    def export_page_pdf(page: str) -> Any:
        return _export(page)

    @server.get("/briefings/<int:bid>.pdf")
    @require("view", "briefings", audit_as="pdf")
    def briefing_pdf(bid: int) -> Any:
        from briefings.archive import get_briefing

        # an id beyond the store's INTEGER keys names nothing; binding it would overflow (issue 17)
        row = get_briefing(context.engine(), bid) if 0 < bid < 2**31 else None
        if row is None or not row.get("path") or not Path(row["path"]).exists():
            return flask.jsonify(error=f"briefing {bid} has no file (it may have been removed by retention)"), 404
        name = Path(row["path"]).name
        return flask.send_file(row["path"], mimetype="application/pdf", download_name=name,
                               as_attachment=flask.request.args.get("inline") != "1")


def _export(page: str) -> Any:
    from briefings.archive import print_document
    from briefings.pages import EXPORTABLE, build_page, view_from_query

    if page not in EXPORTABLE:
        return flask.jsonify(error=f"{page!r} cannot be exported as PDF; use one of {', '.join(EXPORTABLE)}"), 404
    settings, engine, lang = context.settings(), context.engine(), context.lang()
    principal = getattr(flask.g, "user", None)
    if principal is None:
        from access.identity import session_principal

        principal = session_principal()
    from access.roles import allowed

    if not allowed(principal, "print", page):  # checked again where the printing happens
        from access import audit
        from access.identity import address

        audit.record(engine, actor=getattr(principal, "name", "?"), action="print.refused", target=f"pdf:{page}",
                     detail={"reason": "no print right"}, address=address())
        return flask.jsonify(error=f"you may not print {page}"), 403
    view = view_from_query(page, flask.request.args.to_dict())
    limit = getattr(principal, "district", None)
    if limit and view.district != limit:
        view = dataclasses.replace(view, district=limit)
    now = dt.datetime.now(UTC)
    user = getattr(principal, "name", "") or ""
    doc = build_page(settings, engine, page, view, lang, now=now, user=user)
    stamp = now.astimezone(settings.tz)
    safe = re.sub(r"[^\w\-]+", "_", f"{page}-{view.district or 'city'}-{view.range}")
    path = Path(settings.data_dir) / "briefings" / "pages" / f"{stamp:%Y%m}" / f"{safe}-{stamp:%Y%m%d-%H%M%S}.pdf"
    from citybrain.errors import BriefingError

    try:
        report, seconds = print_document(doc, path, timeout=settings.briefing.timeout_seconds)
        problems, failure = ([] if report.ok else list(report.problems)), None
    except BriefingError as exc:
        # nothing could be printed (no playwright/Chromium, the layout never finished): the
        # archive keeps the whole message and the reader gets it in their language with the fix
        report, seconds, failure = None, {}, exc
        problems = [str(exc)]
    ok = report is not None and report.ok
    with engine.begin() as conn:
        conn.execute(insert(briefings).values(
            kind="page", date=stamp.date(), status="done" if ok else "failed",
            path=str(path) if report is not None else None, pages=report.pages if report is not None else None,
            checks={**(report.to_data() if report is not None else {}), "page": page, "view": view.to_data(),
                    "seconds": {k: round(v, 3) for k, v in seconds.items()}},
            error=None if ok else "; ".join(problems), requested_by=user or None,
            created_at=now, finished_at=dt.datetime.now(UTC)))
        from access import audit
        from access.identity import address

        audit.write(conn, actor=user or "?", action="pdf", target=f"pdf:{page}:{view.district or 'city'}",
                    detail={"view": view.to_data(), "ok": ok}, address=address(), now=now)
    if failure is not None:
        from briefings.printer import explain

        text, fix = explain(failure, lang)
        return _problem_page(lang, text, fix, [], chromium=fix.startswith("sudo apt-get")), 503
    if not ok:
        return _problem_page(lang, t("brief.print.checks", lang), "", problems), 500
    return flask.send_file(path, mimetype="application/pdf", as_attachment=True,
                           download_name=f"citybrain-{safe}-{stamp:%Y%m%d-%H%M}.pdf")


def _problem_page(lang: str, text: str, fix: str, problems: list[str], *, chromium: bool = False) -> str:
    """The answer the 导出简报 tab shows when no PDF came out: what went wrong in the reader's
    language, the one command that fixes it, the checks that failed — never a bare 500."""
    from html import escape

    items = "".join(f"<li>{escape(p)}</li>" for p in problems)
    command = (f"<p>{escape(t('brief.print.fix', lang))}</p><pre class=\"cb-fix\">{escape(fix)}</pre>" if fix else "")
    env = f"<p>{escape(t('brief.print.fix_env', lang))}</p>" if chromium else ""
    return (f"<!doctype html><html lang=\"{'en' if lang == 'en' else 'zh-CN'}\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(t('brief.print.title', lang))}</title>"
            "<style>body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:46rem;"
            "margin:3rem auto;padding:0 1rem;color:#212529;line-height:1.6}h1{font-size:1.3rem;color:#c92a2a}"
            "pre{background:#f1f3f5;padding:.75rem 1rem;border-radius:6px;white-space:pre-wrap;"
            "overflow-wrap:anywhere;font-size:1rem}</style></head>"
            f"<body><h1>{escape(t('brief.print.title', lang))}</h1><p>{escape(text)}</p>{command}{env}"
            f"{f'<ul>{items}</ul>' if items else ''}</body></html>")
