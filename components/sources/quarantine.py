"""Quarantined rows: what each department sent that failed validation, and why.

The row is shown as received (JSON), so the owner department can find it in its own system.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import format_number, t
from components.center.fmt import local_time
from components.table import table


def quarantine_panel(samples: list[dict[str, Any]], counts: dict[str, int], lang: str, tz: ZoneInfo) -> Any:
    """``counts``: rows held per source; ``samples``: the newest rows (all or one source)."""
    badges = [dmc.Badge(t("sources.quarantine.count", lang, source=s, n=format_number(n, lang)), variant="light",
                        color="orange", tt="none", className="cb-q-count") for s, n in sorted(counts.items())]
    if not samples:
        return dmc.Stack([dmc.Group(badges, gap="xs") if badges else None,
                          dmc.Text(t("sources.quarantine.none", lang), c="dimmed", size="sm", className="cb-q-none")],
                         gap="xs")
    head = [t(k, lang) for k in ("source.name", "sources.quarantine.received", "sources.quarantine.key",
                                 "sources.quarantine.field", "sources.quarantine.reason", "sources.quarantine.row")]
    body = [[r["source"], local_time(r["received_at"], tz), r.get("row_key") or "—", r.get("field") or "—",
             r["reason"], html.Code(json.dumps(r["row"], ensure_ascii=False, default=str)[:300], className="cb-q-row")]
            for r in samples]
    return dmc.Stack([dmc.Group(badges, gap="xs"), table(head, body, className="cb-q-table", fz="sm")], gap="xs")
