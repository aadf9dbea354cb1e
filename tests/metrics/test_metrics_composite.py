"""OECD/JRC composite index: normalisation, weights, aggregation, missing data, specs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import composite
from metrics.composite import DEFAULT_VITAL_SIGNS, IndexSpec, IndicatorSpec
from metrics.errors import MissingColumnsError, SpecError

SPEC = {
    "name": "demo",
    "keys": ["time", "district"],
    "sub_indices": {
        "mobility": {"weight": 3, "indicators": {
            "tpi": {"direction": "lower", "min": 0, "max": 10},
        }},
        "service": {"weight": 1, "indicators": {
            "answer": {"direction": "higher", "min": 0.8, "max": 1.0},
            "satisfaction": {"direction": "higher", "min": 0.5, "max": 1.0, "weight": 3},
        }},
    },
}


def _frame(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"time": list(range(n)), "district": ["A"] * n, **cols})


def test_arithmetic_scores_and_contributions_by_hand():
    spec = IndexSpec.from_dict(SPEC)
    frame = _frame(tpi=[2.0], answer=[0.9], satisfaction=[0.75])
    r = composite.index(frame, spec)
    # tpi 2 → 80; answer 0.9 → 50; satisfaction 0.75 → 50. service = (1×50 + 3×50)/4 = 50.
    # index = (3 × 80 + 1 × 50)/4 = 72.5; contributions 60, 12.5 × 1/4, 12.5 × 3/4.
    assert r.scores["score"].iloc[0] == pytest.approx(72.5)
    assert r.scores["mobility"].iloc[0] == pytest.approx(80) and r.scores["service"].iloc[0] == pytest.approx(50)
    c = r.contributions.iloc[0]
    assert (c["tpi"], c["answer"], c["satisfaction"]) == pytest.approx((60.0, 3.125, 9.375))
    assert c[["tpi", "answer", "satisfaction"]].sum() == pytest.approx(72.5)
    assert r.sub_contributions.iloc[0]["service"] == pytest.approx(12.5)
    assert list(r.scores.columns[:2]) == ["time", "district"]


def test_goalposts_clip_to_0_100():
    spec = IndexSpec.from_dict(SPEC)
    r = composite.index(_frame(tpi=[12.0], answer=[1.2], satisfaction=[0.1]), spec)
    assert list(r.normalised.iloc[0][["tpi", "answer", "satisfaction"]]) == [0.0, 100.0, 0.0]


def test_geometric_aggregation_with_floor_and_log_share_contributions():
    spec = IndexSpec.from_dict({**SPEC, "aggregation": "geometric", "sub_indices": {
        "s": {"indicators": {"a": {"min": 0, "max": 100}, "b": {"min": 0, "max": 100}}}}})
    r = composite.index(pd.DataFrame({"a": [25.0, 0.0], "b": [100.0, 100.0],
                                      "time": [0, 1], "district": ["A", "A"]}), spec)
    assert r.scores["score"].iloc[0] == pytest.approx(50.0)   # √(25 × 100)
    assert r.scores["score"].iloc[1] == pytest.approx(10.0)   # 0 floored to 1: √(1 × 100)
    ca, cb = r.contributions.iloc[0]["a"], r.contributions.iloc[0]["b"]
    assert ca + cb == pytest.approx(50.0)
    assert ca == pytest.approx(50 * math.log(25) / (math.log(25) + math.log(100)))
    with pytest.raises(SpecError, match="geometric"):
        IndexSpec.from_dict({**SPEC, "aggregation": "geometric", "sub_indices": {
            "s": {"indicators": {"a": {"normalisation": "zscore"}}}}})


def test_missing_reweight_and_coverage():
    spec = IndexSpec.from_dict(SPEC)
    r = composite.index(_frame(tpi=[np.nan, np.nan], answer=[0.9, np.nan], satisfaction=[np.nan, np.nan]), spec)
    # Row 0: only 'answer' present → service = 50 → index = 50 (reweighted); coverage = 1/4 × 1/4.
    assert r.scores["score"].iloc[0] == pytest.approx(50.0)
    assert r.scores["coverage"].iloc[0] == pytest.approx(1 / 16)
    assert np.isnan(r.scores["mobility"].iloc[0])
    assert r.contributions.iloc[0]["tpi"] == 0.0
    assert np.isnan(r.scores["score"].iloc[1])  # nothing present
    strict = dataclasses.replace(spec, min_coverage=0.5)
    assert np.isnan(composite.index(_frame(tpi=[np.nan], answer=[0.9], satisfaction=[0.9]), strict)
                    .scores["score"].iloc[0])  # coverage 0.25 < 0.5


def test_impute_mean_and_last_report_the_share():
    mean_spec = IndexSpec.from_dict({**SPEC, "missing": "impute_mean"})
    frame = _frame(tpi=[2.0, 4.0, np.nan], answer=[0.9, 0.9, 0.9], satisfaction=[0.75, 0.75, 0.75])
    r = composite.index(frame, mean_spec)
    # tpi imputed as 3 → 70; score = (3 × 70 + 50)/4 = 65; 1 of 9 values imputed.
    assert r.scores["score"].iloc[2] == pytest.approx(65.0)
    assert r.imputed_share == pytest.approx(1 / 9)
    assert r.scores["imputed_weight"].iloc[2] == pytest.approx(0.75)
    last_spec = IndexSpec.from_dict({**SPEC, "missing": "impute_last", "time": "time"})
    two = pd.DataFrame({"time": [1, 0, 1, 0], "district": ["A", "A", "B", "B"],
                        "tpi": [np.nan, 5.0, np.nan, 1.0], "answer": [0.9] * 4, "satisfaction": [0.75] * 4})
    out = composite.index(two, last_spec)
    # A at time 1 takes A's 5 (→ 50), B at time 1 takes B's 1 (→ 90): never the other district's.
    assert out.normalised["tpi"].tolist() == pytest.approx([50.0, 50.0, 90.0, 90.0])
    with pytest.raises(SpecError, match="time"):
        IndexSpec.from_dict({**SPEC, "missing": "impute_last"})


def test_zscore_and_target_normalisation():
    z = IndicatorSpec("x", direction="lower", normalisation="zscore")
    assert composite.normalise(np.array([1.0, 2.0, 3.0]), z).tolist() == pytest.approx([1.0, 0.0, -1.0])
    fixed = IndicatorSpec("x", normalisation="zscore", mean=10, std=2)
    assert composite.normalise(np.array([14.0]), fixed).tolist() == [2.0]
    t = IndicatorSpec("x", normalisation="target", target=8)
    assert composite.normalise(np.array([4.0, 8.0, 16.0]), t).tolist() == [50.0, 100.0, 100.0]
    t_low = IndicatorSpec("x", direction="lower", normalisation="target", target=50)
    assert composite.normalise(np.array([100.0, 25.0]), t_low).tolist() == [50.0, 100.0]


def test_spec_validation_names_the_bad_key():
    bad_direction = {**SPEC, "sub_indices": {"mobility": {"indicators": {"tpi": {"direction": "up",
                                                                                  "min": 0, "max": 1}}}}}
    with pytest.raises(SpecError, match=r"sub_indices\.mobility\.indicators\.tpi\.direction"):
        IndexSpec.from_dict(bad_direction)
    typo = {**SPEC, "sub_indices": {"mobility": {"indicators": {"tpi": {"min": 0, "maxx": 1}}}}}
    with pytest.raises(SpecError, match=r"tpi\.maxx"):
        IndexSpec.from_dict(typo)
    with pytest.raises(SpecError, match=r"sub_indices\.mobility\.weight"):
        IndexSpec.from_dict({**SPEC, "sub_indices": {"mobility": {"weight": -1, "indicators": {
            "tpi": {"min": 0, "max": 1}}}}})
    with pytest.raises(SpecError, match=r"tpi\.max"):
        IndexSpec.from_dict({**SPEC, "sub_indices": {"m": {"indicators": {"tpi": {"min": 5, "max": 1}}}}})
    with pytest.raises(SpecError, match="missing"):
        IndexSpec.from_dict({**SPEC, "missing": "drop"})
    with pytest.raises(MissingColumnsError, match="satisfaction"):
        composite.index(_frame(tpi=[1.0], answer=[1.0]), IndexSpec.from_dict(SPEC))
    # Arrays of tables work too.
    listed = IndexSpec.from_dict({"sub_indices": [{"name": "s", "indicators": [
        {"name": "a", "min": 0, "max": 1}]}]})
    assert listed.indicators[0].name == "a"


def test_default_vital_signs():
    best = pd.DataFrame({"tpi": [0.0, 10.0], "aqi": [0.0, 300.0], "crowding_max": [0.0, 1.2],
                         "economy_yoy": [10.0, -5.0], "hotline_answer_rate": [1.0, 0.8],
                         "hotline_on_time_rate": [1.0, 0.8], "hotline_satisfaction": [1.0, 0.8]})
    r = composite.index(best, DEFAULT_VITAL_SIGNS)
    assert r.scores["score"].tolist() == pytest.approx([100.0, 0.0])
    assert [s.name for s in DEFAULT_VITAL_SIGNS.sub_indices] == [
        "traffic", "environment", "tourism", "economy", "hotline"]
    # Each domain weighs 1/5: AQI 150 alone off its best costs 10 points.
    mid = best.iloc[[0]].assign(aqi=150.0)
    assert composite.index(mid, DEFAULT_VITAL_SIGNS).scores["score"].iloc[0] == pytest.approx(90.0)
    # Two domains missing: coverage 0.6 still publishes; three missing does not.
    two_gone = best.iloc[[0]].assign(tpi=np.nan, aqi=np.nan)
    assert composite.index(two_gone, DEFAULT_VITAL_SIGNS).scores["score"].iloc[0] == pytest.approx(100.0)
    three_gone = two_gone.assign(economy_yoy=np.nan)
    assert np.isnan(composite.index(three_gone, DEFAULT_VITAL_SIGNS).scores["score"].iloc[0])
    assert IndexSpec.from_dict(DEFAULT_VITAL_SIGNS.to_dict()) == DEFAULT_VITAL_SIGNS


_value = st.floats(min_value=-20, max_value=20, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(row=st.lists(_value, min_size=4, max_size=4), which=st.integers(0, 3),
       bump=st.floats(min_value=0, max_value=30), geometric=st.booleans(),
       normalisation=st.sampled_from(["minmax", "target"]))
def test_index_moves_in_each_indicators_declared_direction(row, which, bump, geometric, normalisation):
    def ind(direction):
        if normalisation == "minmax":
            return {"direction": direction, "min": -10, "max": 10}
        return {"direction": direction, "normalisation": "target", "target": 5}
    spec = IndexSpec.from_dict({
        "aggregation": "geometric" if geometric else "arithmetic",
        "sub_indices": {
            "one": {"weight": 2, "indicators": {"h1": ind("higher"), "l1": ind("lower")}},
            "two": {"weight": 1, "indicators": {"h2": ind("higher"), "l2": ind("lower")}},
        }})
    names = ["h1", "l1", "h2", "l2"]
    base = pd.DataFrame([row], columns=names)
    moved = base.copy()
    moved.iloc[0, which] += bump
    before = composite.index(base, spec).scores["score"].iloc[0]
    after = composite.index(moved, spec).scores["score"].iloc[0]
    if names[which].startswith("h"):
        assert after >= before - 1e-9
    else:
        assert after <= before + 1e-9
