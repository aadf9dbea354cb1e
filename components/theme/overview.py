"""The overview's card of a theme marked ``overview = true`` (issue 20): beside the five
domains' cards on ``/``, the theme's name, its headline indicator's city value — a
count's total for today so far, a reading's newest hour — in its level's colour, its
active warnings and a link to ``/t/<code>``. Only themes the reader may view."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

import access
from citybrain.i18n import pick, t
from citybrain.settings import Settings
from components.badges import stale_badge
from components.theme import model
from themes import queries
from themes.spec import Theme


def headline_value(engine: Any, theme: Theme) -> tuple[float | None, Any]:
    """(value, level) of the headline indicator for the city: a count's newest day, else its newest hour."""
    head = model.headline(theme)
    newest = queries.latest(engine, theme, scope_kind="city", grain="day" if head.kind == "count" else "hour",
                            indicators=[head.code])
    if newest.empty:
        return None, None
    row = newest.iloc[0]
    return float(row["value"]), row["level"]


def theme_card(theme: Theme, value: float | None, level: Any, warnings: int, stale: bool, lang: str) -> dcc.Link:
    """One card, in the domains' cards' shape and classes."""
    head = model.headline(theme)
    label = pick(head.name_zh, head.name_en, lang) + (t("tpage.home.today", lang) if head.kind == "count" else "")
    colour = model.level_color(level) if head.levels and value is not None else None
    return dcc.Link(dmc.Paper([
        dmc.Group([dmc.Text(theme.name(lang), fw=700, className="cb-domain-name"),
                   stale_badge(lang) if stale else None], justify="space-between", gap=4, wrap="nowrap",
                  className="cb-domain-head"),
        dmc.Text(label, size="xs", c="dimmed", mt=4, className="cb-domain-kpi-label"),
        html.Div(model.with_unit(head, value, lang), className="cb-domain-kpi",
                 style={"color": colour} if colour else None),
        dmc.Group([
            dmc.Text(pick(theme.owner_zh, theme.owner_en or theme.owner_zh, lang), size="xs", c="dimmed"),
            dmc.Badge(t("home.domain.warnings", lang, n=warnings), color="red", variant="light", size="sm")
            if warnings else dmc.Text(t("home.domain.no_warnings", lang), size="xs", c="dimmed"),
        ], justify="space-between", gap=4, className="cb-domain-foot"),
        dmc.Text(t("home.domain.open", lang), size="xs", c="indigo", mt=6, className="cb-domain-open"),
    ], p="md", withBorder=True, radius="md", className="cb-domain-card"),
        href=f"/t/{theme.code}", className=f"cb-domain-link cb-theme-card cb-theme-card-{theme.code}")


def theme_cards(engine: Any, settings: Settings, lang: str, *, warnings: Mapping[str, int],
                stale: Collection[str]) -> list[dcc.Link]:
    """The cards of the themes marked ``overview = true`` that the reader may view, in config order.
    ``warnings``: active warnings per domain or theme code; ``stale``: codes whose sources are late."""
    cards = []
    for theme in settings.themes:
        if not theme.overview or access.offer("view", theme.code):
            continue
        value, level = headline_value(engine, theme)
        cards.append(theme_card(theme, value, level, warnings.get(theme.code, 0), theme.code in stale, lang))
    return cards
