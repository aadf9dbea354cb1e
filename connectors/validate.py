"""Validation of single values: types, physical ranges, time zones.

Each function either returns the canonical value or raises :class:`Invalid` with a
reason a city engineer understands ("speed 250 km/h is above 200 km/h, the most a
detector reports"), which is what the quarantine table keeps next to the source values.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.fields import Field

UTC = dt.timezone.utc

_TRUE = {"1", "true", "t", "yes", "y", "是", "已接通", "接通"}
_FALSE = {"0", "false", "f", "no", "n", "否", "未接通"}


class Invalid(ValueError):
    """One field of one row is unusable; ``field`` names the canonical field and ``rule``
    the kind of problem (``connectors.fields.RULES``: missing, unparseable, range …)."""

    def __init__(self, field: str, reason: str, rule: str = "unparseable"):
        self.field = field
        self.rule = rule
        super().__init__(reason)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def as_text(name: str, value: Any) -> str:
    """Codes and labels: integers written as digits (a district 411002 is '411002')."""
    if isinstance(value, bool):
        raise Invalid(name, f"{name} {value!r} is a boolean, not a code")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid(name, f"{name} is binary data that is not UTF-8 text") from None
    text = str(value).strip()
    if len(text) > 200:
        raise Invalid(name, f"{name} is {len(text)} characters long; at most 200 are kept", "range")
    return text


def as_number(name: str, value: Any, spec: Field, convert: Any = None) -> float:
    if isinstance(value, bool):
        raise Invalid(name, f"{name} {value!r} is a boolean, not a number")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise Invalid(name, f"{name} {value!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise Invalid(name, f"{name} {value!r} is not a finite number")
    if convert is not None:
        number = convert(number)
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.low is not None and number < spec.low:
        raise Invalid(name, f"{name} {_fmt(number)}{unit} is below {_fmt(spec.low)}{unit}, the least an instrument reports", "range")
    if spec.high is not None and number > spec.high:
        raise Invalid(name, f"{name} {_fmt(number)}{unit} is above {_fmt(spec.high)}{unit}, the most an instrument reports", "range")
    return number


def as_int(name: str, value: Any, spec: Field) -> int:
    number = as_number(name, value, spec)
    if not number.is_integer():
        raise Invalid(name, f"{name} {value!r} is not a whole number")
    return int(number)


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(name, f"{name} {value!r} is not yes/no (expected 1/0, true/false, 是/否)")


def local_instant(name: str, naive: dt.datetime, tz: ZoneInfo, dst: str = "quarantine") -> dt.datetime:
    """The instant of a naive local time in ``tz`` under the source's declared DST rule.

    Around a daylight-saving change a local time can occur twice (autumn: 02:30 happens
    at +02:00 and again at +01:00) or never (spring: 02:30 is skipped). Without an offset
    the source's value cannot say which it means, so the source declares it (``dst``):
    "earlier" takes the offset in force before the change, "later" the one after, and
    "quarantine" (the default) refuses such a time with this explanation (issue 19).
    """
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive
    when = f"{naive.isoformat(sep=' ')} in {tz.key}"
    if dst == "quarantine":
        if back:
            raise Invalid(name, f"{name} {when} occurs twice (the clocks went back an hour); the source gives no "
                                "offset, so which is meant is unknown — set dst = \"earlier\" or \"later\" for "
                                "this source, or have the department store the offset", "dst")
        raise Invalid(name, f"{name} {when} does not exist (the clocks jumped forward an hour there); set "
                            "dst = \"earlier\" or \"later\" to read it with the offset before or after the change",
                      "dst")
    # fold=0 is the offset before the change, fold=1 the one after (PEP 495, both directions)
    return (first if dst == "earlier" else second).astimezone(UTC)


def as_instant(name: str, value: Any, tz: ZoneInfo, dst: str = "quarantine") -> dt.datetime:
    """An aware UTC datetime; naive source values are local time in the source's zone."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError:
            raise Invalid(name, f"{name} {value!r} is not a date and time (expected e.g. 2026-10-01 08:00:00)") from None
    else:
        raise Invalid(name, f"{name} {value!r} is a {type(value).__name__}, not a date and time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = local_instant(name, moment.replace(tzinfo=None), tz, dst)
    moment = moment.astimezone(UTC)
    if not 1970 <= moment.year <= 2200:
        raise Invalid(name, f"{name} {value!r} lies outside 1970–2200", "range")
    return moment


def _fmt(number: float) -> str:
    return f"{number:g}"
