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


@pytest.mark.parametrize("command", [["brief"], ["users", "list"]])
def test_later_commands_say_not_yet_with_exit_2(tmp_path, command):
    out = citybrain(*command, data_dir=tmp_path)
    assert out.returncode == 2
    assert "not available yet" in out.stderr and "Traceback" not in out.stderr


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
