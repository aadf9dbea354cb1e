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

import numpy as np

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


def group_fsums(group: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    """Per group 0…groups-1, ``math.fsum`` of its ``values`` — the correctly rounded sum.

    An hour's Σ VKT·TTI adds thousands of readings; a float sum of them depends on the
    order they arrive in and on pandas' summation path. The exact sum makes the result a
    function of the readings alone.

    Computed without a Python object per value: a finite float is an integer mantissa
    (< 2⁵³) times a power of two, and integers add exactly — in float64 too, while every
    partial sum stays below 2⁵³, so ``np.bincount`` adds mantissas cut into 32-bit halves.
    Values spanning at most :data:`_SPAN` powers of two (a link's speeds) are scaled to
    one power, summed per group into a two-word integer and rounded to a float once, half
    to even at 53 bits as fsum rounds; wider spans (Σ VKT·TTI) are summed per group and
    power, and each group's powers joined into one Python integer whose true division by
    the scale is correctly rounded. inf and NaN, or groups past 2²⁰ values, take
    ``math.fsum`` group by group.
    """
    values = np.asarray(values, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    if not len(values):
        return np.zeros(groups)
    bits = values.view(np.int64)
    biased = (bits >> 52) & 0x7FF
    if (biased == 0x7FF).any() or np.bincount(group, minlength=groups).max() >= 1 << 20:
        return _fsums_one_by_one(group, groups, values)
    fraction = bits & ((1 << 52) - 1)
    mantissa = np.where(biased > 0, fraction | (1 << 52), fraction)  # value = ±mantissa · 2**(power - 1075)
    power = np.maximum(biased, 1)
    nonzero = mantissa != 0
    if not nonzero.any():
        return np.zeros(groups)
    low, high = int(power[nonzero].min()), int(power[nonzero].max())
    step = np.where(nonzero, power - low, 0)
    sign = np.where(bits < 0, -1.0, 1.0)
    if high - low <= _SPAN:
        out = _two_word_sums(group, groups, mantissa << step, sign, low - 1075)
        if out is not None:
            return out
    cells = groups * (high - low + 1)
    if cells > 4 * len(values) + (1 << 16):
        return _fsums_one_by_one(group, groups, values)
    key = group * (high - low + 1) + step
    halves = [np.bincount(key, weights=part.astype(np.float64) * sign, minlength=cells).astype(np.int64)
              .reshape(groups, high - low + 1) for part in (mantissa >> 32, mantissa & 0xFFFFFFFF)]
    total = np.zeros(groups, dtype=object)
    for k in np.flatnonzero((halves[0] != 0).any(axis=0) | (halves[1] != 0).any(axis=0)).tolist():
        total = total + ((halves[0][:, k].astype(object) << 32) + halves[1][:, k].astype(object)) * (1 << k)
    scale = low - 1075
    total = total / (1 << -scale) if scale < 0 else total * (1 << scale)
    return total.astype(np.float64)


#: the widest spread of powers of two ``group_fsums`` scales to one word (values < 2**62)
_SPAN = 9


def _two_word_sums(group: np.ndarray, groups: int, scaled: np.ndarray, sign: np.ndarray,
                   scale: int) -> np.ndarray | None:
    """Σ ±scaled per group (each < 2**62) times 2**scale, correctly rounded; None when a
    result is subnormal (scaling it by a power of two would round it a second time)."""
    high, low = (np.bincount(group, weights=part.astype(np.float64) * sign, minlength=groups).astype(np.int64)
                 for part in (scaled >> 32, scaled & 0xFFFFFFFF))
    # the sum = high · 2**32 + low; carry so that 0 <= low < 2**32, then take |sum|
    carry = low >> 32
    high, low = high + carry, low - (carry << 32)
    negative = high < 0
    borrow = negative & (low != 0)
    high = np.where(negative, -high - borrow, high)
    low = np.where(borrow, (1 << 32) - low, low)
    # keep the top 62 bits and the rest as a sticky bit 0: the int64 → float conversion then
    # rounds half to even exactly where the whole integer would
    drop = np.clip(np.frexp(high.astype(np.float64))[1] + 32 - 62, 0, 32)
    top = (high << (32 - drop)) + (low >> drop)
    sticky = (low & ((np.int64(1) << drop) - 1)) != 0
    out = np.ldexp((top | sticky).astype(np.float64), drop + scale)
    if ((out != 0) & (np.abs(out) < np.finfo(np.float64).tiny)).any() or not np.isfinite(out).all():
        return None
    return np.where(negative, -out, out)


def _fsums_one_by_one(group: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    # few groups (an hour's TPI): numbers as uint16 sort by radix, in one pass
    order = np.argsort(group.astype(np.uint16) if groups <= 1 << 16 else group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(groups + 1)).tolist()
    ordered = values[order].tolist()
    return np.array([math.fsum(ordered[a:b]) for a, b in zip(starts[:-1], starts[1:])], dtype=float)
