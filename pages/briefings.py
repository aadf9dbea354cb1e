"""简报 — the archive of daily briefings (城市运行简报) and page exports, for download.

Each row says whether the briefing passed its checks; a failed one shows why and keeps
its partial file. "Produce yesterday's briefing now" runs the same code as the morning
job (for when the general office needs it before 07:30 or after a failure).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
import flask
from dash import Input, Output, State, dcc, html

import access
from access import declare

from citybrain import context
from citybrain.i18n import Lang, t
from components.table import table

dash.register_page(__name__, path="/briefings", nav="brief.nav", order=65, title="简报", access="briefings")

ROWS, LANG, REFRESH, PRODUCE, MESSAGE = "brief-rows", "brief-lang", "brief-refresh", "brief-produce", "brief-message"


def layout(**_: Any) -> Any:
    lang = context.lang()
    s = context.settings()
    days = str(s.briefing.retention_days) if s.briefing.retention_days else t("brief.archive.forever", lang)
    refused = access.offer("print", "briefings")
    return dmc.Stack([
        dcc.Store(id=LANG, data=lang),
        dcc.Interval(id=REFRESH, interval=60_000),
        dmc.Group([dmc.Title(t("brief.archive", lang), order=2),
                   dmc.Button(t("brief.archive.generate", lang), id=PRODUCE, size="sm", variant="light",
                              disabled=bool(refused))],
                  justify="space-between"),
        dmc.Text(t("brief.archive.intro", lang, time=s.briefing.time, days=days), c="dimmed"),
        *([dmc.Text(t(refused, lang), size="xs", c="dimmed", ta="right", className="cb-refused")] if refused else []),
        html.Div(id=MESSAGE),
        dmc.Paper(html.Div(id=ROWS), withBorder=True, p="sm", radius="md"),
    ], gap="md", className="cb-briefings")


def archive_table(rows: list[dict[str, Any]], tz: Any, lang: str) -> Any:
    """The archive, newest first. A row links to its PDF only when the file is there (a
    print that never started has none: its link answered 404); a failed row says why, in
    full, wrapped in its own column. Badges and headers never wrap or clip (``cb-brief-table``)."""
    from pathlib import Path

    if not rows:
        return dmc.Text(t("brief.archive.empty", lang), c="dimmed")
    body = []
    for r in rows:
        link: Any = "—"
        if r.get("path") and r["status"] != "running" and Path(r["path"]).is_file():
            link = html.A(t("brief.download", lang), href=f"/briefings/{r['id']}.pdf", className="cb-brief-download")
        body.append([r["date"].isoformat(), t(f"brief.kind.{r['kind']}", lang),
                     dmc.Badge(t(f"brief.state.{r['status']}", lang),
                               color={"done": "green", "failed": "red"}.get(r["status"], "gray"), variant="light",
                               className="cb-brief-badge"),
                     str(r.get("pages") or "—"), r["created_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"), link,
                     html.Span(r.get("error") or "", className="cb-brief-problem")])
    return dmc.TableScrollContainer(
        table([t("brief.col.date", lang), t("brief.col.kind", lang), t("brief.col.status", lang),
               t("brief.col.pages", lang), t("brief.col.created", lang), t("brief.col.download", lang),
               t("brief.col.problem", lang)], body, className="cb-brief-table"), minWidth=760)


@declare.callback(Output(ROWS, "children"), Input(REFRESH, "n_intervals"), Input(MESSAGE, "children"),
                  State(LANG, "data"), page="briefings")
def refresh(_n: int | None, _message: Any, lang: Lang) -> Any:
    from briefings.archive import list_briefings

    return archive_table(list_briefings(context.engine(), kind=None, limit=200), context.settings().tz, lang)


@declare.callback(Output(MESSAGE, "children"), Input(PRODUCE, "n_clicks"), State(LANG, "data"), page="briefings",
                  action="print", prevent_initial_call=True)
def produce(n: int | None, lang: Lang) -> Any:
    from briefings.archive import produce_daily
    from briefings.daily import default_day
    from citybrain.errors import AccessRefused, BriefingError

    if not n:
        return dash.no_update
    settings = context.settings()
    day = default_day(settings)
    try:
        done = produce_daily(settings, context.engine(), day, principal=access.current_principal(), lang=lang,
                             address=flask.request.remote_addr)
        status = t(f"brief.state.{done.status}", lang)
        color = "green" if done.status == "done" else "red"
    except BriefingError as exc:
        from briefings.printer import explain

        text, fix = explain(exc, lang)
        return dmc.Alert([dmc.Text(t("brief.archive.generated", lang, date=day.isoformat(), status=text)),
                          *([dmc.Text(t("brief.print.fix", lang), size="sm"), dmc.Code(fix, block=True)] if fix else [])],
                         color="red", variant="light")
    except AccessRefused as exc:
        status, color = str(exc), "red"
    return dmc.Alert(t("brief.archive.generated", lang, date=day.isoformat(), status=status), color=color,
                     variant="light")
