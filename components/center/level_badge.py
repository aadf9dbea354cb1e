"""The warning level badge: the four national colours from :mod:`alerts.levels`, never AQI's."""

from __future__ import annotations

import dash_mantine_components as dmc

from alerts.levels import level as level_info


def level_label(name: str, lang: str, *, short: bool = False) -> str:
    """``红色预警（I级）`` / ``Red (level I)``; short: ``红 I`` / ``Red I``."""
    lv = level_info(name)
    if short:
        return f"{lv.zh} {lv.roman}" if lang != "en" else f"{lv.en} {lv.roman}"
    return lv.label_en if lang == "en" else lv.label_zh


def level_badge(name: str, lang: str, *, short: bool = True, size: str = "md") -> dmc.Badge:
    lv = level_info(name)
    return dmc.Badge(level_label(name, lang, short=short), color=lv.colour, variant="filled", autoContrast=True,
                     size=size, radius="sm", className=f"cb-wlevel cb-wlevel-{name}")
