"""What runs after a poll that wrote rows: the hook list later issues extend.

A step is ``"module:function"``; it is called as ``function(settings, engine, touched)``
where ``touched`` maps each domain that received rows to the ``(earliest, latest)``
UTC data time written, so a step recomputes only that window (indicators of the hours
touched, warnings of the scopes touched). Steps run in order in the poll job's own
thread; each is recorded in ``job_runs`` as ``after_poll:<function>``, and a failing
step is recorded and logged without stopping the steps after it.

The list is a tuple of import paths — immutable, importable without side effects — so
the scheduler, the demo and the tests all see the same chain:

* issue 4 appends the indicator computation (AQI, TPI, crowding, composite index);
* issue 5's warning evaluation runs from ``PERIODIC_STEPS`` every minute, reading the
  indicators the chained compute keeps current;
* issue 11 chains the rollups after the indicators (the same touched hours) and runs the
  store's daily maintenance — partitions ahead, rollups caught up, retention — once a day
  (and at scheduler start, so a fresh or upgraded store is caught up at once).
* issue 19 item 9 drives the chain from a durable record: each batch the scheduler's polls
  commit records its data-time span in ``changed_spans`` in the same transaction as its
  rows; :func:`run_changed` runs the steps over the recorded spans and deletes them once
  every step succeeded. A kill between a batch's commit and its computation, or a failed
  step, leaves the span, and the scheduler runs it again at its next start (or takeover)
  and every few minutes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine

from citybrain.settings import Settings
from jobs.runs import recorded

log = logging.getLogger(__name__)

Touched = dict[str, tuple[dt.datetime, dt.datetime]]
Step = Callable[[Settings, Engine, Touched], Any]

#: Steps chained after every poll that wrote rows, in order.
AFTER_POLL_STEPS: tuple[str, ...] = ("jobs.indicators:after_poll", "jobs.rollups:refresh_rollups")

#: Steps on a clock of their own: (step, seconds). Warnings are evaluated every minute
#: whether or not a poll wrote rows — a silent source must still raise its staleness warning.
PERIODIC_STEPS: tuple[tuple[str, int], ...] = (("alerts.engine:evaluate_step", 60),
                                               ("jobs.retention:store_maintenance", 86400))


def resolve(step: str | Step) -> Step:
    if callable(step):
        return step
    module, _, name = step.partition(":")
    return getattr(importlib.import_module(module), name)


def after_poll(settings: Settings, engine: Engine, touched: Touched,
               steps: Sequence[str | Step] | None = None) -> bool:
    """Run the chained steps for the data just written; each is its own recorded run.

    Returns whether every step succeeded.
    """
    if not touched:
        return True
    ok = True
    for step in AFTER_POLL_STEPS if steps is None else steps:
        func = resolve(step)
        name = f"after_poll:{getattr(func, '__name__', str(step))}"
        try:
            with recorded(engine, name) as run:
                result = func(settings, engine, touched)
                run.rows = result if isinstance(result, int) else None
        except Exception:  # noqa: BLE001 — recorded in job_runs; later steps still run
            log.exception("%s failed", name)
            ok = False
    return ok


#: recorded spans of one domain closer than this are computed as one window
MERGE_GAP = dt.timedelta(days=1)


def run_changed(settings: Settings, engine: Engine, steps: Sequence[str | Step] | None = None, *,
                sources: Sequence[str] | None = None) -> int:
    """Run the chained steps over the recorded changed spans (of ``sources``, or all) and
    delete each span once every step over it succeeded; returns the spans done.

    Spans of one domain that overlap or lie within :data:`MERGE_GAP` of each other are one
    window, so a backfill's many batches are computed once, and a far older span (a late
    correction) is not merged into a years-long window. With no steps at all (``[]``)
    nothing can carry a span, so the spans stay for a run that has steps.
    """
    from sqlalchemy import delete, select

    from store.schema import changed_spans

    if steps is not None and not steps:
        return 0
    c = changed_spans.c
    query = select(c.id, c.domain, c.first, c.last)
    if sources is not None:
        query = query.where(c.source.in_(list(sources)))
    with engine.connect() as conn:
        spans = sorted(conn.execute(query).all(), key=lambda r: (r.domain, _utc(r.first)))
    windows: list[tuple[str, dt.datetime, dt.datetime, list[int]]] = []
    for span in spans:
        first, last = _utc(span.first), _utc(span.last)
        if windows and windows[-1][0] == span.domain and first <= windows[-1][2] + MERGE_GAP:
            domain, lo, hi, ids = windows[-1]
            windows[-1] = (domain, lo, max(hi, last), ids + [span.id])
        else:
            windows.append((span.domain, first, last, [span.id]))
    done = 0
    for domain, lo, hi, ids in windows:
        if after_poll(settings, engine, {domain: (lo, hi)}, steps):
            with engine.begin() as conn:
                for i in range(0, len(ids), 500):
                    conn.execute(delete(changed_spans).where(c.id.in_(ids[i:i + 500])))
            done += len(ids)
        else:
            log.warning("%s %s … %s: a step failed; the span stays recorded and is run again", domain, lo, hi)
    return done


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t
