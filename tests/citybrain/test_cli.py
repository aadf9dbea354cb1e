"""CLI smoke tests: commands run in a real subprocess, errors are sentences, not tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def citybrain(*args: str, data_dir: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBRAIN_")}
    full_env |= {"CITYBRAIN_DATA_DIR": str(data_dir), "COLUMNS": "200"} | (env or {})
    return subprocess.run([sys.executable, "-m", "citybrain", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def test_help_lists_the_commands(tmp_path):
    out = citybrain("--help", data_dir=tmp_path)
    assert out.returncode == 0
    for command in ("demo", "serve", "scheduler", "poll", "compute", "brief", "check", "db", "users"):
        assert command in out.stdout


def test_db_upgrade_then_current(tmp_path):
    out = citybrain("db", "upgrade", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "store at revision" in out.stdout and (tmp_path / "citybrain.db").exists()
    out = citybrain("db", "current", data_dir=tmp_path)
    assert out.returncode == 0 and "→ run" not in out.stdout


def test_bad_config_is_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "config" / "xuchang.toml").read_text(encoding="utf-8").replace("zoom = 10", "zoom = 99"),
                   encoding="utf-8")
    out = citybrain("db", "upgrade", "--config", str(bad), data_dir=tmp_path)
    assert out.returncode == 1
    assert "city.zoom" in out.stderr and "fix:" in out.stderr and "Traceback" not in out.stderr


def test_bad_store_url_is_a_message(tmp_path):
    out = citybrain("db", "upgrade", data_dir=tmp_path, env={"CITYBRAIN_STORE_URL": "nonsense"})
    assert out.returncode == 1 and "not a database URL" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture
def departments(tmp_path):
    """Two days of the simulated departments in a private data dir."""
    import datetime as dt

    import simulator
    from citybrain.settings import load_settings

    settings = load_settings(env={}, data_dir=tmp_path)
    simulator.create(settings, days=2, end=dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.timezone.utc))
    return tmp_path


def test_check_lists_every_source_and_fails_when_one_is_unreachable(departments):
    out = citybrain("check", data_dir=departments)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("traffic_detectors", "env_monitor", "scenic_gates", "stats_bureau", "hotline_12345"):
        assert name in out.stdout
    (departments / "departments" / "tourism.db").rename(departments / "tourism.db.bak")
    out = citybrain("check", data_dir=departments)
    assert out.returncode == 1
    assert "scenic_gates" in out.stderr and "1 source(s) failed" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_poll_then_compute_from_the_command_line(departments):
    out = citybrain("poll", data_dir=departments)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "env_monitor" in out.stdout and "ok" in out.stdout
    out = citybrain("poll", "no_such_source", data_dir=departments)
    assert out.returncode == 1 and "unknown source(s) no_such_source" in out.stderr
    out = citybrain("compute", "--from", "2026-11-18", "--to", "2026-11-20T12:00", data_dir=departments)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "vital_signs" in out.stdout and "warnings replay" in out.stdout
    out = citybrain("compute", "--from", "2026-11-20", "--to", "2026-11-19", data_dir=departments)
    assert out.returncode == 1 and "must be before" in out.stderr


def test_poll_prints_a_failing_sources_error_in_full_under_the_table(departments):
    """Issue 18: an error in the table's last column wrapped one word per line; it is printed
    whole under the table, on lines of its own."""
    (departments / "departments" / "tourism.db").rename(departments / "tourism.db.bak")
    out = citybrain("poll", "scenic_gates", data_dir=departments, env={"COLUMNS": "100"})
    assert out.returncode == 1
    table, _, below = out.stdout.partition("(1) scenic_gates:")
    assert "(1) ↓" in table and below.strip(), out.stdout
    # the message is on its own line(s), not squeezed into a column: its first line is long
    assert len(below.strip().splitlines()[0]) > 40, out.stdout
