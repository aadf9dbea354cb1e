"""Acknowledge, assign, note, close — one note field shared by all four actions.

Static in the layout (only shown when a warning is selected) so that typing a note
survives the list's periodic refresh.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import t
from components.center import ids
from components.center.actor import actor_label


def handling_form(lang: str, departments: list[str], acting: str, refused: str = "") -> dmc.Paper:
    """``departments``: suggestions for assignment (owner departments of the sources); free text
    allowed. ``refused``: the translation key of why the reader may not handle warnings — the
    buttons are then disabled and the reason is shown instead of an error after a click."""
    off = bool(refused)
    return dmc.Paper([
        dmc.Group([
            dmc.Title(t("warnings.handle.title", lang), order=5),
            dmc.Text(t("warnings.handle.as", lang, actor=actor_label(acting, lang)), size="xs", c="dimmed",
                     className="cb-acting"),
        ], justify="space-between"),
        dmc.Textarea(id=ids.NOTE, label=t("warnings.handle.note", lang), autosize=True, minRows=2, maxRows=5,
                     placeholder=t("warnings.handle.note_placeholder", lang), mt="xs"),
        dmc.Autocomplete(id=ids.DEPARTMENT, label=t("warnings.handle.department", lang), data=departments,
                         placeholder=t("warnings.handle.department_placeholder", lang), mt="xs",
                         comboboxProps={"withinPortal": True}),
        dmc.Group([
            dmc.Button(t("warnings.handle.ack", lang), id=ids.ACK, color="blue", disabled=off),
            dmc.Button(t("warnings.handle.assign", lang), id=ids.ASSIGN, color="indigo", variant="light", disabled=off),
            dmc.Button(t("warnings.handle.add_note", lang), id=ids.ADD_NOTE, variant="default", disabled=off),
            dmc.Button(t("warnings.handle.close", lang), id=ids.CLOSE, variant="subtle", color="gray", disabled=off),
        ], gap="xs", mt="sm"),
        *([dmc.Text(t(refused, lang), size="xs", c="dimmed", className="cb-refused")] if off else []),
        html.Div(id=ids.HANDLE_FEEDBACK, className="cb-feedback"),
    ], id=ids.HANDLE_PANEL, p="md", withBorder=True, radius="md", className="cb-handle", display="none")


def feedback(message: str, ok: bool) -> dmc.Alert:
    return dmc.Alert(message, color="teal" if ok else "red", variant="light", mt="sm",
                     className="cb-feedback-ok" if ok else "cb-feedback-error")
