"""What the warnings center and the overview read about warnings (read-only).

Writes go through :mod:`alerts.handling` only (acknowledge, assign, notes, silences);
this module filters and counts. Not memoized: after a duty officer acknowledges a
warning the list must show it at once, and the filtered queries are indexed and small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, case, func, select

from alerts.levels import LEVEL_NAMES
from citybrain.settings import DOMAINS  # noqa: F401 — the center's domain filter reads it from here
from store.schema import warnings

#: states a duty officer treats as "on": firing, or firing a while longer after the condition cleared
ACTIVE_STATES = ("firing", "recovering")
STATES = ("pending", "firing", "recovering", "resolved")
#: the state filter's extra value meaning "firing or recovering"
ACTIVE = "active"
HANDLING = ("unacknowledged", "acknowledged", "assigned", "closed")
LIST_LIMIT = 300


@dataclass(frozen=True)
class WarningFilters:
    """The warnings center's filters; None means "any"."""

    level: str | None = None
    state: str | None = None
    domain: str | None = None
    district: str | None = None
    handling: str | None = None
    #: the domains the reader may see (None: every one) — a department head's remit
    domains: tuple[str, ...] | None = None


#: rows on one page of the warnings center
PAGE_SIZE = 20


def _filtered(q: Any, filters: WarningFilters) -> Any:
    if filters.level in LEVEL_NAMES:
        q = q.where(warnings.c.level == filters.level)
    if filters.state == ACTIVE:
        q = q.where(warnings.c.state.in_(ACTIVE_STATES))
    elif filters.state in STATES:
        q = q.where(warnings.c.state == filters.state)
    if filters.domain:
        q = q.where(warnings.c.domain == filters.domain)
    if filters.domains is not None:
        q = q.where(warnings.c.domain.in_(filters.domains))
    if filters.district:
        q = q.where(warnings.c.district == filters.district)
    if filters.handling in HANDLING:
        q = q.where(warnings.c.handling == filters.handling)
    return q


def find_warnings(engine: Engine, filters: WarningFilters, *, limit: int = LIST_LIMIT, offset: int = 0,
                  open_first: bool = False) -> list[dict[str, Any]]:
    """Warnings matching ``filters``, newest first (rows of ``warnings``, no history).

    ``open_first``: as a duty officer works — warnings not yet resolved first, the most
    severe level first among them, then the newest."""
    order: list[Any] = []
    if open_first:
        severity = case({name: i for i, name in enumerate(reversed(LEVEL_NAMES))}, value=warnings.c.level, else_=9)
        order = [case((warnings.c.open_key.is_not(None), 0), else_=1), severity]
    q = _filtered(select(warnings), filters).order_by(*order, warnings.c.started_at.desc(), warnings.c.id.desc())
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.limit(limit).offset(max(offset, 0)))]


def count_warnings(engine: Engine, filters: WarningFilters) -> int:
    """How many warnings match ``filters`` (for the pager)."""
    with engine.connect() as conn:
        return conn.execute(_filtered(select(func.count()).select_from(warnings), filters)).scalar_one()


def active_counts(engine: Engine, remit: WarningFilters | None = None) -> dict[str, dict[str, int]]:
    """Active (firing or recovering) warnings counted by level, by domain and by handling,
    within ``remit`` (a reader's domains and district; None: the whole city).

    ``{"level": {"red": 1, …}, "domain": {"traffic": 2, …}, "handling": {…}}`` with every
    level and handling state present.
    """
    q = select(warnings.c.level, warnings.c.domain, warnings.c.handling, func.count().label("n")) \
        .where(warnings.c.state.in_(ACTIVE_STATES))
    if remit is not None:
        q = _filtered(q, WarningFilters(domains=remit.domains, district=remit.district))
    with engine.connect() as conn:
        rows = conn.execute(q.group_by(warnings.c.level, warnings.c.domain, warnings.c.handling)).all()
    by_level = {name: 0 for name in LEVEL_NAMES}
    by_domain: dict[str, int] = {}
    by_handling = {name: 0 for name in HANDLING}
    for r in rows:
        by_level[r.level] = by_level.get(r.level, 0) + r.n
        by_domain[r.domain] = by_domain.get(r.domain, 0) + r.n
        by_handling[r.handling] = by_handling.get(r.handling, 0) + r.n
    return {"level": by_level, "domain": by_domain, "handling": by_handling}
