"""Strings of ingestion's field-level validity (issue 19): the field-issue table on /sources."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "sources.fields.title": ("字段级问题", "Unusable fields"),
    "sources.fields.help": ("这些行已入库，仅所列字段因缺测、无法解析或超出量程置空；按数据源、字段和规则计数。",
                            "These rows were stored with only the listed field left empty (missing, unreadable or "
                            "out of range); counted per source, field and rule."),
    "sources.fields.none": ("没有字段级问题", "No unusable fields"),
    "sources.fields.field": ("字段", "Field"),
    "sources.fields.rule": ("规则", "Rule"),
    "sources.fields.count": ("行数", "Rows"),
    "sources.fields.value": ("原始值示例", "Value as received (example)"),
    "sources.fields.last": ("最近接收", "Last received"),
    "sources.fields.rule.missing": ("缺测标记", "Missing marker"),
    "sources.fields.rule.unparseable": ("无法解析", "Unreadable"),
    "sources.fields.rule.range": ("超出量程", "Out of range"),
    "sources.fields.rule.unknown": ("未知取值", "Unknown value"),
    "sources.fields.rule.future": ("时间超前", "Time in the future"),
    "sources.fields.rule.implausible": ("不合常理", "Implausible for the entity"),
    "sources.fields.rule.inconsistent": ("前后矛盾", "Inconsistent"),
    "sources.fields.rule.grid": ("不在整点", "Off the hour"),
    "sources.fields.rule.dst": ("夏令时歧义", "Ambiguous local time (DST)"),
}
