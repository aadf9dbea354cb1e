"""The walls' last check-ins: which command-centre screen is showing what, and since when it is silent."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc

from citybrain.i18n import format_age, t
from components.center.fmt import local_time
from components.table import table

#: a wall refreshes every few seconds; two minutes without a check-in means it is off or frozen
OFFLINE_AFTER_SECONDS = 120


def heartbeats_table(rows: list[dict[str, Any]], lang: str, tz: ZoneInfo) -> Any:
    if not rows:
        return dmc.Text(t("sources.walls.none", lang), c="dimmed", size="sm", className="cb-walls-none")
    head = [t(f"sources.walls.{k}", lang) for k in ("client", "screen", "last_seen")] + [
        t("source.status", lang), t("sources.walls.address", lang)]
    body = []
    for r in rows:
        online = r["age_seconds"] <= OFFLINE_AFTER_SECONDS
        body.append([r["client"], r["screen"],
                     f"{local_time(r['last_seen'], tz, seconds=True)} ({format_age(r['age_seconds'], lang)})",
                     dmc.Badge(t("sources.walls.online" if online else "sources.walls.offline", lang),
                               color="teal" if online else "gray", variant="light"),
                     r.get("address") or "—"])
    return table(head, body, className="cb-walls-table", fz="sm")
