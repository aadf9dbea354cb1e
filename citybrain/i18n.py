"""The translation layer: every string a user sees, in Simplified Chinese and English.

One catalogue, keyed by a stable id; Chinese first because the city speaks it, English
for visitors and foreign partners. Numbers are formatted the way a Chinese reader
expects (万, 亿) in Chinese and with thousands separators in English.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

def _load() -> dict[str, tuple[str, str]]:
    """Merge every ``citybrain.strings.<area>`` module's ``STRINGS`` into one catalogue.

    Each area (shell, wall, department pages, …) keeps its strings in its own module so
    that people working on different pages never edit one file; a key defined twice is
    an error, so the catalogue stays one namespace.
    """
    import importlib
    import pkgutil

    from citybrain import strings

    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(strings.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"citybrain.strings.{info.name}")
        for key, pair in module.STRINGS.items():
            if key in merged:
                raise RuntimeError(f"translation key {key!r} is defined twice (again in citybrain/strings/{info.name}.py)")
            merged[key] = pair
    return merged


@functools.cache
def catalogue() -> dict[str, tuple[str, str]]:
    """The whole catalogue (built once per process, read-only afterwards)."""
    return _load()


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """The text for ``key`` in ``lang``; an unknown key shows itself so it is noticed, not hidden."""
    pair = catalogue().get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**fmt) if fmt else text


def pick(zh: str, en: str, lang: str = DEFAULT_LANG) -> str:
    """Choose between a bilingual pair that comes from config (entity and indicator names)."""
    return en if lang == "en" and en else zh


def _round(value: float, digits: int) -> Decimal:
    q = Decimal(1).scaleb(-digits)
    return Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP)


def format_number(value: float | int | None, lang: str = DEFAULT_LANG, *, digits: int = 1) -> str:
    """A count for people: ``12.3万`` / ``1.2亿`` in Chinese, ``123,456`` in English.

    Chinese groups by 10⁴, so 123,456 reads 12.3万; below 1万 the number is shown whole.
    Rounding is half-up (as taught and as printed in statistical bulletins), not banker's.
    """
    if value is None:
        return "—"
    if lang != "en":
        mag = abs(value)
        if mag >= 1e8:
            return f"{_round(value / 1e8, digits)}亿"
        if mag >= 1e4:
            return f"{_round(value / 1e4, digits)}万"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{_round(value, digits):,}"


#: One percent format for every surface (cards, tables, exports, charts, PDFs): a ratio is
#: shown as a percentage with one decimal, "17.2%". Chart axes holding ratios use
#: :data:`PERCENT_AXIS`; axes holding percentage points (同比 2.3) use :data:`POINTS_AXIS`.
PERCENT_DIGITS = 1
PERCENT_AXIS = {"tickformat": ".0%", "hoverformat": ".1%"}
POINTS_AXIS = {"ticksuffix": "%", "tickformat": ".1f", "hoverformat": ".1f"}


def percent(ratio: float | None, digits: int = PERCENT_DIGITS) -> float | None:
    """A ratio (0.172) as the percentage number tables and exports hold (17.2); half-up."""
    if ratio is None or ratio != ratio:
        return None
    return float(_round(float(ratio) * 100, digits))


def format_percent(ratio: float | None, *, digits: int = PERCENT_DIGITS, signed: bool = False,
                   points: bool = False) -> str:
    """``0.172`` → ``17.2%`` (``points=True``: the value is already in percent, ``2.3`` → ``2.3%``);
    ``signed`` adds "+" to a rise (同比). "—" when there is no value."""
    if ratio is None or ratio != ratio:
        return "—"
    value = float(ratio) if points else float(ratio) * 100
    text = f"{_round(value, digits)}%"
    return f"+{text}" if signed and value > 0 else text


def format_age(seconds: float | None, lang: str = DEFAULT_LANG) -> str:
    """How old a value is, in the largest whole unit (the wall and the stale badges use it)."""
    if seconds is None:
        return t("age.never", lang)
    s = max(0, int(seconds))
    if s < 60:
        return t("age.seconds", lang, n=s)
    if s < 3600:
        return t("age.minutes", lang, n=s // 60)
    if s < 86400:
        return t("age.hours", lang, n=s // 3600)
    return t("age.days", lang, n=s // 86400)
