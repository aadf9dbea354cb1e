"""Unit conversion into the store's canonical units.

Departments keep their own conventions (the environment bureau reports CO in µg/m³,
HJ 633 wants mg/m³); the source config says which unit a column is in and the value
is converted once, on the way in, so nothing downstream ever guesses.
Gas ppm/ppb use the 25 °C, 1 atm reference state of GB 3095-2012's 2018 amendment
(molar volume 24.45 L).
"""

from __future__ import annotations

from collections.abc import Callable

_MOLAR_VOLUME = 24.45
_MOLAR_MASS = {"so2": 64.066, "no2": 46.0055, "co": 28.010, "o3": 47.997}

_ALIASES = {
    "µg/m3": "ug/m3", "μg/m3": "ug/m3", "µg/m³": "ug/m3", "μg/m³": "ug/m3", "ug/m³": "ug/m3",
    "mg/m³": "mg/m3", "kmh": "km/h", "kph": "km/h", "公里/小时": "km/h", "千米/小时": "km/h",
    "m/s": "m/s", "米/秒": "m/s", "sec": "s", "seconds": "s", "秒": "s", "min": "min",
    "minutes": "min", "分钟": "min", "ms": "ms", "percent": "%", "fraction": "ratio",
}

# factor into the canonical unit, keyed by (source unit, canonical unit)
_FACTORS = {
    ("ug/m3", "ug/m3"): 1.0, ("mg/m3", "ug/m3"): 1000.0,
    ("mg/m3", "mg/m3"): 1.0, ("ug/m3", "mg/m3"): 0.001,
    ("km/h", "km/h"): 1.0, ("m/s", "km/h"): 3.6, ("mph", "km/h"): 1.609344,
    ("s", "s"): 1.0, ("min", "s"): 60.0, ("ms", "s"): 0.001,
    ("%", "%"): 1.0, ("ratio", "%"): 100.0,
}


def normalise_unit(unit: str) -> str:
    u = unit.strip()
    return _ALIASES.get(u, _ALIASES.get(u.lower(), u.lower()))


def converter(field: str, source_unit: str, canonical: str | None) -> Callable[[float], float]:
    """A function turning a value in ``source_unit`` into ``canonical`` for ``field``.

    Raises ValueError with the units that would work when the pair is not convertible,
    so ``citybrain check`` can say what to write in ``[sources.units]``.
    """
    f = factor(field, source_unit, canonical)
    if f == 1.0:
        return lambda v: v
    return lambda v: v * f


def factor(field: str, source_unit: str, canonical: str | None) -> float:
    """The factor a value in ``source_unit`` is multiplied by to be in ``canonical``.

    Every supported conversion is one multiplication, so the batch mapper can apply it to a
    whole column and get exactly what :func:`converter` gives value by value.
    """
    if canonical is None:
        raise ValueError(f"{field} has no unit to convert into; remove it from [sources.units]")
    src = normalise_unit(source_unit)
    if src in ("ppm", "ppb") and field in _MOLAR_MASS:
        ug_per = _MOLAR_MASS[field] / _MOLAR_VOLUME * (1000.0 if src == "ppm" else 1.0)
        return ug_per / (1000.0 if canonical == "mg/m3" else 1.0)
    found = _FACTORS.get((src, canonical))
    if found is None:
        known = sorted({s for s, c in _FACTORS if c == canonical} | ({"ppm", "ppb"} if field in _MOLAR_MASS else set()))
        raise ValueError(
            f"unit {source_unit!r} for {field} cannot be converted into {canonical}; "
            f"write one of {', '.join(known)} in [sources.units]"
        )
    return found
