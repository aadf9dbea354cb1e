"""同比, 环比, 累计, 累计同比 with revisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics import economy
from metrics.errors import InvalidValueError, UnknownKeyError


def test_monthly_growth_with_revision():
    s = pd.DataFrame({
        "period": ["2025-01", "2025-02", "2025-03", "2026-01", "2026-02", "2026-03", "2026-02"],
        "value": [100, 110, 120, 110, 121, 126, 999],
        "revision": [0, 0, 0, 0, 1, 0, 0],   # the 999 is revision 0 of 2026-02, superseded
    })
    out = economy.growth(s).set_index("period")
    assert out.loc["2026-02", "value"] == 121 and out.loc["2026-02", "revision"] == 1
    assert out.loc["2026-02", "yoy"] == pytest.approx(10.0)          # 121 / 110
    assert out.loc["2026-03", "yoy"] == pytest.approx(5.0)           # 126 / 120
    assert out.loc["2026-02", "pop"] == pytest.approx(10.0)          # 121 / 110
    assert out.loc["2026-03", "ytd"] == 357                          # 110 + 121 + 126
    assert out.loc["2026-03", "ytd_yoy"] == pytest.approx((357 / 330 - 1) * 100)
    # Missing comparison periods: nothing a year before 2025; no 2025-12 before 2026-01.
    assert np.isnan(out.loc["2025-03", "yoy"]) and np.isnan(out.loc["2026-01", "pop"])
    assert np.isnan(out.loc["2025-01", "pop"])


def test_quarterly_and_mean_aggregation_and_gaps():
    q = pd.DataFrame({"indicator": ["cpi"] * 6,
                      "period": ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q4", "2026-Q1", "2026-Q2"],
                      "value": [100, 50, 60, 110, 55, 63]})
    out = economy.growth(q, aggregation="mean").set_index("period")
    assert out.loc["2025-Q1", "pop"] == pytest.approx(-50.0)   # vs 2024-Q4
    assert out.loc["2025-Q4", "yoy"] == pytest.approx(10.0)    # vs 2024-Q4
    assert np.isnan(out.loc["2025-Q4", "pop"])                 # 2025-Q3 missing
    assert np.isnan(out.loc["2025-Q4", "ytd"])                 # gap in the year: no 累计
    assert out.loc["2026-Q2", "ytd"] == pytest.approx(59.0)    # mean(55, 63)
    assert out.loc["2026-Q2", "ytd_yoy"] == pytest.approx((59 / 55 - 1) * 100)
    assert list(out["frequency"].unique()) == ["quarterly"]


def test_indicators_are_separate_and_base_must_be_positive():
    s = pd.DataFrame({"indicator": ["a", "a", "b", "b"],
                      "period": ["2025-01", "2026-01", "2025-01", "2026-01"],
                      "value": [0, 5, -10, 5]})
    out = economy.growth(s)
    assert out["yoy"].isna().all()  # zero and negative bases give no rate
    assert list(out["indicator"]) == ["a", "a", "b", "b"]


def test_errors_name_the_fix():
    with pytest.raises(InvalidValueError, match="YYYY-MM"):
        economy.growth(pd.DataFrame({"period": ["2026/01"], "value": [1]}))
    with pytest.raises(InvalidValueError, match="revision"):
        economy.growth(pd.DataFrame({"period": ["2026-01", "2026-01"], "value": [1, 2]}))
    with pytest.raises(InvalidValueError, match="mixes"):
        economy.growth(pd.DataFrame({"period": ["2026-01", "2026-Q1"], "value": [1, 2]}))
    with pytest.raises(UnknownKeyError, match="sum"):
        economy.growth(pd.DataFrame({"period": ["2026-01"], "value": [1]}), aggregation="median")
    assert economy.parse_period("2026-Q3") == ("quarterly", 2026, 3)
