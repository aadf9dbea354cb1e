"""The theme spec (专题, issue 20): a department's indicators declared in the city config.

A theme is a ``[[themes]]`` table of the city file::

    [[themes]]
    code = "carparks"                # [a-z][a-z0-9_]*, unique, not a built-in domain's code
    name_zh = "停车场"
    name_en = "Car parks"
    owner_zh = "市城管局"             # the department whose heads may see and handle it
    max_age = "15m"
    entities = "districts"          # or a list of its own: [[themes.entities]] code = "P001" …
    [[themes.indicators]]
    code = "occupied"
    agg = "mean"                    # mean | sum | min | max | last | count | share
    [[themes.indicators]]
    code = "occupancy"
    ratio = { of = "occupied", per = "capacity" }
    levels = { blue = 0.85, yellow = 0.90, orange = 0.95, red = 1.0 }

and is fed by any ``[[sources]]`` entry whose ``domain`` is the theme's code (its
``[sources.columns]`` map ``entity``, ``time`` and each measured indicator; see
:func:`source_fields`). These models only validate the declaration; what an indicator
means numerically — hour and day values per entity, district, city and category — is
``themes.compute``, and the semantics are written down once, there and in README.md.

Kinds of indicator, by their keys:

* **measured** — ``agg`` mean | sum | min | max | last over the numbers of the source
  column mapped under the indicator's code (a reading: occupied spaces, temperature);
* **count** — ``agg = "count"``: rows (events, cases) in the period; with
  ``where = "<flag>"`` only the rows whose boolean column ``<flag>`` is true (超期 cases);
* **share** — ``share = { of = "<flag>" }``: the fraction of rows whose flag is true
  among the rows where it is known (按期结案率); a fraction 0…1;
* **ratio** — ``ratio = { of = "<indicator>", per = "<attribute or indicator>" }``: the
  value of ``of`` divided by a numeric attribute of the entity (capacity) or by another
  indicator of the theme; a fraction when both have the same unit.

Shares and ratios are plain quotients: ``levels`` and warning thresholds are written on
them as the issue's example does (``red = 1.0`` is full); ``unit = "%"`` tells the
surfaces to show them ×100 (:attr:`ThemeIndicator.display_factor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

#: codes a theme cannot take: resources of the permission table and page paths
RESERVED_CODES = frozenset({"overview", "warnings", "sources", "briefings", "wall", "audit", "home", "users", "api",
                            "login", "logout", "t", "themes", "center", "dispatch", "orders", "scorecards", "assets",
                            "static", "healthz", "metrics", "all"})
#: where a theme can take its entities from instead of a list of its own
ENTITY_LISTS = ("stations", "sites", "segments", "districts", "city")
EntityList = Literal["stations", "sites", "segments", "districts", "city"]
Agg = Literal["mean", "sum", "min", "max", "last", "count", "share"]
#: aggregations over a measured column's numbers (count and share work on rows)
MEASURED_AGGS = ("mean", "sum", "min", "max", "last")
Direction = Literal["higher", "lower", "neutral"]
LevelName = Literal["blue", "yellow", "orange", "red"]
#: severity order of the four warning levels (蓝 IV … 红 I), lowest first
LEVEL_ORDER = ("blue", "yellow", "orange", "red")
#: canonical field names a theme source maps besides its indicators and flags
SOURCE_FIELDS = ("entity", "time", "updated_at", "id", "category")
#: numeric attributes of the city's own lists that a ratio may divide by
LIST_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "stations": (), "sites": ("capacity", "daily_capacity"),
    "segments": ("free_flow_kmh", "length_km", "speed_limit_kmh"),
    "districts": ("population_10k",), "city": (),
}
#: how entity values combine into district and city values, by default per ``agg``
DEFAULT_ACROSS = {"mean": "mean", "sum": "sum", "min": "min", "max": "max", "last": "mean"}



def _duration(value: Any) -> timedelta:
    # imported here: citybrain.settings imports this module to declare Settings.themes
    from citybrain.settings import parse_duration

    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ThemeCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=16)]
IndicatorCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=32)]
EntityCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    # Unknown keys are almost always typos in a hand-written TOML: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThemeEntity(BaseModel):
    """One entity of a theme's own list: a car park, a weather station, a lamp post.

    Any further key holding a number is an attribute a ratio may divide by
    (``capacity = 420``); keys holding anything else are refused as typos.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    code: EntityCode
    name_zh: Name
    name_en: Name
    district: EntityCode
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]

    @model_validator(mode="after")
    def _numeric_extras(self) -> ThemeEntity:
        for key, value in (self.model_extra or {}).items():
            if not _is_number(value):
                raise ValueError(f"{key} = {value!r} is not a number; an entity's extra keys are numeric "
                                 f"attributes (e.g. capacity = 420) — write a number or remove {key}")
        return self

    @property
    def attrs(self) -> dict[str, float]:
        """The numeric attributes beyond code, names, district and position."""
        return {k: float(v) for k, v in (self.model_extra or {}).items()}


class Ratio(_Strict):
    of: IndicatorCode
    per: Annotated[str, Field(min_length=1, max_length=64)]


class Share(_Strict):
    of: IndicatorCode


class ThemeIndicator(_Strict):
    """One indicator of a theme; see the module docstring for the four kinds."""

    code: IndicatorCode
    name_zh: Name
    name_en: Name
    unit: Annotated[str, Field(max_length=20)] = ""
    #: how a period's rows make the value; None for a ratio (derived), "share" with ``share``
    agg: Agg | None = None
    ratio: Ratio | None = None
    share: Share | None = None
    #: count only the rows whose boolean column (flag) of this name is true
    where: IndicatorCode | None = None
    #: how entity values make a district's and the city's value (default per agg: sum for
    #: sum, mean for mean and last, min, max); count, share and ratio are always exact
    across: Literal["mean", "sum", "min", "max"] | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] = 1
    #: measured: the span the department's instrument or system can report, [low, high];
    #: a value outside it is unusable (NULL, counted on /sources as "range"), as for the
    #: built-in fields' physical ranges
    valid: tuple[float, float] | None = None
    #: what "better" means, for rankings and the composite index
    direction: Direction = "neutral"
    #: four-colour thresholds on the value; severity grows with the value or shrinks with it
    levels: dict[LevelName, float] | None = None
    #: forecast once forecasting exists (issue 22)
    forecast: bool = False
    #: shown on the theme's overview tile (the first indicator when none is marked)
    overview: bool = False
    description_zh: str = ""
    description_en: str = ""

    @model_validator(mode="after")
    def _kind(self) -> ThemeIndicator:
        if self.ratio is not None:
            if self.agg is not None or self.share is not None or self.where is not None:
                raise ValueError(f"indicator {self.code} has ratio and also agg/share/where; a ratio is derived "
                                 "from its `of` and `per` — remove agg, share and where")
            if self.ratio.of == self.code or self.ratio.per == self.code:
                raise ValueError(f"indicator {self.code}'s ratio refers to itself; name another indicator in of/per")
        elif self.share is not None:
            if self.agg not in (None, "share"):
                raise ValueError(f"indicator {self.code} has share = {{ of = ... }} but agg = {self.agg!r}; "
                                 "remove agg (or write agg = \"share\")")
            if self.where is not None:
                raise ValueError(f"indicator {self.code}: where applies to agg = \"count\"; remove it")
        elif self.agg == "share":
            raise ValueError(f"indicator {self.code} has agg = \"share\" but no share; add "
                             "share = { of = \"<boolean column's field>\" }")
        elif self.agg is None:
            raise ValueError(f"indicator {self.code} needs agg (mean, sum, min, max, last, count), "
                             "share = { of = ... } or ratio = { of = ..., per = ... }; add e.g. agg = \"mean\"")
        elif self.where is not None and self.agg != "count":
            raise ValueError(f"indicator {self.code}: where applies to agg = \"count\"; remove it or use count")
        if self.across is not None and self.kind != "measured":
            raise ValueError(f"indicator {self.code}: across applies to measured indicators (mean, sum, min, max, "
                             "last); counts, shares and ratios combine exactly — remove it")
        if self.valid is not None:
            if self.kind != "measured":
                raise ValueError(f"indicator {self.code}: valid applies to measured indicators (a source column's "
                                 "numbers); remove it")
            if not self.valid[0] < self.valid[1]:
                raise ValueError(f"indicator {self.code}: valid = {list(self.valid)} must be [low, high] with "
                                 "low < high; write e.g. valid = [0, 5000]")
        if self.levels:
            self._check_levels(self.levels)
        return self

    def _check_levels(self, levels: Mapping[str, float]) -> None:
        ordered = [levels[name] for name in LEVEL_ORDER if name in levels]
        if len(ordered) > 1:
            up = all(b > a for a, b in zip(ordered, ordered[1:]))
            down = all(b < a for a, b in zip(ordered, ordered[1:]))
            if not (up or down):
                raise ValueError(f"indicator {self.code}: levels must grow (or shrink) from blue to red, "
                                 f"got {dict(levels)}; order them blue < yellow < orange < red")
            if up and self.direction == "higher":
                raise ValueError(f"indicator {self.code}: levels grow towards red but direction = \"higher\" "
                                 "(higher is better); write the levels falling towards red, or fix direction")
            if down and self.direction == "lower":
                raise ValueError(f"indicator {self.code}: levels fall towards red but direction = \"lower\" "
                                 "(lower is better); write the levels growing towards red, or fix direction")

    # -- derived facts ---------------------------------------------------------------
    @property
    def kind(self) -> Literal["measured", "count", "share", "ratio"]:
        if self.ratio is not None:
            return "ratio"
        if self.share is not None:
            return "share"
        return "count" if self.agg == "count" else "measured"

    @property
    def aggregation(self) -> str:
        """The effective agg: ``ratio`` for a ratio, else agg (``share`` for a share)."""
        return "ratio" if self.ratio is not None else ("share" if self.share is not None else str(self.agg))

    @property
    def combine(self) -> str:
        """How entity values combine into district and city values (measured indicators)."""
        return self.across or DEFAULT_ACROSS.get(str(self.agg), "sum")

    @property
    def levels_op(self) -> Literal[">=", "<="]:
        """How ``levels`` compare: a level applies when ``value op threshold``."""
        if self.levels and len(self.levels) > 1:
            ordered = [self.levels[n] for n in LEVEL_ORDER if n in self.levels]
            return ">=" if ordered[-1] > ordered[0] else "<="
        return "<=" if self.direction == "higher" else ">="

    @property
    def is_quotient(self) -> bool:
        return self.kind in ("share", "ratio")

    @property
    def display_factor(self) -> float:
        """Multiply the stored value by this to show it in ``unit`` (100 for a % quotient)."""
        return 100.0 if self.is_quotient and self.unit.strip() in ("%", "％") else 1.0


class Theme(_Strict):
    """A ``[[themes]]`` entry: one department's indicators, entities and owner."""

    code: ThemeCode
    name_zh: Name
    name_en: Name
    owner_zh: Name
    owner_en: Annotated[str, Field(max_length=100)] = ""
    #: data older than this is shown with the stale badge and warned on by staleness rules
    max_age: Duration = timedelta(minutes=30)
    #: a list of its own, or one of the city's lists by name
    entities: list[ThemeEntity] | EntityList
    indicators: Annotated[list[ThemeIndicator], Field(min_length=1)]
    #: a tile on the overview pages and wall
    overview: bool = False
    #: a section of the daily briefing (in config order)
    briefing: bool = True
    description_zh: str = ""
    description_en: str = ""

    @field_validator("code")
    @classmethod
    def _not_builtin(cls, v: str) -> str:
        from citybrain.settings import DOMAINS

        if v in DOMAINS:
            raise ValueError(f"{v!r} is a built-in domain's code; give the theme a code of its own")
        if v in RESERVED_CODES:
            raise ValueError(f"{v!r} names a page or permission of citybrain; give the theme another code")
        return v

    @field_validator("entities", mode="wrap")
    @classmethod
    def _entity_list(cls, v: Any, handler: Any) -> Any:
        # by hand rather than as a union: a wrong entity should be told as that entity's
        # mistake, not also as "not one of the list names"
        if isinstance(v, str):
            if v not in ENTITY_LISTS:
                raise ValueError(f"entities = {v!r} is not one of the city's lists; write one of "
                                 f"{', '.join(ENTITY_LISTS)}, or give [[themes.entities]] tables of its own")
            return v
        if not isinstance(v, list):
            raise ValueError("entities must be [[themes.entities]] tables or the name of one of the city's lists "
                             f"({', '.join(ENTITY_LISTS)})")
        out, errors = [], []
        for j, item in enumerate(v):
            try:
                out.append(ThemeEntity.model_validate(item))
            except ValidationError as exc:
                errors += [_detail((j, *e["loc"]), e) for e in exc.errors()]
        if errors:
            raise ValidationError.from_exception_data("ThemeEntity", errors)
        return out

    @field_validator("max_age")
    @classmethod
    def _positive_age(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("max_age must be longer than 0; write e.g. \"15m\"")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Theme:
        problems: list[tuple[tuple[Any, ...], str]] = []
        codes = [i.code for i in self.indicators]
        by_code = {i.code: i for i in self.indicators}
        flags = self.flags
        for j, ind in enumerate(self.indicators):
            at = ("indicators", j)
            if codes.index(ind.code) != j:
                problems.append(((*at, "code"), f"repeats the indicator code {ind.code!r}; give every indicator "
                                                "its own code"))
            if ind.code in SOURCE_FIELDS:
                problems.append(((*at, "code"), f"{ind.code!r} is a reserved source field "
                                                f"({', '.join(SOURCE_FIELDS)}); rename the indicator"))
            if ind.code in flags:
                problems.append(((*at, "code"), f"{ind.code!r} is also used as a boolean column (share.of / "
                                                "where); name the boolean column differently from the indicators"))
            if ind.ratio is None:
                continue
            of, per = by_code.get(ind.ratio.of), by_code.get(ind.ratio.per)
            others = ", ".join(c for c in codes if c != ind.code)
            if of is None:
                problems.append(((*at, "ratio", "of"), f"{ind.ratio.of!r} is not an indicator of this theme; "
                                                       f"use one of {others}"))
            elif of.ratio is not None:
                problems.append(((*at, "ratio", "of"), f"{of.code!r} is itself a ratio; divide a measured, count "
                                                       "or share indicator"))
            if per is not None and per.ratio is not None:
                problems.append(((*at, "ratio", "per"), f"{per.code!r} is itself a ratio; divide by a measured, "
                                                        "count or share indicator or an entity attribute"))
            elif per is None and ind.ratio.per not in self.attributes:
                known = ", ".join([*sorted(self.attributes), *(c for c in codes if c != ind.code)])
                problems.append(((*at, "ratio", "per"),
                                 f"{ind.ratio.per!r} is neither an indicator of this theme nor a numeric attribute "
                                 f"every entity has; use one of {known or '(none: add e.g. capacity = 420 to every entity)'}"))
        for j, ind in enumerate(self.indicators):
            for name, key in ((ind.share.of if ind.share else None, ("share", "of")), (ind.where, ("where",))):
                if name in SOURCE_FIELDS:
                    problems.append((("indicators", j, *key), f"{name!r} is a reserved source field; name the "
                                                              "boolean column otherwise"))
        if isinstance(self.entities, list):
            seen: set[str] = set()
            for j, e in enumerate(self.entities):
                if e.code in seen:
                    problems.append((("entities", j, "code"), f"repeats the entity code {e.code!r}; every entity "
                                                              "needs its own code"))
                seen.add(e.code)
            if not self.entities:
                problems.append((("entities",), "is an empty list; add [[themes.entities]] tables or write "
                                                "entities = \"districts\" (or stations, sites, segments, city)"))
        _fail("Theme", problems)
        return self

    # -- derived facts ---------------------------------------------------------------
    @property
    def flags(self) -> set[str]:
        """Boolean columns the theme's shares and filtered counts read."""
        out = {i.share.of for i in self.indicators if i.share is not None}
        return out | {i.where for i in self.indicators if i.where is not None}

    @property
    def measured(self) -> tuple[str, ...]:
        """Codes of the indicators read from a source column (measured), in config order."""
        return tuple(i.code for i in self.indicators if i.kind == "measured")

    @property
    def attributes(self) -> set[str]:
        """Numeric attributes every entity has (what ``ratio.per`` may name)."""
        if isinstance(self.entities, str):
            return set(LIST_ATTRIBUTES[self.entities])
        common: set[str] | None = None
        for e in self.entities:
            common = set(e.attrs) if common is None else common & set(e.attrs)
        return common or set()

    @property
    def own_entities(self) -> bool:
        return isinstance(self.entities, list)

    def indicator(self, code: str) -> ThemeIndicator:
        for i in self.indicators:
            if i.code == code:
                return i
        raise KeyError(code)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def metric(self, indicator: str) -> str:
        """The name the theme's indicator has in the store and the API: ``carparks.occupancy``."""
        return f"{self.code}.{indicator}"

    @property
    def overview_indicators(self) -> tuple[ThemeIndicator, ...]:
        marked = tuple(i for i in self.indicators if i.overview)
        return marked or (self.indicators[0],)


def source_fields(theme: Theme) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a source of ``theme`` maps in ``[sources.columns]``: (required, optional).

    ``entity`` is required unless the theme's entities are ``"city"`` (one entity, the
    city: a source of city-wide readings needs no entity column); ``id`` names the event's
    own id (a case number: an updated case replaces its earlier version), ``category``
    an optional class (a case's 大类), ``updated_at`` the source's update stamp.
    """
    required = ("time",) if theme.entities == "city" else ("entity", "time")
    optional = tuple(f for f in SOURCE_FIELDS if f not in required) + theme.measured + tuple(sorted(theme.flags))
    return required, optional


def _detail(loc: tuple[Any, ...], err: Mapping[str, Any]) -> InitErrorDetails:
    """A pydantic error again, at ``loc`` (re-raised from a hand-made validation)."""
    if err["type"] == "value_error":
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        return InitErrorDetails(type=PydanticCustomError("value_error", "{msg}", {"msg": message}), loc=loc,
                                input=err.get("input"))
    detail = InitErrorDetails(type=err["type"], loc=loc, input=err.get("input"))
    if err.get("ctx"):
        detail["ctx"] = err["ctx"]
    return detail


def _fail(title: str, problems: list[tuple[tuple[Any, ...], str]]) -> None:
    """Raise the problems as one validation error, each at its own key."""
    if problems:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=PydanticCustomError("value_error", "{msg}", {"msg": msg}), loc=loc, input=None)
            for loc, msg in problems])


def unknown_domain(domain: str, theme_codes: list[str]) -> str:
    from citybrain.settings import DOMAINS

    return (f"{domain!r} is neither a built-in domain nor the code of a [[themes]] entry; use one of "
            f"{_choices([*DOMAINS, *theme_codes])}")


def _choices(names: list[str]) -> str:
    """'a', 'b' or 'c' — as pydantic lists the allowed values."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: conversions a theme's units may need beyond the built-in fields' (connectors.units):
#: (source unit, indicator unit) → factor; Chinese names are read as their symbols
_THEME_UNITS: dict[tuple[str, str], float] = {
    ("g", "kg"): 0.001, ("kg", "g"): 1000.0, ("kg", "t"): 0.001, ("t", "kg"): 1000.0, ("g", "t"): 1e-6,
    ("m", "km"): 0.001, ("km", "m"): 1000.0, ("cm", "m"): 0.01, ("mm", "m"): 0.001,
    ("s", "min"): 1 / 60, ("s", "h"): 1 / 3600, ("min", "h"): 1 / 60, ("h", "min"): 60.0, ("h", "s"): 3600.0,
    ("ratio", "%"): 100.0, ("%", "ratio"): 0.01, ("‰", "%"): 0.1,
    ("m/s", "km/h"): 3.6, ("km/h", "m/s"): 1 / 3.6, ("hpa", "kpa"): 0.1, ("kpa", "hpa"): 10.0,
    ("wh", "kwh"): 0.001, ("kwh", "mwh"): 0.001, ("mwh", "kwh"): 1000.0, ("l", "m3"): 0.001, ("m3", "l"): 1000.0,
}
_THEME_ALIASES = {"公斤": "kg", "千克": "kg", "克": "g", "吨": "t", "米": "m", "公里": "km", "千米": "km",
                  "厘米": "cm", "毫米": "mm", "秒": "s", "分钟": "min", "分": "min", "小时": "h", "时": "h",
                  "升": "l", "立方米": "m3", "m³": "m3", "千瓦时": "kwh", "度": "kwh", "百帕": "hpa", "千帕": "kpa",
                  "hours": "h", "hour": "h", "minutes": "min", "seconds": "s", "kilograms": "kg", "tonnes": "t",
                  "‰": "‰", "百分比": "%"}


def _unit_name(unit: str) -> str:
    from connectors.units import normalise_unit

    u = unit.strip()
    return _THEME_ALIASES.get(u) or _THEME_ALIASES.get(u.lower()) or normalise_unit(u)


def unit_factor(indicator: ThemeIndicator, source_unit: str) -> float:
    """The factor a source value in ``source_unit`` is multiplied by to be in the indicator's
    unit; ValueError naming the units that would work when there is none.

    Every conversion is one multiplication (temperatures in °F are not converted: ask the
    department's query for °C)."""
    from connectors.units import factor

    src, dst = _unit_name(source_unit), _unit_name(indicator.unit)
    if src == dst:
        return 1.0
    if not indicator.unit:
        raise ValueError(f"indicator {indicator.code} has no unit to convert into; give it unit = \"...\" "
                         "or remove it from [sources.units]")
    found = _THEME_UNITS.get((src, dst))
    if found is not None:
        return found
    try:
        return factor(indicator.code, src, dst)
    except ValueError:
        known = sorted({s for s, d in _THEME_UNITS if d == dst} | {dst})
        raise ValueError(f"unit {source_unit!r} cannot be converted into {indicator.unit!r} (the unit of indicator "
                         f"{indicator.code}); write one of {', '.join(known)} in [sources.units], or convert in "
                         "the source's query") from None


def theme_problems(settings: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """What in the settings does not fit the themes: (location, "problem; fix") pairs.

    Run by ``Settings`` after the rest validated: a source's ``domain`` must be a built-in
    domain or a theme code, a theme source's columns and units must fit its theme, a
    theme's entities must lie in the city's districts.
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    from citybrain.settings import DOMAINS

    codes = [t.code for t in settings.themes]
    for i, t in enumerate(settings.themes):
        if codes.index(t.code) != i:
            out.append((("themes", i, "code"), f"repeats the theme code {t.code!r}; give every theme its own code"))
    district_codes = {d.code for d in settings.districts} | {settings.city.code}
    for i, t in enumerate(settings.themes):
        if isinstance(t.entities, list):
            for j, e in enumerate(t.entities):
                if e.district not in district_codes:
                    out.append((("themes", i, "entities", j, "district"),
                                f"names district {e.district!r}, which is not in [[districts]]; use one of "
                                f"{', '.join(sorted(district_codes))}"))
    for i, screen in enumerate(settings.wall.screens):
        if screen.theme is not None and screen.theme not in codes:
            out.append((("wall", "screens", i, "theme"), f"{screen.theme!r} is not the code of a [[themes]] entry; "
                                                         f"use one of {', '.join(codes) or '(none configured)'}"))
    for i, dept in enumerate(settings.demo.departments):
        if dept.theme not in codes:
            out.append((("demo", "departments", i, "theme"), f"{dept.theme!r} is not the code of a [[themes]] entry; "
                                                             f"use one of {', '.join(codes) or '(none configured)'}"))
    names = [d.name for d in settings.demo.departments]
    for i, name in enumerate(names):
        if names.index(name) != i:
            out.append((("demo", "departments", i, "name"), f"repeats the department {name!r}; give each its own"))
    themes = {t.code: t for t in settings.themes}
    for i, src in enumerate(settings.sources):
        if src.domain in DOMAINS:
            continue
        theme = themes.get(src.domain)
        if theme is None:
            out.append((("sources", i, "domain"), unknown_domain(src.domain, codes)))
            continue
        required, optional = source_fields(theme)
        missing = [f for f in required if f not in src.columns]
        if missing:
            out.append((("sources", i, "columns"),
                        f"lacks {', '.join(missing)} for the theme {theme.code}; add e.g. "
                        f'`{missing[0]} = "<source column>"` under [sources.columns]'))
        unknown = sorted(set(src.columns) - set(required) - set(optional))
        if unknown:
            out.append((("sources", i, "columns"),
                        f"has {', '.join(unknown)}, which the theme {theme.code} does not know; map "
                        f"{', '.join(required + optional)} (derived indicators — ratios, counts, shares — are "
                        "computed, not mapped)"))
        counts = any(ind.kind == "count" for ind in theme.indicators)
        event_sources = [s for s in settings.sources if s.domain == theme.code and "id" in s.columns]
        if counts and not event_sources and src is next(s for s in settings.sources if s.domain == theme.code):
            out.append((("sources", i, "columns"),
                        f"the theme {theme.code} counts events (agg = \"count\"), which are the rows with an id, "
                        "but none of its sources maps id; add `id = \"<the event's id column>\"` under "
                        "[sources.columns] of its event source"))
        if not counts and not (set(src.columns) & (set(theme.measured) | theme.flags)):
            out.append((("sources", i, "columns"),
                        f"maps none of the theme {theme.code}'s measured indicators or boolean columns; add e.g. "
                        f'`{(theme.measured or sorted(theme.flags) or ("value",))[0]} = "<source column>"`'))
        for field, unit in src.units.items():
            if field not in src.columns or field not in theme.measured:
                out.append((("sources", i, "units", field),
                            f"is not a measured indicator mapped in [sources.columns]; give units only for "
                            f"{', '.join(f for f in theme.measured if f in src.columns) or '(none mapped)'}"))
                continue
            try:
                unit_factor(theme.indicator(field), unit)
            except ValueError as exc:
                out.append((("sources", i, "units", field), str(exc)))
    return out
