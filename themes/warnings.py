"""Warning rules on theme indicators (issue 20), read before ``alerts.rules`` validates them.

A rule names a theme indicator as ``indicator = "<theme>.<indicator>"`` with
``grain = "hour" | "day"`` and ``scope_kind = "entity" | "district" | "city" |
"category"``; every kind works on it (threshold, episode, rate, anomaly) and staleness
rules take a theme's sources by ``domain = "<theme>"``. What the theme already says is
not written again: ``domain`` defaults to the theme's code, and a threshold rule
without ``levels`` takes the indicator's four-colour ``levels`` (and their direction as
``op``). Mistakes are told by key, as the rest of the warnings file.
"""

from __future__ import annotations

from typing import Any

from citybrain.errors import ConfigProblem

GRAINS = ("hour", "day")


def scope_kinds(theme: Any) -> tuple[str, ...]:
    """The scope kinds a theme's values exist at (themes.compute)."""
    if theme.entities == "city":
        return ("city", "category")
    if theme.entities == "districts":
        return ("district", "city", "category")
    return ("entity", "district", "city", "category")


def prepare_rules(settings: Any, raw: Any) -> tuple[Any, list[ConfigProblem]]:
    """``raw`` ``[[warnings]]`` tables with the theme rules completed, and their problems."""
    if not isinstance(raw, list):
        return raw, []
    out: list[Any] = []
    problems: list[ConfigProblem] = []
    metrics = [t.metric(i.code) for t in settings.themes for i in t.indicators]
    for i, item in enumerate(raw):
        name = item.get("indicator") if isinstance(item, dict) else None
        if not isinstance(name, str) or "." not in name:
            out.append(item)
            continue
        rid = item.get("id")
        label = f'warnings[{i}] (id = "{rid}")' if isinstance(rid, str) and rid else f"warnings[{i}]"
        code, _, ind_code = name.partition(".")
        theme = settings.theme(code)
        ind = next((x for x in theme.indicators if x.code == ind_code), None) if theme is not None else None
        if ind is None:
            problems.append(ConfigProblem(f"{label}.indicator", f"{name!r} is not an indicator of a theme",
                                          f"use one of {', '.join(metrics) or '(no themes configured)'}"))
            continue
        item = {**item}
        item.setdefault("domain", theme.code)
        if item.get("domain") != theme.code:
            problems.append(ConfigProblem(f"{label}.domain", f"{item['domain']!r} is not the theme of {name}",
                                          f'write domain = "{theme.code}" or leave it out'))
        if item.get("grain") not in GRAINS:
            problems.append(ConfigProblem(f"{label}.grain", f"{item.get('grain')!r}: theme indicators have hour and "
                                                            "day values", 'write grain = "hour" or "day"'))
        kinds = scope_kinds(theme)
        if item.get("scope_kind") not in kinds:
            problems.append(ConfigProblem(f"{label}.scope_kind", f"{item.get('scope_kind')!r}: the theme {theme.code} "
                                                                 "has no values at that scope",
                                          f"use one of {', '.join(kinds)}"))
        if item.get("kind") == "threshold" and "levels" not in item:
            if not ind.levels:
                problems.append(ConfigProblem(f"{label}.levels", f"is missing and {name} has no levels in its theme",
                                              "add levels = { yellow = … } to the rule or to the theme's indicator"))
                continue
            item["levels"] = dict(ind.levels)
            item.setdefault("op", ind.levels_op)
        out.append(item)
    return out, problems
