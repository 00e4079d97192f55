// The ledger dashboard's charts (Apache ECharts, vendored). The figures come
// from the page's <script type="application/json" id="ledger-chart-data">
// block; every chart has a table with the same figures beside it.
(function () {
  "use strict";
  var block = document.getElementById("ledger-chart-data");
  if (!block || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var labels = data.labels || {};
  var FEN_PER_YI = 1e10; // display only: exact figures are in the tables

  function yi(fen) {
    return Math.round(fen / FEN_PER_YI * 100) / 100;
  }
  function tooltipValue(value) {
    return value.toLocaleString() + " " + (labels.unit || "");
  }
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    option.tooltip = option.tooltip || { trigger: "axis", valueFormatter: tooltipValue };
    option.grid = option.grid || { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var years = data.years.map(function (r) { return String(r.year); });
  make("chart-years", {
    legend: { top: 0 },
    xAxis: { type: "category", data: years },
    yAxis: { type: "value", name: labels.unit },
    series: [
      { name: labels.turnover, type: "bar", data: data.years.map(function (r) { return yi(r.turnover_fen); }) },
      { name: labels.tech_income, type: "bar", data: data.years.map(function (r) { return yi(r.tech_income_fen); }) },
      { name: labels.path, type: "line", data: data.years.map(function (r) { return yi(r.path_fen); }) },
      { name: labels.cumulative, type: "line", data: data.years.map(function (r) { return yi(r.cumulative_fen); }) },
      { name: labels.path_cumulative, type: "line", lineStyle: { type: "dashed" },
        data: data.years.map(function (r) { return yi(r.path_cumulative_fen); }) }
    ]
  });

  ["region", "industry", "org_kind", "category"].forEach(function (groupBy) {
    var rows = data.breakdowns[groupBy] || [];
    var names = rows.map(function (r) { return r.label; });
    make("chart-" + groupBy, {
      legend: { top: 0 },
      xAxis: { type: "value", name: labels.unit },
      yAxis: { type: "category", data: names, inverse: true },
      series: [
        { name: labels.turnover, type: "bar", data: rows.map(function (r) { return yi(r.turnover_fen); }) },
        { name: labels.tech_income, type: "bar", data: rows.map(function (r) { return yi(r.tech_income_fen); }) }
      ]
    });
  });
})();
