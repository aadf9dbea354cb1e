"""Silences: stop notifications of a warning's rule and scope, a whole rule, or a source's
warnings during its maintenance window — always with a reason and an expiry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import t
from components.center import ids
from components.center.actor import actor_label
from components.center.fmt import local_time
from components.table import table

DURATIONS = ("1h", "2h", "4h", "8h", "24h", "72h")
TARGETS = ("warning", "rule", "source")


def silence_form(lang: str, rules: list[tuple[str, str]], sources: list[tuple[str, str]],
                 refused: str = "") -> dmc.Paper:
    """``rules``/``sources``: (value, label) pairs for the two pickers; ``refused``: the
    translation key of why the reader may not set silences (the button is disabled and says so)."""
    return dmc.Paper([
        dmc.Title(t("warnings.silence.title", lang), order=5),
        dmc.Text(t("warnings.silence.help", lang), size="xs", c="dimmed", mb="xs"),
        dmc.SegmentedControl(id=ids.SIL_TARGET, value="warning", fullWidth=True, size="xs",
                             data=[{"value": v, "label": t(f"warnings.silence.target.{v}", lang)} for v in TARGETS]),
        dmc.Group([
            dmc.Select(id=ids.SIL_RULE, label=t("warnings.silence.rule", lang), clearable=True, searchable=True,
                       data=[{"value": v, "label": lbl} for v, lbl in rules], flex=1,
                       comboboxProps={"withinPortal": True}),
            dmc.Select(id=ids.SIL_SOURCE, label=t("warnings.silence.source", lang), clearable=True,
                       data=[{"value": v, "label": lbl} for v, lbl in sources], flex=1,
                       comboboxProps={"withinPortal": True}),
        ], grow=True, mt="xs"),
        dmc.Group([
            dmc.Select(id=ids.SIL_HOURS, label=t("warnings.silence.duration", lang), value="2h", w=130,
                       data=[{"value": d, "label": t(f"warnings.duration.{d}", lang)} for d in DURATIONS],
                       allowDeselect=False, comboboxProps={"withinPortal": True}),
            dmc.TextInput(id=ids.SIL_REASON, label=t("warnings.silence.reason", lang), flex=1,
                          placeholder=t("warnings.silence.reason_placeholder", lang)),
        ], mt="xs", align="flex-end"),
        dmc.Button(t("warnings.silence.add", lang), id=ids.SIL_ADD, variant="light", color="gray", mt="sm",
                   disabled=bool(refused)),
        *([dmc.Text(t(refused, lang), size="xs", c="dimmed", className="cb-refused")] if refused else []),
        html.Div(id=ids.SIL_FEEDBACK, className="cb-feedback"),
        html.Div(id=ids.SIL_LIST, className="cb-silences", style={"marginTop": "0.75rem"}),
    ], p="md", withBorder=True, radius="md", className="cb-silence")


def silence_what(s: dict[str, Any], lang: str, rule_titles: dict[str, str] | None = None) -> str:
    parts = []
    if s.get("rule"):
        parts.append(t("warnings.silence.what.rule", lang, rule=(rule_titles or {}).get(s["rule"], s["rule"])))
    if s.get("scope"):
        parts.append(t("warnings.silence.what.scope", lang, scope=s["scope"]))
    if s.get("source"):
        parts.append(t("warnings.silence.what.source", lang, source=s["source"]))
    return " · ".join(parts)


def silence_list(silences: list[dict[str, Any]], lang: str, tz: ZoneInfo, *,
                 rule_titles: dict[str, str] | None = None, refused: str = "") -> Any:
    """Active silences with an "end now" button each — none for a reader who may not end
    them (``refused``: the reason's translation key, shown under the form)."""
    if not silences:
        return dmc.Text(t("warnings.silence.none", lang), size="sm", c="dimmed", className="cb-silence-none")
    head = [t(f"warnings.silence.col.{k}", lang) for k in ("what", "reason", "by", "until")] + [""]
    body = [[silence_what(s, lang, rule_titles), s["reason"], actor_label(s["created_by"], lang), local_time(s["ends_at"], tz),
             # not drawn for a reader who may not end it: a new button fires its callback
             "" if refused else dmc.Button(t("warnings.silence.end", lang), id={"type": ids.SIL_END, "id": s["id"]},
                                           size="compact-xs", variant="subtle", color="red")] for s in silences]
    return table(head, body, className="cb-silence-table", fz="sm")
