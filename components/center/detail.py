"""The selected warning: what, where, since when, who has it — and its timeline."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import pick, t
from components.center.actor import actor_label
from components.center.fmt import local_time, value_text, warning_title
from components.center.level_badge import level_badge
from components.center.timeline import timeline
from components.center.warning_list import handling_badge, state_badge


def _fact(label: str, value: Any) -> html.Div:
    return html.Div([html.Div(label, className="cb-fact-label"), html.Div(value, className="cb-fact-value")],
                    className="cb-fact")


def warning_detail(w: dict[str, Any], lang: str, tz: ZoneInfo, *, scope_name: str, rule_title: str,
                   indicator: str | None = None) -> dmc.Paper:
    """``w`` from :func:`alerts.handling.warning_with_history`."""
    ack = "—"
    if w.get("acknowledged_by"):
        ack = f"{actor_label(w['acknowledged_by'], lang)} · {local_time(w['acknowledged_at'], tz)}"
    facts = [
        _fact(t("warnings.detail.rule", lang), rule_title),
        _fact(t("warnings.detail.scope", lang), scope_name),
        _fact(t("warnings.detail.value", lang), value_text(w.get("value"), indicator)),
        _fact(t("warnings.detail.data_time", lang), local_time(w.get("data_time"), tz, year=True)),
        _fact(t("warnings.detail.started", lang), local_time(w.get("started_at"), tz, year=True)),
        _fact(t("warnings.detail.fired", lang), local_time(w.get("fired_at"), tz, year=True)),
        _fact(t("warnings.detail.resolved", lang), local_time(w.get("resolved_at"), tz, year=True)),
        _fact(t("warnings.detail.acknowledged", lang), ack),
        _fact(t("warnings.detail.assigned", lang), w.get("assigned_to") or "—"),
    ]
    return dmc.Paper([
        dmc.Group([
            level_badge(w["level"], lang, short=False, size="lg"),
            state_badge(w["state"], lang),
            handling_badge(w["handling"], lang),
            dmc.Text(f"#{w['id']}", c="dimmed", size="sm"),
        ], gap="xs"),
        dmc.Title(warning_title(w, lang), order=3, mt="xs", className="cb-wdetail-title"),
        dmc.SimpleGrid(facts, cols={"base": 2, "md": 3}, spacing="xs", verticalSpacing="xs", my="sm"),
        dmc.Title(t("warnings.detail.timeline", lang), order=5, mb="xs"),
        timeline(w["history"], lang, tz),
    ], p="md", withBorder=True, radius="md", className="cb-wdetail",
        **{"data-id": str(w["id"]), "data-handling": w["handling"]})
