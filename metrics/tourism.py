"""Scenic-area capacity and crowding per LB/T 034-2014 (景区最大承载量核定导则)
and the Tourism Law of the PRC, art. 45.

* Maximum instantaneous capacity C1 = Σ Xᵢ / Yᵢ (area of spot i in m² over the space
  each visitor needs there, m²/person), rounded **down**: a capacity is a limit, and
  a fraction of a visitor cannot be admitted.
* Daily capacity C2 = C1 × Z with turnover Z = Int(T / t), opening hours over mean
  stay, its integer part (LB/T 034 writes Int()).  C1 is floored before multiplying
  so C2 is always a whole number of C1-sized "turns".
* Crowding: present / C1.  At ≥ 80 % the site must announce, report, start the
  contingency plan and throttle ticket sales; at 100 % entry stops (STANDARDS.md).
  Compared exactly in integers, so 800 of 1000 is "warning", not "normal".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from metrics._exact import exact
from metrics.errors import InvalidValueError

__all__ = ["CROWDING_STATES", "WARNING_SHARE", "Crowding", "capacity", "crowding", "crowding_states"]

#: Share of maximum instantaneous capacity at which the 80 % measures start.
WARNING_SHARE = Fraction(4, 5)
#: States from calm to worst.
CROWDING_STATES = ("normal", "warning", "stop_entry", "over_capacity")


@dataclass(frozen=True)
class Crowding:
    """Crowding of one site: ``ratio`` = present / capacity, ``state`` one of
    ``normal`` (< 80 %), ``warning`` (≥ 80 % and < 100 %), ``stop_entry`` (= 100 %),
    ``over_capacity`` (> 100 %)."""

    ratio: float
    state: str


def capacity(
    spots: Iterable[tuple[float, float]], opening_hours: float, mean_stay_hours: float
) -> tuple[int, int]:
    """(instantaneous C1, daily C2) capacity of a scenic area (LB/T 034-2014 §5).

    ``spots``: (area m², m² per visitor) for each part of the site that visitors
    occupy.  See the module docstring for the rounding (C1 floored; Z = Int(T/t)).
    Raises if the mean stay exceeds the opening hours: visitors leave at closing, so
    such inputs are inconsistent, and the formula would give a daily capacity of 0.
    """
    total = Fraction(0)
    count = 0
    for i, spot in enumerate(spots):
        try:
            area, per_visitor = spot
        except (TypeError, ValueError):
            raise InvalidValueError(f"spot {i} must be an (area_m2, m2_per_visitor) pair, got {spot!r}") from None
        area_f = exact(area, what=f"spot {i} area")
        space = exact(per_visitor, what=f"spot {i} m² per visitor")
        if area_f < 0:
            raise InvalidValueError(f"spot {i} area cannot be negative, got {area!r}")
        if space <= 0:
            raise InvalidValueError(f"spot {i} m² per visitor must be positive, got {per_visitor!r}")
        total += area_f / space
        count += 1
    if count == 0:
        raise InvalidValueError("capacity needs at least one (area_m2, m2_per_visitor) spot")
    hours = exact(opening_hours, what="opening_hours")
    stay = exact(mean_stay_hours, what="mean_stay_hours")
    if stay <= 0:
        raise InvalidValueError(f"mean_stay_hours must be positive, got {mean_stay_hours!r}")
    if hours < stay:
        raise InvalidValueError(
            f"mean_stay_hours ({mean_stay_hours!r}) exceeds opening_hours ({opening_hours!r}); "
            "visitors leave at closing, so check both values"
        )
    instantaneous = math.floor(total)
    return instantaneous, instantaneous * math.floor(hours / stay)


def crowding(present: int, capacity: int) -> Crowding:
    """Crowding state of a site from the head-count present and its C1 (LB/T 034-2014;
    Tourism Law art. 45).  Exact: 80 % and 100 % are compared as fractions."""
    p = exact(present, what="present")
    c = exact(capacity, what="capacity")
    if p < 0:
        raise InvalidValueError(f"present cannot be negative, got {present!r}")
    if c <= 0:
        raise InvalidValueError(f"capacity must be positive, got {capacity!r}; set the site's C1 in the config")
    ratio = p / c
    if ratio > 1:
        state = "over_capacity"
    elif ratio == 1:
        state = "stop_entry"
    elif ratio >= WARNING_SHARE:
        state = "warning"
    else:
        state = "normal"
    return Crowding(float(ratio), state)


def crowding_states(present: pd.Series, capacity: pd.Series | float) -> pd.DataFrame:
    """Vectorised :func:`crowding`: columns ``ratio`` (float) and ``state`` (str, missing
    where present or capacity is missing or capacity ≤ 0).

    Head-counts and capacities are whole people, so the edges are compared in
    integers (5·present ≥ 4·capacity) — exact like the scalar version.  Non-integral
    inputs are rounded to the nearest person first.
    """
    p = pd.to_numeric(present, errors="raise").astype("float64").to_numpy()
    cap_values = pd.to_numeric(capacity, errors="raise")
    cap = np.broadcast_to(np.asarray(cap_values, dtype="float64"), p.shape)
    valid = ~np.isnan(p) & ~np.isnan(cap) & (cap > 0) & (p >= 0)
    pi = np.where(valid, np.rint(p), 0).astype(np.int64)
    ci = np.where(valid, np.rint(cap), 1).astype(np.int64)
    state = np.select(
        [pi > ci, pi == ci, 5 * pi >= 4 * ci],
        ["over_capacity", "stop_entry", "warning"],
        default="normal",
    ).astype(object)
    state[~valid] = None
    index = present.index if isinstance(present, pd.Series) else None
    return pd.DataFrame(
        {"ratio": np.where(valid, p / np.where(valid, cap, 1.0), np.nan), "state": pd.array(state, dtype="str")}, index=index
    )
