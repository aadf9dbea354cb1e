"""Status and freshness badges."""

from __future__ import annotations

import dash_mantine_components as dmc

from citybrain.i18n import t

STATUS_COLORS = {"ok": "teal", "never": "gray", "failing": "red", "drift": "orange", "disabled": "gray"}


def status_badge(status: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"status.{status}", lang), color=STATUS_COLORS.get(status, "gray"), variant="light",
                     className=f"cb-status cb-status-{status}")


def stale_badge(lang: str) -> dmc.Badge:
    """The amber badge that says a value is older than its domain allows."""
    return dmc.Badge(t("status.stale", lang), color="yellow", variant="filled", className="cb-stale")
