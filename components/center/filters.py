"""The filter bar: level, state, domain, district, handling — each "any" when cleared."""

from __future__ import annotations

import dash_mantine_components as dmc

from alerts.levels import LEVELS
from citybrain.i18n import pick, t
from citybrain.settings import District
from components.center import ids
from components.center.level_badge import level_label
from store.queries.warnings import ACTIVE, DOMAINS, HANDLING, STATES, WarningFilters


def _select(id_: str, label: str, data: list[dict[str, str]], value: str | None, lang: str,
            fixed: bool = False) -> dmc.Select:
    return dmc.Select(id=id_, label=label, data=data, value=value, clearable=not fixed, disabled=fixed,
                      placeholder=t("warnings.filter.all", lang), w=190, className="cb-filter",
                      comboboxProps={"withinPortal": True})


def filter_bar(filters: WarningFilters, districts: list[District], lang: str, *,
               fixed_district: str | None = None) -> dmc.Group:
    """``fixed_district``: a district-level reader's, the only choice (and not to be cleared)."""
    if fixed_district:
        districts = [d for d in districts if d.code == fixed_district]
    levels = [{"value": lv.name, "label": level_label(lv.name, lang)} for lv in reversed(LEVELS)]
    states = [{"value": s, "label": t(f"warnings.state.{s}", lang)} for s in (ACTIVE, *STATES)]
    domains = [{"value": d, "label": t(f"domain.{d}", lang)} for d in DOMAINS]
    dists = [{"value": d.code, "label": pick(d.name_zh, d.name_en, lang)} for d in districts]
    handling = [{"value": h, "label": t(f"warnings.handling.{h}", lang)} for h in HANDLING]
    return dmc.Group([
        _select(ids.LEVEL, t("warnings.filter.level", lang), levels, filters.level, lang),
        _select(ids.STATE, t("warnings.filter.state", lang), states, filters.state, lang),
        _select(ids.DOMAIN, t("warnings.filter.domain", lang), domains, filters.domain, lang),
        _select(ids.DISTRICT, t("warnings.filter.district", lang), dists, filters.district, lang,
                fixed=bool(fixed_district)),
        _select(ids.HANDLING, t("warnings.filter.handling", lang), handling, filters.handling, lang),
        dmc.Button(t("warnings.filter.reset", lang), id=ids.RESET, variant="subtle", mt=24),
    ], gap="sm", align="flex-start", className="cb-center-filters")
