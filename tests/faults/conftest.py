"""The fault-injection suite's pieces: real PostgreSQL databases and ways to break them.

Every test gets its own PostgreSQL store and its own PostgreSQL "department" database
(the traffic detectors' table, as the demo's traffic department keeps it), so a fault
can be injected the way it happens in a city: the department's database refusing
connections (``ALLOW_CONNECTIONS false`` + ``pg_terminate_backend``), its table locked
by a long job, the store's backend killed in the middle of a write, a scheduler process
killed with SIGKILL. ``Rows`` knows which source rows exist and which are bad, so the
invariants (each good row in the store exactly once, each bad one in the quarantine
with a reason, nothing past the committed watermark) are checked against the truth.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from citybrain.settings import DEFAULT_CONFIG, load_settings
from simulator import schema as dept_schema
from store.engine import make_engine, upgrade
from store.schema import job_runs, obs_air, obs_traffic, quarantine, source_status
from tests.conftest import PG_URL, _reachable, need
from tests.jobs.conftest import Scheduler as JobsScheduler

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
SOURCE = "traffic_detectors"
TABLE = "t_link_flow_5min"
#: 2026-10-12 00:00 in Xuchang (a Monday outside Golden Week), naive local as the department keeps it
T0 = dt.datetime(2026, 10, 12, 0, 0)
FULL = os.environ.get("CITYBRAIN_FULL_RUNS") == "1"


def traffic_source(url: str, **overrides: Any) -> dict[str, Any]:
    """The demo's traffic source, read from ``url`` (a PostgreSQL department database)."""
    return {"name": SOURCE, "domain": "traffic", "owner_zh": "市交通运输局", "owner_en": "Transport Bureau",
            "url": url, "table": TABLE, "watermark": "upd_time", "lookback": "30m", "interval": "1s",
            "timezone": "Asia/Shanghai", "batch_size": 60, "statement_timeout": "1s", "connect_timeout": "2s",
            "columns": {"segment": "link_id", "time": "collect_time", "speed": "avg_speed", "volume": "flow_cnt",
                        "occupancy": "occ_rate", "updated_at": "upd_time"}, **overrides}


#: issue 19's second department in the random suite: an air monitoring platform keeping naive
#: Europe/Berlin times, so its rows can fall off the hour or into a change of the clocks
BERLIN = "berlin_air"
BERLIN_TABLE = "aq_berlin"
#: what each kind of bad air row is quarantined for (a phrase of its reason)
AIR_REASONS = {"offgrid": "not on the hour", "dst_back": "occurs twice (the clocks went back an hour)",
               "dst_forward": "does not exist (the clocks jumped forward an hour there)"}


def berlin_source(url: str) -> dict[str, Any]:
    return {"name": BERLIN, "domain": "environment", "url": url, "table": BERLIN_TABLE, "watermark": "updated_at",
            "lookback": "30m", "timezone": "Europe/Berlin", "batch_size": 60, "statement_timeout": "1s",
            "connect_timeout": "2s", "reconcile_window": "400d",
            "columns": {"station": "station_code", "time": "obs_time", "pm25": "pm2_5", "pm10": "pm10", "so2": "so2",
                        "no2": "no2", "co": "co", "o3": "o3", "updated_at": "updated_at"}}


def write_config(path: Path, source: dict[str, Any]) -> Path:
    """The demo city's TOML with one source: what a `citybrain scheduler` process reads."""
    text = Path(DEFAULT_CONFIG).read_text(encoding="utf-8")
    head, _, rest = text.partition("# ---- department databases")
    tail = rest[rest.index("[briefing]"):]
    lines = ["[[sources]]"]
    for key, value in source.items():
        if key != "columns":
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines.append("[sources.columns]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in source["columns"].items()]
    path.write_text(head + "\n".join(lines) + "\n\n" + tail, encoding="utf-8")
    warnings = Path(str(DEFAULT_CONFIG).removesuffix(".toml") + ".warnings.toml")
    Path(str(path).removesuffix(".toml") + ".warnings.toml").write_text(warnings.read_text(encoding="utf-8"),
                                                                         encoding="utf-8")
    return path


class Databases:
    """Creates private PostgreSQL databases for one test and drops them (WITH FORCE) after."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.names: list[str] = []

    def create(self, kind: str) -> str:
        name = f"cb_fault_{kind}_{uuid.uuid4().hex[:8]}"
        self.sql(f"CREATE DATABASE {name}")
        self.names.append(name)
        return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.admin.connect() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []

    def terminate(self, database: str) -> int:
        """Kill every session on ``database`` but this one: what a crash of its server does to clients."""
        return len(self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :d AND pid <> pg_backend_pid()", d=database))

    def drop_all(self) -> None:
        for name in self.names:
            self.sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.dispose()


class Department:
    """The traffic department's PostgreSQL database; knows every row it holds and which are bad."""

    def __init__(self, dbs: Databases, url: str, segments: list[Any]):
        self.dbs, self.url = dbs, url
        self.name = sa.engine.make_url(url).database
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        dept_schema.traffic_md.create_all(self.engine)
        with self.engine.begin() as conn:  # departments backfill rows with no update stamp (issue 19)
            conn.execute(sa.text(f"ALTER TABLE {TABLE} ALTER COLUMN upd_time DROP NOT NULL"))
        self.segments = segments
        self.good: set[tuple[str, dt.datetime]] = set()
        self.bad: set[tuple[str, dt.datetime]] = set()
        #: rows re-published with an update stamp older than the stored version's
        self.refused: set[tuple[str, dt.datetime]] = set()
        #: good rows backfilled with an old update stamp or none (only reconciliation reads them)
        self.late: set[tuple[str, dt.datetime]] = set()
        self.slot = 0  # 5-minute slots written so far, from T0
        with self.engine.begin() as conn:  # the air platform's log table: no key (a local time can repeat)
            conn.execute(sa.text(f"CREATE TABLE {BERLIN_TABLE} (station_code text, obs_time timestamp, "
                                 "pm2_5 double precision, pm10 double precision, so2 double precision, "
                                 "no2 double precision, co double precision, o3 double precision, "
                                 "updated_at timestamp)"))
        self.stations: list[str] = []
        #: air rows (station, naive Berlin time, pm2.5): stored, or quarantined with the reason's phrase
        self.air_good: set[tuple[str, dt.datetime]] = set()
        self.air_bad: dict[tuple[str, dt.datetime, float], str] = {}
        self.air_stamp = T0
        self.air_n = 0

    def add_air(self, hour: int) -> None:
        """One good hourly reading of two stations at Berlin's T0 - 8 h + ``hour`` (low values: no
        warning), a little before the round's "now" (the city's T0 + ``hour``, 6 hours ahead)."""
        t = T0 + dt.timedelta(hours=hour - 8)
        self._air([(code, t, 20.0 + i) for i, code in enumerate(self.stations[:2])])
        self.air_good |= {(code, t) for code in self.stations[:2]}

    def add_air_fault(self, rng: random.Random, kind: str, hour: int) -> None:
        """``offgrid``: a reading at hh:30; ``dst``: readings stamped in the hour the clocks
        repeat (2026-10-25 02:00-02:59) and the hour they skip (2026-03-29 02:00-02:59)."""
        code = rng.choice(self.stations)
        self.air_n += 1
        pm = 100.0 + self.air_n  # each bad row is a row of its own (and a quarantine entry of its own)
        if kind == "offgrid":
            rows = [(code, T0 + dt.timedelta(hours=rng.randrange(0, hour + 1) - 8, minutes=30), pm, "offgrid")]
        else:
            rows = [(code, dt.datetime(2026, 10, 25, 2, rng.choice((0, 30))), pm, "dst_back"),
                    (code, dt.datetime(2026, 3, 29, 2, rng.choice((0, 30))), pm, "dst_forward")]
        self._air([r[:3] for r in rows])
        for code, t, pm, why in rows:
            self.air_bad[code, t, pm] = AIR_REASONS[why]

    def _air(self, rows: list[tuple[str, dt.datetime, float]]) -> None:
        self.air_stamp += dt.timedelta(minutes=1)
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {BERLIN_TABLE} VALUES (:s, :t, :pm, 40.0, 8.0, 30.0, 0.6, 50.0, :u)"),
                         [{"s": s, "t": t, "pm": pm, "u": self.air_stamp} for s, t, pm in rows])

    def add(self, slots: int, rng: random.Random, *, bad: int = 0, congested: float = 0.15) -> None:
        """``slots`` more 5-minute slots of every segment; ``bad`` rows a validator must reject."""
        rows = []
        jam = {s.code for s in self.segments if rng.random() < congested}
        for _ in range(slots):
            t = T0 + dt.timedelta(minutes=5 * self.slot)
            for seg in self.segments:
                ratio = rng.uniform(0.12, 0.3) if seg.code in jam else rng.uniform(0.75, 1.0)
                rows.append({"link_id": seg.code, "collect_time": t, "avg_speed": round(seg.free_flow_kmh * ratio, 1),
                             "flow_cnt": rng.randrange(20, 300), "occ_rate": round(rng.uniform(5, 40), 1),
                             "upd_time": t + dt.timedelta(minutes=1)})
                self.good.add((seg.code, t))
            self.slot += 1
        for i in range(bad):  # an unknown detector, or readings no detector can produce in any measure
            t = T0 + dt.timedelta(minutes=5 * (self.slot - 1) + 1 + i % 4, seconds=i // 4)
            seg = "R999" if i % 2 else rng.choice(self.segments).code
            speed, flow, occ = (40.0, 1, 1.0) if seg == "R999" else (250.0, -1, 101.0)
            rows.append({"link_id": seg, "collect_time": t, "avg_speed": speed, "flow_cnt": flow, "occ_rate": occ,
                         "upd_time": t + dt.timedelta(minutes=1)})
            self.bad.add((seg, t))
        with self.engine.begin() as conn:
            conn.execute(dept_schema.t_link_flow_5min.insert(), rows)

    def add_issue19(self, rng: random.Random, kind: str) -> None:
        """Rows the watermark alone gets wrong (issue 19), in the last slot written:

        * ``future`` — stamped beyond now + the tolerance (2199): quarantined (时间超前);
        * ``late`` — backfilled between the slots with an update stamp far behind the
          watermark, or none: only the reconciliation reads them;
        * ``older`` — existing rows re-published with new speeds and an older stamp: refused
          corrections, recorded; the stored versions stand.
        """
        last = T0 + dt.timedelta(minutes=5 * (self.slot - 1))
        if kind == "future":
            t = dt.datetime(2199, 1, 1) + dt.timedelta(minutes=5 * self.slot)
            seg = rng.choice(self.segments).code
            self.insert([{"link_id": seg, "collect_time": t, "avg_speed": 40.0, "flow_cnt": 5, "occ_rate": 5.0,
                          "upd_time": last + dt.timedelta(minutes=1)}])
            self.bad.add((seg, t))
        elif kind == "late":
            rows = []
            for i, seg in enumerate(rng.sample(self.segments, 2)):
                t = last + dt.timedelta(minutes=2, seconds=30 + i)
                rows.append({"link_id": seg.code, "collect_time": t, "avg_speed": 33.0, "flow_cnt": 9, "occ_rate": 3.0,
                             "upd_time": None if i else T0 - dt.timedelta(days=1)})
                self.good.add((seg.code, t))
                self.late.add((seg.code, t))
            self.insert(rows)
        else:
            segs = [s.code for s in rng.sample(self.segments, 3)]
            t = dept_schema.t_link_flow_5min.c
            with self.engine.begin() as conn:
                conn.execute(sa.update(dept_schema.t_link_flow_5min)
                             .where(t.link_id.in_(segs), t.collect_time == last)
                             .values(avg_speed=0.5, upd_time=last - dt.timedelta(minutes=1)))
            self.refused |= {(seg, last) for seg in segs}

    def insert(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(dept_schema.t_link_flow_5min.insert(), rows)

    def generate(self, slots: int) -> None:
        """``slots`` slots of every segment generated inside PostgreSQL: a backfill of many rows, fast."""
        codes = [s.code for s in self.segments]
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                f"INSERT INTO {TABLE} (link_id, collect_time, avg_speed, flow_cnt, occ_rate, upd_time) "
                "SELECT c, CAST(:t0 AS timestamp) + i * interval '5 minutes', 30 + (i + length(c)) % 40, i % 300, 10.0, "
                "       CAST(:t0 AS timestamp) + i * interval '5 minutes' + interval '1 minute' "
                "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i CROSS JOIN unnest(CAST(:codes AS text[])) AS c"),
                {"t0": T0, "a": self.slot, "b": self.slot + slots - 1, "codes": codes})
        self.good |= {(c, T0 + dt.timedelta(minutes=5 * i)) for i in range(self.slot, self.slot + slots)
                      for c in codes}
        self.slot += slots

    def down(self) -> None:
        """The department's server goes away: sessions killed, new connections refused."""
        self.dbs.sql(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false")
        self.dbs.terminate(self.name)

    def up(self) -> None:
        self.dbs.sql(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS true")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """A long job of the department's own holds its table: every read waits."""
        with self.engine.connect() as conn:
            trans = conn.begin()
            conn.execute(sa.text(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                trans.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


class StoreCutter:
    """Kills the store session that is writing observations, after its first INSERT.

    Armed, it lets a batch's ``INSERT INTO obs_traffic`` run and then terminates that very
    backend (``pg_terminate_backend``) before the batch commits: the rows are in an open
    transaction on a dead session, the watermark not yet advanced.
    """

    def __init__(self, dbs: Databases, engine: sa.Engine):
        self.dbs, self.armed, self.cuts = dbs, 0, 0
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def arm(self, times: int = 1) -> None:
        self.armed = times

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.armed and statement.lstrip().upper().startswith("INSERT INTO OBS_TRAFFIC"):
            self.armed -= 1
            self.cuts += 1
            pid = conn.connection.dbapi_connection.info.backend_pid
            self.dbs.sql("SELECT pg_terminate_backend(:p)", p=pid)


class Scheduler(JobsScheduler):
    """A real ``python -m citybrain scheduler`` process on the test's store (kill9/stop as the job tests')."""

    def __init__(self, env: dict[str, str], log: Path):  # noqa: D107 — replaces the job tests' launcher
        self.log, self._out = log, open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "citybrain", "scheduler"], cwd=ROOT, env=env,
                                     stdout=self._out, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid


class FaultEnv:
    """One test's store, department, settings and scheduler processes, with invariant checks."""

    def __init__(self, tmp: Path, dbs: Databases):
        self.tmp, self.dbs = tmp, dbs
        self.store_url = dbs.create("store")
        upgrade(self.store_url)
        self.store = make_engine(self.store_url)
        base = load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp / "var")
        self.dept = Department(dbs, dbs.create("dept"), list(base.segments))
        self.dept.stations = [x.code for x in base.stations]
        self.cutter = StoreCutter(dbs, self.store)
        self.started: list[Scheduler] = []

    def settings(self, **source: Any):
        return load_settings(DEFAULT_CONFIG, env={}, data_dir=self.tmp / "var", store_url=self.store_url,
                             sources=[traffic_source(self.dept.url, **source), berlin_source(self.dept.url)])

    def scheduler(self, **source: Any) -> Scheduler:
        config = write_config(self.tmp / "city.toml", traffic_source(self.dept.url, **source))
        env = {**os.environ, "CITYBRAIN_CONFIG": str(config), "CITYBRAIN_STORE_URL": self.store_url,
               "CITYBRAIN_DATA_DIR": str(self.tmp / "var"), "CITYBRAIN_LOG_LEVEL": "INFO"}
        s = Scheduler(env, self.tmp / f"scheduler-{len(self.started)}.log")
        self.started.append(s)
        return s

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        logs = "\n".join(f"--- {s.log.name}\n{s.log.read_text(errors='replace')[-3000:]}"
                         for s in self.started if s.log.exists())
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")

    def scalar(self, stmt: Any) -> Any:
        with self.store.connect() as conn:
            return conn.execute(stmt).scalar()

    def rows(self, stmt: Any) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def status(self) -> dict[str, Any]:
        return (self.rows(sa.select(source_status).where(source_status.c.name == SOURCE)) or [{}])[0]

    def running(self) -> list[dict[str, Any]]:
        return self.rows(sa.select(job_runs).where(job_runs.c.status == "running"))

    # -- the invariants ------------------------------------------------------------------
    def stored_keys(self) -> list[tuple[str, dt.datetime]]:
        tz = load_settings(DEFAULT_CONFIG, env={}).tz
        with self.store.connect() as conn:
            got = conn.execute(sa.select(obs_traffic.c.segment, obs_traffic.c.time)).all()
        return [(seg, t.astimezone(tz).replace(tzinfo=None)) for seg, t in got]

    def quarantined_keys(self, refused: bool = False) -> list[tuple[str, dt.datetime]]:
        """Keys of the quarantined source rows (``refused``: of the refused corrections instead)."""
        with self.store.connect() as conn:
            got = conn.execute(sa.select(quarantine.c.row, quarantine.c.reason)
                               .where(quarantine.c.source == SOURCE)).all()
        assert all(reason and reason.strip() for _, reason in got), "a quarantined row without a reason"
        tz = load_settings(DEFAULT_CONFIG, env={}).tz
        if refused:  # recorded as mapped: canonical segment and UTC time
            return [(row["segment"], dt.datetime.fromisoformat(row["time"]).astimezone(tz).replace(tzinfo=None))
                    for row, reason in got if reason.startswith("refused correction")]
        return [(row["link_id"], dt.datetime.fromisoformat(row["collect_time"]))
                for row, reason in got if not reason.startswith("refused correction")]

    def check_air_exactly_once(self) -> None:
        """The Berlin air source: every good reading stored once at its instant, every reading
        off the hour or in a change of the clocks quarantined once, saying which."""
        berlin = ZoneInfo("Europe/Berlin")
        with self.store.connect() as conn:
            got = conn.execute(sa.select(obs_air.c.station, obs_air.c.time).where(obs_air.c.source == BERLIN)).all()
            held = conn.execute(sa.select(quarantine.c.row, quarantine.c.reason)
                                .where(quarantine.c.source == BERLIN)).all()
        stored = [(s, t.astimezone(berlin).replace(tzinfo=None)) for s, t in got]
        assert len(stored) == len(set(stored)) and set(stored) == self.dept.air_good, \
            f"air rows: {sorted(set(stored) ^ self.dept.air_good)[:5]}"
        quarantined = {(row["station_code"], dt.datetime.fromisoformat(row["obs_time"]), row["pm2_5"]): reason
                       for row, reason in held}
        assert len(quarantined) == len(held), "an air row quarantined twice"
        assert set(quarantined) == set(self.dept.air_bad), sorted(set(quarantined) ^ set(self.dept.air_bad))[:5]
        for key, phrase in self.dept.air_bad.items():
            assert phrase in quarantined[key], (key, quarantined[key])

    def check_committed_prefix(self) -> int:
        """Nothing half-written: the store holds exactly the good rows up to the committed watermark."""
        mark = self.status().get("watermark")
        cut = dt.datetime.fromisoformat(mark) if mark else None
        late = self.dept.late  # stamped long ago or never: the reconciliation's, whatever the watermark
        upto = {k for k in self.dept.good - late if cut is not None and k[1] + dt.timedelta(minutes=1) <= cut}
        stored = self.stored_keys()
        assert len(stored) == len(set(stored)), "a row stored twice"
        assert set(stored) - late == upto, (f"store holds {len(stored)} rows, the watermark {mark} commits {len(upto)}: "
                                     f"{sorted(set(stored) ^ upto)[:5]}")
        return len(stored)

    def check_exactly_once(self) -> None:
        """Every source row is in the store once, or in the quarantine once with a reason, or
        recorded as a refused correction (its stored version standing)."""
        stored, held = self.stored_keys(), self.quarantined_keys()
        assert len(stored) == len(set(stored)), "a row stored twice"
        assert set(stored) == self.dept.good, f"missing {sorted(self.dept.good - set(stored))[:5]}, " \
                                              f"extra {sorted(set(stored) - self.dept.good)[:5]}"
        assert sorted(held) == sorted(self.dept.bad), (
            f"quarantine {len(held)} rows vs {len(self.dept.bad)} bad source rows")
        refused = self.quarantined_keys(refused=True)
        assert set(refused) == self.dept.refused, f"refused corrections {sorted(set(refused) ^ self.dept.refused)[:5]}"
        with self.store.connect() as conn:  # 0.5 km/h: what only a refused correction carries
            kept = [dict(r) for r in conn.execute(sa.select(obs_traffic).where(obs_traffic.c.speed == 0.5)).mappings()]
        assert kept == [], f"a refused correction replaced the stored version: {kept}"

    def close(self) -> None:
        for s in self.started:
            s.stop()
        self.store.dispose()
        self.dept.dispose()


@pytest.fixture
def fenv(tmp_path: Path) -> Iterator[FaultEnv]:
    """A private PostgreSQL store and department database for one fault test."""
    problem = _reachable(PG_URL, 5432)
    if problem:
        need("PostgreSQL", f"{problem}; set CITYBRAIN_TEST_PG_URL")
    dbs = Databases()
    env = None
    try:
        env = FaultEnv(tmp_path, dbs)
        yield env
    finally:
        if env is not None:
            env.close()
        dbs.drop_all()
