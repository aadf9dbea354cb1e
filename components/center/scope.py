"""A warning's scope in words: the city, a district, a station / segment / site, a category, a source."""

from __future__ import annotations

from citybrain.i18n import pick, t
from citybrain.settings import Settings


def scope_name(settings: Settings, scope_kind: str, scope: str | None, lang: str) -> str:
    if scope_kind == "city" or not scope:
        return pick(settings.city.name_zh, settings.city.name_en, lang)
    groups = {"district": settings.districts, "station": settings.stations, "segment": settings.segments,
              "site": settings.sites}
    for item in groups.get(scope_kind, []):
        if item.code == scope:
            return pick(item.name_zh, item.name_en, lang)
    if scope_kind == "source":
        return f"{t('warnings.silence.source', lang)} {scope}"
    if scope_kind == "indicator":
        for ind in settings.indicators:
            if ind.code == scope:
                return pick(ind.name_zh, ind.name_en, lang)
    return scope


def district_names(settings: Settings) -> dict[str, tuple[str, str]]:
    """code → (zh, en) for the list's district column."""
    return {d.code: (d.name_zh, d.name_en) for d in settings.districts}
