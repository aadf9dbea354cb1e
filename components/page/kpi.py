"""A KPI card: the value, its unit, and how it compares with 上周同期 and 去年同期.

A comparison that has no base (the store holds only recent weeks) shows "—" with a
tooltip saying why — never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import t


@dataclass(frozen=True)
class Kpi:
    """One KPI ready to show. ``wow``/``yoy`` are relative changes (0.05 = +5%), None = no base.

    ``better`` says which direction is good ("up", "down", or "" for neutral), so a rise in
    AQI reads red and a rise in the answer rate green. ``compare_keys`` renames the two
    comparisons (the economy page shows 同比/环比 instead of week/year).
    """

    key: str
    label: str
    value: str
    unit: str = ""
    wow: float | None = None
    yoy: float | None = None
    better: str = ""
    note: str = ""
    compare_keys: tuple[str, str] = ("kpi.vs_week", "kpi.vs_year")
    is_pp: bool = False  # changes are percentage points, not relative


def change_text(change: float | None, is_pp: bool = False) -> str:
    """``+5.0%`` / ``-2.0pp`` / ``—`` — the comparison as the card and the PDF print it."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    return f"{sign}{change * 100:.1f}{'pp' if is_pp else '%'}"


def _delta(label_key: str, change: float | None, better: str, lang: str, is_pp: bool) -> Any:
    label = t(label_key, lang)
    if change is None:
        return dmc.Tooltip(html.Span([label, " —"], className="cb-kpi-delta cb-kpi-delta-none"),
                           label=t("kpi.no_base", lang), withArrow=True)
    text = change_text(change, is_pp)
    tone = "flat"
    if abs(change) >= 0.0005 and better:
        tone = "good" if (change > 0) == (better == "up") else "bad"
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "")
    return html.Span([label, " ", arrow, text], className=f"cb-kpi-delta cb-kpi-{tone}")


def kpi_card(kpi: Kpi, lang: str) -> dmc.Paper:
    """The card; class names let tests and CSS find value and comparisons."""
    return dmc.Paper([
        dmc.Text(kpi.label, size="sm", c="dimmed", className="cb-kpi-label"),
        html.Div([html.Span(kpi.value, className="cb-kpi-value"),
                  html.Span(kpi.unit, className="cb-kpi-unit") if kpi.unit and kpi.value != "—" else None], className="cb-kpi-main"),
        html.Div([_delta(kpi.compare_keys[0], kpi.wow, kpi.better, lang, kpi.is_pp),
                  _delta(kpi.compare_keys[1], kpi.yoy, kpi.better, lang, kpi.is_pp)], className="cb-kpi-deltas"),
        dmc.Text(kpi.note, size="xs", c="dimmed", className="cb-kpi-note") if kpi.note else None,
    ], withBorder=True, p="sm", radius="md", className=f"cb-kpi cb-kpi-{kpi.key}")


def kpi_row(kpis: list[Kpi], lang: str) -> dmc.SimpleGrid:
    return dmc.SimpleGrid([kpi_card(k, lang) for k in kpis], cols={"base": 2, "md": 3, "xl": max(len(kpis), 1)},
                          spacing="sm", className="cb-kpi-row")


def change(current: float | None, base: float | None) -> float | None:
    """Relative change, None when either side is missing or the base is not positive."""
    if current is None or base is None or base <= 0 or current != current or base != base:
        return None
    return current / base - 1


def base_frame(current: Any, base: Any) -> Any:
    """``base`` if it covers at least half as many readings as ``current``; else an empty frame.

    A comparison against a few stray hours (the store only starts last week) would be a
    number that looks real and is not: below half coverage it is "—".
    """
    if base is None or current is None or base.empty or len(base) < 0.5 * len(current):
        return base.iloc[0:0] if base is not None else base
    return base
