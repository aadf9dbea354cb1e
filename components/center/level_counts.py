"""Active warnings by level, each tile a link into the warnings center filtered to it."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from alerts.levels import LEVELS
from citybrain.i18n import format_number
from components.center.level_badge import level_label


def level_counts(counts: dict[str, int], lang: str, *, href: str = "/warnings") -> dmc.SimpleGrid:
    """Four tiles, red first; a tile links to ``/warnings?level=<name>&state=active``."""
    tiles = []
    for lv in reversed(LEVELS):
        n = counts.get(lv.name, 0)
        tiles.append(dcc.Link(html.Div([
            html.Div(level_label(lv.name, lang), className="cb-level-tile-label"),
            html.Div(format_number(n, lang), className="cb-level-tile-count"),
        ], className="cb-level-tile" + (" cb-level-tile-zero" if n == 0 else ""),
            style={"--cb-level-colour": lv.colour}),
            href=f"{href}?level={lv.name}&state=active", className=f"cb-level-link cb-level-link-{lv.name}"))
    return dmc.SimpleGrid(tiles, cols={"base": 2, "sm": 4}, spacing="sm", className="cb-level-counts")
