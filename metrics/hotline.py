"""12345 hotline KPIs per GB/T 33358-2016 (政务服务热线服务规范) and 国办发〔2020〕53号.

Definitions (each rate is None — not 0 — when its denominator is 0, because "no calls"
is not "no calls answered"):

* ``offered``: tickets that arrived as calls, i.e. with a known ``answered`` flag
  (web, app and letter channels leave it empty).  ``answered``: those answered.
* 接通率 ``answer_rate`` = answered / offered.  GB/T 33358 expects ≥ 95 % over any
  24 h (:data:`ANSWER_RATE_TARGET`).
* 15 秒接通率 ``answer_rate_15s`` = answered with ``wait_seconds`` ≤ 15 / offered
  (GB/T 33358: answer within 15 s).  An answered call without a wait time cannot be
  shown to be within 15 s and counts as not.
* 按时办结率 ``on_time_rate`` = tickets closed at or before ``due_at`` / tickets that
  are *due*: with a deadline that has passed (``due_at`` < now) or closed already.
  Open tickets still inside their deadline are not judged yet.
* ``overdue``: open tickets past their deadline (needing action now); ``closed_late``:
  closed after the deadline.
* 满意率 over revisited tickets (``satisfaction`` not empty): ``broad`` counts 满意 +
  基本满意, ``strict`` counts 满意 only (some cities use that); ``satisfaction_rate`` is
  the one chosen with ``satisfaction=``.
* Volume by category and by district (dicts, largest first; a missing label is the
  key ""), and the top-N hot issues (categories by volume, unlabelled tickets left out).

The KPIs cover whatever rows are passed: filter the frame to the period first.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from metrics._frames import numeric, require_columns, utc_times
from metrics.errors import InvalidValueError, UnknownKeyError

__all__ = ["ANSWER_RATE_TARGET", "HotlineKpis", "KPI_TABLE_COLUMNS", "SATISFACTION_VALUES", "TICKET_COLUMNS", "kpi_table",
           "kpis"]

ANSWER_RATE_TARGET = Fraction(95, 100)
ANSWER_WITHIN_SECONDS = 15
SATISFACTION_VALUES = ("satisfied", "basically_satisfied", "dissatisfied")
SATISFACTION_DEFINITIONS = ("broad", "strict")
TICKET_COLUMNS = (
    "ticket", "created_at", "category", "district", "channel", "answered",
    "wait_seconds", "due_at", "closed_at", "satisfaction", "status",
)


@dataclass(frozen=True)
class HotlineKpis:
    """Hotline KPIs over a set of tickets; see the module docstring for each definition."""

    tickets: int
    offered: int
    answered: int
    answer_rate: float | None
    answered_within_15s: int
    answer_rate_15s: float | None
    due: int
    closed_on_time: int
    on_time_rate: float | None
    overdue: int
    closed_late: int
    revisited: int
    satisfaction_broad: float | None
    satisfaction_strict: float | None
    satisfaction_rate: float | None
    satisfaction_definition: str
    by_category: dict[str, int]
    by_district: dict[str, int]
    top_issues: tuple[tuple[str, int], ...]


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _volume(labels: pd.Series) -> dict[str, int]:
    """Counts per label, largest first, ties by label; missing labels under ""."""
    counts = labels.astype("str").fillna("").value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {str(k): int(v) for k, v in ordered}


def _flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(known, true) masks of the ``answered`` column, whatever its dtype."""
    known = values.notna()
    bad = known & ~values.isin([True, False, 1, 0])
    if bad.any():
        raise InvalidValueError(
            f"tickets.answered must be True/False (empty for non-call channels), got {values[bad].iloc[0]!r}"
        )
    return known, known & values.eq(True).fillna(False).astype(bool)


def _ticket_flags(tickets: pd.DataFrame, now: pd.Timestamp | None, satisfaction: str) -> pd.DataFrame:
    """Validate ``tickets`` and mark each ticket's part in every count (one bool column per
    count of :class:`HotlineKpis`): what :func:`kpis` sums over the frame and
    :func:`kpi_table` over each group."""
    require_columns(tickets, TICKET_COLUMNS, "tickets")
    if satisfaction not in SATISFACTION_DEFINITIONS:
        raise UnknownKeyError("satisfaction definition", satisfaction, SATISFACTION_DEFINITIONS)
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now.tzinfo is None:
        raise InvalidValueError("now must be tz-aware, e.g. pd.Timestamp('2026-03-01 08:00', tz='Asia/Shanghai')")

    known, answered = _flags(tickets["answered"])
    wait = numeric(tickets["wait_seconds"], "wait_seconds", "tickets")
    within = answered & (wait <= ANSWER_WITHIN_SECONDS).fillna(False)

    due_at = utc_times(tickets["due_at"], "due_at", "tickets")
    closed_at = utc_times(tickets["closed_at"], "closed_at", "tickets")
    has_due, closed = due_at.notna(), closed_at.notna()
    is_due = has_due & (closed | (due_at < now))

    sat = tickets["satisfaction"]
    unknown = sat.notna() & ~sat.isin(SATISFACTION_VALUES)
    if unknown.any():
        raise UnknownKeyError("satisfaction value", sat[unknown].iloc[0], SATISFACTION_VALUES)
    satisfied = sat.eq("satisfied")
    return pd.DataFrame({
        "offered": known, "answered": answered, "answered_within_15s": within, "due": is_due,
        "closed_on_time": is_due & closed & (closed_at <= due_at), "overdue": has_due & ~closed & (due_at < now),
        "closed_late": has_due & closed & (closed_at > due_at), "revisited": sat.notna(),
        "satisfied": satisfied, "satisfied_broad": satisfied | sat.eq("basically_satisfied"),
    }, index=tickets.index).astype(bool)


def kpis(
    tickets: pd.DataFrame,
    *,
    now: pd.Timestamp | None = None,
    satisfaction: str = "broad",
    top_n: int = 10,
) -> HotlineKpis:
    """Compute the hotline KPIs of ``tickets`` (canonical hotline shape) at time ``now``.

    ``now`` (tz-aware; default the current UTC time — pass it for reproducible
    results) decides which open tickets are past their deadline.  ``satisfaction``
    picks ``"broad"`` (满意+基本满意) or ``"strict"`` (满意) as the headline rate.
    """
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        raise InvalidValueError(f"top_n must be a non-negative integer, got {top_n!r}")
    n = {k: int(v) for k, v in _ticket_flags(tickets, now, satisfaction).sum().items()}
    broad, strict = _rate(n["satisfied_broad"], n["revisited"]), _rate(n["satisfied"], n["revisited"])
    by_category = _volume(tickets["category"])
    return HotlineKpis(
        tickets=len(tickets),
        offered=n["offered"],
        answered=n["answered"],
        answer_rate=_rate(n["answered"], n["offered"]),
        answered_within_15s=n["answered_within_15s"],
        answer_rate_15s=_rate(n["answered_within_15s"], n["offered"]),
        due=n["due"],
        closed_on_time=n["closed_on_time"],
        on_time_rate=_rate(n["closed_on_time"], n["due"]),
        overdue=n["overdue"],
        closed_late=n["closed_late"],
        revisited=n["revisited"],
        satisfaction_broad=broad,
        satisfaction_strict=strict,
        satisfaction_rate=broad if satisfaction == "broad" else strict,
        satisfaction_definition=satisfaction,
        by_category=by_category,
        by_district=_volume(tickets["district"]),
        top_issues=tuple([kv for kv in by_category.items() if kv[0] != ""][:top_n]),
    )


#: the counts and rates of :func:`kpi_table`, in its column order after the group keys
KPI_TABLE_COLUMNS = (
    "tickets", "offered", "answered", "answer_rate", "answered_within_15s", "answer_rate_15s", "due",
    "closed_on_time", "on_time_rate", "overdue", "closed_late", "revisited", "satisfaction_broad",
    "satisfaction_strict", "satisfaction_rate",
)


def kpi_table(
    tickets: pd.DataFrame,
    by: str | list[str],
    *,
    now: pd.Timestamp | None = None,
    satisfaction: str = "broad",
) -> pd.DataFrame:
    """:func:`kpis` of every group of ``tickets`` by the column(s) ``by``, in one pass.

    One row per group (sorted by the keys; tickets with a missing key belong to no group,
    as in ``DataFrame.groupby``): the keys, then :data:`KPI_TABLE_COLUMNS` — the counts as
    integers and each rate exactly the float :func:`kpis` returns for that group's tickets
    (the same integer quotient), NaN where :func:`kpis` says None. The volumes and top
    issues are left out. A day of the city's districts is one call, not one per group
    (issue 10: a call per day and district took ~10 s of 30 days).
    """
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(tickets, tuple(TICKET_COLUMNS) + tuple(keys), "tickets")
    flags = _ticket_flags(tickets, now, satisfaction).astype("int64")
    flags.insert(0, "tickets", 1)
    for k in keys:
        flags[k] = tickets[k]
    n = flags.groupby(keys, sort=True).sum().reset_index()

    def rate(numerator: str, denominator: str) -> "pd.Series":
        d = n[denominator].to_numpy()
        return pd.Series(n[numerator].to_numpy() / d.clip(min=1), index=n.index).where(d > 0)

    n["answer_rate"] = rate("answered", "offered")
    n["answer_rate_15s"] = rate("answered_within_15s", "offered")
    n["on_time_rate"] = rate("closed_on_time", "due")
    n["satisfaction_broad"] = rate("satisfied_broad", "revisited")
    n["satisfaction_strict"] = rate("satisfied", "revisited")
    n["satisfaction_rate"] = n["satisfaction_broad" if satisfaction == "broad" else "satisfaction_strict"]
    return n[keys + list(KPI_TABLE_COLUMNS)]
