"""我的工单 — a department head's queue (issue 21), made for the phone first.

Their department's orders (a district-level head: their district's), the first due on top,
overdue ones before all; each a card with its running clock and the buttons its state
allows: accept (签收), report progress, finish with a result and a photo or PDF (uploaded
on the card, checked by :mod:`dispatch.attachments`), ask for more time, return (退单)
with a reason. Cards, not a table: handlers are in the field at 390 px.

Callbacks are declared with ``view`` on ``warnings`` (the page's resource); whether the
reader may act on an order — heads its department, in its district, in a state that
allows it — is decided and audited by :mod:`dispatch.orders`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update

import access
from access import declare
from citybrain import context
from citybrain.i18n import Lang, t
from components.dispatch import actions as do
from components.dispatch.ui import feedback, order_card, part
from dispatch.orders import OPEN_STATES, get_order, list_orders
from dispatch.sla import headed_by

dash.register_page(__name__, path="/orders", nav="orders.nav", order=61, title="我的工单", access="warnings",
                   nav_roles=("department",))

NS = "queue"
P = "cb-queue-"
REFRESH_MS = 30_000
#: what a department's head may do to an order in each state
HEAD_ACTIONS: dict[str, tuple[str, ...]] = {
    "dispatched": ("accept", "return"),
    "accepted": ("finish", "progress", "extend", "return"),
    "in_progress": ("finish", "progress", "extend"),
    "reopened": ("finish", "progress", "extend"),
}


def _principal() -> Any:
    return access.current_principal()


def _address() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None


def layout(**_kwargs: Any) -> Any:
    lang = context.lang()
    p = _principal()
    heads = bool(p is not None and headed_by(p))
    return dmc.Stack([
        dmc.Stack([dmc.Title(t("orders.title", lang), order=2),
                   dmc.Text(t("orders.subtitle", lang), c="dimmed", size="sm")], gap=0),
        *([] if heads else [dmc.Alert(t("orders.not_head", lang), color="gray", variant="light")]),
        dmc.Checkbox(id=P + "closed", label=t("orders.show_closed", lang), size="sm"),
        html.Div(id=P + "feedback"),
        html.Div(id=P + "list", className="cb-queue-list"),
        dcc.Store(id=P + "changed"),
        dcc.Store(id=P + "lang", data=lang),
        dcc.Interval(id=P + "refresh", interval=REFRESH_MS),
    ], gap="sm", className="cb-orders-page")


def head_actions(order: dict[str, Any], principal: Any) -> tuple[str, ...]:
    """The buttons of a card: only for the head of the order's department (as the server checks)."""
    if principal is None or order["department"] not in headed_by(principal):
        return ()
    if order["state"] in ("accepted", "in_progress", "reopened") and order.get("extension_until"):
        return tuple(a for a in HEAD_ACTIONS[order["state"]] if a != "extend")
    return HEAD_ACTIONS.get(order["state"], ())


def queue_view(lang: str, show_closed: bool, now: dt.datetime | None = None) -> Any:
    engine, s = context.engine(), context.settings()
    p = _principal()
    if p is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = list_orders(engine, p, now=now, limit=300)
    if not show_closed:
        rows = [o for o in rows if o["state"] in OPEN_STATES]
    files = do.order_files(engine, [o["id"] for o in rows])
    cards = []
    for o in rows[:100]:
        acts = head_actions(o, p)
        cards.append(order_card(o, s, lang, now=now, ns=NS, actions=acts, uploads="finish" in acts,
                                show_department=len(headed_by(p)) != 1, files=files.get(o["id"], ())))
    return dmc.Stack(cards, gap="sm") if cards else dmc.Text(t("orders.none", lang), c="dimmed")


@declare.callback(Output(P + "list", "children"), Input(P + "changed", "data"), Input(P + "refresh", "n_intervals"),
                  Input(P + "closed", "checked"), State(P + "lang", "data"), page="orders")
def refresh(_changed: str | None, _n: int | None, closed: bool | None, lang: Lang) -> Any:
    return queue_view(lang, bool(closed))


@declare.callback(Output(P + "changed", "data"), Output(P + "feedback", "children"),
                  Input({"type": part(NS, "act"), "id": ALL, "action": ALL}, "n_clicks"),
                  State({"type": part(NS, "note"), "id": ALL}, "value"),
                  State({"type": part(NS, "until"), "id": ALL}, "value"), State(P + "lang", "data"),
                  page="orders", prevent_initial_call=True)
def act(clicks: list[int | None], _notes: list[str | None], _until: list[str | None], lang: Lang) -> tuple:
    if not any(clicks) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update, no_update
    ok, message = do.act_on_order(context.engine(), context.settings(), NS, ctx.triggered_id, ctx.states_list,
                                  actor=_principal(), lang=lang, address=_address(), need_evidence=True)
    return (dt.datetime.now(dt.timezone.utc).isoformat() if ok else no_update), feedback(message, ok)


@declare.callback(Output({"type": part(NS, "uploaded"), "id": MATCH}, "children"),
                  Input({"type": part(NS, "upload"), "id": MATCH}, "contents"),
                  State({"type": part(NS, "upload"), "id": MATCH}, "filename"), State(P + "lang", "data"),
                  page="orders", prevent_initial_call=True)
def upload(contents: str | None, filename: str | None, lang: Lang) -> Any:
    """A photo or PDF dropped on a card is kept at once as the order's evidence."""
    trig = ctx.triggered_id
    if not contents or not isinstance(trig, dict) or not isinstance(trig.get("id"), int):
        return no_update
    from dispatch.errors import DispatchError

    engine = context.engine()
    try:
        order = get_order(engine, trig["id"], _principal())
    except DispatchError:
        return feedback(t("dispatch.pick", lang), False)
    ok, message = do.attach(engine, context.settings(), order["event_id"], contents, filename,
                            actor=_principal(), lang=lang, order_id=order["id"], address=_address())
    return feedback(message, ok)
