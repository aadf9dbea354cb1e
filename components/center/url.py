"""The warnings center's view in the URL: ``/warnings?level=red&state=firing&id=12``.

A copied link reproduces the view, so the layout reads these parameters and a
clientside callback writes them back (``history.replaceState``: no page reload).
Unknown values are dropped, never echoed into queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from alerts.levels import LEVEL_NAMES
from store.queries.warnings import ACTIVE, DOMAINS, HANDLING, STATES, WarningFilters

PARAMS = ("level", "state", "domain", "district", "handling")


def parse_view(args: Mapping[str, Any], district_codes: set[str]) -> tuple[WarningFilters, int | None]:
    """Filters and selected warning id from query parameters (bad values become "any")."""
    def pick(key: str, allowed: set[str] | tuple[str, ...]) -> str | None:
        value = args.get(key)
        return value if isinstance(value, str) and value in allowed else None

    filters = WarningFilters(
        level=pick("level", LEVEL_NAMES), state=pick("state", (*STATES, ACTIVE)),
        domain=pick("domain", DOMAINS), district=pick("district", district_codes),
        handling=pick("handling", HANDLING))
    return filters, parse_id(args.get("id"))


def parse_id(value: Any) -> int | None:
    try:
        wid = int(str(value))
    except (TypeError, ValueError):
        return None
    return wid if wid > 0 else None


def view_query(filters: WarningFilters, selected: int | None) -> str:
    """``?level=red&id=12`` — the part of the URL that reproduces the view ("" when empty)."""
    pairs = [(k, getattr(filters, k)) for k in PARAMS if getattr(filters, k)]
    if selected:
        pairs.append(("id", str(selected)))
    return "?" + urlencode(pairs) if pairs else ""
