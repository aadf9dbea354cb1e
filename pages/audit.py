"""审计日志 — admins read the audit log in the app: who did what, when, to what, from where.

Admin-only (``access="audit"``): the access gate refuses the page and its callback to
everyone else. Newest first, filtered by action and actor, 200 rows a page.
"""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from access import declare

from access import audit
from citybrain import context
from citybrain.i18n import Lang, t
from components.page.labels import audit_action, audit_target
from components.table import table

dash.register_page(__name__, path="/audit", nav="nav.audit", order=95, title="审计日志", access="audit")

ACTION, ACTOR, ROWS, TOTAL, LANG, REFRESH = ("audit-action", "audit-actor", "audit-rows", "audit-total",
                                              "audit-lang", "audit-refresh")
PAGE_ROWS = 200


def layout(**_: Any) -> Any:
    """Cheap: the filters and empty containers; the callback reads the log."""
    lang = context.lang()
    return dmc.Stack([
        dcc.Store(id=LANG, data=lang),
        dcc.Interval(id=REFRESH, interval=60_000),
        dmc.Title(t("audit.title", lang), order=2),
        dmc.Text(t("audit.hint", lang), c="dimmed"),
        dmc.Group([
            dmc.Select(id=ACTION, label=t("audit.filter.action", lang), clearable=True, searchable=True, w=220,
                       data=[{"value": a, "label": audit_action(a, lang)} for a in audit.ACTIONS]),
            dmc.TextInput(id=ACTOR, label=t("audit.filter.actor", lang), w=220, debounce=400),
        ]),
        html.Div(id=TOTAL),
        html.Div(id=ROWS),
    ])


def audit_table(rows: list[dict[str, Any]], tz: Any, lang: str) -> Any:
    """The rows as a table, times in the city's zone."""
    if not rows:
        return dmc.Text(t("audit.empty", lang), c="dimmed")
    settings = context.settings()
    head = [t(f"audit.col.{c}", lang) for c in ("at", "actor", "action", "target", "detail", "address")]
    body = [[r["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), r["actor"],
             html.Span(audit_action(r["action"], lang), title=r["action"]),
             # words for people; the stored target (what a script would grep for) on hover
             html.Span(audit_target(r["target"], settings, lang, r["detail"]), title=r["target"] or ""),
             json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else "", r["address"] or ""] for r in rows]
    return dmc.TableScrollContainer(table(head, body, className="cb-audit-table"), minWidth=900)


@declare.callback(Output(ROWS, "children"), Output(TOTAL, "children"), Input(ACTION, "value"), Input(ACTOR, "value"),
                  Input(REFRESH, "n_intervals"), State(LANG, "data"), page="audit", action="administer")
def show(action: str | None, actor: str | None, _n: int | None, lang: Lang | None) -> tuple[Any, str]:
    lang = lang or "zh"
    rows, total = audit.read(context.engine(), action=action or None, actor=(actor or "").strip() or None,
                             limit=PAGE_ROWS)
    return audit_table(rows, context.settings().tz, lang), t("audit.total", lang, n=total)
