/* plotly.js locale zh-CN for citybrain (written for this project; MIT like plotly.js).
 * Month and weekday names and the mode bar's tooltips in Simplified Chinese, so a Chinese
 * page's date axes never read "Dec 4, 2026". Registered once plotly-basic.min.js (loaded
 * before this file: assets load in name order) has defined window.Plotly; a graph picks it
 * with config.locale = "zh-CN" (components/page/chart.graph_config, the print layout). */
(function () {
  var locale = {
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放", "Box Select": "矩形框选", "Double-click to zoom back out": "双击恢复原始大小",
      "Download plot": "下载图表", "Download plot as a png": "下载为 PNG 图片", "Lasso Select": "套索选择",
      "Pan": "平移", "Reset axes": "重置坐标轴", "Reset view": "重置视图", "Zoom": "缩放",
      "Zoom in": "放大", "Zoom out": "缩小", "Toggle Spike Lines": "显示/隐藏辅助线",
      "Show closest data on hover": "悬停显示最近的数据", "Compare data on hover": "悬停比较数据",
      "Snapshot succeeded": "截图成功", "Taking snapshot - this may take a few seconds": "正在截图，请稍候",
      "Sorry, there was a problem downloading your snapshot!": "抱歉，下载截图时出错！",
      "Produced with Plotly.js": "由 Plotly.js 生成", "trace": "数据系列", "new text": "新文本",
      "max:": "最大值：", "min:": "最小值：", "mean:": "平均值：", "median:": "中位数："
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d",
      decimal: ".",
      thousands: ","
    }
  };
  function register() {
    if (window.Plotly && typeof window.Plotly.register === "function") {
      window.Plotly.register(locale);
      return true;
    }
    return false;
  }
  if (!register()) {
    document.addEventListener("DOMContentLoaded", register);
  }
})();
