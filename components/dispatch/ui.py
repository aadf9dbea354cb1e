"""Order cards, running clocks, state and department labels for the dispatch pages.

A card is the unit on every surface (the board, 我的工单 on a phone): the level's colour on
its edge, the title, the department by name, the state by its label, and the clock that
runs against the order — ``respond_by`` while it waits to be accepted, ``resolve_by`` while
the department works. The clock ticks in the browser (``assets/dispatch.js`` reads
``data-due``), so no server request is made every second; the server's text is the start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from alerts.levels import level as level_info
from citybrain.i18n import pick, t
from citybrain.settings import Settings
from dispatch.attachments import MAX_BYTES
from dispatch.orders import STATES
from dispatch.sla import departments

#: pattern-matching id types of a card's parts, per page (``ns``: board | queue) so one page's
#: callback never listens to the other's buttons
PARTS = ("act", "note", "upload", "until", "uploaded")


def part(ns: str, kind: str) -> str:
    """The pattern id type of part ``kind`` of the cards on page ``ns``."""
    return f"cb-{ns}-{kind}"
#: extension choices: hours after the current resolve-by
EXTEND_HOURS: tuple[int, ...] = (2, 8, 24, 72)
STATE_COLOURS = {"dispatched": "blue", "accepted": "cyan", "in_progress": "indigo", "finished": "teal",
                 "reopened": "orange", "closed": "gray", "returned": "gray"}
#: the actions whose note is the reason / progress / result (the field is shown for them)
NOTED = ("progress", "finish", "return", "extend", "reopen", "refuse", "remind")


def state_label(state: str, lang: str) -> str:
    return t(f"dispatch.state.{state}", lang) if state in STATES else state


def department_name(settings: Settings, code: str, lang: str) -> str:
    d = departments(settings).get(code)
    return pick(d.name_zh, d.name_en, lang) if d else code


def district_name(settings: Settings, code: str, lang: str) -> str:
    for d in settings.districts:
        if d.code == code:
            return pick(d.name_zh, d.name_en, lang)
    if code == settings.city.code:
        return pick(settings.city.name_zh, settings.city.name_en, lang)
    return code


def category_label(category: str, lang: str) -> str:
    key = f"dispatch.category.{category}"
    text = t(key, lang)
    return category if text == key else text


def level_badge(level: str, lang: str) -> Any:
    lv = level_info(level)
    return html.Span(lv.zh if lang == "zh" else lv.en, className=f"cb-od-level cb-od-level-{level}")


def remaining(due: dt.datetime, now: dt.datetime, lang: str) -> str:
    """``剩余 1:05:00`` / ``已超时 0:12:30`` — what the browser's ticking continues."""
    secs = int((due - now).total_seconds())
    late = secs < 0
    secs = abs(secs)
    text = f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return f"{t('dispatch.late', lang)} {text}" if late else f"{t('dispatch.left', lang)} {text}"


def clock(due: dt.datetime, now: dt.datetime, lang: str) -> Any:
    """A running clock to ``due``; turns amber in its last fifth and red once late (CSS classes
    the script keeps up to date)."""
    late = due < now
    return html.Span(remaining(due, now, lang), className="cb-od-clock" + (" cb-od-clock-late" if late else ""),
                     **{"data-due": due.astimezone(dt.timezone.utc).isoformat(),
                        "data-left": t("dispatch.left", lang), "data-late": t("dispatch.late", lang)})


def running_due(order: dict[str, Any]) -> dt.datetime | None:
    if order["state"] == "dispatched":
        return order["respond_by"]
    if order["state"] in ("accepted", "in_progress", "reopened"):
        return order["resolve_by"]
    return None


def order_card(order: dict[str, Any], settings: Settings, lang: str, *, now: dt.datetime, ns: str,
               actions: Sequence[str] = (), uploads: bool = False, show_department: bool = True,
               files: Sequence[dict[str, Any]] = ()) -> Any:
    """One order as a card with the buttons of ``actions`` (only those the reader may use and
    the state allows: a control the server would refuse is not offered)."""
    from components.center.fmt import local_time

    tz = settings.tz
    oid = order["id"]
    due = running_due(order)
    state = dmc.Badge(state_label(order["state"], lang), color=STATE_COLOURS.get(order["state"], "gray"),
                      variant="light", size="sm", className="cb-od-state")
    head = [level_badge(order["level"], lang), state]
    if order.get("overdue"):
        head.append(dmc.Badge(t(f"dispatch.overdue.{order['overdue_clock']}", lang), color="red", size="sm",
                              className="cb-od-overdue"))
    steps = max(order.get("respond_escalation") or 0, order.get("resolve_escalation") or 0)
    if steps:
        head.append(dmc.Text(t("dispatch.escalated", lang, step=steps), size="xs", c="red"))
    meta = [t("dispatch.order", lang, id=oid), district_name(settings, order["district"], lang),
            category_label(order.get("category") or "", lang)]
    if show_department:
        meta.insert(1, department_name(settings, order["department"], lang)
                    + ("" if order.get("role") == "lead" else f"（{t('dispatch.role.co', lang)}）"))
    lines = [dmc.Group(head, gap=6, wrap="wrap"),
             dmc.Text(order["title"], fw=600, className="cb-od-title"),
             dmc.Text(" · ".join(m for m in meta if m), size="sm", c="dimmed")]
    if due is not None:
        key = "dispatch.respond_by" if order["state"] == "dispatched" else "dispatch.resolve_by"
        lines.append(dmc.Group([dmc.Text(f"{t(key, lang)} {local_time(due, tz)}", size="sm"),
                                clock(due, now, lang)], gap="sm", wrap="wrap"))
    if order.get("extension_until"):
        lines.append(dmc.Text(t("dispatch.extension_pending", lang, until=local_time(order["extension_until"], tz)),
                              size="sm", c="orange"))
    if order.get("result"):
        lines.append(dmc.Text(f"{t('dispatch.result', lang)}：{order['result']}", size="sm"))
    if files:
        lines.append(html.Div([html.A(f["filename"], href=f"/attachments/{f['id']}", target="_blank",
                                      className="cb-od-file") for f in files], className="cb-od-files"))
    if actions:
        lines.append(action_row(ns, oid, actions, lang, uploads=uploads))
    edge = f"cb-od-card cb-od-edge-{order['level']}" + (" cb-od-late" if order.get("overdue") else "")
    return dmc.Paper(dmc.Stack(lines, gap=6), withBorder=True, p="sm", radius="md", className=edge,
                     id=f"cb-od-card-{oid}")


def action_row(ns: str, oid: int, actions: Sequence[str], lang: str, *, uploads: bool) -> Any:
    parts: list[Any] = []
    if any(a in NOTED for a in actions):
        parts.append(dmc.Textarea(id={"type": part(ns, "note"), "id": oid}, placeholder=t("orders.note_ph", lang),
                                  autosize=True, minRows=1, maxRows=4, size="sm", className="cb-od-note"))
    if "extend" in actions:
        parts.append(dmc.Select(id={"type": part(ns, "until"), "id": oid}, size="sm", label=t("dispatch.until", lang),
                                data=[{"value": str(h), "label": f"+{h} h"} for h in EXTEND_HOURS], value="24",
                                allowDeselect=False, className="cb-od-until"))
    if uploads:
        parts.append(dcc.Upload(html.Div(t("dispatch.upload", lang)), id={"type": part(ns, "upload"), "id": oid},
                                accept="image/jpeg,image/png,application/pdf", max_size=MAX_BYTES, multiple=False,
                                className="cb-od-upload"))
        parts.append(html.Div(id={"type": part(ns, "uploaded"), "id": oid}, className="cb-od-uploaded"))
    buttons = [dmc.Button(t(f"dispatch.do.{a}", lang), id={"type": part(ns, "act"), "id": oid, "action": a}, size="sm",
                          variant="filled" if i == 0 else "light", className=f"cb-od-do cb-od-do-{a}")
               for i, a in enumerate(actions)]
    parts.append(dmc.Group(buttons, gap=6, wrap="wrap", className="cb-od-buttons"))
    return dmc.Stack(parts, gap=6)


def counts_bar(counts: dict[str, int], lang: str) -> Any:
    """Open orders by state, and the overdue count first (red when any)."""
    tiles = [html.Div([html.Span(str(counts.get("overdue", 0)), className="cb-od-count-n"),
                       html.Span(t("dispatch.overdue", lang))],
                      className="cb-od-count cb-od-count-overdue" + (" cb-od-count-hot" if counts.get("overdue") else ""))]
    for s in STATES:
        tiles.append(html.Div([html.Span(str(counts.get(s, 0)), className="cb-od-count-n"),
                               html.Span(state_label(s, lang))], className=f"cb-od-count cb-od-count-{s}"))
    return html.Div(tiles, className="cb-od-counts")


def feedback(message: str, ok: bool) -> Any:
    return dmc.Alert(message, color="green" if ok else "red", variant="light", className="cb-od-feedback",
                     withCloseButton=False, p="xs")
