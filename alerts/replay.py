"""Replay the warning rules over a past period, in time order — the backtest.

``citybrain compute --from --to`` calls :func:`replay` after recomputing the indicators,
so the warnings a period would have raised are reproducible; a rule being written can be
tried on last month with ``dry_run=True`` before it goes live. It is the live engine
(:func:`alerts.engine.evaluate_at`) called at ``start, start + step, …`` (< ``end``), with
the indicator rows loaded once: evaluating live at the same instants over the same rows
gives the same warnings, events and times.

Writing into the store (the default), replay first rewinds the replayed rules: their
warnings not resolved before ``start`` are removed with their history, then rebuilt from
an empty state at ``start``. Warnings resolved before ``start`` are kept. With
``dry_run=True`` the store is only read; the warnings go to a scratch in-memory store and
come back in the report.

Staleness rules are skipped: ``source_status`` holds only the present, not the past.
Notifications are not queued unless ``notify=True`` (a backtest must not page anybody).

Quiet instants are not sent to the store. With no warning of the replayed rules open and
no scope's condition active, the live engine writes nothing at that instant (a warning
only opens on an active condition — ``alerts.lifecycle.step``), yet it still queries the
silences and the open warnings in a transaction of its own: 144 round trips a day, 52,560
a year (69 s of a year's replay on the big city, issue 10). Replay observes each instant
itself (the same pure ``observe`` the engine calls) and calls the engine only when a
condition is active or a warning is open, so the warnings, events and times are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, or_, select
from sqlalchemy.pool import StaticPool

from alerts.conditions import IndicatorData, observe
from alerts.engine import EvaluationReport, ScopeDirectory, _holiday_calendar, evaluate_at, load_indicators
from alerts.handling import warning_with_history
from alerts.rules import WarningConfig, load_warning_config
from citybrain.settings import Settings
from store.schema import metadata, warning_events, warnings


@dataclass
class ReplayReport:
    start: datetime
    end: datetime
    step: timedelta
    steps: int = 0
    rules: list[str] = field(default_factory=list)
    skipped_rules: list[str] = field(default_factory=list)
    removed: int = 0
    totals: EvaluationReport | None = None
    #: every warning the replay produced (with history), oldest first
    warnings: list[dict] = field(default_factory=list)


def replay(settings: Settings, engine: Engine, *, start: datetime, end: datetime,
           step: timedelta = timedelta(minutes=10), rules: Sequence[Any] | None = None, notify: bool = False,
           dry_run: bool = False, config: WarningConfig | None = None) -> ReplayReport:
    """Evaluate ``rules`` at every ``step`` in [start, end), in order, persisting as live does."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("replay needs aware (UTC) start and end")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    config = config or load_warning_config(settings)
    chosen = [r for r in (config.rules if rules is None else rules) if r.enabled]
    # staleness is about now; forecast (预计, issue 22) warnings need the forecasts made back then
    usable = [r for r in chosen if r.kind not in ("staleness", "forecast")]
    report = ReplayReport(start, end, step, rules=[r.id for r in usable],
                          skipped_rules=[r.id for r in chosen if r.kind in ("staleness", "forecast")],
                          totals=EvaluationReport(now=start))
    target = _scratch_store() if dry_run else engine
    if not dry_run:
        report.removed = rewind(engine, [r.id for r in usable], start)
    data = load_indicators(engine, usable, start, end)
    directory = ScopeDirectory(settings)
    webhooks = config.webhooks if notify else []
    first_id = _max_id(target)
    ids_replayed = [r.id for r in usable]
    open_any = False  # rewind (or the empty scratch store) leaves none of the rules' warnings open
    calendar = _holiday_calendar()
    now = start
    while now < end:
        quiet = None if open_any else _quiet(settings, usable, data, now, calendar)
        if quiet is not None:
            report.totals.add(quiet)
        else:
            report.totals.add(evaluate_at(settings, target, rules=usable, data=data, sources=[], now=now,
                                          webhooks=webhooks, directory=directory, silence_engine=engine))
            open_any = _any_open(target, ids_replayed)
        report.steps += 1
        now += step
    with target.connect() as conn:
        ids = conn.execute(select(warnings.c.id).where(warnings.c.id > first_id)
                           .order_by(warnings.c.started_at, warnings.c.id)).scalars().all()
    report.warnings = [warning_with_history(target, i) for i in ids]
    if dry_run:
        target.dispose()
    return report


def rewind(engine: Engine, rule_ids: Sequence[str], start: datetime) -> int:
    """Remove the rules' warnings not resolved before ``start`` (and their events)."""
    if not rule_ids:
        return 0
    with engine.begin() as conn:
        doomed = conn.execute(select(warnings.c.id).where(
            warnings.c.rule.in_(list(rule_ids)),
            or_(warnings.c.resolved_at.is_(None), warnings.c.resolved_at >= start))).scalars().all()
        for chunk in range(0, len(doomed), 500):
            ids = doomed[chunk:chunk + 500]
            conn.execute(delete(warning_events).where(warning_events.c.warning_id.in_(ids)))
            conn.execute(delete(warnings).where(warnings.c.id.in_(ids)))
    return len(doomed)


def _quiet(settings: Settings, rules: Sequence[Any], data: IndicatorData, now: datetime,
           calendar: Any) -> EvaluationReport | None:
    """The engine's report for ``now`` when, with no warning open, it would write nothing
    (no condition active, no rule failing); None when the engine must run."""
    observed = 0
    for rule in rules:
        try:
            seen = observe(rule, data, now, tz=settings.tz, calendar=calendar, sources=[])
        except Exception:  # noqa: BLE001 — the engine logs it and reports the error itself
            return None
        if any(o.status == "active" for o in seen.values()):
            return None
        observed += len(seen)
    return EvaluationReport(now=now, rules=len(rules), observed=observed)


def _any_open(engine: Engine, rule_ids: Sequence[str]) -> bool:
    if not rule_ids:
        return False
    with engine.connect() as conn:
        return conn.execute(select(warnings.c.id).where(warnings.c.open_key.is_not(None),
                                                        warnings.c.rule.in_(list(rule_ids))).limit(1)).first() is not None


def _scratch_store() -> Engine:
    scratch = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    metadata.create_all(scratch)
    return scratch


def _max_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(warnings.c.id), 0))).scalar_one()
