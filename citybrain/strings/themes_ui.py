"""Strings of the theme surfaces (issue 20: ``/t/<code>``, the wall's theme screen, the
briefing's theme section): key → (中文, English). Theme, indicator and entity names come
from the city config in both languages; these are the words around them."""

STRINGS: dict[str, tuple[str, str]] = {
    "tpage.nav": ("专题", "Themes"),
    "tpage.unknown": ("本市没有代码为 {code} 的专题", "This city has no theme {code}"),
    "tpage.vs_day": ("较前一日", "vs day before"),
    "tpage.vs_week": ("较上周", "vs week before"),
    "tpage.kpi.total": ("所选时段合计", "total in the period"),
    "tpage.kpi.latest": ("最新值", "latest value"),
    "tpage.chart.trend": ("{name}走势", "{name} over time"),
    "tpage.hint.trend": ("虚线为预警分级阈值", "dashed lines: warning level thresholds"),
    "tpage.chart.districts": ("各区县{name}", "{name} by district"),
    "tpage.chart.ranking": ("各点位{name}", "{name} by place"),
    "tpage.table": ("监测对象", "Monitored places"),
    "tpage.col.code": ("编号", "Code"),
    "tpage.col.name": ("名称", "Name"),
    "tpage.col.time": ("最新数据时间", "Latest data"),
    "tpage.col.indicator": ("指标", "Indicator"),
    "tpage.col.value": ("最新值", "Latest"),
    "tpage.wall.places": ("{name}排行", "{name} by place"),
    "tpage.wall.today": ("今日累计 · 数据时间 {time}", "Today so far · as of {time}"),
    "tpage.wall.indicators": ("全市各项指标", "City indicators"),
    "tpage.brief.vs_day": ("较前一日 {change}", "vs day before {change}"),
    "tpage.brief.vs_week": ("较上周同日 {change}", "vs week before {change}"),
    "tpage.brief.ranking": ("各点位{name}（日值）", "{name} by place (day)"),
    "tpage.brief.levels": ("{name}达到预警分级的点位", "Places at a warning level of {name}"),
    "tpage.brief.level": ("分级", "Level"),
    "tpage.brief.no_levels": ("当日无点位达到预警分级。", "No place reached a warning level that day."),
    "tpage.home.today": ("（今日）", " (today)"),
    "tpage.level.blue": ("蓝色", "Blue"),
    "tpage.level.yellow": ("黄色", "Yellow"),
    "tpage.level.orange": ("橙色", "Orange"),
    "tpage.level.red": ("红色", "Red"),
    # a config's Chinese units, in English (an unknown one is left out of English text)
    **{f"tpage.unit.{zh}": (zh, en) for zh, en in (
        ("辆", "vehicles"), ("个", ""), ("件", "cases"), ("起", "cases"), ("单", "orders"), ("人", "people"),
        ("人次", "visits"), ("万人", "10k people"), ("次", "times"), ("小时", "h"), ("分钟", "min"), ("天", "days"),
        ("吨", "t"), ("处", "sites"), ("座", "sites"), ("家", "units"), ("户", "households"), ("台", "units"),
        ("盏", "lamps"), ("元", "yuan"), ("万元", "10k yuan"), ("亿元", "100M yuan"))},
}
