"""预警中心 — the warnings center: filter, open a warning, read its timeline, handle it, silence.

The view lives in the URL (``/warnings?level=red&state=firing&id=12``): the layout reads
the parameters and a clientside callback writes them back with ``history.replaceState``,
so a copied link reproduces the view without the page reloading on every filter change.
Handling goes through :mod:`alerts.handling` only; the acting person comes from
:func:`components.center.actor.actor` (the demo duty officer until issue 9's login).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy import Engine

import access
from access import declare
from access.roles import Principal
from alerts import handling
from alerts.rules import load_rules
from citybrain import context
from citybrain.errors import AccessRefused
from citybrain.i18n import Lang, pick, t
from citybrain.settings import Settings
from components.center import ids
from components.center.actor import actor
from components.center.detail import warning_detail
from components.center.filters import filter_bar
from components.center.fmt import local_time
from components.center.handling_form import feedback, handling_form
from components.center.hit_rate import forecast_hit_rate
from components.center.level_counts import level_counts
from components.center.scope import district_names, scope_name
from components.center.silence_form import silence_form, silence_list
from components.center.url import parse_id, parse_view
from components.center.warning_list import warning_list
from store.queries.warnings import PAGE_SIZE, WarningFilters, active_counts, count_warnings, find_warnings

dash.register_page(__name__, path="/warnings", nav="warnings.nav", order=60, title="预警中心")

REFRESH_MS = 30_000
SILENCE_HOURS = {"1h": 1, "2h": 2, "4h": 4, "8h": 8, "24h": 24, "72h": 72}


def _within_remit(filters: WarningFilters) -> WarningFilters:
    """``filters`` cut to what the signed-in user may see: a department head's domains, a
    district user's district. Applied where the list and the counts are read (the gate
    refuses a filter outside the remit; an empty filter means "all I may see")."""
    import dataclasses

    from access.roles import allowed
    from citybrain.settings import DOMAINS

    principal = access.current_principal()
    if principal is None:
        return filters
    visible = tuple(d for d in DOMAINS if allowed(principal, "view", d))
    if len(visible) < len(DOMAINS):
        filters = dataclasses.replace(filters, domains=visible,
                                      domain=filters.domain if filters.domain in visible else None)
    if principal.district and filters.district != principal.district:
        filters = dataclasses.replace(filters, district=principal.district)
    return filters


def layout(warning_id: str | None = None, **kwargs: Any) -> Any:
    """Cheap: settings and config only; the list, counts and detail are filled by callbacks.

    ``warning_id`` comes from the path route ``/warnings/<id>`` (notification links).
    """
    lang = context.lang()
    s = context.settings()
    filters, selected = parse_view(kwargs, {d.code for d in s.districts})
    selected = parse_id(warning_id) or selected
    filters = _within_remit(filters)
    rules = [(r.id, pick(r.title_zh, r.title_en, lang)) for r in load_rules(s)]
    sources = [(src.name, f"{src.name} · {pick(src.owner_zh, src.owner_en, lang)}") for src in s.sources]
    departments = sorted({pick(src.owner_zh, src.owner_en, lang) for src in s.sources if src.owner_zh})
    return dmc.Stack([
        dmc.Group([
            dmc.Stack([
                dmc.Title(t("warnings.title", lang), order=2, className="cb-center-title"),
                dmc.Text(t("warnings.subtitle", lang), c="dimmed", size="sm"),
            ], gap=0),
            html.Div(id=ids.COUNTS, className="cb-wc-counts"),
        ], justify="space-between", align="flex-start", wrap="wrap"),
        filter_bar(filters, s.districts, lang, fixed_district=getattr(access.current_principal(), "district", None)),
        dmc.Grid([
            dmc.GridCol(dmc.Stack([
                html.Div(id=ids.LIST, className="cb-wlist"),
                dmc.Group([dmc.Pagination(id=ids.PAGE, total=1, value=1, size="sm", withEdges=True),
                           dmc.Text(t("warnings.keys", lang), size="xs", c="dimmed", className="cb-wkeys")],
                          justify="space-between", wrap="wrap"),
            ], gap="xs"), span={"base": 12, "lg": 7}),
            dmc.GridCol(dmc.Stack([
                html.Div(id=ids.DETAIL, className="cb-wdetail-slot"),
                handling_form(lang, departments, actor(), refused=access.offer("handle", "warnings", per_warning=True)),
                silence_form(lang, rules, sources, refused=access.offer("handle", "warnings")),
            ], gap="md"), span={"base": 12, "lg": 5}, className="cb-wside"),
        ], gutter="lg"),
        dcc.Store(id=ids.SELECTED, data=selected),
        dcc.Store(id=ids.CHANGED, data=None),
        dcc.Store(id=ids.SIL_CHANGED, data=None),
        dcc.Store(id=ids.LANG, data=lang),
        dcc.Store(id=ids.URL_SYNC),
        dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
    ], gap="md", className="cb-warnings-page")


# ------------------------------------------------------------------------------ bodies

def filters_from(level: str | None, state: str | None, domain: str | None, district: str | None,
                 handling_state: str | None) -> WarningFilters:
    return WarningFilters(level=level or None, state=state or None, domain=domain or None,
                          district=district or None, handling=handling_state or None)


def list_view(engine: Engine, settings: Settings, filters: WarningFilters, selected: int | None, lang: str,
              page: int = 1, now: dt.datetime | None = None) -> tuple[Any, int, int]:
    """(one page of the list — open warnings first, the most severe first —, the page shown,
    the number of pages). A page past the end shows the last one."""
    total = count_warnings(engine, filters)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page or 1, 1), pages)
    rows = find_warnings(engine, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, open_first=True)
    return (warning_list(rows, lang, settings.tz, district_names(settings), selected=selected, total=total,
                         indicators=rule_indicators(settings), thresholds=rule_thresholds(settings), now=now),
            page, pages)


def rule_thresholds(settings: Settings) -> dict[tuple[str, str], str]:
    """(rule id, level) → the threshold as it reads (``≥ 80.0%``, ``< 85.0%``) for threshold rules."""
    from components.center.fmt import value_text

    out: dict[tuple[str, str], str] = {}
    for r in load_rules(settings):
        if getattr(r, "kind", None) == "threshold":
            op = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}.get(r.op, r.op)
            for level, limit in r.levels.items():
                out[(r.id, level)] = f"{op} {value_text(limit, r.indicator)}"
    return out


def summary_view(counts: dict[str, dict[str, int]], lang: str, hit_rate: Any = None) -> Any:
    """Counts by level (the four tiles, links) and, under them, the open warnings by handling
    and the forecast warnings' hit rate (issue 22; ``components.center.hit_rate``)."""
    h = counts["handling"]
    return dmc.Stack([
        level_counts(counts["level"], lang),
        dmc.Text([t("warnings.summary.open", lang, n=sum(counts["level"].values())), " · ",
                  t("warnings.summary.handling", lang, u=h.get("unacknowledged", 0), a=h.get("acknowledged", 0),
                    s=h.get("assigned", 0))], size="sm", c="dimmed", ta="right", className="cb-wsummary"),
        *([hit_rate] if hit_rate is not None else []),
    ], gap=4)


def rule_indicators(settings: Settings) -> dict[str, str]:
    """Rule id → the indicator it watches (staleness rules watch none)."""
    return {r.id: r.indicator for r in load_rules(settings) if getattr(r, "indicator", None)}


def rule_titles(settings: Settings, lang: str) -> dict[str, str]:
    return {r.id: pick(r.title_zh, r.title_en, lang) for r in load_rules(settings)}


def detail_view(engine: Engine, settings: Settings, warning_id: int | None, lang: str) -> tuple[Any, str]:
    """(detail panel, display of the handling form) for the selected warning."""
    if not warning_id:
        return dmc.Paper(dmc.Text(t("warnings.pick", lang), c="dimmed", ta="center", py="lg"), withBorder=True,
                         radius="md", p="md", className="cb-wdetail-empty"), "none"
    try:
        w = handling.warning_with_history(engine, warning_id)
    except handling.WarningNotFound:
        return dmc.Alert(t("warnings.not_found", lang, id=warning_id), color="gray", className="cb-wdetail-missing"), "none"
    return warning_detail(w, lang, settings.tz, scope_name=scope_name(settings, w["scope_kind"], w["scope"], lang),
                          rule_title=rule_titles(settings, lang).get(w["rule"], w["rule"]),
                          indicator=rule_indicators(settings).get(w["rule"])), "block"


def handle(engine: Engine, action: str, warning_id: int | None, *, note: str, department: str, acting: Principal,
           lang: str, now: dt.datetime | None = None, address: str | None = None) -> tuple[bool, str]:
    """Run one handling action; (done, message for the officer). Refusals are messages, not errors."""
    if not warning_id:
        return False, t("warnings.pick", lang)
    note = (note or "").strip()
    department = (department or "").strip()
    try:
        if action == "ack":
            handling.acknowledge(engine, warning_id, actor=acting, note=note, now=now, address=address)
            return True, t("warnings.handle.done.ack", lang, id=warning_id)
        if action == "assign":
            if not department:
                return False, t("warnings.handle.need_department", lang)
            handling.assign(engine, warning_id, actor=acting, department=department, note=note, now=now, address=address)
            return True, t("warnings.handle.done.assign", lang, id=warning_id, department=department)
        if action == "note":
            if not note:
                return False, t("warnings.handle.need_note", lang)
            handling.add_note(engine, warning_id, actor=acting, note=note, now=now, address=address)
            return True, t("warnings.handle.done.note", lang, id=warning_id)
        if action == "close":
            handling.close(engine, warning_id, actor=acting, note=note, now=now, address=address)
            return True, t("warnings.handle.done.close", lang, id=warning_id)
    except (handling.HandlingError, AccessRefused) as exc:
        return False, t("warnings.handle.refused", lang, reason=str(exc))
    raise ValueError(f"unknown handling action {action!r}")


def silence(engine: Engine, settings: Settings, *, target: str, warning_id: int | None, rule: str | None,
            source: str | None, hours: str, reason: str, acting: Principal, lang: str,
            now: dt.datetime | None = None, address: str | None = None) -> tuple[bool, str]:
    """Add a silence for the selected warning's rule and scope, a whole rule, or a source."""
    now = now or dt.datetime.now(dt.timezone.utc)
    reason = (reason or "").strip()
    if not reason:
        return False, t("warnings.silence.need_reason", lang)
    selector: dict[str, str | None] = {}
    if target == "warning" and warning_id:
        try:
            w = handling.warning_with_history(engine, warning_id)
        except handling.WarningNotFound:
            return False, t("warnings.not_found", lang, id=warning_id)
        selector = {"rule": w["rule"], "scope_kind": w["scope_kind"], "scope": w["scope"]}
    elif target == "rule" and rule:
        selector = {"rule": rule}
    elif target == "source" and source:
        selector = {"source": source}
    if not selector:
        return False, t("warnings.silence.need_target", lang)
    ends = now + dt.timedelta(hours=SILENCE_HOURS.get(hours, 2))
    try:
        handling.add_silence(engine, **selector, reason=reason, created_by=acting, starts_at=now, ends_at=ends,
                             now=now, address=address)
    except (handling.HandlingError, AccessRefused) as exc:
        return False, t("warnings.handle.refused", lang, reason=str(exc))
    return True, t("warnings.silence.added", lang, until=local_time(ends, settings.tz))


def silences_view(engine: Engine, settings: Settings, lang: str, now: dt.datetime | None = None) -> Any:
    return silence_list(handling.active_silences(engine, now=now), lang, settings.tz,
                        rule_titles=rule_titles(settings, lang), refused=access.offer("handle", "warnings"))


# --------------------------------------------------------------------------- callbacks
# Each declared with what it needs (access.declare): the list and detail read warnings
# (a department head's own domains, a district user's district); the handling form
# handles the selected warning; silences are city-wide.

def _principal() -> Principal | None:
    import access

    return access.current_principal()


def _triggered() -> str | None:
    """The string id of the input that fired the callback (None outside one: tests call bodies)."""
    try:
        trig = ctx.triggered_id
    except Exception:  # noqa: BLE001 — dash raises its own MissingCallbackContextException
        return None
    return trig if isinstance(trig, str) else None


def _address() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None


@declare.callback([Output(i, "value", allow_duplicate=True) for i in ids.FILTERS], Input(ids.RESET, "n_clicks"),
                  page="warnings", prevent_initial_call=True)
def reset_filters(_n: int | None) -> list[None]:
    """Back to everything the reader may see (the list is cut to their remit when read)."""
    return [None] * len(ids.FILTERS)


@declare.callback(Output(ids.LIST, "children"), Output(ids.COUNTS, "children"), Output(ids.PAGE, "total"),
                  Output(ids.PAGE, "value"),
                  [Input(i, "value") for i in ids.FILTERS], Input(ids.SELECTED, "data"), Input(ids.CHANGED, "data"),
                  Input(ids.REFRESH, "n_intervals"), Input(ids.PAGE, "value"), State(ids.LANG, "data"),
                  page="warnings", scope={"domain": "domain", "district": "district", "selected": "warning"})
def refresh_list(level: str | None, state: str | None, domain: str | None, district: str | None,
                 handling_state: str | None, selected: int | None, _changed: str | None, _n: int | None,
                 page: int | None, lang: Lang) -> tuple:
    engine, settings = context.engine(), context.settings()
    filters = _within_remit(filters_from(level, state, domain, district, handling_state))
    first_page = _triggered() in ids.FILTERS  # a new filter starts over at page 1
    listed, shown, pages = list_view(engine, settings, filters, selected, lang, 1 if first_page else (page or 1))
    remit = _within_remit(WarningFilters())
    summary = summary_view(active_counts(engine, remit), lang, forecast_hit_rate(settings, engine, remit, lang))
    return listed, summary, pages, (shown if shown != page else no_update)


@declare.callback(Output(ids.SELECTED, "data"), Input({"type": ids.OPEN, "id": ALL}, "n_clicks"),
                  page="warnings", prevent_initial_call=True)
def open_warning(clicks: list[int | None]) -> Any:
    """A title was clicked; re-rendered rows (all clicks None) select nothing. Only an id
    the list drew can come back: the detail's own callback checks the reader may see it."""
    trigger = ctx.triggered_id
    if not trigger or not any(clicks) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update
    return trigger["id"] if isinstance(trigger.get("id"), int) else no_update


@declare.callback(Output(ids.DETAIL, "children"), Output(ids.HANDLE_PANEL, "display"),
                  Input(ids.SELECTED, "data"), Input(ids.CHANGED, "data"), Input(ids.REFRESH, "n_intervals"),
                  State(ids.LANG, "data"), page="warnings", scope={"selected": "warning"})
def show_detail(selected: int | None, _changed: str | None, _n: int | None, lang: Lang) -> tuple:
    return detail_view(context.engine(), context.settings(), selected, lang)


@declare.callback(Output(ids.SIL_RULE, "value"), Input(ids.SELECTED, "data"), page="warnings",
                  scope={"selected": "warning"})
def preselect_rule(selected: int | None) -> Any:
    """The rule picker starts at the selected warning's rule (one click to silence it all)."""
    if not selected:
        return no_update
    try:
        return handling.warning_with_history(context.engine(), selected)["rule"]
    except handling.WarningNotFound:
        return no_update


@declare.callback(Output(ids.CHANGED, "data"), Output(ids.HANDLE_FEEDBACK, "children"), Output(ids.NOTE, "value"),
                  Input(ids.ACK, "n_clicks"), Input(ids.ASSIGN, "n_clicks"), Input(ids.ADD_NOTE, "n_clicks"),
                  Input(ids.CLOSE, "n_clicks"),
                  State(ids.SELECTED, "data"), State(ids.NOTE, "value"), State(ids.DEPARTMENT, "value"),
                  State(ids.LANG, "data"), page="warnings", action="handle", scope={"selected": "warning"},
                  prevent_initial_call=True)
def act(_ack: int | None, _assign: int | None, _note: int | None, _close: int | None, selected: int | None,
        note: str | None, department: str | None, lang: Lang) -> tuple:
    action = {ids.ACK: "ack", ids.ASSIGN: "assign", ids.ADD_NOTE: "note", ids.CLOSE: "close"}.get(ctx.triggered_id)
    if action is None:
        return no_update, no_update, no_update
    ok, message = handle(context.engine(), action, selected, note=note or "", department=department or "",
                         acting=_principal(), lang=lang, address=_address())
    stamp = dt.datetime.now(dt.timezone.utc).isoformat()
    return (stamp if ok else no_update), feedback(message, ok), ("" if ok else no_update)


@declare.callback(Output(ids.SIL_CHANGED, "data"), Output(ids.SIL_FEEDBACK, "children"),
                  Output(ids.SIL_REASON, "value"), Input(ids.SIL_ADD, "n_clicks"),
                  State(ids.SIL_TARGET, "value"), State(ids.SELECTED, "data"), State(ids.SIL_RULE, "value"),
                  State(ids.SIL_SOURCE, "value"), State(ids.SIL_HOURS, "value"), State(ids.SIL_REASON, "value"),
                  State(ids.LANG, "data"), page="warnings", action="handle", prevent_initial_call=True)
def add_silence(_n: int | None, target: str | None, selected: int | None, rule: str | None, source: str | None,
                hours: str | None, reason: str | None, lang: Lang) -> tuple:
    ok, message = silence(context.engine(), context.settings(), target=target or "", warning_id=selected, rule=rule,
                          source=source, hours=hours or "2h", reason=reason or "", acting=_principal(), lang=lang,
                          address=_address())
    stamp = dt.datetime.now(dt.timezone.utc).isoformat()
    return (stamp if ok else no_update), feedback(message, ok), ("" if ok else no_update)


@declare.callback(Output(ids.SIL_LIST, "children"), Input(ids.SIL_CHANGED, "data"), Input(ids.REFRESH, "n_intervals"),
                  State(ids.LANG, "data"), page="warnings")
def list_silences(_changed: str | None, _n: int | None, lang: Lang) -> Any:
    return silences_view(context.engine(), context.settings(), lang)


@declare.callback(Output(ids.SIL_CHANGED, "data", allow_duplicate=True),
                  Input({"type": ids.SIL_END, "id": ALL}, "n_clicks"), page="warnings", action="handle",
                  prevent_initial_call=True)
def end_silence(clicks: list[int | None]) -> Any:
    trigger = ctx.triggered_id
    if not trigger or not any(clicks) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update
    try:
        handling.end_silence(context.engine(), trigger["id"], actor=_principal(), address=_address())
    except AccessRefused:
        return no_update
    return dt.datetime.now(dt.timezone.utc).isoformat()


# The URL follows the view without a reload (the pages router would re-render on a new search).
declare.clientside(
    """
    function(level, state, domain, district, handling, selected) {
        const params = new URLSearchParams();
        const values = {level, state, domain, district, handling};
        for (const [k, v] of Object.entries(values)) { if (v) { params.set(k, v); } }
        if (selected) { params.set("id", String(selected)); }
        const lang = new URLSearchParams(window.location.search).get("lang");
        if (lang) { params.set("lang", lang); }
        const query = params.toString();
        const url = "/warnings" + (query ? "?" + query : "");
        if (window.location.pathname + window.location.search !== url) {
            window.history.replaceState(window.history.state, "", url);
        }
        return url;
    }
    """,
    Output(ids.URL_SYNC, "data"),
    [Input(i, "value") for i in ids.FILTERS], Input(ids.SELECTED, "data"), page="warnings",
)


# Notification links point at /warnings/<id> (config ``link``): the same page, that warning open.
dash.register_page("pages.warning_detail", path_template="/warnings/<warning_id>", layout=layout, title="预警中心")
