"""The four warning levels, in one place: name, rank, roman numeral, labels, colour.

STANDARDS.md "Warning levels and alert lifecycle": 突发事件应对法 grades warnings
红 I (highest), 橙 II, 黄 III, 蓝 IV. The store keeps the English word (``blue`` …
``red``); pages, notifications and the API read labels and colours from here only.

The colours deliberately differ from the six AQI colours of HJ 633 (#00E400, #FFFF00,
#FF7E00, #FF0000, #99004C, #7E0023) so that a yellow warning is never mistaken for a
"良" AQI tile on the same wall.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """One warning level. ``rank`` orders them: blue 1 < yellow 2 < orange 3 < red 4."""

    name: str
    rank: int
    roman: str
    zh: str
    en: str
    colour: str

    @property
    def label_zh(self) -> str:
        """e.g. ``黄色预警（III级）``."""
        return f"{self.zh}色预警（{self.roman}级）"

    @property
    def label_en(self) -> str:
        return f"{self.en} (level {self.roman})"


LEVELS: tuple[Level, ...] = (
    Level("blue", 1, "IV", "蓝", "Blue", "#1F6FEB"),
    Level("yellow", 2, "III", "黄", "Yellow", "#E3B505"),
    Level("orange", 3, "II", "橙", "Orange", "#F0883E"),
    Level("red", 4, "I", "红", "Red", "#C81E3A"),
)

#: level names from the lowest to the highest
LEVEL_NAMES: tuple[str, ...] = tuple(lv.name for lv in LEVELS)

_BY_NAME = {lv.name: lv for lv in LEVELS}


def level(name: str) -> Level:
    """The :class:`Level` called ``name``; KeyError names the allowed words."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a warning level; use one of {', '.join(LEVEL_NAMES)}") from None


def rank(name: str | None) -> int:
    """0 for no level, else 1 (blue) … 4 (red)."""
    return 0 if name is None else level(name).rank


def highest(names: list[str]) -> str | None:
    """The most severe of ``names`` (None when empty)."""
    return max(names, key=rank) if names else None
