"""The scheduler: jobs recorded, steps chained, one instance per store, kill -9 safe."""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa

import jobs
from jobs.scheduler import stop_background
from store.schema import job_runs, obs_traffic, source_status

UTC = dt.timezone.utc
POLL = "poll:traffic_detectors"


def test_background_scheduler_polls_records_runs_and_chains_steps(env):
    env.generate(140)
    calls: list[dict] = []
    ticks: list[int] = []

    def compute(settings, engine, touched):
        calls.append(touched)
        return 7

    def broken(settings, engine, touched):
        raise RuntimeError("boom")

    scheduler = jobs.start_background(
        env.settings(), env.store, extra_jobs=[(lambda: ticks.append(1) or 3, {"trigger": "interval", "seconds": 0.5},
                                                "simulator")],
        heartbeat=dt.timedelta(seconds=0.3), steps=[broken, compute])
    try:
        env.wait(lambda: calls and ticks, 15, "a poll followed by the chained steps")
        env.generate(14, start="2026-10-02 00:00:00")
        env.wait(lambda: len(calls) >= 2, 15, "a second poll with new rows")
    finally:
        stop_background(scheduler)
    assert env.scalar(sa.select(sa.func.count()).select_from(obs_traffic)) == 154
    first = calls[0]["traffic"]
    assert first == (dt.datetime(2026, 9, 30, 16, 0, tzinfo=UTC), dt.datetime(2026, 9, 30, 16, 45, tzinfo=UTC))
    runs = env.rows(sa.select(job_runs).order_by(job_runs.c.id))
    polls = [r for r in runs if r["job"] == POLL]
    assert polls[0]["status"] == "ok" and polls[0]["rows"] == 140 and polls[0]["finished_at"] >= polls[0]["started_at"]
    steps = {r["job"]: r for r in runs if r["job"].startswith("after_poll:")}
    assert steps["after_poll:compute"]["status"] == "ok" and steps["after_poll:compute"]["rows"] == 7
    assert steps["after_poll:broken"]["status"] == "failed" and "boom" in steps["after_poll:broken"]["error"]
    assert any(r["job"] == "simulator" and r["status"] == "ok" and r["rows"] == 3 for r in runs)
    # nothing chained after polls that wrote nothing
    assert len(calls) <= len([p for p in polls if p["rows"]])


def test_a_failing_source_is_recorded_as_a_failed_run(env, tmp_path):
    scheduler = jobs.start_background(env.settings(url=f"sqlite:///{tmp_path / 'gone.db'}"), env.store,
                                      heartbeat=dt.timedelta(seconds=0.3), retries=1, backoff=0.05)
    try:
        env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(job_runs).where(
            job_runs.c.job == POLL, job_runs.c.status == "failed")), 30, "a failed poll run")
    finally:
        stop_background(scheduler, wait=False)
    [run] = env.rows(sa.select(job_runs).where(job_runs.c.status == "failed").limit(1))
    assert "unable to open database file" in run["error"]


def _overlaps(runs):
    ordered = sorted(runs, key=lambda r: r["started_at"])
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b["started_at"] < a["finished_at"]]


def test_two_scheduler_processes_never_run_jobs_twice(env):
    env.generate(14 * 12)
    a = env.scheduler()
    env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(job_runs).where(
        job_runs.c.pid == a.pid, job_runs.c.status == "ok")), 30, "the first scheduler's first poll")
    b = env.scheduler()
    time.sleep(1.5)  # b is up and standing by
    env.generate(14, start="2026-10-05 00:00:00")
    t_b = dt.datetime.now(UTC)
    time.sleep(2.5)
    assert a.proc.poll() is None and b.proc.poll() is None
    runs = env.rows(sa.select(job_runs).where(job_runs.c.job == POLL))
    assert {r["pid"] for r in runs} == {a.pid}, "only the lock holder runs jobs"
    assert any(r["started_at"] > t_b for r in runs)
    # kill the holder: the standby takes over once the heartbeat is stale, and catches up
    a.kill9()
    env.generate(14, start="2026-10-06 00:00:00")
    env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(job_runs).where(
        job_runs.c.pid == b.pid, job_runs.c.status == "ok")), 30, "the standby to take over")
    env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(obs_traffic)) == 14 * 14, 20,
             "every row in the store")
    runs = env.rows(sa.select(job_runs).where(job_runs.c.job == POLL, job_runs.c.status == "ok"))
    assert not _overlaps(runs), "two polls of the same source ran at once"


def test_kill_9_mid_poll_and_restart_loses_and_duplicates_nothing(env):
    total = 14 * 20_000  # 280,000 rows: a backfill of several seconds in 2,000-row batches
    env.generate(total, start="2026-09-01 00:00:00")  # 69 days, all in the past (later rows are 时间超前)
    first = env.scheduler(batch_size=2000)

    def written():
        return env.scalar(sa.select(source_status.c.rows_written_total)) or 0

    env.wait(lambda: written() >= 20_000, 60, "the backfill to be under way")
    first.kill9()
    done_before = written()
    assert 0 < done_before < total, "the kill must land mid-poll"
    assert env.scalar(sa.select(sa.func.count()).select_from(obs_traffic)) == done_before  # committed with its rows
    second = env.scheduler(batch_size=2000)
    env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(job_runs).where(
        job_runs.c.pid == second.pid, job_runs.c.job == "poll:traffic_detectors", job_runs.c.status == "ok",
        job_runs.c.rows > 0)), 90, "the restart to catch up")
    assert env.scalar(sa.select(sa.func.count()).select_from(obs_traffic)) == total
    assert env.scalar(sa.select(sa.func.count(sa.distinct(obs_traffic.c.time)))) == total // 14
    assert env.scalar(sa.select(sa.func.sum(obs_traffic.c.volume))) == sum(i % 300 for i in range(total))
    abandoned = env.rows(sa.select(job_runs).where(job_runs.c.status == "abandoned"))
    assert [r["pid"] for r in abandoned] == [first.pid]


def test_sigterm_lets_the_running_poll_finish(env):
    """Issue 19 item 10: SIGTERM mid-poll — the poll and its computation finish, then the process exits.

    Before, the main thread returned while the poll was still running and the interpreter's
    exit refused its next batch ("cannot schedule new futures after interpreter shutdown").
    """
    total = 14 * 6000  # 84,000 rows in 1,000-row batches: several seconds of polling
    env.generate(total)
    s = env.scheduler(batch_size=1000)
    env.wait(lambda: (env.scalar(sa.select(source_status.c.rows_written_total)) or 0) >= 10_000, 60,
             "the backfill to be under way")
    s.proc.terminate()
    assert s.proc.wait(120) == 0
    log = s.log.read_text(errors="replace")
    assert "cannot schedule new futures" not in log and "Traceback" not in log, log[-3000:]
    [run] = env.rows(sa.select(job_runs).where(job_runs.c.job == "poll:traffic_detectors"))
    assert run["status"] == "ok" and run["rows"] == total, run
    assert env.scalar(sa.select(sa.func.count()).select_from(obs_traffic)) == total
    assert "scheduler stopped" in log


def test_a_kill_between_commit_and_computation_is_caught_up_at_start(env):
    """Issue 19 item 9: rows committed by a poll whose computation never ran (the process was
    killed in between) get their indicators and rollups when a scheduler starts — not only the
    hours a later poll happens to touch."""
    from connectors.poll import poll_source
    from connectors.source import SourceEngines
    from store.schema import changed_spans, indicators, rollup_hourly

    env.generate(14 * 24)  # two hours of 14 segments, 2026-10-01 00:00-01:55 local
    settings = env.settings()
    with SourceEngines() as engines:  # what the killed process committed: rows and their spans
        report = poll_source(settings, env.store, settings.source("traffic_detectors"), engines=engines,
                             record_changes=True)
    assert report.rows_written == 14 * 24
    assert env.scalar(sa.select(sa.func.count()).select_from(changed_spans)) >= 1
    assert env.scalar(sa.select(sa.func.count()).select_from(indicators)) == 0
    env.scheduler()

    def tpi_hours():
        return env.scalar(sa.select(sa.func.count()).select_from(indicators).where(
            indicators.c.name == "tpi", indicators.c.grain == "hour", indicators.c.scope_kind == "city"))

    env.wait(lambda: tpi_hours() == 2, 60, "both hours' TPI")
    env.wait(lambda: env.scalar(sa.select(sa.func.count()).select_from(changed_spans)) == 0, 30, "the spans done")
    hours = env.scalar(sa.select(sa.func.count(sa.distinct(rollup_hourly.c.time))).where(
        rollup_hourly.c.metric == "traffic.speed"))
    assert hours == 2
