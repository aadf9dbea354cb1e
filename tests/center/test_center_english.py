"""Issue 18: an English page has no Chinese left but proper names — a 12345 category in a
warning's title reads in English, whether the warning is raised now or was stored before."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff]")


def test_a_category_warning_is_titled_in_english(settings_factory):
    from alerts.engine import ScopeDirectory
    from alerts.rules import load_rules

    settings = settings_factory()
    rule = next(r for r in load_rules(settings) if r.scope_kind == "category")
    zh, en = ScopeDirectory(settings).titles(rule, "category", "交通出行")
    assert "交通出行" in zh
    assert not CJK.search(en), en
    assert en.endswith("Transport")


def test_a_stored_title_with_a_chinese_category_reads_in_english():
    from components.center.fmt import warning_title

    row = {"title_zh": "12345诉求类别激增（城市管理）", "title_en": "12345 calls surging in a category — 城市管理",
           "scope_kind": "category", "scope": "城市管理"}
    assert not CJK.search(warning_title(row, "en"))
    assert warning_title(row, "zh") == row["title_zh"]
    # a department's own category, unknown to the catalogue, stays as written (a proper name)
    own = {**row, "title_en": "12345 calls surging in a category — 夜市", "scope": "夜市"}
    assert warning_title(own, "en").endswith("夜市")
