// The docking network's charts (Apache ECharts, vendored): a node's figures by
// month, and the regional nodes side by side. The figures come from the page's
// <script type="application/json" id="network-chart-data"> block; the table on
// the page has the same figures.
(function () {
  "use strict";
  var block = document.getElementById("network-chart-data");
  if (!block || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var el = document.getElementById("network-chart");
  if (!el) {
    return;
  }
  var counts = ["listings", "demands", "matches", "follow_ups", "events", "offers", "contracts"];
  var categories = data.months || data.regions || [];
  var series = counts.map(function (key) {
    return { name: data.labels[key], type: "bar", data: data.series[key] || [] };
  });
  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 24, top: 24, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: data.regions ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
