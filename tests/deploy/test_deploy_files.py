"""deploy/: the sample env file and department sources load as a city config; the units run what exists."""

from __future__ import annotations

import configparser
from pathlib import Path

from citybrain.settings import DEFAULT_CONFIG, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def env_file() -> dict[str, str]:
    lines = (DEPLOY / "citybrain.env.example").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    assert all(len(p) == 2 and p[0].isupper() for p in pairs), "an env line that systemd cannot read"
    return dict(pairs)


def test_sample_sources_and_env_file_make_a_valid_production_config(tmp_path):
    demo = Path(DEFAULT_CONFIG).read_text(encoding="utf-8")
    head, _, rest = demo.partition("# ---- department databases")
    tail = rest[rest.index("# ---- the daily briefing"):]
    city = tmp_path / "city.toml"
    city.write_text(head + (DEPLOY / "sources.production.toml").read_text(encoding="utf-8") + "\n" + tail,
                    encoding="utf-8")
    env = {**env_file(), "CITYBRAIN_CONFIG": str(city), "CITYBRAIN_DATA_DIR": str(tmp_path)}
    settings = load_settings(None, env=env)
    assert settings.store_url.startswith("postgresql+psycopg://") and settings.cache_url.startswith("redis://")
    by_name = {s.name: s for s in settings.sources}
    assert by_name["traffic_detectors"].url == env["TRAFFIC_DB_URL"]
    assert by_name["env_monitor"].url.startswith("mysql+pymysql://")
    assert not by_name["scenic_gates"].enabled
    assert all(s.statement_timeout.total_seconds() <= 60 for s in settings.sources)


def test_units_read_the_env_file_and_run_the_venvs_python():
    for unit in ("citybrain-web.service", "citybrain-scheduler.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read_string((DEPLOY / "systemd" / unit).read_text(encoding="utf-8"))
        service = parser["Service"]
        assert service["EnvironmentFile"] == "/etc/citybrain/citybrain.env"
        assert service["ExecStart"].startswith("/opt/citybrain/.venv/bin/python -m ")
        assert service["User"] == "citybrain" and service["Restart"] == "always"
    web = (DEPLOY / "systemd" / "citybrain-web.service").read_text(encoding="utf-8")
    assert "-m gunicorn" in web and "app:server" in web
    assert "-m citybrain scheduler" in (DEPLOY / "systemd" / "citybrain-scheduler.service").read_text(encoding="utf-8")
