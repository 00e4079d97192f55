// The finance figures chart (Apache ECharts, vendored): amounts lent, outstanding
// and invested per row of the table beside it, in 万元 (the figures come from the
// page's <script type="application/json" id="finance-chart-data"> block).
(function () {
  "use strict";
  var block = document.getElementById("finance-chart-data");
  var el = document.getElementById("finance-chart");
  if (!block || !el || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var names = data.names || {};
  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  function series(key) {
    return { name: names[key], type: "bar", data: data[key] };
  }
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " " + names.unit; } },
    legend: { bottom: 0 },
    grid: { left: 8, right: 24, top: 36, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", name: names.unit },
    series: [series("amount"), series("outstanding"), series("invested")]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
