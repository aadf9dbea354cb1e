"""[dispatch.sla] in the city config: defaults, partial overrides, errors naming key and fix;
the departments named from the config's source owners."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from citybrain.errors import ConfigError
from citybrain.settings import DEFAULT_CONFIG
from dispatch.errors import InvalidInput
from dispatch.sla import deadlines, departments, headed_by, limits
from tests.dispatch.conftest import PRINCIPALS, T0


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def test_defaults_are_the_issues_tiers(settings_factory):
    s = settings_factory()
    got = {lv: (limits(s, lv).respond, limits(s, lv).resolve) for lv in ("red", "orange", "yellow", "blue")}
    h, m = dt.timedelta(hours=1), dt.timedelta(minutes=1)
    assert got == {"red": (15 * m, 2 * h), "orange": (30 * m, 4 * h), "yellow": (2 * h, 24 * h),
                   "blue": (24 * h, 72 * h)}
    assert deadlines(s, "red", T0) == (T0 + 15 * m, T0 + 2 * h)
    with pytest.raises(InvalidInput, match="not a warning level"):
        limits(s, "purple")


def test_a_partial_override_keeps_the_other_defaults(settings_factory, tmp_path):
    s = settings_factory(_config(tmp_path, '[dispatch]\nleader_webhooks = ["leader"]\n'
                                           '[dispatch.sla.red]\nrespond = "10m"\n'))
    assert limits(s, "red").respond == dt.timedelta(minutes=10) and limits(s, "red").resolve == dt.timedelta(hours=2)
    assert limits(s, "blue").resolve == dt.timedelta(hours=72) and s.dispatch.leader_webhooks == ["leader"]


@pytest.mark.parametrize("extra,key,words", [
    ('[dispatch.sla.red]\nrespond = "3h"\n', "dispatch.sla", "make resolve at least as long as respond"),
    ('[dispatch.sla.purple]\nrespond = "3h"\n', "dispatch.sla.purple", "use one of"),
    ('[dispatch.sla.red]\nrespond = "soon"\n', "dispatch.sla.red.respond", "write a number and a unit"),
    ('[dispatch.sla.red]\nrespond = "0m"\n', "dispatch.sla", "longer than 0"),
    ('[dispatch]\ncheck_seconds = 1\n', "dispatch.check_seconds", "allowed range"),
    ('[dispatch]\nescalate = true\n', "dispatch.escalate", "not a known setting"),
])
def test_errors_name_the_key_and_the_fix(settings_factory, tmp_path, extra, key, words):
    with pytest.raises(ConfigError) as info:
        settings_factory(_config(tmp_path, extra))
    text = str(info.value)
    assert f"- {key}" in text and words in text, text


def test_departments_are_named_by_their_sources_owners(settings_factory):
    d = departments(settings_factory())
    assert list(d) == ["environment", "traffic", "tourism", "economy", "hotline"]
    assert d["traffic"].name_zh == "市交通运输局"
    assert headed_by(PRINCIPALS["traffic_deputy"]) == {"traffic", "tourism"} and headed_by(PRINCIPALS["duty"]) == set()
