"""Composite-index specs: dataclasses, validation and construction from TOML dicts (private).

Public names are re-exported by :mod:`metrics.composite`.  Validation errors are
:class:`~metrics.errors.SpecError` with the dotted key of the bad entry, e.g.
``sub_indices.traffic.indicators.tpi.direction: expected one of 'higher', 'lower'``,
so a city engineer can fix the TOML without reading Python.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields

from metrics.errors import SpecError

DIRECTIONS = ("higher", "lower")
NORMALISATIONS = ("minmax", "zscore", "target")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_RULES = ("reweight", "impute_mean", "impute_last")
RESERVED_COLUMNS = ("score", "coverage", "imputed_weight")


def _number(value: object, key: str, *, positive: bool = False, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise SpecError(key, f"expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise SpecError(key, f"must be greater than 0, got {value!r}")
    return float(value)


def _choice(value: object, key: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise SpecError(key, f"expected one of {', '.join(map(repr, options))}, got {value!r}")
    return value  # type: ignore[return-value]


def _known_keys(data: Mapping, cls: type, path: str, extra: tuple[str, ...] = ()) -> None:
    if not isinstance(data, Mapping):
        raise SpecError(path or "<root>", f"expected a table (mapping), got {type(data).__name__}")
    allowed = {f.name for f in fields(cls)} | set(extra)
    for key in data:
        if key not in allowed:
            raise SpecError(f"{path}.{key}" if path else str(key),
                            f"unknown key; accepted: {', '.join(sorted(allowed))}")


def _named_items(value: object, path: str) -> list[tuple[str, Mapping]]:
    """Accept ``{name: {...}}`` (TOML tables) or ``[{name=..., ...}]`` (arrays of tables)."""
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping) or "name" not in item:
                raise SpecError(f"{path}[{i}]", "each entry needs a 'name'")
            items.append((str(item["name"]), {k: v for k, v in item.items() if k != "name"}))
        return items
    raise SpecError(path, f"expected a table of named entries, got {type(value).__name__}")


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: where to read it, which way is better, how to normalise it.

    ``minmax`` maps goalposts ``min``..``max`` onto 0..100 (clipped), reversed for
    ``direction="lower"``; fixed goalposts keep scores comparable over time (JRC
    Handbook §5).  ``zscore`` uses reference ``mean``/``std`` if given, else the
    frame's own (sample std); signed, so not for geometric aggregation.  ``target``
    scores x / target × 100 (``lower``: target / x × 100), capped at 100 —
    surpassing the target earns no extra credit.
    """

    name: str
    direction: str = "higher"
    normalisation: str = "minmax"
    min: float | None = None
    max: float | None = None
    target: float | None = None
    mean: float | None = None
    std: float | None = None
    weight: float = 1.0
    column: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        p = self.name
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("name", f"an indicator needs a non-empty name, got {self.name!r}")
        _choice(self.direction, f"{p}.direction", DIRECTIONS)
        _choice(self.normalisation, f"{p}.normalisation", NORMALISATIONS)
        _number(self.weight, f"{p}.weight", positive=True)
        if self.normalisation == "minmax":
            lo = _number(self.min, f"{p}.min")
            hi = _number(self.max, f"{p}.max")
            if not lo < hi:  # type: ignore[operator]
                raise SpecError(f"{p}.max", f"goalpost max ({self.max!r}) must exceed min ({self.min!r})")
        if self.normalisation == "target":
            _number(self.target, f"{p}.target", positive=True)
        if self.normalisation == "zscore":
            _number(self.mean, f"{p}.mean", optional=True)
            _number(self.std, f"{p}.std", positive=True, optional=True)

    @property
    def source(self) -> str:
        """The frame column holding the raw values."""
        return self.column or self.name

    @classmethod
    def from_dict(cls, name: str, data: Mapping, path: str = "") -> IndicatorSpec:
        here = f"{path}.{name}" if path else name
        _known_keys(data, cls, here)
        try:
            return cls(name=name, **{k: v for k, v in data.items() if k != "name"})
        except SpecError as exc:
            raise SpecError(f"{path}.{exc.key}" if path else exc.key, exc.problem) from None


@dataclass(frozen=True)
class SubIndexSpec:
    """A group of indicators (e.g. traffic) with its weight in the index."""

    name: str
    indicators: tuple[IndicatorSpec, ...]
    weight: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("name", f"a sub-index needs a non-empty name, got {self.name!r}")
        _number(self.weight, f"{self.name}.weight", positive=True)
        if not self.indicators:
            raise SpecError(f"{self.name}.indicators", "a sub-index needs at least one indicator")
        object.__setattr__(self, "indicators", tuple(self.indicators))

    @classmethod
    def from_dict(cls, name: str, data: Mapping, path: str = "") -> SubIndexSpec:
        here = f"{path}.{name}" if path else name
        _known_keys(data, cls, here)
        if "indicators" not in data:
            raise SpecError(f"{here}.indicators", "missing; list the sub-index's indicators")
        indicators = tuple(
            IndicatorSpec.from_dict(n, d, f"{here}.indicators")
            for n, d in _named_items(data["indicators"], f"{here}.indicators")
        )
        try:
            return cls(name=name, indicators=indicators,
                       **{k: v for k, v in data.items() if k not in ("indicators", "name")})
        except SpecError as exc:
            raise SpecError(f"{path}.{exc.key}" if path else exc.key, exc.problem) from None


@dataclass(frozen=True)
class IndexSpec:
    """A composite index: sub-indices, aggregation, missing-data rule.

    ``aggregation``: ``arithmetic`` (compensatory; contributions add up to the score)
    or ``geometric`` (less compensatory; normalised scores are floored at ``floor``
    points first, because one 0 would zero the whole product).  ``missing``:
    ``reweight`` (drop absent values, renormalise weights over what is present),
    ``impute_mean`` (mean of the indicator over the frame) or ``impute_last`` (last
    earlier value of the same entity, ordered by ``time``; still-missing values are
    then reweighted).  ``min_coverage``: share of the index weight that must be
    present, else the score is missing.  ``keys``: columns carried to the outputs
    (default: every column that is not an indicator).
    """

    name: str
    sub_indices: tuple[SubIndexSpec, ...]
    aggregation: str = "arithmetic"
    missing: str = "reweight"
    floor: float = 1.0
    min_coverage: float = 0.0
    keys: tuple[str, ...] = ()
    time: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.sub_indices:
            raise SpecError("sub_indices", "an index needs at least one sub-index")
        object.__setattr__(self, "sub_indices", tuple(self.sub_indices))
        object.__setattr__(self, "keys", tuple(self.keys))
        _choice(self.aggregation, "aggregation", AGGREGATIONS)
        _choice(self.missing, "missing", MISSING_RULES)
        _number(self.floor, "floor", positive=True)
        coverage = _number(self.min_coverage, "min_coverage")
        if not 0 <= coverage <= 1:  # type: ignore[operator]
            raise SpecError("min_coverage", f"is a share in [0, 1], got {self.min_coverage!r}")
        if self.missing == "impute_last" and not self.time:
            raise SpecError("time", "missing='impute_last' needs the name of the time column to order by")
        seen_subs: set[str] = set()
        seen_ind: set[str] = set()
        for sub in self.sub_indices:
            if sub.name in seen_subs or sub.name in RESERVED_COLUMNS:
                raise SpecError(f"sub_indices.{sub.name}", "duplicate or reserved sub-index name")
            seen_subs.add(sub.name)
            for ind in sub.indicators:
                where = f"sub_indices.{sub.name}.indicators.{ind.name}"
                if ind.name in seen_ind:
                    raise SpecError(where, "indicator names must be unique across the index")
                seen_ind.add(ind.name)
                if self.aggregation == "geometric" and ind.normalisation == "zscore":
                    raise SpecError(f"{where}.normalisation",
                                    "z-scores are signed; geometric aggregation needs positive scores — "
                                    "use 'minmax' or 'target', or arithmetic aggregation")

    @property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        return tuple(i for s in self.sub_indices for i in s.indicators)

    @classmethod
    def from_dict(cls, data: Mapping) -> IndexSpec:
        """Build from a plain mapping (e.g. the ``[vital_signs]`` table of the city TOML)."""
        _known_keys(data, cls, "")
        if "sub_indices" not in data:
            raise SpecError("sub_indices", "missing; define at least one sub-index")
        subs = tuple(SubIndexSpec.from_dict(n, d, "sub_indices")
                     for n, d in _named_items(data["sub_indices"], "sub_indices"))
        rest = {k: v for k, v in data.items() if k != "sub_indices"}
        if "keys" in rest:
            if isinstance(rest["keys"], str) or not all(isinstance(k, str) for k in rest["keys"]):
                raise SpecError("keys", f"expected a list of column names, got {rest['keys']!r}")
            rest["keys"] = tuple(rest["keys"])
        rest.setdefault("name", "index")
        return cls(sub_indices=subs, **rest)

    def to_dict(self) -> dict:
        """The plain-mapping form :meth:`from_dict` accepts (for config templates)."""
        def ind(i: IndicatorSpec) -> dict:
            return {f.name: getattr(i, f.name) for f in fields(i)
                    if f.name != "name" and getattr(i, f.name) not in (None, "")}
        return {
            **{f.name: getattr(self, f.name) for f in fields(self)
               if f.name != "sub_indices" and getattr(self, f.name) not in (None, "", ())},
            "sub_indices": {
                s.name: {"weight": s.weight, **({"label": s.label} if s.label else {}),
                         "indicators": {i.name: ind(i) for i in s.indicators}}
                for s in self.sub_indices
            },
        }
