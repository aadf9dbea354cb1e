"""Composite indices per the OECD/JRC *Handbook on Constructing Composite Indicators*
(2008): normalisation, hierarchical weights, aggregation, a declared missing-data rule,
and each component's contribution shown next to the score.

Steps of :func:`index` (Handbook chapters in brackets):

1. Missing data (§4): the spec's rule — ``reweight``, ``impute_mean`` or
   ``impute_last`` — and the share of values imputed is reported.
2. Normalisation (§5), per indicator and direction: ``minmax`` with fixed goalposts
   onto 0–100 (clipped), ``zscore``, or ``target`` (distance to a target, capped at 100).
3. Weights (§6): indicator weights within a sub-index, sub-index weights within the
   index, each renormalised per row over what is present.
4. Aggregation (§6): arithmetic Σ wᵢ sᵢ, or geometric Π sᵢ^wᵢ on scores floored at
   ``spec.floor`` (a single 0 would otherwise zero the product).
5. Contributions: arithmetic cᵢ = wᵢ sᵢ (they sum to the score).  Geometric:
   cᵢ = score × wᵢ ln sᵢ / ln score, the log-share decomposition, which also sums to
   the score; with the default floor of 1 every ln sᵢ ≥ 0, so no contribution is negative.

:data:`DEFAULT_VITAL_SIGNS` is the default 城市体征指数; its choices are justified in
the docstring that follows its definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metrics._frames import numeric, require_columns
from metrics._spec import (
    AGGREGATIONS,
    DIRECTIONS,
    MISSING_RULES,
    NORMALISATIONS,
    IndexSpec,
    IndicatorSpec,
    SubIndexSpec,
)

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_VITAL_SIGNS",
    "DIRECTIONS",
    "MISSING_RULES",
    "NORMALISATIONS",
    "CompositeResult",
    "IndexSpec",
    "IndicatorSpec",
    "SubIndexSpec",
    "applicable_mask",
    "index",
    "inputs_by_district",
    "missing_sub_indices",
    "normalise",
]


@dataclass(frozen=True)
class CompositeResult:
    """Outputs of :func:`index`, each frame row-aligned with the input frame.

    ``scores``: key columns, ``score``, ``coverage`` (share of the index weight with a
    value, after imputation), ``imputed_weight`` (share of the weight resting on imputed
    values) and one column per sub-index score.  ``contributions``: key columns and one
    column per indicator (its contribution to ``score``).  ``sub_contributions``: the
    same summed per sub-index.  ``normalised``: the 0–100 (or z) score per indicator.
    ``imputed_share``: imputed values / all indicator values in the frame.
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    sub_contributions: pd.DataFrame
    normalised: pd.DataFrame
    imputed_share: float
    spec: IndexSpec


def normalise(values: pd.Series | np.ndarray, indicator: IndicatorSpec) -> np.ndarray:
    """Normalised scores of one indicator (higher is always better afterwards)."""
    x = np.asarray(values, dtype=float)
    lower = indicator.direction == "lower"
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf/NaN are clipped below
        if indicator.normalisation == "minmax":
            lo, hi = float(indicator.min), float(indicator.max)  # type: ignore[arg-type]
            share = (hi - x) / (hi - lo) if lower else (x - lo) / (hi - lo)
            return np.clip(share, 0.0, 1.0) * 100.0
        if indicator.normalisation == "target":
            t = float(indicator.target)  # type: ignore[arg-type]
            if lower:
                ratio = np.where(x <= 0, 1.0, t / np.where(x <= 0, 1.0, x))
            else:
                ratio = x / t
            return np.where(np.isnan(x), np.nan, np.clip(ratio, 0.0, 1.0) * 100.0)
        mean = indicator.mean if indicator.mean is not None else np.nanmean(x) if (~np.isnan(x)).any() else np.nan
        std = indicator.std if indicator.std is not None else (
            np.nanstd(x, ddof=1) if (~np.isnan(x)).sum() > 1 else np.nan)
        if not np.isfinite(std) or std == 0:
            z = np.where(np.isnan(x), np.nan, 0.0)  # no spread: everybody is average
        else:
            z = (x - mean) / std
        return -z if lower else z


def _impute(raw: pd.DataFrame, frame: pd.DataFrame, spec: IndexSpec, keys: list[str]) -> pd.DataFrame:
    if spec.missing == "impute_mean":
        return raw.fillna(raw.mean())
    if spec.missing == "impute_last":
        require_columns(frame, (spec.time,), "frame")  # type: ignore[arg-type]
        entity = [k for k in keys if k != spec.time]
        order = frame.sort_values([*entity, spec.time], kind="stable").index  # type: ignore[list-item]
        ordered = raw.loc[order]
        filled = ordered.groupby([frame.loc[order, k] for k in entity]).ffill() if entity else ordered.ffill()
        return filled.loc[raw.index]
    return raw


def index(frame: pd.DataFrame, spec: IndexSpec, applicable: pd.DataFrame | None = None) -> CompositeResult:
    """Score every row of ``frame`` (e.g. one per time × district) on ``spec``.

    ``frame`` holds one column per indicator (``IndicatorSpec.source``) and any key
    columns.  See the module docstring for the method.  A row whose coverage falls
    below ``spec.min_coverage`` (or has no value at all) gets a missing score and
    missing contributions.

    ``applicable`` (optional, row-aligned, one boolean column per indicator source, absent
    columns = applicable) says which indicators *can* exist for a row: a district with no
    monitored road has no TPI, which is not missing data but a structural absence. The
    coverage rule is then taken over the applicable weight only (Handbook §4: a value that
    cannot exist is not imputed or counted as missing) — the one coverage rule every
    surface (wall, home, briefing) reads through the stored scores.
    """
    indicators = spec.indicators
    require_columns(frame, [i.source for i in indicators], "frame")
    sources = {i.source for i in indicators}
    keys = list(spec.keys) if spec.keys else [c for c in frame.columns if c not in sources]
    require_columns(frame, keys, "frame")
    frame = frame.reset_index(drop=True)

    raw = pd.DataFrame({i.name: numeric(frame[i.source], i.source, "frame") for i in indicators})
    filled = _impute(raw, frame, spec, keys)
    imputed = (raw.isna() & filled.notna()).to_numpy()
    scores = np.column_stack([normalise(filled[i.name], i) for i in indicators])
    present = ~np.isnan(scores)

    # Hierarchical weights, renormalised per row over what is present (Handbook §6).
    group = np.array([s for s, sub in enumerate(spec.sub_indices) for _ in sub.indicators])
    w = np.array([i.weight for i in indicators])
    big_w = np.array([s.weight for s in spec.sub_indices])
    n_sub = len(spec.sub_indices)
    sub_weight_present = np.column_stack([(present[:, group == s] * w[group == s]).sum(axis=1)
                                          for s in range(n_sub)])
    within = np.where(present, w / np.where(sub_weight_present[:, group] > 0,
                                            sub_weight_present[:, group], 1.0), 0.0)
    sub_has = sub_weight_present > 0
    sub_total = (sub_has * big_w).sum(axis=1, keepdims=True)
    sub_eff = np.where(sub_has, big_w / np.where(sub_total > 0, sub_total, 1.0), 0.0)
    eff = sub_eff[:, group] * within  # each indicator's weight in the index, per row

    nominal = big_w[group] / big_w.sum() * w / np.array([w[group == g].sum() for g in group])
    can = applicable_mask(frame, spec, applicable)
    possible = (can * nominal).sum(axis=1)
    coverage = np.where(possible > 0, (present * can * nominal).sum(axis=1) / np.where(possible > 0, possible, 1.0), 0.0)

    safe = np.where(present, scores, 0.0)
    if spec.aggregation == "arithmetic":
        sub_scores = np.column_stack([(within[:, group == s] * safe[:, group == s]).sum(axis=1)
                                      for s in range(n_sub)])
        contrib = eff * safe
        total = contrib.sum(axis=1)
    else:
        logs = np.log(np.maximum(np.where(present, scores, spec.floor), spec.floor))
        sub_scores = np.exp(np.column_stack([(within[:, group == s] * logs[:, group == s]).sum(axis=1)
                                             for s in range(n_sub)]))
        weighted_logs = eff * logs
        log_total = weighted_logs.sum(axis=1, keepdims=True)
        total = np.exp(log_total[:, 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            contrib = np.where(log_total != 0, total[:, None] * weighted_logs / log_total, total[:, None] * eff)
    sub_scores = np.where(sub_has, sub_scores, np.nan)
    usable = present.any(axis=1) & (coverage >= spec.min_coverage - 1e-12)
    total = np.where(usable, total, np.nan)
    contrib = np.where(usable[:, None] & present, contrib, np.nan)
    contrib = np.where(usable[:, None] & ~present, 0.0, contrib)  # absent: contributes nothing

    base = frame[keys].copy()
    names = [i.name for i in indicators]
    sub_names = [s.name for s in spec.sub_indices]
    sub_contrib = np.column_stack([contrib[:, group == s].sum(axis=1) for s in range(n_sub)])
    sub_contrib = np.where(usable[:, None], sub_contrib, np.nan)
    result_scores = base.assign(
        score=total, coverage=coverage,
        imputed_weight=np.where(usable, (eff * imputed).sum(axis=1), np.nan),
        **dict(zip(sub_names, sub_scores.T)),
    )
    cells = raw.size
    return CompositeResult(
        scores=result_scores,
        contributions=base.assign(**dict(zip(names, contrib.T))),
        sub_contributions=base.assign(**dict(zip(sub_names, sub_contrib.T))),
        normalised=base.assign(**dict(zip(names, scores.T))),
        imputed_share=float(imputed.sum() / cells) if cells else 0.0,
        spec=spec,
    )


def applicable_mask(frame: pd.DataFrame, spec: IndexSpec, applicable: pd.DataFrame | None) -> np.ndarray:
    """rows × indicators booleans: which indicators can exist for each row (all, by default)."""
    n = len(frame)
    if applicable is None:
        return np.ones((n, len(spec.indicators)), dtype=bool)
    if len(applicable) != n:
        raise ValueError(f"applicable has {len(applicable)} rows; the frame has {n}")
    cols = []
    for i in spec.indicators:
        col = applicable[i.source] if i.source in applicable else None
        cols.append(np.ones(n, dtype=bool) if col is None else col.fillna(True).to_numpy(dtype=bool))
    return np.column_stack(cols) if cols else np.ones((n, 0), dtype=bool)


#: hourly inputs that exist only where the city monitors something: input column → the
#: config's list of those things (each names its district)
SPATIAL_INPUTS = {"tpi": "segments", "aqi": "stations", "crowding_max": "sites"}


def inputs_by_district(settings: Any) -> dict[str, set[str]]:
    """input column → the districts where it can exist (``settings``: anything with the
    config's ``segments``/``stations``/``sites`` lists). The compute job's ``applicable``
    and the wall's "what is missing" both read this one rule."""
    return {col: {x.district for x in getattr(settings, kind)} for col, kind in SPATIAL_INPUTS.items()}


def missing_sub_indices(spec: IndexSpec, present: dict[str, bool], applicable: dict[str, bool] | None = None) -> list[str]:
    """The sub-indices with no value although they apply — what a "数据不足" tile names.

    ``present``/``applicable`` are keyed by indicator source; absent keys count as
    missing / applicable.
    """
    applicable = applicable or {}
    out = []
    for sub in spec.sub_indices:
        can = [i for i in sub.indicators if applicable.get(i.source, True)]
        if can and not any(present.get(i.source, False) for i in can):
            out.append(sub.name)
    return out


def _vital_signs() -> IndexSpec:
    return IndexSpec.from_dict({
        "name": "vital_signs",
        "label": "城市体征指数",
        "aggregation": "arithmetic",
        "missing": "reweight",
        "min_coverage": 0.6,
        "sub_indices": {
            "traffic": {"weight": 1, "label": "交通", "indicators": {
                "tpi": {"direction": "lower", "min": 0, "max": 10, "label": "交通运行指数"}}},
            "environment": {"weight": 1, "label": "环境", "indicators": {
                "aqi": {"direction": "lower", "min": 0, "max": 300, "label": "空气质量指数"}}},
            "tourism": {"weight": 1, "label": "文旅", "indicators": {
                "crowding_max": {"direction": "lower", "min": 0, "max": 1.2, "label": "景区最大拥挤度"}}},
            "economy": {"weight": 1, "label": "经济", "indicators": {
                "economy_yoy": {"direction": "higher", "min": -5, "max": 10, "label": "经济增速(同比%)"}}},
            "hotline": {"weight": 1, "label": "民生热线", "indicators": {
                "hotline_answer_rate": {"direction": "higher", "min": 0.8, "max": 1.0, "label": "接通率"},
                "hotline_on_time_rate": {"direction": "higher", "min": 0.8, "max": 1.0, "label": "按时办结率"},
                "hotline_satisfaction": {"direction": "higher", "min": 0.8, "max": 1.0, "label": "满意率"},
            }},
        },
    })


DEFAULT_VITAL_SIGNS: IndexSpec = _vital_signs()
"""Default 城市体征指数 (0–100, higher is healthier); override any part in the city TOML.

Columns expected: ``tpi``, ``aqi``, ``crowding_max``, ``economy_yoy``,
``hotline_answer_rate``, ``hotline_on_time_rate``, ``hotline_satisfaction``.

* Five sub-indices with **equal weights** (0.2 each): the Handbook (§6) recommends
  equal weighting when there is no statistical or participatory basis for others,
  and it is the easiest for leaders to read.  Hotline's three indicators share its
  0.2 equally.
* **Fixed goalposts** (min-max), so a score means the same thing every day:
  TPI 0..10 is the whole GB/T 33171 scale (10 → 0 points); AQI 0..300 ends at the top
  of 重度污染 — anything worse is simply 0; crowding 0..1.2 runs to 20 % over the
  LB/T 034 maximum (0.8, the warning line, scores 33); economy year-on-year growth
  −5..+10 % spans what Chinese cities have reported in recent years; hotline rates
  0.8..1.0 put the GB/T 33358 answer-rate target (95 %) at 75 points and treat below
  80 % as failing.
* **Arithmetic aggregation**: contributions add up to the score, which the wall
  shows next to it; the compensation it allows is acceptable for a monitoring
  index (use ``aggregation="geometric"`` to penalise one bad domain harder).
* **Missing data: reweight** with ``min_coverage`` 0.6 — a department whose feed is
  late does not drag the city to 0, but with fewer than three of five domains present
  the index is not published.
"""
