"""The warning list: one row per warning, the title opens it (and its timeline) beside the list."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import format_number, pick, t
from components.center import ids
from components.center.actor import actor_label
from components.center.fmt import local_time, value_text, warning_title
from components.center.level_badge import level_badge

STATE_COLOURS = {"pending": "gray", "firing": "red", "recovering": "teal", "resolved": "gray"}
HANDLING_COLOURS = {"unacknowledged": "orange", "acknowledged": "blue", "assigned": "indigo", "closed": "gray"}


def state_badge(state: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"warnings.state.{state}", lang), color=STATE_COLOURS.get(state, "gray"),
                     variant="dot", className=f"cb-state cb-state-{state}")


def handling_badge(handling: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"warnings.handling.{handling}", lang), color=HANDLING_COLOURS.get(handling, "gray"),
                     variant="light", className=f"cb-handling cb-handling-{handling}")


def span_text(seconds: float, lang: str) -> str:
    """How long, as a duty officer says it: ``2小时15分`` / ``2 h 15 min`` (days past 48 h)."""
    minutes = max(int(seconds // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days >= 2:
        return t("warnings.span.days", lang, d=days, h=hours)
    hours += days * 24
    if hours:
        return t("warnings.span.hours", lang, h=hours, m=mins)
    return t("warnings.span.minutes", lang, m=max(mins, 1))


def _owner(r: dict[str, Any], lang: str, tz: ZoneInfo, now: dt.datetime) -> Any:
    """Who has it and since when: the department it is assigned to, else who acknowledged it."""
    who, since = (r.get("assigned_to"), r.get("assigned_at")) if r.get("assigned_to") else \
        (r.get("acknowledged_by"), r.get("acknowledged_at"))
    if not who:
        return None
    ago = span_text((now - _aware(since)).total_seconds(), lang) if since else ""
    return html.Div(t("warnings.owner", lang, who=actor_label(who, lang), ago=ago), className="cb-wowner")


def _aware(t_: dt.datetime) -> dt.datetime:
    return t_ if t_.tzinfo else t_.replace(tzinfo=dt.timezone.utc)


def value_cell(r: dict[str, Any], lang: str, indicator: str | None, threshold: str | None) -> Any:
    """The value now, what fired it, the worst while open, and the rule's threshold."""
    detail = r.get("detail") or {}
    lines = [html.Div(value_text(r["value"], indicator), className="cb-wvalue-now")]
    extra = []
    if detail.get("trigger") is not None:
        extra.append(t("warnings.value.trigger", lang, v=value_text(detail["trigger"], indicator)))
    if detail.get("worst") is not None:
        extra.append(t("warnings.value.worst", lang, v=value_text(detail["worst"], indicator)))
    if threshold:
        extra.append(t("warnings.value.threshold", lang, v=threshold))
    if extra:
        lines.append(html.Div(" · ".join(extra), className="cb-wvalue-more"))
    return html.Div(lines, className="cb-wvalue")


def open_for(r: dict[str, Any], lang: str, now: dt.datetime) -> str:
    """How long the warning has been open (or lasted, once resolved)."""
    start = r.get("fired_at") or r.get("started_at")
    if start is None:
        return "—"
    end = r.get("resolved_at") or now
    text = span_text((_aware(end) - _aware(start)).total_seconds(), lang)
    return t("warnings.lasted" if r.get("resolved_at") else "warnings.open_for", lang, d=text)


def warning_list(rows: list[dict[str, Any]], lang: str, tz: ZoneInfo, district_names: dict[str, tuple[str, str]],
                 *, selected: int | None = None, total: int | None = None,
                 indicators: dict[str, str] | None = None, thresholds: dict[tuple[str, str], str] | None = None,
                 now: dt.datetime | None = None) -> html.Div:
    """One page of ``rows`` (:func:`store.queries.warnings.find_warnings`, open first);
    ``selected`` is highlighted; ``indicators``: rule id → indicator (how values read);
    ``thresholds``: (rule id, level) → the rule's threshold as text; ``total``: all matches.

    Each row says how long the warning has been open, who has it and since when, and its
    value against the threshold. A table at office width, a list of cards on a phone (CSS).
    """
    if not rows:
        return html.Div(dmc.Text(t("warnings.empty", lang), c="dimmed", ta="center", py="xl"), className="cb-wlist-empty")
    now = now or dt.datetime.now(dt.timezone.utc)
    head = [t(f"warnings.col.{k}", lang) for k in ("level", "title", "district", "state", "handling", "open", "value")]
    body = []
    for r in rows:
        names = district_names.get(r["district"] or "")
        district = pick(*names, lang) if names else t("warnings.city_wide", lang)
        title = warning_title(r, lang)
        indicator = (indicators or {}).get(r["rule"])
        body.append(dmc.TableTr([
            dmc.TableTd(level_badge(r["level"], lang), className="cb-wc-level"),
            dmc.TableTd(html.Button(title, id={"type": ids.OPEN, "id": r["id"]}, className="cb-wlink", title=title),
                        className="cb-wc-title"),
            dmc.TableTd(district, className="cb-wc-district"),
            dmc.TableTd(state_badge(r["state"], lang), className="cb-wc-state"),
            dmc.TableTd([handling_badge(r["handling"], lang), _owner(r, lang, tz, now)], className="cb-wc-handling"),
            dmc.TableTd([html.Div(open_for(r, lang, now)), html.Div(local_time(r["started_at"], tz),
                                                                    className="cb-wstarted")],
                        className="cb-wc-open"),
            dmc.TableTd(value_cell(r, lang, indicator, (thresholds or {}).get((r["rule"], r["level"]))),
                        className="cb-num cb-wc-value"),
        ], className="cb-wrow" + (" cb-wrow-selected" if r["id"] == selected else ""),
            **{"data-id": str(r["id"]), "data-level": r["level"], "data-state": r["state"],
               "data-handling": r["handling"]}))
    count = t("warnings.count", lang, n=format_number(total if total is not None else len(rows), lang))
    return html.Div([
        dmc.Text(count, size="sm", c="dimmed", mb=4, className="cb-wcount"),
        dmc.Table([
            dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])),
            dmc.TableTbody(body),
        ], highlightOnHover=True, withTableBorder=True, className="cb-wtable"),
    ])
