"""The compute job runs the themes' steps (jobs/compute/themes.py, issue 20): ``citybrain
compute`` and a poll's ``after_poll`` store a theme's values equal to an independent
aggregation of its source rows — also when the built-in steps run window by window (a theme's
step runs over the whole range: its zero-filled counts depend on the span it sees)."""

from __future__ import annotations

import datetime as dt

import jobs.compute.job
from connectors.poll import poll
from jobs.compute import after_poll, compute
from tests.themes import depot, reference
from tests.themes.conftest import NOW, city_settings
from tests.themes.test_themes_compute import assert_same, stored

UTC = dt.timezone.utc


def test_the_compute_job_stores_every_theme(tmp_path, sqlite_store, monkeypatch):
    url = f"sqlite:///{tmp_path}/depot.db"
    readings, events = depot.build(url)
    settings = city_settings(url, tmp_path)
    poll(settings, sqlite_store, now=NOW, parallel=False)
    monkeypatch.setattr(jobs.compute.job, "WINDOW_DAYS", 1)  # the built-in steps in a window per local day
    report = compute(settings, sqlite_store, start=depot.START.replace(tzinfo=UTC),
                     end=depot.END.replace(tzinfo=UTC), now=NOW)
    assert report.rows.get("theme depot", 0) > 0
    assert_same(stored(sqlite_store), reference.expected(readings, events))


def test_a_poll_of_a_theme_source_recomputes_the_theme(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    readings, events = depot.build(url)
    settings = city_settings(url, tmp_path)
    poll(settings, sqlite_store, now=NOW, parallel=False)
    touched = {"depot": (depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))}
    assert after_poll(settings, sqlite_store, touched, now=NOW) > 0
    assert_same(stored(sqlite_store), reference.expected(readings, events))
