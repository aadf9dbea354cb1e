"""Strings of the forecasts (决策支持, issue 22): bands, accuracy labels, forecast warnings."""

STRINGS: dict[str, tuple[str, str]] = {
    "fc.band": ("预测", "Forecast"),
    "fc.band80": ("80%区间", "80% interval"),
    "fc.band95": ("95%区间", "95% interval"),
    "fc.accuracy": ("近{weeks}周预测误差 MASE {mase}，优于基线 {better}",
                    "Last {weeks} weeks: MASE {mase}, {better} better than baseline"),
    "fc.fallback": ("近{weeks}周无模型优于季节性朴素基线，显示基线预测（MASE {mase}）",
                    "Last {weeks} weeks: no model beat the seasonal-naive baseline; showing the baseline (MASE {mase})"),
    "fc.coverage": ("区间命中 80%: {c80} · 95%: {c95}", "interval coverage 80%: {c80} · 95%: {c95}"),
    "fc.untested": ("尚未回测，显示季节性朴素基线", "not backtested yet; showing the seasonal-naive baseline"),
    "fc.age": ("预测自 {time} 的最后观测起（{age}前）", "forecast from the last observation at {time} ({age} ago)"),
    "fc.none": ("暂无预测", "No forecast yet"),
    "fc.hit_rate": ("预计预警命中率 {rate}（{hits}/{n}）", "Forecast-warning hit rate {rate} ({hits}/{n})"),
    "fc.hit_rate_none": ("预计预警尚无可评估记录", "No forecast warning to score yet"),
    "fc.prefix": ("预计", "Expected"),
    "fc.model.seasonal_naive": ("季节性朴素（昨日同时）", "seasonal naive (same hour yesterday)"),
    "fc.model.seasonal_naive_week": ("上周同时", "same hour last week"),
    "fc.model.mstl_ses": ("MSTL+指数平滑", "MSTL + exponential smoothing"),
    "fc.model.mstl_ses_day": ("MSTL(日)+指数平滑", "MSTL (daily) + exponential smoothing"),
    "fc.model.mstl_ses_cal": ("MSTL+指数平滑（节假日）", "MSTL + exponential smoothing (holidays)"),
}
