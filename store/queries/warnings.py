"""What the warnings center and the overview read about warnings (read-only).

Writes go through :mod:`alerts.handling` only (acknowledge, assign, notes, silences);
this module filters and counts. Not memoized: after a duty officer acknowledges a
warning the list must show it at once, and the filtered queries are indexed and small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from alerts.levels import LEVEL_NAMES
from store.schema import warnings

#: states a duty officer treats as "on": firing, or firing a while longer after the condition cleared
ACTIVE_STATES = ("firing", "recovering")
STATES = ("pending", "firing", "recovering", "resolved")
#: the state filter's extra value meaning "firing or recovering"
ACTIVE = "active"
HANDLING = ("unacknowledged", "acknowledged", "assigned", "closed")
DOMAINS = ("traffic", "environment", "tourism", "economy", "hotline")
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


def find_warnings(engine: Engine, filters: WarningFilters, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Warnings matching ``filters``, newest first (rows of ``warnings``, no history)."""
    q = select(warnings)
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
    q = q.order_by(warnings.c.started_at.desc(), warnings.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def active_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Active (firing or recovering) warnings counted by level and by domain.

    ``{"level": {"red": 1, …}, "domain": {"traffic": 2, …}}`` with every level present.
    """
    with engine.connect() as conn:
        rows = conn.execute(select(warnings.c.level, warnings.c.domain, func.count().label("n"))
                            .where(warnings.c.state.in_(ACTIVE_STATES))
                            .group_by(warnings.c.level, warnings.c.domain)).all()
    by_level = {name: 0 for name in LEVEL_NAMES}
    by_domain: dict[str, int] = {}
    for r in rows:
        by_level[r.level] = by_level.get(r.level, 0) + r.n
        by_domain[r.domain] = by_domain.get(r.domain, 0) + r.n
    return {"level": by_level, "domain": by_domain}
