"""A realistic store for the warnings center, data-sources page and overview, built once.

``citybrain.demo.prepare`` simulates the departments and polls them, computes the
indicators; ``alerts.replay.replay`` raises the warnings the demo rules would have raised
over the same days. On top, what a running city has and a fresh demo lacks: a department
that sends two impossible detector readings (quarantined by the real connector, polled
as the scheduler does, so ``job_runs`` has the run) and a wall that checked in.

Browser scenarios run the app in a subprocess over this store (one Dash app per process:
page callbacks register globally); callback bodies run in-process against copies of it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browserkit import free_port


ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
#: the demo data is frozen while the tests run: keep every domain "fresh" for the duration
DOMAINS = {d: {"max_age": "1d"} for d in ("environment", "traffic", "tourism", "hotline")}

SERVE = """
import json, sys
from citybrain.settings import load_settings
from app import create_app
from werkzeug.serving import make_server
s = load_settings(env={}, data_dir=sys.argv[1], domains=json.loads(sys.argv[3]))
make_server("127.0.0.1", int(sys.argv[2]), create_app(s, open_demo=True).server, threaded=True).serve_forever()
"""


def _bad_detector_rows(settings) -> None:
    """Two readings of 250 km/h (above what a detector reports), newer than the watermark —
    with no usable volume or occupancy either, so the rows are quarantined whole (issue 19)."""
    path = settings.departments_dir / "traffic.db"
    with sqlite3.connect(path) as db:
        db.execute("""UPDATE t_link_flow_5min SET avg_speed = 250, flow_cnt = -1, occ_rate = -1,
                      upd_time = datetime((SELECT max(upd_time) FROM t_link_flow_5min), '+1 minute')
                      WHERE rowid IN (SELECT rowid FROM t_link_flow_5min ORDER BY upd_time DESC LIMIT 2)""")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo city's store: 2 days simulated, polled, computed, warnings replayed."""
    from rich.console import Console

    import connectors
    from alerts.replay import replay
    from citybrain import demo
    from citybrain.settings import load_settings
    from jobs.runs import recorded
    from store.engine import make_engine
    from store.schema import wall_heartbeats

    data_dir = tmp_path_factory.mktemp("center-demo")
    settings = load_settings(env={}, data_dir=data_dir)
    demo.prepare(settings, days=2, console=Console(quiet=True))
    engine = make_engine(settings.resolved_store_url)
    now = dt.datetime.now(UTC)
    replay(settings, engine, start=now - dt.timedelta(days=2), end=now)
    _bad_detector_rows(settings)
    with recorded(engine, "poll:traffic_detectors") as run:
        reports = connectors.poll(settings, engine, ["traffic_detectors"])
        run.rows = sum(r.rows_written for r in reports)
    with engine.begin() as conn:
        conn.execute(wall_heartbeats.insert().values(client="wall-hall-1", screen="overview", last_seen=now,
                                                     address="10.0.8.21", user_agent="Chromium"))
    engine.dispose()
    return data_dir


@pytest.fixture(scope="session")
def demo_settings(demo_dir):
    from citybrain.settings import load_settings

    return load_settings(env={}, data_dir=demo_dir, domains=DOMAINS)


@pytest.fixture(scope="session")
def center_app(demo_settings):
    """One in-process app, so that ``pages.*`` can be imported (register_page needs an app).

    Its first request is made at once: that is when Dash moves the globally registered
    page callbacks into an app, and they must not be left for the next app built.
    """
    from app import create_app

    app = create_app(demo_settings, open_demo=True)
    app.server.test_client().get("/")
    return app


@pytest.fixture
def store(demo_dir, tmp_path, center_app):
    """(settings, engine) over a private copy of the demo store, inside an app context —
    what a callback sees, so callback bodies run as plain functions and may write."""
    import flask

    from citybrain import context
    from citybrain.cache import init_cache
    from citybrain.settings import load_settings
    from store.engine import make_engine

    src = sqlite3.connect(demo_dir / "citybrain.db")
    dst = sqlite3.connect(tmp_path / "citybrain.db")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(demo_dir / "departments", tmp_path / "departments", dirs_exist_ok=True)
    settings = load_settings(env={}, data_dir=tmp_path, domains=DOMAINS)
    engine = make_engine(settings.resolved_store_url)
    server = flask.Flask("center-test")
    server.extensions[context.EXTENSION] = context.Runtime(settings=settings, engine=engine)
    init_cache(server, settings)
    with server.test_request_context("/"):
        yield settings, engine
    engine.dispose()



@pytest.fixture(scope="session")
def center_server(demo_dir) -> Iterator[str]:
    """The app in a subprocess over the demo store; its URL."""
    port = free_port()
    log = (demo_dir / "server.log").open("w")  # a file, not a pipe: werkzeug logs every request
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(demo_dir), str(port), json.dumps(DOMAINS)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start: {(demo_dir / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
