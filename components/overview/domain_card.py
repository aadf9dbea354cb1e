"""One card per domain: its headline number, its sub-index score, its active warnings — a link to its page."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from citybrain.i18n import t
from components.badges import stale_badge

DOMAIN_PATHS = {d: f"/{d}" for d in ("traffic", "environment", "tourism", "economy", "hotline")}


def kpi_text(kpi: str, value: float | None) -> str:
    """The headline input as its domain writes it (TPI 0–10, AQI integer, shares as %)."""
    if value is None:
        return "—"
    if kpi == "tpi":
        return f"{value:.1f}"
    if kpi == "aqi":
        return f"{value:.0f}"
    if kpi == "economy_yoy":
        return f"{value:+.1f}%"
    return f"{value * 100:.1f}%"  # crowding and hotline rates are 0–1 shares


def domain_card(domain: str, kpi: str, value: float | None, score: float | None, warnings: int, stale: bool,
                lang: str) -> dcc.Link:
    return dcc.Link(dmc.Paper([
        dmc.Group([
            dmc.Text(t(f"domain.{domain}", lang), fw=700, className="cb-domain-name"),
            stale_badge(lang) if stale else None,
        ], justify="space-between", gap=4, wrap="nowrap", className="cb-domain-head"),
        dmc.Text(t(f"home.kpi.{kpi}", lang), size="xs", c="dimmed", mt=4, className="cb-domain-kpi-label"),
        html.Div(kpi_text(kpi, value), className="cb-domain-kpi"),
        dmc.Group([
            dmc.Text(f"{t('home.domain.score', lang)} {'—' if score is None else f'{score:.0f}'}", size="xs",
                     c="dimmed"),
            dmc.Badge(t("home.domain.warnings", lang, n=warnings), color="red", variant="light", size="sm")
            if warnings else dmc.Text(t("home.domain.no_warnings", lang), size="xs", c="dimmed"),
        ], justify="space-between", gap=4, className="cb-domain-foot"),
        dmc.Text(t("home.domain.open", lang), size="xs", c="indigo", mt=6, className="cb-domain-open"),
    ], p="md", withBorder=True, radius="md", className="cb-domain-card"),
        href=DOMAIN_PATHS[domain], className=f"cb-domain-link cb-domain-{domain}")
