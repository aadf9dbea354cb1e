"""A warning's history as a timeline: pending, firing, escalations, acknowledgement,
assignment, notes, notifications and silences — each with its time in the city's zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from alerts.levels import LEVEL_NAMES, level as level_info, rank
from citybrain.i18n import t
from components.center.actor import actor_label
from components.center.fmt import local_time
from components.center.level_badge import level_label

# CSS colours (the dot is a plain span); level changes use the level's own colour
KIND_COLOURS = {"ack": "#228be6", "assign": "#4c6ef5", "close": "#868e96", "note": "#adb5bd", "notify": "#15aabf",
                "silence": "#868e96"}
STATE_COLOURS = {"pending": "#adb5bd", "firing": "#e03131", "recovering": "#12b886", "resolved": "#12b886"}


def event_text(event: dict[str, Any], lang: str) -> str:
    """One line saying what happened, in the reader's language."""
    kind, old, new, detail = event["kind"], event.get("from"), event.get("to"), event.get("detail") or {}
    if kind == "state":
        if new in ("pending", "firing", "recovering", "resolved"):
            return t(f"warnings.event.{new}", lang)
        return t("warnings.event.state", lang, to=new)
    if kind == "level" and old in LEVEL_NAMES and new in LEVEL_NAMES:
        key = "warnings.event.escalated" if rank(new) > rank(old) else "warnings.event.deescalated"
        return t(key, lang, from_=level_label(old, lang, short=True), to=level_label(new, lang, short=True))
    if kind == "assign":
        return t("warnings.event.assign", lang, department=detail.get("department") or new or "")
    if kind == "notify":
        outcome = new if new in ("pending", "delivered", "failed", "expired") else "pending"
        return t("warnings.event.notify", lang, webhook=detail.get("webhook") or "—",
                 outcome=t(f"warnings.notify.{outcome}", lang))
    if kind == "silence":
        return t("warnings.event.silence", lang, reason=detail.get("reason") or "")
    if kind in ("ack", "close", "note"):
        return t(f"warnings.event.{kind}", lang)
    return f"{kind}: {old or ''} → {new or ''}"


def _colour(event: dict[str, Any]) -> str:
    if event["kind"] == "level" and event.get("to") in LEVEL_NAMES:
        return level_info(event["to"]).colour
    if event["kind"] == "state":
        return STATE_COLOURS.get(event.get("to") or "", "#adb5bd")
    return KIND_COLOURS.get(event["kind"], "#adb5bd")


def timeline(history: list[dict[str, Any]], lang: str, tz: ZoneInfo) -> Any:
    """Oldest first, as it happened; notes and the acting person under each line."""
    if not history:
        return dmc.Text(t("warnings.detail.no_events", lang), c="dimmed", size="sm")
    items = []
    for e in history:
        meta = [local_time(e["at"], tz, seconds=False)]
        if e.get("actor"):
            meta.append(t("warnings.by", lang, actor=actor_label(e["actor"], lang)))
        body: list[Any] = [dmc.Text(" · ".join(meta), size="xs", c="dimmed")]
        if e.get("note"):
            body.append(dmc.Text(e["note"], size="sm", className="cb-tl-note"))
        if e["kind"] == "notify" and (e.get("detail") or {}).get("error"):
            body.append(dmc.Text(str(e["detail"]["error"])[:200], size="xs", c="red"))
        items.append(dmc.TimelineItem(body, title=event_text(e, lang), className=f"cb-tl-item cb-tl-{e['kind']}",
                                      bullet=html.Span(className="cb-tl-dot", style={"background": _colour(e)})))
    return dmc.Timeline(items, active=-1, bulletSize=14, lineWidth=2, color="gray", className="cb-timeline")
