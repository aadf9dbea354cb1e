"""Shown for an unknown address: a way back, never a stack trace."""

import dash
import dash_mantine_components as dmc

from citybrain import context
from citybrain.i18n import t

dash.register_page(__name__, path="/404")


def layout(**_: object) -> dmc.Stack:
    lang = context.lang()
    return dmc.Stack([dmc.Title(t("error.not_found", lang), order=2),
                      dmc.Anchor(t("error.back_home", lang), href="/")], align="center", mt="xl")
