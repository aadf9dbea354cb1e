"""A store, a department database and scheduler processes for the job tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from citybrain.settings import DEFAULT_CONFIG, load_settings
from simulator import schema as dept
from store.engine import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]

SCHEDULER = """
import datetime as dt, json, logging, sys
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
from citybrain.settings import load_settings
import jobs
cfg = json.loads(sys.argv[1])
settings = load_settings(cfg["config"], env={}, data_dir=cfg["data_dir"], store_url=cfg["store_url"],
                         sources=cfg["sources"])
jobs.run_scheduler(settings, lock_ttl=dt.timedelta(seconds=cfg["ttl"]),
                   heartbeat=dt.timedelta(seconds=cfg["heartbeat"]), backoff=0.1)
"""

# rows of t_link_flow_5min generated in SQL: 14 known segments, one row each per 5 minutes
GENERATE = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :count - 1)
INSERT INTO t_link_flow_5min (link_id, collect_time, avg_speed, flow_cnt, occ_rate, upd_time)
SELECT printf('R%03d', i % 14 + 1), datetime(:start, printf('+%d minutes', (i / 14) * 5)),
       30 + i % 40, i % 300, 10.0, datetime(:start, printf('+%d minutes', (i / 14) * 5 + 1))
FROM n
"""


def traffic_source(dept_url: str, **overrides: Any) -> dict[str, Any]:
    raw = tomllib.loads(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    [src] = [s for s in raw["sources"] if s["name"] == "traffic_detectors"]
    return {**src, "url": dept_url, "interval": "1s", **overrides}


class Scheduler:
    """A ``citybrain scheduler`` process (``jobs.run_scheduler``) started for a test."""

    def __init__(self, cfg: dict[str, Any], log: Path):
        self.log = log
        self._out = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", SCHEDULER, json.dumps(cfg)], cwd=ROOT,
                                     stdout=self._out, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._out.close()


@pytest.fixture
def env(tmp_path: Path):
    """Store URL, department database, settings factory and scheduler launcher."""
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(store_url)
    store = make_engine(store_url)
    dept_url = f"sqlite:///{tmp_path / 'traffic.db'}"
    dept_engine = sa.create_engine(dept_url)
    dept.traffic_md.create_all(dept_engine)
    started: list[Scheduler] = []

    class Env:
        tmp = tmp_path

        def __init__(self) -> None:
            self.store_url, self.store, self.dept_url, self.dept = store_url, store, dept_url, dept_engine

        def settings(self, **source: Any):
            return load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp_path / "var", store_url=store_url,
                                 sources=[traffic_source(dept_url, **source)])

        def generate(self, count: int, start: str = "2026-10-01 00:00:00") -> None:
            with dept_engine.begin() as conn:
                conn.execute(sa.text(GENERATE), {"count": count, "start": start})

        def scheduler(self, ttl: float = 2.0, heartbeat: float = 0.3, **source: Any) -> Scheduler:
            cfg = {"config": str(DEFAULT_CONFIG), "data_dir": str(tmp_path / "var"), "store_url": store_url,
                   "sources": [traffic_source(dept_url, **source)], "ttl": ttl, "heartbeat": heartbeat}
            s = Scheduler(cfg, tmp_path / f"scheduler-{len(started)}.log")
            started.append(s)
            return s

        def wait(self, predicate, timeout: float = 30.0, what: str = "condition"):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                value = predicate()
                if value:
                    return value
                time.sleep(0.1)
            logs = "\n".join(f"--- {s.log.name}\n{s.log.read_text()[-3000:]}" for s in started if s.log.exists())
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")

        def scalar(self, stmt):
            with store.connect() as conn:
                return conn.execute(stmt).scalar()

        def rows(self, stmt):
            with store.connect() as conn:
                return [dict(r) for r in conn.execute(stmt).mappings()]

    yield Env()
    for s in started:
        s.stop()
    store.dispose()
    dept_engine.dispose()
