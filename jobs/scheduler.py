"""The scheduler: the one process that runs jobs (APScheduler 3.11).

Each enabled source is polled on its own ``interval`` as its own job (its own thread,
so one slow or failing source never delays another); the steps of ``jobs.pipeline``
follow every poll that wrote rows. Each source (statistics too) is also reconciled nightly
at its ``reconcile_at`` (``connectors.reconcile``: rows the watermark cannot reach).
Jobs coalesce (a backlog of missed runs is one run),
never overlap themselves (``max_instances=1``) and still run when late by less than
their misfire grace.

Only the holder of the store's scheduler lock does work: every job is guarded, and a
``lock`` job acquires, refreshes or loses the lock. A second scheduler on the same
store therefore idles as a hot standby and takes over when the first one dies; on
taking over (or on a restart) every poll runs at once and catches up from the
watermarks. How soon a standby takes over is :func:`takeover_bound`. ``run_scheduler``
is ``citybrain scheduler``; ``start_background`` runs the
same jobs on a thread inside another process (``citybrain demo``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from citybrain.errors import ConfigError
from citybrain.settings import Settings
from connectors.check import config_problems
from connectors.poll import poll_source
from connectors.source import SourceEngines
from jobs.lock import Lock, make_lock
from jobs.pipeline import PERIODIC_STEPS, Step, resolve, run_changed
from jobs.runs import abandon_running, recorded
from store.engine import make_engine, upgrade

log = logging.getLogger(__name__)

#: how often the ``lock`` job acquires or refreshes the lock (a standby's takeover delay)
HEARTBEAT = dt.timedelta(seconds=10)
#: a row lock (SQLite) not refreshed for this long belongs to a dead process
LOCK_TTL = dt.timedelta(seconds=60)
#: how often recorded changed spans left behind are carried into the derived tables
CHANGED_EVERY = dt.timedelta(minutes=5)

#: (function, trigger keyword arguments for ``add_job``, job id) — e.g. the demo's simulator tick
ExtraJob = tuple[Callable[..., Any], dict[str, Any], str]


def takeover_bound(dialect: str, *, host_lost: bool = False, heartbeat: dt.timedelta = HEARTBEAT,
                   lock_ttl: dt.timedelta = LOCK_TTL) -> dt.timedelta:
    """The longest a standby waits before it works, after the active scheduler dies.

    On PostgreSQL the advisory lock dies with the active process's session: a killed
    process frees it at once, so the standby holds it at its next heartbeat; a host that
    vanished frees it when the server's keepalive gives up (``jobs.lock.KEEPALIVE_BOUND``).
    A SQLite row lock must first go stale (``lock_ttl``).
    """
    from jobs.lock import KEEPALIVE_BOUND

    if dialect == "postgresql":
        return heartbeat + (KEEPALIVE_BOUND if host_lost else dt.timedelta(0))
    return lock_ttl + heartbeat


class Guard:
    """Whether this process holds the lock, as last seen by the ``lock`` job."""

    def __init__(self, lock: Lock, ttl: dt.timedelta):
        self.lock, self.ttl = lock, ttl
        self._held_since_check: float | None = None
        self._mutex = threading.Lock()

    def held(self) -> bool:
        with self._mutex:
            seen = self._held_since_check
        # a holder that could not refresh for a whole ttl must assume it was taken over
        return seen is not None and time.monotonic() - seen < self.ttl.total_seconds()

    def check(self) -> tuple[bool, bool]:
        """Acquire or refresh the lock; returns (held now, newly acquired)."""
        was = self.held()
        try:
            now_held = self.lock.refresh() if was else self.lock.acquire()
        except Exception as exc:  # noqa: BLE001 — the store may be briefly unreachable
            log.warning("scheduler lock check failed: %s", exc)
            return self.held(), False
        with self._mutex:
            self._held_since_check = time.monotonic() if now_held else None
        if was and not now_held:
            log.warning("lost the scheduler lock to another process; standing by")
        return now_held, now_held and not was

    def release(self) -> None:
        with self._mutex:
            self._held_since_check = None
        try:
            self.lock.release()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not release the scheduler lock: %s", exc)


class Jobs:
    """The job bodies, bound to one settings object, store and set of source engines."""

    def __init__(self, settings: Settings, engine: Engine, guard: Guard, engines: SourceEngines,
                 steps: Sequence[str | Step] | None = None, retries: int = 3, backoff: float = 1.0):
        self.settings, self.engine, self.guard, self.engines = settings, engine, guard, engines
        self.steps, self.retries, self.backoff = steps, retries, backoff
        self.scheduler: BaseScheduler | None = None
        #: the pool the jobs run in: a stop waits for it (running jobs finish, issue 19 item 10)
        self.executor: ThreadPoolExecutor | None = None

    def finish_running(self) -> None:
        """Wait until the jobs already running have finished (after the scheduler stopped).

        A poll or computation cut off by the interpreter's exit failed mid-way ("cannot
        schedule new futures after interpreter shutdown": 4 of 11 SIGTERMs in issue 19's
        fault run); each job commits in steps, so waiting for it is what a clean stop is.
        """
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def lock(self) -> None:
        held, fresh = self.guard.check()
        if fresh:
            abandoned = abandon_running(self.engine)
            log.info("holding the scheduler lock as %s (%d abandoned runs closed); catching up",
                     self.guard.lock.holder, abandoned)
            self.catch_up()

    def changed(self) -> None:
        """Carry every recorded changed span into the derived tables (issue 19 item 9): what
        a crash, a failed step or another process's polls left behind."""
        if not self.guard.held():
            return
        with recorded(self.engine, "changed") as run:
            run.rows = run_changed(self.settings, self.engine, self.steps)

    def catch_up(self) -> None:
        """Run every poll now: after a restart or takeover, read what arrived meanwhile."""
        if self.scheduler is None:
            return
        now = dt.datetime.now(self.scheduler.timezone)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("poll:") or job.id == "changed":
                job.modify(next_run_time=now)

    def poll(self, name: str) -> None:
        if not self.guard.held():
            return
        source = self.settings.source(name)
        with recorded(self.engine, f"poll:{name}") as run:
            report = poll_source(self.settings, self.engine, source, engines=self.engines,
                                 retries=self.retries, backoff=self.backoff, record_changes=True)
            run.rows = report.rows_written
            if report.status != "ok":
                run.fail(report.error or report.status)
        if report.rows_written:  # the spans its batches recorded, durably (issue 19 item 9)
            run_changed(self.settings, self.engine, self.steps, sources=[name])

    def reconcile(self, name: str) -> None:
        """The nightly 对账 of one source (``connectors.reconcile``), then what it touched is recomputed."""
        if not self.guard.held():
            return
        from connectors.reconcile import reconcile_source

        source = self.settings.source(name)
        with recorded(self.engine, f"reconcile:{name}") as run:
            report = reconcile_source(self.settings, self.engine, source, engines=self.engines,
                                      record_changes=True)
            run.rows = report.rows_written
        if report.rows_written:
            run_changed(self.settings, self.engine, self.steps, sources=[name])

    def guarded(self, job_id: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            if not self.guard.held():
                return None
            with recorded(self.engine, job_id) as rec:
                result = func(*args, **kwargs)
                rec.rows = result if isinstance(result, int) and not isinstance(result, bool) else None
                return result

        run.__name__ = getattr(func, "__name__", job_id)
        return run


def build(scheduler: BaseScheduler, settings: Settings, engine: Engine, *, extra_jobs: Iterable[ExtraJob] = (),
          lock_ttl: dt.timedelta = LOCK_TTL, heartbeat: dt.timedelta = HEARTBEAT,
          steps: Sequence[str | Step] | None = None, retries: int = 3, backoff: float = 1.0,
          periodic: Sequence[tuple[str, int]] = PERIODIC_STEPS, daily_briefing: bool = False) -> Jobs:
    """Add the lock, poll, periodic and extra jobs to ``scheduler``; returns the bound job bodies.

    ``daily_briefing`` adds the morning briefing (``[briefing] time``, city zone; issue 8)
    — on in ``citybrain scheduler``, off by default so tests and tools print nothing.
    """
    engines = SourceEngines()
    guard = Guard(make_lock(engine, "scheduler", lock_ttl), lock_ttl)
    jobs = Jobs(settings, engine, guard, engines, steps, retries, backoff)
    jobs.scheduler = scheduler
    sources = [s for s in settings.sources if s.enabled]
    extras = list(extra_jobs)
    # issue 21: overdue work orders escalate and notify ([dispatch] check_seconds)
    from dispatch.escalation import escalation_step

    extras.append((functools.partial(escalation_step, settings, engine),
                   {"trigger": "interval", "seconds": settings.dispatch.check_seconds}, "dispatch_escalation"))
    jobs.executor = ThreadPoolExecutor(max_workers=2 * len(sources) + len(extras) + len(periodic) + 3)
    scheduler.add_executor(jobs.executor)
    now = dt.datetime.now(scheduler.timezone)
    scheduler.add_job(jobs.lock, "interval", seconds=heartbeat.total_seconds(), id="lock", next_run_time=now,
                      coalesce=True, max_instances=1, misfire_grace_time=None)
    for source in sources:
        seconds = source.interval.total_seconds()
        scheduler.add_job(jobs.poll, "interval", seconds=seconds, args=[source.name], id=f"poll:{source.name}",
                          name=f"poll {source.name}", next_run_time=now, coalesce=True, max_instances=1,
                          misfire_grace_time=max(1, int(seconds)))
    # changed spans left by a crash or a failed step: at start (here and on taking the lock) and every 5 min
    scheduler.add_job(jobs.changed, "interval", seconds=CHANGED_EVERY.total_seconds(), id="changed",
                      next_run_time=now, coalesce=True, max_instances=1, misfire_grace_time=None)
    for source in sources:
        if source.reconcile_window:  # statistics too: per indicator and period (issue 19 item 5)
            hour, minute = (int(x) for x in source.reconcile_at.split(":"))
            scheduler.add_job(jobs.reconcile, "cron", hour=hour, minute=minute, args=[source.name],
                              id=f"reconcile:{source.name}", name=f"reconcile {source.name}", coalesce=True,
                              max_instances=1, misfire_grace_time=3600)
    # issue 22: forecasts served anew when a series has a newer complete period; nightly backtest
    from forecast.run import scheduler_jobs as forecast_jobs

    extras.extend(forecast_jobs(settings, engine))
    for step, seconds in periodic:
        func = functools.partial(resolve(step), settings, engine, {})
        extras.append((func, {"trigger": "interval", "seconds": seconds, "next_run_time": now}, step.partition(":")[2]))
    if daily_briefing:
        from briefings.archive import DailyJob

        briefing = DailyJob(settings, engine)
        extras.append((briefing, briefing.trigger(), "briefing"))
    for func, trigger, job_id in extras:
        options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30, **trigger}
        scheduler.add_job(jobs.guarded(job_id, func), id=job_id, **options)
    # take the lock before the first polls fire, so a lone scheduler starts work at once
    held, _ = guard.check()
    if held:
        log.info("holding the scheduler lock as %s (%d abandoned runs closed)", guard.lock.holder,
                 abandon_running(engine))
    return jobs


def run_scheduler(settings: Settings, *, lock_ttl: dt.timedelta = LOCK_TTL,
                  heartbeat: dt.timedelta = HEARTBEAT, retries: int = 3, backoff: float = 1.0,
                  steps: Sequence[str | Step] | None = None) -> None:
    """``citybrain scheduler``: run the jobs until SIGINT/SIGTERM (blocking).

    Refuses to start (:class:`ConfigError`) when an enabled source's table, columns or
    watermark column do not exist at the source; an unreachable source does not stop it.
    """
    if not logging.getLogger().handlers:  # the journal (systemd) must show takeovers and failures
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    problems = config_problems(settings)
    if problems:  # a table, column or watermark the source lacks: known now, refused now (issue 19)
        raise ConfigError(problems, str(settings.config_path))
    url = settings.resolved_store_url
    upgrade(url)
    engine = make_engine(url)
    scheduler = BlockingScheduler(timezone=settings.tz)
    jobs = build(scheduler, settings, engine, lock_ttl=lock_ttl, heartbeat=heartbeat, steps=steps,
                 retries=retries, backoff=backoff, daily_briefing=settings.briefing.enabled)
    if not jobs.guard.held():
        log.info("another scheduler holds the lock on this store; standing by to take over")

    def _stop(signum: int, _frame: Any) -> None:
        # no new runs from here; the running ones finish below, outside the signal handler
        # (a job may need the scheduler's lock, which the interrupted main loop can hold)
        log.info("signal %d: stopping the scheduler; running jobs finish first", signum)
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        jobs.finish_running()
        log.info("scheduler stopped")
        jobs.guard.release()
        jobs.engines.dispose()
        engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_background(settings: Settings, engine: Engine, extra_jobs: Iterable[ExtraJob] = (), *,
                     lock_ttl: dt.timedelta = LOCK_TTL,
                     heartbeat: dt.timedelta = HEARTBEAT,
                     steps: Sequence[str | Step] | None = None, retries: int = 3,
                     backoff: float = 1.0, daily_briefing: bool = False) -> BackgroundScheduler:
    """The same jobs on a background thread (``citybrain demo``); returns the running scheduler.

    ``extra_jobs`` are ``(func, trigger kwargs, id)``, e.g.
    ``(tick, {"trigger": "interval", "seconds": 5}, "simulator")``; they run guarded and
    recorded like the polls. Stop with ``stop_background(scheduler)``.
    """
    scheduler = BackgroundScheduler(timezone=settings.tz)
    jobs = build(scheduler, settings, engine, extra_jobs=extra_jobs, lock_ttl=lock_ttl, heartbeat=heartbeat,
                 steps=steps, retries=retries, backoff=backoff, daily_briefing=daily_briefing)
    scheduler.citybrain_jobs = jobs  # type: ignore[attr-defined]  # for stop_background
    scheduler.start()
    return scheduler


def stop_background(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Stop a scheduler from ``start_background`` and release its lock and source pools."""
    scheduler.shutdown(wait=wait)
    jobs: Jobs | None = getattr(scheduler, "citybrain_jobs", None)
    if jobs is not None:
        if wait:
            jobs.finish_running()
        jobs.guard.release()
        jobs.engines.dispose()
