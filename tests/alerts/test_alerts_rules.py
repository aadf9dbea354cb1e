"""Rule parsing: the shipped Xuchang rules load; mistakes come back by key with a fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.levels import LEVELS, level
from alerts.rules import load_rules, load_warning_config, parse_rules, parse_webhooks, warnings_file
from citybrain.errors import ConfigError

AQI_COLOURS = {"#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"}


def base(**kw):
    rule = {"id": "crowd", "kind": "threshold", "title_zh": "景区客流", "title_en": "Crowding", "domain": "tourism",
            "indicator": "crowding", "grain": "hour", "scope_kind": "site", "op": ">=",
            "levels": {"yellow": 0.8, "orange": 0.9, "red": 1.0}}
    rule.update(kw)
    return rule


def problems(raw):
    with pytest.raises(ConfigError) as info:
        parse_rules(raw, file="x.warnings.toml")
    return {p.key: (p.problem, p.fix) for p in info.value.problems}, str(info.value)


def test_levels_in_one_place_and_not_aqi_colours():
    assert [lv.name for lv in LEVELS] == ["blue", "yellow", "orange", "red"]
    assert [lv.roman for lv in LEVELS] == ["IV", "III", "II", "I"]
    assert level("red").label_zh == "红色预警（I级）"
    assert not {lv.colour.upper() for lv in LEVELS} & AQI_COLOURS


def test_xuchang_rules_load(settings):
    assert warnings_file(settings).name == "xuchang.warnings.toml"
    rules = {r.id: r for r in load_rules(settings)}
    heavy = rules["aqi_heavy_pollution"]
    assert heavy.kind == "episode" and heavy.above == 200 and heavy.severe == 300
    assert (heavy.levels["red"].periods, heavy.levels["red"].severe, heavy.levels["red"].peak) == (4, 2, 500)
    assert rules["scenic_crowding"].levels == {"yellow": 0.8, "orange": 0.9, "red": 1.0}
    assert rules["traffic_tpi_city"].levels == {"yellow": 6, "orange": 8}
    assert rules["hotline_answer_rate"].op == "<" and rules["hotline_answer_rate"].levels["yellow"] == 0.95
    assert rules["hotline_category_surge"].compare_to == timedelta(days=7)
    stale = rules["source_stale"]
    assert stale.for_ == timedelta(minutes=30) and stale.notify_group == "sources"
    assert rules["scenic_crowding"].notify_group == "tourism"


def test_duration_and_key_named_with_rule_id():
    keys, text = problems([base(), base(id="aqi_heavy", **{"for": "five minutes"})])
    assert 'warnings[1] (id = "aqi_heavy").for' in keys
    assert "x.warnings.toml" in text and "5m" in keys['warnings[1] (id = "aqi_heavy").for'][1]


def test_thresholds_must_grow_with_severity():
    keys, _ = problems([base(levels={"yellow": 0.9, "orange": 0.8})])
    (key, (problem, fix)), = keys.items()
    assert key == 'warnings[0] (id = "crowd")'
    assert "orange" in problem and "yellow" in problem and fix


def test_below_rules_shrink_and_recover_on_the_safe_side():
    ok = parse_rules([base(id="answer", indicator="hotline_answer_rate", grain="day", scope_kind="city",
                           domain="hotline", op="<", levels={"yellow": 0.95, "orange": 0.9}, recover=0.96)])
    assert ok[0].recover == 0.96
    keys, _ = problems([base(recover=0.85)])
    assert any("recover" in p for p, _ in keys.values())


def test_unknown_keys_kinds_levels_and_duplicates():
    keys, _ = problems([
        base(treshold=3),
        base(id="b", kind="magic"),
        base(id="c", levels={"purple": 1}),
        base(id="d", scope_kind="segment"),
        base(id="ok"),
        base(id="ok"),
    ])
    assert keys['warnings[0] (id = "crowd").treshold'][0] == "is not a setting of this kind of rule"
    assert "threshold" in keys['warnings[1] (id = "b").kind'][1]
    assert "yellow" in keys['warnings[2] (id = "c").levels.purple'][1]
    assert "scope_kind" in keys['warnings[3] (id = "d")'][0]
    assert "repeats the id of warnings[4]" in keys['warnings[5] (id = "ok").id'][0]


def test_missing_kind_and_missing_field():
    raw = base()
    del raw["kind"]
    keys, _ = problems([raw, {k: v for k, v in base(id="e").items() if k != "indicator"}])
    assert 'warnings[0] (id = "crowd").kind' in keys
    assert keys['warnings[1] (id = "e").indicator'][0] == "is required but missing"


def test_anomaly_bounds():
    rule = base(id="anom", kind="anomaly", indicator="hotline_calls", scope_kind="city", domain="hotline",
                levels={"yellow": 3.5}, weeks=9)
    rule.pop("op")
    keys, _ = problems([rule])
    assert 'warnings[0] (id = "anom").weeks' in keys


def test_webhooks_expand_env_and_report_missing():
    hooks = parse_webhooks([{"name": "duty", "url": "https://h/${TOKEN}", "format": "wecom"}], env={"TOKEN": "t1"})
    assert hooks[0].url == "https://h/t1" and hooks[0].serves("traffic", "blue")
    with pytest.raises(ConfigError, match="NOPE"):
        parse_webhooks([{"name": "duty", "url": "https://h/${NOPE}"}], env={})


def test_no_warnings_file_means_no_rules(settings_factory, tmp_path):
    city = tmp_path / "city.toml"
    city.write_text((warnings_file(settings_factory()).parent / "xuchang.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    s = settings_factory(city)
    assert load_rules(s) == [] and load_warning_config(s).link.endswith("/warnings/{id}")
    (tmp_path / "city.warnings.toml").write_text('[[warnings]]\nid = "x"\nkind = "threshold"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="city.warnings.toml"):
        load_rules(s)
