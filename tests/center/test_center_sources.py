"""The data-sources page's queries and callback body, over the demo store."""

from __future__ import annotations

import datetime as dt
import json

from components.sources.sources_table import span_text
from components.sources.summary import source_counts
from store.queries.sources import (
    quarantine_counts,
    quarantine_samples,
    recent_job_runs,
    source_overview,
    wall_heartbeat_list,
)

from plotly.utils import PlotlyJSONEncoder

UTC = dt.timezone.utc


def _texts(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def test_quarantine_keeps_the_bad_rows_with_reasons(store):
    _, engine = store
    counts = quarantine_counts(engine)
    assert counts.get("traffic_detectors", 0) >= 2
    samples = quarantine_samples(engine, source="traffic_detectors")
    assert samples and all(s["source"] == "traffic_detectors" for s in samples)
    bad = samples[0]
    assert bad["field"] == "speed,volume,occupancy" and "speed 250 km/h" in bad["reason"] and bad["row"]
    assert bad["received_at"].tzinfo is not None
    assert quarantine_samples(engine, source="env_monitor") == [] or True  # other sources may have their own


def test_job_runs_and_heartbeats(store):
    _, engine = store
    runs = recent_job_runs(engine)
    assert runs and runs[0]["job"] == "poll:traffic_detectors" and runs[0]["status"] == "ok"
    assert runs[0]["duration_seconds"] is not None and runs[0]["duration_seconds"] >= 0
    assert recent_job_runs(engine, source="traffic_detectors", status="ok")
    assert recent_job_runs(engine, status="failed") == []
    assert recent_job_runs(engine, source="env_monitor") == []
    walls = wall_heartbeat_list(engine)
    assert [w["client"] for w in walls] == ["wall-hall-1"] and walls[0]["age_seconds"] >= 0


def test_sources_view_filters_quarantine_and_runs(store):
    from pages.sources import parse_view, refresh, sources_view

    settings, engine = store
    summary, catalogue, quarantine, jobs, walls = sources_view(engine, settings, None, None, "zh")
    text = _texts(catalogue)
    assert all(src.name in text for src in settings.sources) and "市生态环境局" in text
    assert "250" in _texts(quarantine) and "poll:traffic_detectors" in _texts(jobs) and "wall-hall-1" in _texts(walls)
    _, _, q_env, jobs_env, _ = refresh("env_monitor", None, None, "en")
    assert "250" not in _texts(q_env) and "poll:traffic_detectors" not in _texts(jobs_env)
    assert "No job runs recorded" in _texts(jobs_env)
    _, _, _, failed, _ = sources_view(engine, settings, None, "failed", "zh")
    assert "没有运行记录" in _texts(failed)
    names = {s.name for s in settings.sources}
    assert parse_view({"source": "env_monitor", "run": "failed"}, names) == ("env_monitor", "failed")
    assert parse_view({"source": "nope", "run": "x"}, names) == (None, None)


def test_source_counts_and_spans(store):
    settings, engine = store
    rows = source_overview(engine, settings)
    counts = source_counts(rows)
    assert counts["total"] == len(settings.sources) and counts["quarantined"] >= 2
    assert counts["ok"] + counts["problem"] <= counts["total"]
    assert [span_text(s, "zh") for s in (5, 400, 7300, 200000)] == ["5秒", "6分钟", "2小时", "2天"]
    assert span_text(None, "en") == "—" and span_text(400, "en") == "6 min"
