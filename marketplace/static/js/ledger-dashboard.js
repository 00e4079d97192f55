// The ledger dashboard's charts (Apache ECharts, vendored). The figures come
// from the page's <script type="application/json" id="ledger-chart-data">
// block; every chart has a table with the same figures beside it and a
// sentence (its figcaption) saying what it shows. Amounts are drawn in the
// tables' unit (data.unit: 万元 in Chinese, millions of yuan in English),
// named on the value axis and in every tooltip.
(function () {
  "use strict";
  var block = document.getElementById("ledger-chart-data");
  if (!block || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var labels = data.labels || {};
  var unit = data.unit || { fen: 1000000, label: labels.unit || "" };
  var locale = document.documentElement.lang || undefined;

  function scaled(fen) {
    // display only: exact figures are in the tables
    return Math.round(fen / unit.fen * 100) / 100;
  }
  function number(value) {
    return Number(value).toLocaleString(locale, { maximumFractionDigits: 2 });
  }
  function tooltipValue(value) {
    return number(value) + " " + unit.label;
  }
  function valueAxis(extra) {
    var axis = {
      type: "value",
      name: unit.label,
      nameTextStyle: { fontWeight: "bold" },
      axisLabel: { formatter: number }
    };
    Object.keys(extra || {}).forEach(function (key) { axis[key] = extra[key]; });
    return axis;
  }
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    option.tooltip = option.tooltip || { trigger: "axis", valueFormatter: tooltipValue };
    option.legend = option.legend || { bottom: 0 };
    option.grid = option.grid || { left: 8, right: 24, top: 36, bottom: 40, containLabel: true };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var years = data.years.map(function (r) { return String(r.year); });
  make("chart-years", {
    xAxis: { type: "category", data: years },
    yAxis: valueAxis({ nameLocation: "end", nameGap: 14 }),
    series: [
      { name: labels.turnover, type: "bar", data: data.years.map(function (r) { return scaled(r.turnover_fen); }) },
      { name: labels.tech_income, type: "bar", data: data.years.map(function (r) { return scaled(r.tech_income_fen); }) },
      { name: labels.path, type: "line", data: data.years.map(function (r) { return scaled(r.path_fen); }) },
      { name: labels.cumulative, type: "line", data: data.years.map(function (r) { return scaled(r.cumulative_fen); }) },
      { name: labels.path_cumulative, type: "line", lineStyle: { type: "dashed" },
        data: data.years.map(function (r) { return scaled(r.path_cumulative_fen); }) }
    ]
  });

  ["region", "industry", "org_kind", "category"].forEach(function (groupBy) {
    var rows = data.breakdowns[groupBy] || [];
    var names = rows.map(function (r) { return r.label; });
    make("chart-" + groupBy, {
      grid: { left: 8, right: 24, top: 36, bottom: 64, containLabel: true },
      xAxis: valueAxis({ nameLocation: "middle", nameGap: 28 }),
      yAxis: { type: "category", data: names, inverse: true },
      series: [
        { name: labels.turnover, type: "bar", data: rows.map(function (r) { return scaled(r.turnover_fen); }) },
        { name: labels.tech_income, type: "bar", data: rows.map(function (r) { return scaled(r.tech_income_fen); }) }
      ]
    });
  });
})();
