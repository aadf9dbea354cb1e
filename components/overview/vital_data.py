"""Turning the hourly vital-signs rows into what the overview says: now, change, why.

Pure functions over the rows of :func:`store.queries.overview.vital_signs_day` and the
index spec, so "why it moved" is testable without a page: the arithmetic aggregation
makes contributions add up to the score (metrics.composite), hence the change of the
score is the sum of the changes of each sub-index's contributions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: the headline input of each domain, shown on its card
DOMAIN_KPI = {"traffic": "tpi", "environment": "aqi", "tourism": "crowding_max", "economy": "economy_yoy",
              "hotline": "hotline_answer_rate"}


@dataclass(frozen=True)
class VitalSummary:
    time: dt.datetime | None = None
    value: float | None = None
    previous: float | None = None  # the value about 24 h earlier
    coverage: float | None = None
    sub_indices: dict[str, float | None] = field(default_factory=dict)
    inputs: dict[str, float | None] = field(default_factory=dict)
    #: per sub-index: contribution now minus contribution 24 h earlier, largest move first
    moves: list[tuple[str, float]] = field(default_factory=list)

    @property
    def delta(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous


def summarise(rows: list[dict[str, Any]], groups: dict[str, list[str]], *, hours: int = 24) -> VitalSummary:
    """``rows`` oldest first; ``groups``: sub-index name → its indicator names (from the spec)."""
    if not rows:
        return VitalSummary()
    last = rows[-1]
    target = last["time"] - dt.timedelta(hours=hours)
    earlier = [r for r in rows if r["time"] <= target + dt.timedelta(minutes=30)]
    first = earlier[-1] if earlier else (rows[0] if len(rows) > 1 else None)
    detail = last["detail"] or {}

    def by_group(d: dict[str, Any]) -> dict[str, float]:
        contrib = d.get("contributions") or {}
        return {g: sum(contrib.get(n) or 0.0 for n in names) for g, names in groups.items()}

    moves: list[tuple[str, float]] = []
    if first is not None:
        now_c, then_c = by_group(detail), by_group(first["detail"] or {})
        moves = sorted(((g, now_c[g] - then_c[g]) for g in groups), key=lambda kv: -abs(kv[1]))
    return VitalSummary(time=last["time"], value=last["value"], previous=first["value"] if first else None,
                        coverage=detail.get("coverage"), sub_indices=_last_known(rows, "sub_indices"),
                        inputs=_last_known(rows, "inputs"), moves=moves)


def _last_known(rows: list[dict[str, Any]], part: str) -> dict[str, float | None]:
    """Each key's newest non-missing value: a late department shows its last good value
    (with the stale badge), not a dash (DESIGN.md: pages never wait for a department)."""
    out: dict[str, float | None] = {}
    for r in rows:
        for k, v in ((r["detail"] or {}).get(part) or {}).items():
            if v is not None or k not in out:
                out[k] = v
    return out


def spec_groups(spec: Any) -> dict[str, list[str]]:
    """Sub-index → indicator names of a ``metrics.composite.IndexSpec``."""
    return {sub.name: [ind.name for ind in sub.indicators] for sub in spec.sub_indices}
