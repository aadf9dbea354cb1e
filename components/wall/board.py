"""The duty leader's board on every screen (issues 18 and 21): open warnings and open red/orange
events with who has them and how long they have been open, and the counts behind them.

* **counts** — open warnings by level (红/橙/黄/蓝) and the city's work orders by state
  (待签收, 处置中, 待核查, 超期);
* **rows** — each a red/orange event held by departments (from ``dispatch.board``, via
  ``store.queries.wall_dispatch``) or an open warning no event carries yet: level, title, who
  has it (the order's department, else the warning's assignee or acknowledger, else
  "未派单"), and a **running clock**.

The clocks count up in the browser (``assets/wall.js`` ``clocks``, every second, no server
round trip): a refresh only sets a clock's start (and deadline) as CSS custom properties on
its element (``--since``, ``--due``, epoch seconds); past the deadline the clock turns red.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from citybrain.i18n import pick, t
from components.wall.ids import Fill, wid

LEVELS = ("red", "orange", "yellow", "blue")
#: rows built per board; the single-panel layout shows fewer (CSS)
SLOTS = 6
#: the order states a duty leader tells apart on the wall → the states they gather
ORDER_GROUPS: dict[str, tuple[str, ...]] = {
    "dispatched": ("dispatched",), "working": ("accepted", "in_progress", "reopened"), "finished": ("finished",),
}


def clock(key: str, extra: str = "") -> html.Span:
    """A clock counting up from the ``--since`` its fill sets (empty until then)."""
    return html.Span(id=wid("style", key), className="cb-clock" + (f" {extra}" if extra else ""))


def clock_style(since: dt.datetime | None, due: dt.datetime | None = None) -> dict[str, str]:
    """The style of a :func:`clock`: its start and deadline as epoch seconds (none: blank)."""
    if since is None:
        return {}
    style = {"--since": str(int(since.timestamp()))}
    if due is not None:
        style["--due"] = str(int(due.timestamp()))
    return style


def count_chips(key: str, lang: str) -> list[html.Span]:
    """Open warnings by level: four chips in the national level colours."""
    return [html.Span([html.Span(t(f"wall.level_short.{lv}", lang), className="cb-count-name"),
                       html.Span("0", id=wid("text", f"{key}.{lv}"), className="cb-count-n")],
                      id=wid("class", f"{key}.{lv}"), className=f"cb-count cb-level-{lv} cb-zero") for lv in LEVELS]


def count_chips_fill(key: str, counts: Mapping[str, int]) -> Fill:
    fill: Fill = {}
    for lv in LEVELS:
        n = int(counts.get(lv) or 0)
        fill[("text", f"{key}.{lv}")] = str(n)
        fill[("class", f"{key}.{lv}")] = f"cb-count cb-level-{lv}" + ("" if n else " cb-zero")
    return fill


def board_panel(key: str, lang: str) -> html.Div:
    """An empty board: title, counts, :data:`SLOTS` rows."""
    rows = []
    for i in range(SLOTS):
        k = f"{key}.{i}"
        rows.append(html.Div([
            html.Div([html.Span(id=wid("text", f"{k}.level"), className="cb-board-level"),
                      html.Span(id=wid("text", f"{k}.title"), className="cb-board-title")], className="cb-board-line"),
            html.Div([html.Span(id=wid("text", f"{k}.who"), className="cb-board-who"),
                      clock(f"{k}.clock")], className="cb-board-line cb-board-sub"),
        ], id=wid("class", f"{k}.row"), className="cb-board-row cb-empty"))
    return html.Div([
        html.Div([html.Span(t("wall.board", lang), className="cb-panel-title"),
                  html.Span(id=wid("text", f"{key}.orders"), className="cb-board-orders")], className="cb-panel-head"),
        html.Div(count_chips(f"{key}.count", lang), className="cb-counts"),
        html.Div(rows, className="cb-board-rows"),
    ], className="cb-board")


def _who_names(departments: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {code: pick(getattr(d, "name_zh", code), getattr(d, "name_en", code), lang)
            for code, d in departments.items()}


def board_items(warnings: Sequence[Mapping[str, Any]], board: Mapping[str, Any] | None, *, domain: str | None,
                departments: Mapping[str, Any], lang: str, levels: Sequence[str] = LEVELS,
                with_events: bool = True, now: dt.datetime) -> list[dict[str, Any]]:
    """What the board (and the ticker) list: red/orange events held by departments and open
    warnings not yet carried by a listed event, each ``{level, title, who, since, due, event}``
    — the most severe first, then the longest open. ``with_events`` False (the ticker): the
    warnings only, an event lending its warning the departments that hold it."""
    names = _who_names(departments, lang)
    items: list[dict[str, Any]] = []
    carried: dict[int, str] = {}  # warning id → the departments holding its event
    listed: set[int] = set()  # warnings whose event is a row already
    for ev in (board or {}).get("events") or []:
        orders = sorted(ev.get("orders") or [], key=lambda o: o.get("role") != "lead")
        # an event belongs to a screen by its category or by a department holding it (a
        # department's code is its domain's)
        if domain is not None and ev.get("category") != domain and all(o.get("department") != domain for o in orders):
            continue
        who = "、".join(dict.fromkeys(names.get(o["department"], o["department"]) for o in orders))
        state = orders[0]["state"] if orders else ""
        state_word = t(f"wall.order.{state}", lang) if state else ""
        if ev.get("warning_id") is not None:
            carried[int(ev["warning_id"])] = who
        if not with_events or ev.get("level") not in levels:
            continue
        if ev.get("warning_id") is not None:
            listed.add(int(ev["warning_id"]))
        # the running deadline: a finished order waits for the centre's check, its clock has stopped
        due = min((o["due"] for o in orders if o.get("due") is not None and o.get("state") != "finished"), default=None)
        items.append({"level": ev.get("level"), "title": ev.get("title") or "", "since": ev.get("opened_at"),
                      "due": due, "who": f"{who} {state_word}".strip(), "event": True})
    for w in warnings:
        if domain is not None and w.get("domain") != domain:
            continue
        if w.get("level") not in levels:
            continue
        wid_ = int(w["id"]) if w.get("id") is not None else None
        if wid_ in listed:
            continue  # its event is a row already, with its departments and deadline
        who = carried.get(wid_) if wid_ is not None else None
        who = who or w.get("assigned_to") or w.get("acknowledged_by") or t("wall.warn.unassigned", lang)
        title = pick(w.get("title_zh") or "", w.get("title_en") or "", lang)
        if w.get("state") == "recovering":
            title += f"（{t('wall.state.recovering', lang)}）" if lang != "en" else f" ({t('wall.state.recovering', lang)})"
        items.append({"level": w.get("level"), "title": title, "since": w.get("fired_at"), "due": None,
                      "who": who, "event": False})
    order = {lv: i for i, lv in enumerate(LEVELS)}
    far = now + dt.timedelta(days=1)
    items.sort(key=lambda i: (order.get(i["level"], 9), i["since"] or far))
    return items


def order_counts_text(counts: Mapping[str, int] | None, lang: str) -> str:
    """The city's open work orders by state in one line (待签收2 · 处置中3 · 超期1): the
    states with orders, and 超期 always (0 overdue is news too)."""
    if not counts:
        return ""
    parts = []
    for group, states in ORDER_GROUPS.items():
        n = sum(int(counts.get(s) or 0) for s in states)
        if n:
            parts.append(t(f"wall.orders.{group}", lang, n=n))
    parts.append(t("wall.orders.overdue", lang, n=int(counts.get("overdue") or 0)))
    return "  ".join(parts)


def board_fill(key: str, warnings: Sequence[Mapping[str, Any]], counts: Mapping[str, int],
               board: Mapping[str, Any] | None, *, domain: str | None, departments: Mapping[str, Any],
               lang: str, now: dt.datetime) -> Fill:
    fill: Fill = count_chips_fill(f"{key}.count", counts)
    fill[("text", f"{key}.orders")] = order_counts_text((board or {}).get("counts"), lang)
    mine = board_items(warnings, board, domain=domain, departments=departments, lang=lang, now=now)
    rows: list[dict[str, Any]] = list(mine)
    if not domain and not mine:
        rows = [{"note": t("wall.warn.none_city", lang)}]
    elif domain and len(mine) < SLOTS:
        # room left: the city's other open ones follow (a duty leader's board is never blank,
        # nor half empty, while something is open elsewhere)
        seen = {(i["title"], i["since"]) for i in mine}
        city = [i for i in board_items(warnings, board, domain=None, departments=departments, lang=lang, now=now)
                if (i["title"], i["since"]) not in seen]
        if not mine:
            rows = [{"note": t("wall.warn.none", lang)}, *([{"note": t("wall.warn.city", lang), "more": True}, *city]
                                                          if city else [])]
        elif city:
            rows = [*mine, {"note": t("wall.warn.elsewhere", lang), "more": True}, *city]
    for i in range(SLOTS):
        k = f"{key}.{i}"
        item = rows[i] if i < len(rows) else None
        if item is not None and "note" in item:
            fill[("text", f"{k}.level")] = ""
            fill[("text", f"{k}.title")] = item["note"]
            fill[("text", f"{k}.who")] = ""
            fill[("style", f"{k}.clock")] = {}
            # a heading of rows below ("more"): hidden by wall.js when none of them fits under it
            fill[("class", f"{k}.row")] = "cb-board-row cb-board-none" + (" cb-board-more" if item.get("more") else "")
            continue
        fill[("text", f"{k}.level")] = t(f"wall.level_short.{item['level']}", lang) if item else ""
        fill[("text", f"{k}.title")] = item["title"] if item else ""
        fill[("text", f"{k}.who")] = item["who"] if item else ""
        fill[("style", f"{k}.clock")] = clock_style(item["since"], item["due"]) if item else {}
        fill[("class", f"{k}.row")] = f"cb-board-row cb-level-{item['level']}" if item else "cb-board-row cb-empty"
    return fill
