"""Faults at the edges of a poll: the department's database down or slow, the store cut mid-write.

Each fault is injected on real PostgreSQL servers the way it happens in a city, and
afterwards the store must hold exactly what the committed watermark says (nothing
half-written), the source's status must say what went wrong, and the next poll must
catch up with every row exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

import pytest
import sqlalchemy as sa

from connectors.poll import poll_source
from connectors.source import SourceEngines
from jobs.indicators import after_poll
from store.queries.wall import _traffic
from store.schema import obs_traffic

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
UTC = dt.timezone.utc


def _poll(fenv, engines, **kwargs):
    settings = fenv.settings(**kwargs.pop("source", {}))
    return poll_source(settings, fenv.store, settings.source("traffic_detectors"), engines=engines, **kwargs)


def test_source_down_during_a_poll_then_back(fenv):
    fenv.dept.add(12, random.Random(1), bad=4)  # 172 rows: three batches of 60
    with SourceEngines() as engines:
        engine = engines.get(fenv.settings().source("traffic_detectors"))
        reads = []

        def after(conn, cursor, statement, *args):
            if "t_link_flow_5min" in statement and "ORDER BY" in statement.upper():  # a batch, not the probe
                reads.append(statement)
                if len(reads) == 2:  # the second batch is read; then the department's server dies
                    fenv.dept.down()

        sa.event.listen(engine, "after_cursor_execute", after)
        delays: list[float] = []
        report = _poll(fenv, engines, retries=2, backoff=0.2, sleep=delays.append)
        sa.event.remove(engine, "after_cursor_execute", after)
        assert report.status == "failing" and report.attempts == 3 and len(delays) == 2
        assert "cannot read the source" in report.error and "not currently accepting connections" in report.error
        status = fenv.status()
        assert status["status"] == "failing" and "not currently accepting connections" in status["last_error"]
        assert status["consecutive_failures"] == 1
        written = fenv.check_committed_prefix()
        assert 0 < written < len(fenv.dept.good), "the fault must land mid-poll"
        assert fenv.running() == []

        fenv.dept.up()
        back = _poll(fenv, engines)
    assert back.status == "ok" and back.error is None
    fenv.check_exactly_once()
    status = fenv.status()
    assert status["status"] == "ok" and status["last_error"] is None and status["consecutive_failures"] == 0


def test_slow_source_hits_the_statement_timeout_and_the_last_good_value_stays(fenv):
    settings = fenv.settings()
    fenv.dept.add(12, random.Random(2))
    with SourceEngines() as engines:
        first = _poll(fenv, engines)
        assert first.status == "ok" and first.rows_written == 12 * 14
        after_poll(settings, fenv.store, {"traffic": first.touched})
        now = first.touched[1] + dt.timedelta(minutes=30)
        shown = _traffic(fenv.store, now=now)
        assert shown["value"] is not None and len(shown["segments"]) == 14
        good_time = fenv.status()["data_time"]

        fenv.dept.add(12, random.Random(3))
        delays: list[float] = []
        with fenv.dept.locked():  # a long job in the department holds the table
            report = _poll(fenv, engines, retries=2, backoff=0.5, sleep=delays.append)
        assert report.status == "failing" and report.attempts == 3
        assert "did not answer within statement_timeout (1s)" in report.error
        assert "canceling statement due to statement timeout" in report.error
        assert len(delays) == 2 and 0.25 <= delays[0] <= 0.75 and 0.5 <= delays[1] <= 1.5  # exponential, jittered
        assert report.duration_s < 8, "three attempts of a 1 s timeout"
        status = fenv.status()
        assert status["status"] == "failing" and "statement_timeout" in status["last_error"]
        assert status["data_time"] == good_time, "the newest data time stays the last good one"
        assert _traffic(fenv.store, now=now) == shown, "the page shows the last good value, not a gap"
        fenv.check_committed_prefix()

        back = _poll(fenv, engines)
    assert back.status == "ok" and back.rows_written >= 12 * 14  # the new rows, and the lookback re-read
    fenv.check_exactly_once()


def test_store_connection_killed_mid_write_rolls_back_and_is_retried(fenv, caplog):
    fenv.dept.add(12, random.Random(4), bad=6)
    fenv.cutter.arm(1)  # the first batch's INSERT lands, then its session is terminated
    with SourceEngines() as engines, caplog.at_level(logging.WARNING, logger="connectors.poll"):
        report = _poll(fenv, engines, retries=2, backoff=0.05)
    assert fenv.cutter.cuts == 1
    assert report.status == "ok" and report.attempts == 1, "the batch, not the poll, was written again"
    retried = [r.getMessage() for r in caplog.records if "store connection was dropped" in r.getMessage()]
    assert len(retried) == 1 and "terminating connection due to administrator command" in retried[0]
    fenv.check_exactly_once()
    assert fenv.status()["rows_written_total"] == len(fenv.dept.good), "the rolled-back batch counted once"


def test_store_gone_longer_than_the_batch_retries_fails_the_attempt_and_the_poll_retries(fenv):
    fenv.dept.add(12, random.Random(5), bad=2)
    fenv.cutter.arm(4)  # the batch's three tries all cut, then once more on the poll's second attempt
    with SourceEngines() as engines:
        delays: list[float] = []
        report = _poll(fenv, engines, retries=3, backoff=0.05, sleep=delays.append)
    assert fenv.cutter.cuts == 4
    assert report.status == "ok" and report.attempts == 2 and len(delays) == 1, report.error
    fenv.check_exactly_once()
    with fenv.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(obs_traffic)).scalar() == len(fenv.dept.good)
