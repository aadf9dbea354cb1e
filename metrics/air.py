"""Air quality index per HJ 633 (环境空气质量指数 AQI 技术规定), both editions.

Scalar API (:func:`aqi`, :func:`sub_index`, :func:`aqi_level`,
:func:`standard_in_force`) computes in exact rationals; the frame API
(:func:`hourly_aqi`, :func:`daily_aqi`, implemented in :mod:`metrics._air_frames`)
does the same arithmetic vectorised in scaled integers.  Both follow these rules:

* IAQI = (IAQI_hi − IAQI_lo)/(BP_hi − BP_lo) × (C − BP_lo) + IAQI_lo, **rounded up**
  to an integer (HJ 633-2026 cl. 4.2.6; universal practice under 2012).  Rounding up
  happens per average, so two pollutants can tie only after rounding.
* AQI = max IAQI (cl. 5.3.1 of both editions).  Primary pollutant(s) only when
  AQI > 50: every pollutant whose IAQI equals the AQI (ties give several);
  over-standard pollutants: IAQI > 100 (2012 cl. 5.3.2).
* SO2 1h > 800 µg/m³: 2012 Table 1 note 2 reports the SO2 IAQI from the 24h mean;
  2026 sets the SO2 IAQI to 200.  O3 8h > 800 µg/m³: 2012 note 3 reports the O3 IAQI
  from the 1h value; 2026 sets it to 300.  Note that the 2012 SO2 rule is not
  monotone: SO2 1h 800 gives 200 but 801 with a low 24h mean gives less (the O3 rule
  is monotone for real data, where a day's max 1h ≥ its max 8h mean).
* Above the top breakpoint the IAQI is capped at 500 (a convention; the text is
  silent — STANDARDS.md).
* HJ 633-2026 cl. 5.3.1: with a pollutant missing and the AQI of the rest ≤ 100, the
  AQI is published as "NA" (``aqi=None``): a missing pollutant might have been the
  one that made the day polluted.  HJ 633-2012 has no such rule: AQI of the rest.

Concentrations are read as the decimals they were written as, to 10⁻⁶ of their unit
(see :mod:`metrics._exact`): 35 µg/m³ PM2.5 is exactly IAQI 50, 2.2 mg/m³ CO exactly 55.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from zoneinfo import ZoneInfo

from metrics._air_tables import (
    ALL_KEYS,
    BREAKPOINTS,
    EDITION_2026_FROM,
    EDITIONS,
    HJ633_2012,
    HJ633_2026,
    IAQI_STEPS,
    LEVELS,
    POLLUTANTS,
    REPORT_KEYS,
    pollutant_of,
)
from metrics._exact import ceil_int, exact, is_missing, quantised
from metrics.errors import InvalidValueError, MetricsError, UnknownKeyError

__all__ = [
    "AqiResult",
    "EDITIONS",
    "HJ633_2012",
    "HJ633_2026",
    "POLLUTANTS",
    "aqi",
    "aqi_level",
    "daily_aqi",
    "hourly_aqi",
    "standard_in_force",
    "sub_index",
]

_CHINA = ZoneInfo("Asia/Shanghai")
REPORTS = ("daily", "hourly")


@dataclass(frozen=True)
class AqiResult:
    """One AQI report.  ``aqi`` is None when the standard publishes "NA"."""

    aqi: int | None
    iaqi: dict[str, int]
    level: int | None
    category: str | None
    color: str | None
    primary: tuple[str, ...]
    standard: str
    over_standard: tuple[str, ...] = ()
    category_en: str | None = None
    report: str = "daily"
    #: The averages actually used (quantised), for audit: key → concentration.
    concentrations: dict[str, Fraction] = field(default_factory=dict)


def standard_in_force(on: dt.date | dt.datetime | None = None) -> str:
    """The HJ 633 edition that governs an observation on local date ``on``.

    HJ 633-2026 applies from 2026-03-01 (STANDARDS.md); earlier dates use HJ 633-2012.
    A tz-aware datetime is first converted to China time, because the switch date is
    a Beijing calendar date.  ``None`` means today — the one impure default here; pass
    ``on`` for reproducible results.
    """
    if on is None:
        on = dt.datetime.now(_CHINA).date()
    elif isinstance(on, dt.datetime):
        on = (on.astimezone(_CHINA) if on.tzinfo is not None else on).date()
    elif not isinstance(on, dt.date):
        raise InvalidValueError(f"on must be a date or datetime, got {on!r}")
    return HJ633_2026 if on >= EDITION_2026_FROM else HJ633_2012


def aqi_level(value: float) -> tuple[int, str, str, str]:
    """(level 1–6, 中文类别, English category, colour) of an AQI value (HJ 633 Table 2).

    Bands: 0–50 优, 51–100 良, 101–150 轻度污染, 151–200 中度污染, 201–300 重度污染,
    > 300 严重污染.  Works on any non-negative number so that pages can colour a
    forecast or an average too (50.5 is 良, above the 优 band).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or is_missing(value):
        raise InvalidValueError(f"AQI must be a non-negative number, got {value!r}")
    if value < 0:
        raise InvalidValueError(f"AQI cannot be negative, got {value!r}")
    for upper, level, zh, en, color in LEVELS:
        if upper is None or value <= upper:
            return level, zh, en, color
    raise AssertionError("unreachable: the last band is open-ended")


def _check_standard(standard: str) -> str:
    if standard not in EDITIONS:
        raise UnknownKeyError("AQI standard", standard, EDITIONS)
    return standard


def _iaqi_on(table: tuple[int, ...], c: Fraction) -> int | None:
    """Rounded-up IAQI of concentration ``c`` on one breakpoint column.

    None when ``c`` is above a column that stops short of IAQI 500 (SO2 1h, O3 8h):
    the standard defines no value there and a special rule applies instead.
    """
    if c > table[-1]:
        return 500 if len(table) == len(IAQI_STEPS) else None
    for i in range(1, len(table)):
        if c <= table[i]:
            bp_lo, bp_hi = table[i - 1], table[i]
            i_lo, i_hi = IAQI_STEPS[i - 1], IAQI_STEPS[i]
            return ceil_int(Fraction(i_hi - i_lo, bp_hi - bp_lo) * (c - bp_lo) + i_lo)
    return 0  # pragma: no cover - c == 0 is caught by the first segment


def _concentration(key: str, value: object) -> Fraction:
    c = quantised(exact(value, what=f"{key} concentration"))
    if c < 0:
        raise InvalidValueError(
            f"{key} concentration cannot be negative ({value!r}); "
            "drop the reading or pass None for a missing value"
        )
    return c


def sub_index(key: str, concentration: float, *, standard: str, report: str = "daily") -> int | None:
    """IAQI of one average on its breakpoint column, before the special rules.

    ``key`` is an input key such as ``"PM2.5_1h"`` (evaluated on the 24h column in an
    hourly report, HJ 633 实时报).  Returns None above the top of SO2 1h (800) and
    O3 8h (800), where HJ 633 defines no sub-index.
    """
    _check_standard(standard)
    keys = _report_keys(report)
    if key not in keys:
        _reject_key(key, report)
    return _iaqi_on(BREAKPOINTS[standard][keys[key]], _concentration(key, concentration))


def _report_keys(report: str) -> Mapping[str, str]:
    if report not in REPORT_KEYS:
        raise UnknownKeyError("report", report, REPORTS)
    return REPORT_KEYS[report]


def _reject_key(key: object, report: str) -> None:
    accepted = tuple(REPORT_KEYS[report])
    if key in ALL_KEYS:
        raise MetricsError(
            f"{key!r} is not part of the {report} AQI report (HJ 633); "
            f"the {report} report takes {', '.join(map(repr, accepted))}"
        )
    raise UnknownKeyError("pollutant key", key, ALL_KEYS)


def aqi(
    concentrations: Mapping[str, float | None],
    *,
    report: str = "daily",
    standard: str | None = None,
    on: dt.date | dt.datetime | None = None,
) -> AqiResult:
    """The AQI, IAQIs, level, colour and primary pollutant(s) of one report (HJ 633).

    ``concentrations`` maps input keys (``SO2_24h``, ``PM2.5_1h``, ``O3_8h``…; CO in
    mg/m³, the rest µg/m³) to values; None/NaN mean "not measured".  ``report`` is
    ``"daily"`` (日报: 24h means, the day's max O3 1h and max O3 8h) or ``"hourly"``
    (实时报: 1h means, PM on the 24h breakpoints; ``SO2_24h`` may be added for the
    2012 SO2 > 800 substitution).  ``standard`` defaults to the edition in force on
    ``on`` (see :func:`standard_in_force`).

    Each pollutant's IAQI is the highest among its given averages after the special
    rules (module docstring).  Raises :class:`MetricsError` when a special rule needs
    an average that was not given (2012: SO2_1h > 800 needs SO2_24h; O3_8h > 800
    needs O3_1h), since silently dropping the worst pollutant would understate the AQI.
    """
    keys = _report_keys(report)
    standard = _check_standard(standard) if standard is not None else standard_in_force(on)
    if not isinstance(concentrations, Mapping):
        raise InvalidValueError(
            f"concentrations must be a mapping of pollutant key to value, got {type(concentrations).__name__}"
        )
    given: dict[str, Fraction] = {}
    for key, value in concentrations.items():
        if key not in keys:
            _reject_key(key, report)
        if not is_missing(value):
            given[key] = _concentration(key, value)

    tables = BREAKPOINTS[standard]
    subs: dict[str, list[int]] = {}
    for key, c in given.items():
        if key == "SO2_24h" and report == "hourly":
            continue  # only a substitute in the hourly report (handled below)
        value = _iaqi_on(tables[keys[key]], c)
        if value is None:
            value = _special_rule(key, given, standard, report)
        if value is not None:
            subs.setdefault(pollutant_of(key), []).append(value)
    iaqi = {p: max(subs[p]) for p in POLLUTANTS if p in subs}
    return _result(iaqi, standard, report, given)


def _special_rule(key: str, given: Mapping[str, Fraction], standard: str, report: str) -> int | None:
    """IAQI for SO2 1h > 800 or O3 8h > 800 (HJ 633 Table 1 notes 2 and 3)."""
    if key == "SO2_1h":
        if standard == HJ633_2026:
            return 200
        if "SO2_24h" not in given:
            raise MetricsError(
                "SO2_1h is above 800 µg/m³: HJ 633-2012 (Table 1 note 2) reports the SO2 "
                "sub-index from the 24-hour mean instead; pass SO2_24h as well"
            )
        return _iaqi_on(BREAKPOINTS[standard]["SO2_24h"], given["SO2_24h"])
    if key == "O3_8h":
        if standard == HJ633_2026:
            return 300
        if "O3_1h" not in given:
            raise MetricsError(
                "O3_8h is above 800 µg/m³: HJ 633-2012 (Table 1 note 3) reports the O3 "
                "sub-index from the 1-hour value instead; pass O3_1h as well"
            )
        return None  # the O3_1h sub-index (computed on its own) stands for O3
    raise AssertionError(f"no special rule for {key}")  # pragma: no cover


def _result(iaqi: dict[str, int], standard: str, report: str, given: dict[str, Fraction]) -> AqiResult:
    value: int | None = max(iaqi.values()) if iaqi else None
    missing_any = len(iaqi) < len(POLLUTANTS)
    if value is not None and standard == HJ633_2026 and missing_any and value <= 100:
        value = None  # 2026 cl. 5.3.1: "NA"
    over = tuple(p for p in POLLUTANTS if iaqi.get(p, 0) > 100)
    if value is None:
        return AqiResult(None, iaqi, None, None, None, (), standard, over, None, report, given)
    level, zh, en, color = aqi_level(value)
    primary = tuple(p for p in POLLUTANTS if iaqi.get(p) == value) if value > 50 else ()
    return AqiResult(value, iaqi, level, zh, color, primary, standard, over, en, report, given)


from metrics._air_frames import daily_aqi, hourly_aqi  # noqa: E402  (re-export; frames build on the tables above)
