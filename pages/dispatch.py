"""指挥调度 — the duty officer's dispatch board (issue 21).

Events no department holds and active warnings not yet dispatched (one click, the suggested
department preselected: the owner of the rule's domain), the orders by state — overdue
first, with running clocks —, verify / reopen, remind, approve or refuse extensions, and
reporting an event by hand (location by clicking the map, photos and PDFs attached).

Callbacks are thin: they read :mod:`dispatch.board` and call :mod:`components.dispatch.actions`.
They are declared with ``view`` on the page's resource (``warnings``): who may dispatch,
verify or remind is the command centre, and that is decided — per order, in the action's
transaction, audited when refused — by :mod:`dispatch.orders`; a reader who is not the
centre is offered no button.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

import access
from access import declare
from citybrain import context
from citybrain.i18n import Lang, pick, t
from components.citymap import city_map
from components.dispatch import actions as do
from components.dispatch.ui import (category_label, counts_bar, department_name, district_name, feedback,
                                    level_badge, order_card, part)
from dispatch.attachments import MAX_BYTES
from dispatch.board import state_counts, unassigned_events, warnings_to_dispatch
from dispatch.orders import OPEN_STATES, is_centre, list_orders
from dispatch.sla import LEVELS, departments

dash.register_page(__name__, path="/dispatch", nav="dispatch.nav", order=62, title="指挥调度", access="warnings",
                   nav_roles=("admin", "duty", "leader", "analyst"))

NS = "board"
REFRESH_MS = 30_000
CATEGORIES = ("roads", "air", "water", "crowd", "service", "safety", "other")
P = "cb-board-"  # ids of this page's single components


def _principal() -> Any:
    return access.current_principal()


def _address() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None


def _centre() -> bool:
    p = _principal()
    return p is not None and is_centre(p)


def layout(**_kwargs: Any) -> Any:
    lang = context.lang()
    s = context.settings()
    centre = _centre()
    p = _principal()
    side: list[Any] = []
    if centre:
        side = [
            dmc.Paper([dmc.Title(t("dispatch.warnings", lang), order=4), html.Div(id=P + "warnings")],
                      withBorder=True, p="sm", className="cb-board-box"),
            dmc.Paper([dmc.Title(t("dispatch.unassigned", lang), order=4), html.Div(id=P + "events")],
                      withBorder=True, p="sm", className="cb-board-box"),
            report_form(lang, fixed_district=getattr(p, "district", None)),
        ]
    else:
        # the lists' slots stay (empty, hidden): the refresh callback fills the same outputs for every reader
        side = [dmc.Alert(t("dispatch.centre_only", lang), color="gray", variant="light"),
                html.Div(id=P + "warnings", hidden=True), html.Div(id=P + "events", hidden=True)]
    return dmc.Stack([
        dmc.Stack([dmc.Title(t("dispatch.title", lang), order=2),
                   dmc.Text(t("dispatch.subtitle", lang), c="dimmed", size="sm")], gap=0),
        html.Div(id=P + "counts"),
        html.Div(id=P + "feedback"),
        dmc.Grid([
            dmc.GridCol(dmc.Stack(side, gap="md"), span={"base": 12, "lg": 5}),
            dmc.GridCol(dmc.Stack([
                dmc.Group([
                    dmc.Title(t("dispatch.orders", lang), order=4),
                    dmc.SegmentedControl(id=P + "filter", value="open", size="xs", data=[
                        {"value": "open", "label": t("dispatch.filter.open", lang)},
                        {"value": "all", "label": t("dispatch.filter.all", lang)}]),
                    dmc.Checkbox(id=P + "overdue", label=t("dispatch.filter.overdue", lang), size="xs"),
                ], gap="sm", wrap="wrap"),
                html.Div(id=P + "orders", className="cb-od-list"),
            ], gap="sm"), span={"base": 12, "lg": 7}),
        ], gutter="lg"),
        dcc.Store(id=P + "changed"),
        dcc.Store(id=P + "lang", data=lang),
        dcc.Interval(id=P + "refresh", interval=REFRESH_MS),
    ], gap="md", className="cb-dispatch-page")


def report_form(lang: str, *, fixed_district: str | None) -> Any:
    s = context.settings()
    districts = [{"value": d.code, "label": pick(d.name_zh, d.name_en, lang)} for d in s.districts
                 if not fixed_district or d.code == fixed_district]
    lv = [{"value": x, "label": level_badge_text(x, lang)} for x in reversed(LEVELS)]
    return dmc.Paper(dmc.Stack([
        dmc.Title(t("dispatch.report", lang), order=4),
        dmc.TextInput(id=P + "title", label=t("dispatch.report.title", lang), inputProps={"maxLength": 200}, size="sm"),
        dmc.SimpleGrid([
            dmc.Select(id=P + "category", label=t("dispatch.report.category", lang), size="sm", value="other",
                       data=[{"value": c, "label": category_label(c, lang)} for c in CATEGORIES], allowDeselect=False),
            dmc.Select(id=P + "district", label=t("dispatch.report.district", lang), size="sm", data=districts,
                       value=districts[0]["value"] if districts else None, allowDeselect=False),
            dmc.Select(id=P + "level", label=t("dispatch.report.level", lang), size="sm", data=lv, value="yellow",
                       allowDeselect=False),
        ], cols={"base": 1, "sm": 3}, spacing="xs"),
        dmc.Textarea(id=P + "description", label=t("dispatch.report.description", lang), autosize=True, minRows=2,
                     maxRows=5, size="sm"),
        dmc.Text(t("dispatch.report.map_hint", lang), size="xs", c="dimmed"),
        html.Div(city_map(P + "map", s, layers=("districts", "labels"), lang=lang), className="cb-board-map"),
        dmc.SimpleGrid([
            dmc.NumberInput(id=P + "lat", label=t("dispatch.report.lat", lang), min=-90, max=90, decimalScale=5,
                            size="sm", hideControls=True),
            dmc.NumberInput(id=P + "lon", label=t("dispatch.report.lon", lang), min=-180, max=180, decimalScale=5,
                            size="sm", hideControls=True),
        ], cols=2, spacing="xs"),
        dcc.Upload(html.Div(t("dispatch.upload", lang)), id=P + "upload", max_size=MAX_BYTES, multiple=False,
                   accept="image/jpeg,image/png,application/pdf", className="cb-od-upload"),
        html.Div(id=P + "upload-name", className="cb-od-uploaded"),
        dmc.Group([dmc.Button(t("dispatch.report.submit", lang), id=P + "submit", size="sm")]),
    ], gap="xs"), withBorder=True, p="sm", className="cb-board-box cb-board-report")


def level_badge_text(level: str, lang: str) -> str:
    from alerts.levels import level as info

    lv = info(level)
    return lv.label_zh if lang == "zh" else lv.label_en


# ------------------------------------------------------------------------------ views

def dispatch_row(kind: str, item: dict[str, Any], lang: str, suggested: str | None) -> Any:
    """A warning or an event waiting for a department: its level, title, district, and the
    department picker (the suggestion preselected) with the one-click dispatch button."""
    s = context.settings()
    depts = [{"value": code, "label": pick(d.name_zh, d.name_en, lang)} for code, d in departments(s).items()]
    title = pick(item.get("title_zh") or item.get("title") or "", item.get("title_en") or "", lang) \
        if kind == "warning" else item["title"]
    district = item.get("district") or (item.get("scope") if item.get("scope_kind") == "district" else s.city.code)
    meta = [t("dispatch.from_warning", lang, id=item["id"]) if kind == "warning" else t("dispatch.event", lang,
                                                                                         id=item["id"]),
            district_name(s, district or s.city.code, lang)]
    if suggested:
        meta.append(f"{t('dispatch.suggested', lang)}：{department_name(s, suggested, lang)}")
    return dmc.Paper(dmc.Stack([
        dmc.Group([level_badge(item["level"], lang), dmc.Text(title, fw=600, size="sm", className="cb-od-title")],
                  gap=6, wrap="nowrap"),
        dmc.Text(" · ".join(meta), size="xs", c="dimmed"),
        dmc.Group([
            dmc.Select(id={"type": P + "dept", "kind": kind, "id": item["id"]}, data=depts, value=suggested,
                       size="xs", placeholder=t("dispatch.department", lang), className="cb-board-dept",
                       allowDeselect=False),
            dmc.Button(t("dispatch.do.dispatch", lang), id={"type": P + "go", "kind": kind, "id": item["id"]},
                       size="xs", className="cb-board-go"),
        ], gap=6, wrap="nowrap"),
    ], gap=4), withBorder=True, p="xs", radius="md", className=f"cb-od-card cb-od-edge-{item['level']}")


def centre_actions(order: dict[str, Any]) -> list[str]:
    st = order["state"]
    out = []
    if st == "finished":
        out += ["verify", "reopen"]
    if order.get("extension_until") and st in ("dispatched", "accepted", "in_progress", "reopened"):
        out += ["approve", "refuse"]
    if st in ("dispatched", "accepted", "in_progress", "reopened"):
        out.append("remind")
    return out


def board_view(lang: str, mode: str, overdue_only: bool, now: dt.datetime | None = None) -> tuple[Any, ...]:
    engine, s = context.engine(), context.settings()
    p = _principal()
    now = now or dt.datetime.now(dt.timezone.utc)
    if p is None:
        return (None,) * 4
    counts = counts_bar(state_counts(engine, p, now=now), lang)
    rows = list_orders(engine, p, overdue=overdue_only, now=now, limit=300)
    if mode != "all":
        rows = [o for o in rows if o["state"] in OPEN_STATES]
    files = do.order_files(engine, [o["id"] for o in rows])
    centre = is_centre(p)
    cards = [order_card(o, s, lang, now=now, ns=NS, actions=centre_actions(o) if centre else (),
                        files=files.get(o["id"], ())) for o in rows[:100]]
    orders_view = dmc.Stack(cards, gap="xs") if cards else dmc.Text(t("dispatch.orders.none", lang), c="dimmed")
    if not centre:
        return counts, None, None, orders_view
    warn = [dispatch_row("warning", w, lang, w["suggested"]) for w in warnings_to_dispatch(engine, p, limit=20)]
    evs = [dispatch_row("event", e, lang, e["category"] if e["category"] in departments(s) else None)
           for e in unassigned_events(engine, p)[:30]]
    return (counts,
            dmc.Stack(warn, gap="xs") if warn else dmc.Text(t("dispatch.warnings.none", lang), c="dimmed", size="sm"),
            dmc.Stack(evs, gap="xs") if evs else dmc.Text(t("dispatch.unassigned.none", lang), c="dimmed", size="sm"),
            orders_view)


# --------------------------------------------------------------------------- callbacks

@declare.callback(Output(P + "counts", "children"), Output(P + "warnings", "children"),
                  Output(P + "events", "children"), Output(P + "orders", "children"),
                  Input(P + "changed", "data"), Input(P + "refresh", "n_intervals"), Input(P + "filter", "value"),
                  Input(P + "overdue", "checked"), State(P + "lang", "data"), page="dispatch")
def refresh(_changed: str | None, _n: int | None, mode: str | None, overdue: bool | None, lang: Lang) -> tuple:
    return board_view(lang, mode or "open", bool(overdue))


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


@declare.callback(Output(P + "changed", "data", allow_duplicate=True),
                  Output(P + "feedback", "children", allow_duplicate=True),
                  Input({"type": part(NS, "act"), "id": ALL, "action": ALL}, "n_clicks"),
                  Input({"type": P + "go", "kind": ALL, "id": ALL}, "n_clicks"),
                  State({"type": part(NS, "note"), "id": ALL}, "value"),
                  State({"type": P + "dept", "kind": ALL, "id": ALL}, "value"), State(P + "lang", "data"),
                  page="dispatch", prevent_initial_call=True)
def act(clicks: list[int | None], go: list[int | None], _notes: list[str | None], _depts: list[str | None],
        lang: Lang) -> tuple:
    """A card's button (verify, reopen, remind, approve, refuse) or a list's 派单.

    One callback for both: they write the same outputs, and a page's callbacks are keyed by
    their outputs (:mod:`access.declare`) — two of them, the second replaced the first and the
    cards' buttons sent nothing."""
    trig = ctx.triggered_id
    if not (ctx.triggered and ctx.triggered[0].get("value")) or not isinstance(trig, dict):
        return no_update, no_update
    if trig.get("type") == P + "go":
        return dispatch_one(trig, ctx.states_list[1], lang)
    if not any(clicks):
        return no_update, no_update
    ok, message = do.act_on_order(context.engine(), context.settings(), NS, trig, ctx.states_list,
                                  actor=_principal(), lang=lang, address=_address())
    return (_stamp() if ok else no_update), feedback(message, ok)


def dispatch_one(trig: dict[str, Any], depts: list[dict[str, Any]], lang: str) -> tuple:
    """派单 pressed on a warning's or an event's row: to the department picked on that row."""
    dept = None
    for item in depts:
        if item["id"].get("kind") == trig.get("kind") and item["id"].get("id") == trig.get("id"):
            dept = item.get("value")
    ok, message = do.dispatch_item(context.engine(), context.settings(), str(trig.get("kind")), trig.get("id"),
                                   dept, "", actor=_principal(), lang=lang, address=_address())
    return (_stamp() if ok else no_update), feedback(message, ok)


@declare.callback(Output(P + "lat", "value"), Output(P + "lon", "value"), Input(P + "map", "clickData"),
                  page="dispatch", prevent_initial_call=True)
def pick_location(click: dict | None) -> tuple:
    """A click on the map is the event's location (the form's numbers can be typed too)."""
    latlng = (click or {}).get("latlng") if isinstance(click, dict) else None
    if not isinstance(latlng, dict):
        return no_update, no_update
    try:
        return round(float(latlng["lat"]), 5), round(float(latlng["lng"]), 5)
    except (KeyError, TypeError, ValueError):
        return no_update, no_update


@declare.callback(Output(P + "upload-name", "children"), Input(P + "upload", "filename"),
                  page="dispatch", prevent_initial_call=True)
def show_upload(name: str | None) -> Any:
    return name or ""


@declare.callback(Output(P + "changed", "data", allow_duplicate=True),
                  Output(P + "feedback", "children", allow_duplicate=True),
                  Output(P + "title", "value"), Output(P + "description", "value"),
                  Output(P + "upload", "contents"), Output(P + "upload-name", "children", allow_duplicate=True),
                  Input(P + "submit", "n_clicks"),
                  State(P + "title", "value"), State(P + "category", "value"), State(P + "district", "value"),
                  State(P + "level", "value"), State(P + "description", "value"), State(P + "lat", "value"),
                  State(P + "lon", "value"), State(P + "upload", "contents"), State(P + "upload", "filename"),
                  State(P + "lang", "data"), page="dispatch", prevent_initial_call=True)
def report(_n: int | None, title: str | None, category: str | None, district: str | None, level: str | None,
           description: str | None, lat: Any, lon: Any, contents: str | None, filename: str | None,
           lang: Lang) -> tuple:
    from citybrain.errors import AccessRefused
    from dispatch.errors import DispatchError
    from dispatch.orders import create_event

    engine, s = context.engine(), context.settings()
    nums = []
    for v in (lat, lon):
        nums.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
    try:
        eid = create_event(engine, s, actor=_principal(), title=title or "", category=category or "other",
                           district=district or "", level=level or "", description=description or "",
                           lat=nums[0], lon=nums[1], address=_address())
    except (AccessRefused, DispatchError) as exc:
        return no_update, feedback(t("dispatch.failed", lang, why=str(exc)), False), *(no_update,) * 4
    message = t("dispatch.report.done", lang, id=eid)
    ok = True
    if contents:
        ok, extra = do.attach(engine, s, eid, contents, filename, actor=_principal(), lang=lang, address=_address())
        message = f"{message}；{extra}" if lang == "zh" else f"{message}; {extra}"
    return _stamp(), feedback(message, ok), "", "", None, ""
