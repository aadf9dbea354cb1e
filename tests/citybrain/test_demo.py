"""`citybrain demo` from nothing: departments simulated, store filled, page answering."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_comes_up_within_90_seconds_with_data(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBRAIN_")}
    env |= {"CITYBRAIN_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "160"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "citybrain", "demo", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
    try:
        body = None
        while time.monotonic() - started < 90:
            if proc.poll() is not None:
                time.sleep(0.5)
                pytest.fail(f"demo exited with {proc.returncode}: {''.join(output)[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as res:
                    body = json.load(res)
                    break
            except OSError:
                time.sleep(1)
        elapsed = time.monotonic() - started
        assert body is not None, "the demo did not answer within 90 s"
        assert body["status"] == "ok"
        print(f"demo answered after {elapsed:.1f} s")
        # the demo prints one login per role; sign in as the admin it printed
        deadline = time.monotonic() + 10
        while not (m := re.search(r"│ admin\s+│ (\S+)\s+│ admin", "".join(output))) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert m, f"no admin login printed: {''.join(output)[-2000:]}"
        assert "briefings: every day at 07:30" in "".join(output), "Chromium is here, so the morning briefing is on"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(f"http://127.0.0.1:{port}/", timeout=5) as res:
            assert "/login" in res.url, "an anonymous visitor is sent to sign in"
        form = urllib.parse.urlencode({"username": "admin", "password": m.group(1)}).encode()
        login = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=form,
                                       headers={"Origin": f"http://127.0.0.1:{port}"})  # as a browser's form sends
        with opener.open(login, timeout=10) as res:
            assert "/login" not in res.url and "许昌市" in res.read().decode()

        import sqlalchemy as sa

        engine = sa.create_engine(f"sqlite:///{tmp_path}/var/citybrain.db")
        with engine.connect() as conn:
            counts = dict(conn.execute(sa.text("SELECT name, rows_written_total FROM source_status")).all())
            families = {tuple(r) for r in conn.execute(sa.text("SELECT DISTINCT name, grain, scope_kind FROM indicators"))}
        engine.dispose()
        from citybrain.settings import load_settings

        # the five departments and the themes' (issue 20), every source the demo's config names
        assert set(counts) == {s.name for s in load_settings().sources} >= {
            "traffic_detectors", "env_monitor", "scenic_gates", "stats_bureau", "hotline_12345"}
        assert all(n > 0 for n in counts.values()), counts
        expected = {("aqi", "hour", "station"), ("aqi", "hour", "city"), ("aqi", "day", "station"), ("aqi", "day", "city"),
                    ("tpi", "hour", "city"), ("crowding", "hour", "site"), ("hotline_answer_rate", "day", "city"),
                    ("hotline_on_time_rate", "day", "city"), ("hotline_satisfaction", "day", "city"),
                    ("economy", "month", "indicator"), ("economy", "quarter", "indicator"),
                    ("vital_signs", "hour", "city"), ("vital_signs", "hour", "district")}
        assert expected <= families, expected - families
        # issue 18: served by waitress, not Flask's development server and its banner
        assert "development server" not in "".join(output) and "Debug mode" not in "".join(output)
        # issue 18: a fresh demo shows the history's warnings within a minute of answering
        answered = time.monotonic()
        while time.monotonic() - answered < 60:
            engine = sa.create_engine(f"sqlite:///{tmp_path}/var/citybrain.db")
            with engine.connect() as conn:
                count = conn.execute(sa.text("SELECT count(*) FROM warnings")).scalar_one()
            engine.dispose()
            if count:
                break
            time.sleep(2)
        assert count > 0, f"no warnings a minute after the demo answered: {''.join(output)[-2000:]}"
        print(f"first warnings {time.monotonic() - started:.1f} s after the start ({count} warnings)")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_demo_schedules_the_briefing_only_where_it_can_print(monkeypatch, tmp_path):
    from citybrain.demo import briefing_schedule
    from citybrain.settings import load_settings

    settings = load_settings(None, env={"CITYBRAIN_DATA_DIR": str(tmp_path)})
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setenv("CITYBRAIN_CHROMIUM", str(fake))
    assert briefing_schedule(settings) is None
    monkeypatch.setenv("CITYBRAIN_CHROMIUM", str(tmp_path / "absent"))
    why = briefing_schedule(settings)
    assert why is not None and "absent" in why and "apt-get install chromium" in why
    off = settings.model_copy(update={"briefing": settings.briefing.model_copy(update={"enabled": False})})
    assert briefing_schedule(off) == "off ([briefing] enabled = false)"
