"""Load run (issue 11): 50 concurrent wall viewers against ``gunicorn -w 2 app:server``
on PostgreSQL + Redis while the scheduler polls — no errors, latency figures printed.

The demo city's departments are simulated (SQLite files) and advanced every few
seconds, so the scheduler (a real ``citybrain scheduler`` process, its sources polled
every few seconds instead of every minute) keeps writing new rows and recomputing while
the viewers read. A viewer is what one wall sends — its refresh and heartbeat callbacks,
recorded once from Chromium — repeated every ~5 s (the wall's own cadence is 30 s, so this
is six walls' worth each).

Under CI the run is 60 s; ``CITYBRAIN_FULL_RUNS=1`` runs the full 10 minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks import loadkit
from citybrain.settings import DEFAULT_CONFIG, load_settings

pytestmark = pytest.mark.faults

VIEWERS = 50
FULL = os.environ.get("CITYBRAIN_FULL_RUNS") == "1"
SECONDS = 600 if FULL else 60
THINK_S = 5.0


def _fast_config(tmp: Path) -> Path:
    """The demo city with its sources polled every few seconds."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'^interval = "[^"]+"', 'interval = "5s"', text, flags=re.M)
    path = tmp / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timeout(SECONDS + 600)  # setup and teardown on top of the run itself
def test_fifty_viewers_while_the_scheduler_polls(tmp_path, pg_url, redis_url, browser):
    import connectors
    import simulator
    from jobs.indicators import compute
    from store.engine import make_engine, upgrade
    from store.entities import sync_from_config
    from store.schema import job_runs, source_status

    config = _fast_config(tmp_path)
    data_dir = tmp_path / "var"
    settings = load_settings(config, env={}, data_dir=data_dir, store_url=pg_url)
    now = dt.datetime.now(dt.timezone.utc)
    simulator.create(settings, days=2, end=now)
    upgrade(pg_url)
    engine = make_engine(pg_url)
    sync_from_config(engine, settings)
    connectors.poll(settings, engine, now=now)
    compute(settings, engine, start=now - dt.timedelta(days=2), end=now, now=now)

    env = {"CITYBRAIN_CONFIG": str(config), "CITYBRAIN_DATA_DIR": str(data_dir), "CITYBRAIN_STORE_URL": pg_url,
           "CITYBRAIN_CACHE_URL": redis_url, "CITYBRAIN_SECRET_KEY": "load-test", "CITYBRAIN_OPEN_DEMO": "1",
           "CITYBRAIN_LOG_LEVEL": "WARNING"}
    sched_log = open(tmp_path / "scheduler.log", "wb")
    scheduler = subprocess.Popen([sys.executable, "-m", "citybrain", "scheduler"], cwd=loadkit.ROOT,
                                 env={**os.environ, **env}, stdout=sched_log, stderr=subprocess.STDOUT)
    stop = threading.Event()

    def departments() -> None:  # the city keeps happening while the viewers watch
        while not stop.wait(5):
            simulator.advance(settings)

    advancing = threading.Thread(target=departments, daemon=True)
    advancing.start()
    try:
        with loadkit.gunicorn(env, workers=2, log=tmp_path / "gunicorn.log") as server:
            bodies = loadkit.record_callbacks(browser, server.url + "/wall/overview", wait_for="wall-shown")
            steady = loadkit.tick_bodies(bodies)
            assert any("wall-shown" in b["body"]["output"] for b in steady), [b["body"]["output"] for b in bodies]
            with engine.connect() as conn:
                runs_before = conn.execute(sa.select(sa.func.count()).select_from(job_runs)).scalar()
            rss_before = server.rss_mb()
            result = loadkit.run_load(server.url, steady, clients=VIEWERS, duration_s=SECONDS, think_s=THINK_S)
            rss_after = server.rss_mb()
            gunicorn_log = server.log.read_text(errors="replace")
        with engine.connect() as conn:
            runs = conn.execute(sa.select(job_runs.c.job, job_runs.c.status)
                                .order_by(job_runs.c.id).offset(runs_before)).all()
            polled = conn.execute(sa.select(sa.func.max(source_status.c.updated_at))).scalar()
    finally:
        stop.set()
        advancing.join(timeout=30)
        scheduler.terminate()
        try:
            scheduler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            scheduler.kill()
        sched_log.close()
        engine.dispose()

    figures = loadkit.summary_ms(result.all())
    per = {k: loadkit.summary_ms(v) for k, v in result.latencies.items()}
    print(f"\nload run: {VIEWERS} viewers for {SECONDS} s (think {THINK_S:g} s), {result.requests} requests, "
          f"{result.requests / result.wall_s:.1f} req/s, errors {len(result.errors)}")
    print(f"  all callbacks: p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms, "
          f"max {figures['max']:.0f} ms")
    for key, f in per.items():
        print(f"  {key}: n {f['n']}, p50 {f['p50']:.0f} ms, p95 {f['p95']:.0f} ms, p99 {f['p99']:.0f} ms")
    print(f"  scheduler jobs during the run: {len(runs)} ({sum(1 for r in runs if r.status == 'ok')} ok; failed: "
          f"{sorted({r.job for r in runs if r.status == 'failed'}) or 'none'}); "
          f"worker RSS MB before {sorted(round(v) for v in rss_before.values())} "
          f"after {sorted(round(v) for v in rss_after.values())}")

    if os.environ.get("CITYBRAIN_LOAD_JSON"):  # for benchmarks/run.py --collect
        Path(os.environ["CITYBRAIN_LOAD_JSON"]).write_text(json.dumps({
            "viewers": VIEWERS, "seconds": SECONDS, "think_s": THINK_S, "requests": result.requests,
            "errors": len(result.errors), "all": figures, "per_callback": per, "scheduler_jobs": len(runs),
            "rss_before": list(rss_before.values()), "rss_after": list(rss_after.values())}, indent=2))

    assert result.errors == [], result.errors[:5]
    assert result.requests >= VIEWERS * len(steady) * (SECONDS // (THINK_S * 1.5) - 1)  # everyone kept being served
    assert "Traceback" not in gunicorn_log, gunicorn_log[-3000:]
    assert scheduler.returncode is not None  # stopped by us, not before
    assert any(r.job.startswith("poll") for r in runs), runs  # the scheduler really polled meanwhile
    # the jobs this run drives: polls and what they chain; others (the daily briefing) have their own tests
    driven = [r for r in runs if r.job.split(":")[0] in ("poll", "after_poll", "evaluate", "compute", "lock")]
    assert driven and [r for r in driven if r.status == "failed"] == [], runs
    assert polled is not None and polled > now
