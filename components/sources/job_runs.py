"""The scheduler's job runs: what ran, when, how long, with what result (newest first)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc

from citybrain.i18n import format_number, t
from components.center.fmt import duration, local_time
from components.table import table

RUN_COLOURS = {"ok": "teal", "failed": "red", "running": "blue", "abandoned": "orange"}


def run_badge(status: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"sources.run.{status}", lang), color=RUN_COLOURS.get(status, "gray"), variant="light",
                     className=f"cb-run cb-run-{status}")


def job_runs_table(rows: list[dict[str, Any]], lang: str, tz: ZoneInfo) -> Any:
    if not rows:
        return dmc.Text(t("sources.jobs.none", lang), c="dimmed", size="sm", className="cb-jobs-none")
    head = [t(f"sources.jobs.{k}", lang) for k in ("job", "started", "duration", "status", "rows", "error", "host")]
    body = [[r["job"], local_time(r["started_at"], tz, seconds=True), duration(r["duration_seconds"]),
             run_badge(r["status"], lang), format_number(r["rows"], lang) if r["rows"] is not None else "—",
             (r["error"] or "")[:300], f"{r['host'] or ''}{':' + str(r['pid']) if r.get('pid') else ''}"]
            for r in rows]
    return table(head, body, className="cb-jobs-table", fz="sm")
