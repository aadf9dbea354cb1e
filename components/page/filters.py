"""The filter bar: district, time range (today, 24 h, 7 d, 30 d, custom) and custom dates."""

from __future__ import annotations

import dash_mantine_components as dmc

from citybrain.i18n import pick, t
from citybrain.settings import Settings
from components.page.view import RANGES, View


def ids(prefix: str) -> dict[str, str]:
    """The component ids of one page's filter bar (callbacks and tests use the same)."""
    return {"district": f"{prefix}-district", "range": f"{prefix}-range", "dates": f"{prefix}-dates"}


def filter_bar(prefix: str, settings: Settings, view: View, lang: str, *,
               ranges: tuple[str, ...] = RANGES, districts: list[str] | None = None,
               fixed_district: str | None = None) -> dmc.Group:
    """Controls preset from ``view`` (so a copied link restores them). ``districts`` limits the
    choice to those with data in this domain (e.g. traffic has TPI only where segments run);
    ``fixed_district`` (a district-level reader's) is the only choice, and cannot be cleared."""
    allowed = set(districts) if districts is not None else None
    if fixed_district:
        allowed = {fixed_district}
    options = [{"value": d.code, "label": pick(d.name_zh, d.name_en, lang)}
               for d in settings.districts if allowed is None or d.code in allowed]
    i = ids(prefix)
    return dmc.Group([
        dmc.Select(id=i["district"], data=options, value=fixed_district or view.district,
                   clearable=not fixed_district, disabled=bool(fixed_district), searchable=False,
                   placeholder=t("page.all_districts", lang), w=180, size="sm", className="cb-filter-district",
                   comboboxProps={"withinPortal": True}),
        dmc.SegmentedControl(id=i["range"], data=[{"value": r, "label": t(f"range.{r}", lang)} for r in ranges],
                             value=view.range, size="sm", className="cb-filter-range"),
        dmc.DatePickerInput(id=i["dates"], type="range", value=[view.start, view.end],
                            placeholder=t("range.pick", lang), valueFormat="YYYY-MM-DD", size="sm", w=240,
                            clearable=False, className="cb-filter-dates",
                            style={"display": "block" if view.range == "custom" else "none"}),
    ], gap="sm", className="cb-filter-bar")
