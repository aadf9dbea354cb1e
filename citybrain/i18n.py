"""The translation layer: every string a user sees, in Simplified Chinese and English.

One catalogue, keyed by a stable id; Chinese first because the city speaks it, English
for visitors and foreign partners. Numbers are formatted the way a Chinese reader
expects (万, 亿) in Chinese and with thousands separators in English.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {
    "app.title": ("城市运行智慧大脑", "City Operations Brain"),
    "app.tagline": ("城市运行一张图", "The city at a glance"),
    "nav.home": ("首页", "Home"),
    "nav.sources": ("数据源", "Data sources"),
    "lang.switch": ("English", "中文"),
    "theme.switch": ("切换深色/浅色", "Toggle dark/light"),
    "home.districts": ("行政区划", "Districts"),
    "home.entities": ("监测对象", "Monitored entities"),
    "home.sources": ("数据源状态", "Data sources"),
    "home.stations": ("空气监测站", "Air stations"),
    "home.segments": ("道路路段", "Road segments"),
    "home.sites": ("景区", "Scenic sites"),
    "home.indicators": ("经济指标", "Economic indicators"),
    "source.name": ("数据源", "Source"),
    "source.owner": ("责任部门", "Owner"),
    "source.domain": ("领域", "Domain"),
    "source.status": ("状态", "Status"),
    "source.last_success": ("最近成功", "Last success"),
    "source.lag": ("数据延迟", "Lag"),
    "source.rows": ("累计入库", "Rows stored"),
    "source.quarantined": ("隔离", "Quarantined"),
    "source.error": ("最近错误", "Last error"),
    "status.never": ("未采集", "Not polled yet"),
    "status.ok": ("正常", "OK"),
    "status.failing": ("异常", "Failing"),
    "status.drift": ("结构变化", "Schema drift"),
    "status.disabled": ("已停用", "Disabled"),
    "status.stale": ("数据过时", "Stale"),
    "domain.environment": ("环境", "Environment"),
    "domain.traffic": ("交通", "Traffic"),
    "domain.tourism": ("文旅", "Tourism"),
    "domain.economy": ("经济", "Economy"),
    "domain.hotline": ("12345热线", "12345 Hotline"),
    "age.seconds": ("{n}秒前", "{n} s ago"),
    "age.minutes": ("{n}分钟前", "{n} min ago"),
    "age.hours": ("{n}小时前", "{n} h ago"),
    "age.days": ("{n}天前", "{n} d ago"),
    "age.never": ("—", "—"),
    "error.page": ("页面暂时无法显示，请稍后刷新。", "This page cannot be shown right now; refresh in a moment."),
    "error.not_found": ("页面不存在", "Page not found"),
    "error.back_home": ("返回首页", "Back to home"),
}


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """The text for ``key`` in ``lang``; an unknown key shows itself so it is noticed, not hidden."""
    pair = CATALOGUE.get(key)
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
