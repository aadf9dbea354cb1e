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
               steps: Sequence[str | Step] | None = None) -> None:
    """Run the chained steps for the data just written; each is its own recorded run."""
    if not touched:
        return
    for step in AFTER_POLL_STEPS if steps is None else steps:
        func = resolve(step)
        name = f"after_poll:{getattr(func, '__name__', str(step))}"
        try:
            with recorded(engine, name) as run:
                result = func(settings, engine, touched)
                run.rows = result if isinstance(result, int) else None
        except Exception:  # noqa: BLE001 — recorded in job_runs; later steps still run
            log.exception("%s failed", name)
