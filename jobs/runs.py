"""``job_runs``: every run of every job, with start, end, status, rows and error.

A run is inserted as ``running`` before the work starts and closed afterwards, so a
process killed mid-run leaves a visible trace; the next scheduler to take the lock marks
such rows ``abandoned``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, update

from store.schema import job_runs

UTC = dt.timezone.utc


@dataclass
class Run:
    """The open run a job fills in: rows it wrote and, if it failed softly, why."""

    id: int
    job: str
    rows: int | None = None
    error: str | None = None
    failed: bool = False

    def fail(self, error: str) -> None:
        self.failed, self.error = True, error


@contextmanager
def recorded(engine: Engine, job: str) -> Iterator[Run]:
    """Record the enclosed work as one run of ``job``; an exception marks it failed and propagates."""
    with engine.begin() as conn:
        run_id = conn.execute(job_runs.insert().values(
            job=job[:100], started_at=dt.datetime.now(UTC), status="running",
            host=socket.gethostname()[:100], pid=os.getpid())).inserted_primary_key[0]
    run = Run(run_id, job)
    try:
        yield run
    except BaseException as exc:
        _close(engine, run, "failed", f"{type(exc).__name__}: {exc}"[:4000])
        raise
    _close(engine, run, "failed" if run.failed else "ok", run.error)


def _close(engine: Engine, run: Run, status: str, error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(job_runs).where(job_runs.c.id == run.id).values(
            finished_at=dt.datetime.now(UTC), status=status, rows=run.rows, error=error))


def abandon_running(engine: Engine) -> int:
    """Mark runs left ``running`` by a dead scheduler as ``abandoned``; call holding the lock."""
    with engine.begin() as conn:
        done = conn.execute(update(job_runs).where(job_runs.c.status == "running").values(
            status="abandoned", finished_at=dt.datetime.now(UTC),
            error="the scheduler running this job stopped before it finished (killed or crashed)"))
        return done.rowcount
