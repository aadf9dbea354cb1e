"""The city config: the demo loads, a second city loads, and every mistake says what to fix."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from citybrain.errors import ConfigError
from citybrain.settings import DEFAULT_CONFIG, PROJECT_ROOT, load_settings, parse_duration

XUCHANG = DEFAULT_CONFIG.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, **kw):
    return load_settings(write(tmp_path, text), env={}, data_dir=tmp_path, **kw)


def error_for(tmp_path: Path, text: str, env: dict | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env=env or {}, data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "city.toml") in message, "the error must name the file"
    assert "Traceback" not in message
    return message


def test_demo_city_loads_with_its_real_districts(tmp_path):
    s = load_settings(env={}, data_dir=tmp_path)
    assert s.city.name_zh == "许昌市"
    assert {d.name_zh for d in s.districts} == {"魏都区", "建安区", "禹州市", "长葛市", "鄢陵县", "襄城县"}
    assert {"曹丞相府", "春秋楼", "灞陵桥", "鄢陵花博园", "神垕古镇"} <= {x.name_zh for x in s.sites}
    assert all(33.5 < st.lat < 34.5 and 113 < st.lon < 114.5 for st in s.stations)
    assert all(g.free_flow_kmh > 0 and g.length_km > 0 for g in s.segments)
    assert [x.name for x in s.sources][:5] == ["traffic_detectors", "env_monitor", "scenic_gates", "stats_bureau",
                                               "hotline_12345"]
    assert {x.domain for x in s.sources[5:]} <= {t.code for t in s.themes}  # the themes' departments (issue 20)
    # ${CITYBRAIN_DATA_DIR} resolves to the data dir even with an empty environment
    assert s.sources[0].url == f"sqlite:///{tmp_path.resolve()}/departments/traffic.db"


def test_second_city_is_config_not_code(tmp_path):
    s = load_settings(PROJECT_ROOT / "config" / "panzhihua.toml", env={}, data_dir=tmp_path)
    assert s.city.name_zh == "攀枝花市" and s.city.code == "510400"
    assert len(s.districts) == 5 and s.sites


def test_environment_overrides_the_file(tmp_path):
    env = {"CITYBRAIN_STORE_URL": "postgresql+psycopg://u@db/cb", "CITYBRAIN_CACHE_URL": "redis://r:6379/0",
           "CITYBRAIN_SECRET_KEY": "s3cret", "CITYBRAIN_DATA_DIR": str(tmp_path / "d"), "CITYBRAIN_PORT": "9000"}
    s = load_settings(env=env)
    assert s.resolved_store_url == "postgresql+psycopg://u@db/cb"
    assert (s.cache_url, s.secret_key, s.port, s.data_dir) == ("redis://r:6379/0", "s3cret", 9000, tmp_path / "d")


def test_config_file_from_environment(tmp_path):
    path = write(tmp_path, XUCHANG)
    assert load_settings(env={"CITYBRAIN_CONFIG": str(path)}).config_path == path


@pytest.mark.parametrize("text,duration", [("90s", 90), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1.5h", 5400), (30, 30)])
def test_durations(text, duration):
    assert parse_duration(text) == timedelta(seconds=duration)


# -- mistakes a city engineer makes, and what they are told ---------------------------------

def test_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.toml", env={})
    assert "does not exist" in str(info.value) and "CITYBRAIN_CONFIG" in str(info.value)


def test_toml_syntax_error_names_the_line(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('name_en = "Xuchang"', 'name_en = Xuchang', 1))
    assert "not valid TOML" in msg and re.search(r"line \d+", msg)


def test_missing_required_key_names_section_and_key(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('name_zh = "许昌市"\n', "", 1))
    assert "city.name_zh: is required but missing" in msg
    assert "add `name_zh = ...` to city" in msg


def test_misspelt_key_is_refused(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("free_flow_kmh = 55\nlength_km = 4.6", "freeflow_kmh = 55\nlength_km = 4.6", 1))
    assert 'segments[0] (code = "R001").freeflow_kmh: is not a known setting' in msg
    assert 'segments[0] (code = "R001").free_flow_kmh: is required but missing' in msg


def test_wrong_type_says_what_to_write(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("capacity = 3000\n", 'capacity = "lots"\n', 1))
    assert 'sites[0] (code = "TS01").capacity' in msg and "whole number" in msg


def test_value_out_of_range(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("capacity = 3000\n", "capacity = -5\n", 1))
    assert 'sites[0] (code = "TS01").capacity' in msg and "greater than 0" in msg


def test_unknown_domain_lists_the_choices(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('domain = "traffic"', 'domain = "transport"', 1))
    assert 'sources[0] (name = "traffic_detectors").domain' in msg
    assert "'environment', 'traffic', 'tourism', 'economy', 'hotline', '" in msg  # then the themes' codes


def test_source_with_table_and_query(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('table = "aq_hourly"', 'table = "aq_hourly"\nquery = "SELECT 1"', 1))
    assert 'sources[1] (name = "env_monitor")' in msg and "exactly one of `table" in msg


def test_source_missing_canonical_column(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('station = "station_code"\n', "", 1))
    assert "columns lacks station for the environment domain" in msg
    assert 'station = "<source column>"' in msg


def test_unknown_environment_variable_in_url(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("sqlite:///${CITYBRAIN_DATA_DIR}/departments/environment.db", "${ENV_DB_URL}", 1))
    assert 'sources[1] (name = "env_monitor").url' in msg and "export ENV_DB_URL=" in msg
    s = load_settings(write(tmp_path, XUCHANG.replace("sqlite:///${CITYBRAIN_DATA_DIR}/departments/environment.db", "${ENV_DB_URL}", 1)),
                      env={"ENV_DB_URL": "postgresql+psycopg://x@h/env"}, data_dir=tmp_path)
    assert s.source("env_monitor").url == "postgresql+psycopg://x@h/env"


def test_entity_in_unknown_district(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('code = "XC08"\nname_zh = "襄城县监测站"\nname_en = "Xiangcheng Station"\ndistrict = "411025"',
                                              'code = "XC08"\nname_zh = "襄城县监测站"\nname_en = "Xiangcheng Station"\ndistrict = "999999"', 1))
    assert "stations[7] (XC08) names district '999999'" in msg and "use one of" in msg


def test_duplicate_codes(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('code = "XC02"', 'code = "XC01"', 1))
    assert "repeats 'XC01'" in msg


def test_bad_duration_and_timezone(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('interval = "5m"', 'interval = "five minutes"', 1)
                    .replace('timezone = "Asia/Shanghai"\n[sources.columns]\nstation', 'timezone = "Beijing"\n[sources.columns]\nstation', 1))
    assert "is not a duration" in msg and 'e.g. "30s"' in msg
    assert "'Beijing' is not an IANA time zone" in msg


def test_several_problems_reported_at_once(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("capacity = 3000\n", "capacity = -5\n", 1).replace('domain = "traffic"', 'domain = "x"', 1))
    assert msg.count("\n  - ") == 2 and "2 problems" in msg


def test_free_flow_above_speed_limit(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace("free_flow_kmh = 55\nlength_km = 4.6", "free_flow_kmh = 65\nlength_km = 4.6", 1))
    assert "exceeds speed_limit_kmh" in msg and "lower free_flow_kmh" in msg


def test_vital_signs_spec_in_config_equals_documented_defaults(tmp_path):
    from metrics.composite import DEFAULT_VITAL_SIGNS

    assert load_settings(env={}, data_dir=tmp_path).vital_signs_spec == DEFAULT_VITAL_SIGNS
    changed = load_text(tmp_path, XUCHANG.replace("max = 300", "max = 500", 1))
    aqi = [i for s in changed.vital_signs_spec.sub_indices for i in s.indicators if i.name == "aqi"][0]
    assert aqi.max == 500


def test_vital_signs_mistake_names_the_dotted_key(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('direction = "lower"', 'direction = "down"', 1))
    assert "vital_signs: sub_indices.traffic.indicators.tpi.direction" in msg and "'higher', 'lower'" in msg


ENV_URL = "sqlite:///${CITYBRAIN_DATA_DIR}/departments/environment.db"


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql+pymysql//root@127.0.0.1/env", "is not a database URL"),
    ("postgress://u@h/db", "names the database kind 'postgress'"),
    ("just text", "is not a database URL"),
])
def test_source_url_that_cannot_be_a_database_is_refused(tmp_path, url, expected):
    """Issue 19 item 11: found at load, not at the first poll."""
    msg = error_for(tmp_path, XUCHANG.replace(ENV_URL, url, 1))
    assert 'sources[1] (name = "env_monitor").url' in msg and expected in msg


def test_impossible_unit_and_zero_interval_are_refused(tmp_path):
    msg = error_for(tmp_path, XUCHANG.replace('co = "ug/m3"', 'co = "furlongs"', 1))
    assert "unit 'furlongs' for co cannot be converted into mg/m3" in msg and "fix: write one of" in msg
    msg = error_for(tmp_path, XUCHANG.replace('interval = "5m"', 'interval = "0s"', 1))
    assert 'sources[1] (name = "env_monitor").interval' in msg and '"0s" would poll without pause' in msg
    msg = error_for(tmp_path, XUCHANG.replace('lookback = "2h"', 'lookback = -5', 1))
    assert "lookback cannot be negative" in msg


def test_ingestion_settings_per_source(tmp_path):
    s = load_text(tmp_path, XUCHANG.replace('table = "aq_hourly"',
                                            'table = "aq_hourly"\nmissing = ["缺测", "-999"]\nhour_label = "end"\n'
                                            'future_tolerance = "5m"\noff_grid = "floor"', 1))
    env = s.source("env_monitor")
    assert (env.missing, env.hour_label, env.off_grid) == (["缺测", "-999"], "end", "floor")
    assert env.future_tolerance == timedelta(minutes=5)
    traffic = s.source("traffic_detectors")
    assert traffic.missing == ["NA", "", " ", "-", "—", "/", "null", "#N/A", "9999"] and traffic.hour_label == "start"
    msg = error_for(tmp_path, XUCHANG.replace('table = "t_link_flow_5min"', 'table = "t_link_flow_5min"\nhour_label = "end"', 1))
    assert "hour_label and off_grid apply to environment sources" in msg
    msg = error_for(tmp_path, XUCHANG.replace('table = "aq_hourly"', 'table = "aq_hourly"\nhour_label = "middle"', 1))
    assert "'middle' is not allowed" in msg
