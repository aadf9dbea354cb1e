"""Exact decimal arithmetic for thresholds where binary floating point bites.

Standards state their breakpoints in decimal (0.7 of free-flow speed, 35 µg/m³,
80 % of capacity).  A float such as ``2.2`` is really 2.2000000000000001776…, so
comparing or interpolating in floats can land one step past an integer or a band
edge.  We therefore read every number as the decimal it was written as (the shortest
``repr`` of a float, which round-trips) and compute with ``fractions.Fraction``.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

from metrics.errors import InvalidValueError

#: Resolution concentrations are read to (10⁻⁶ of their unit).  Monitors report
#: µg/m³ as integers and CO to 0.1 mg/m³, so this is far finer than any real datum
#: yet coarse enough to swallow float noise from averaging (35.000000000000007).
QUANTUM = 10**6


def is_missing(value: object) -> bool:
    """True for None, NaN and ``pandas.NA`` — the ways a frame spells "no value"."""
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError):
            return False
    return False


def exact(value: object, *, what: str) -> Fraction:
    """The exact rational a number was *written* as (floats via their shortest repr).

    Raises :class:`InvalidValueError` for booleans, strings, infinities and NaN: the
    caller decides what "missing" means before asking for a number.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise InvalidValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError(f"{what} must be finite, got {value!r}")
        return Fraction(value)
    as_float = float(value)
    if not math.isfinite(as_float):
        raise InvalidValueError(f"{what} must be a finite number, got {value!r}")
    # repr(float) is the shortest decimal that round-trips: 2.2, not 2.2000000000000002.
    return Fraction(repr(as_float))


def quantised(value: Fraction) -> Fraction:
    """``value`` rounded half-to-even to :data:`QUANTUM` (see its comment for why)."""
    return Fraction(round(value * QUANTUM), QUANTUM)


def ceil_int(value: Fraction) -> int:
    """Exact ceiling (``math.ceil`` on a Fraction never goes through a float)."""
    return math.ceil(value)
