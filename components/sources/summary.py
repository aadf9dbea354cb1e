"""Four numbers above the catalogue: sources, OK, failing or stale, rows in quarantine."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc

from citybrain.i18n import format_number, t


def source_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """``total``, ``ok`` (polled, fresh), ``problem`` (failing, drift or stale), ``quarantined``."""
    ok = sum(1 for r in rows if r["status"] == "ok" and not r["stale"])
    problem = sum(1 for r in rows if r["status"] in ("failing", "drift") or (r["stale"] and r["status"] != "disabled"))
    return {"total": len(rows), "ok": ok, "problem": problem,
            "quarantined": sum(r["rows_quarantined_total"] for r in rows)}


def sources_summary(counts: dict[str, int], lang: str) -> dmc.SimpleGrid:
    tiles = []
    for key, colour in (("total", None), ("ok", "teal"), ("problem", "red"), ("quarantined", "orange")):
        n = counts[key]
        tiles.append(dmc.Paper([
            dmc.Text(t(f"sources.summary.{key}", lang), size="sm", c="dimmed"),
            dmc.Text(format_number(n, lang), fw=700, size="xl", className="cb-count",
                     **({"c": colour} if colour and n else {})),
        ], p="sm", withBorder=True, radius="md", className=f"cb-ds-tile cb-ds-{key}"))
    return dmc.SimpleGrid(tiles, cols={"base": 2, "md": 4}, spacing="sm")
