/* Staff console behaviour. CSP forbids inline scripts, so every page hook is a data attribute. */
(function () {
  "use strict";

  // <form data-confirm="Are you sure?">: ask before submitting (freeze, close, batch actions).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <input type="checkbox" data-check-all="ids">: tick or untick every checkbox named "ids".
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-check-all]")) {
      return;
    }
    var name = box.getAttribute("data-check-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  // <div data-show-when-field="kind" data-show-when-value="centre">: shown only for that choice.
  function syncConditionalFields(root) {
    root.querySelectorAll("[data-show-when-field]").forEach(function (block) {
      var field = document.querySelector('[name="' + block.getAttribute("data-show-when-field") + '"]');
      if (!field) {
        return;
      }
      var wanted = block.getAttribute("data-show-when-value");
      var current = field.type === "radio" ? (document.querySelector('[name="' + field.name + '"]:checked') || {}).value : field.value;
      block.classList.toggle("d-none", current !== wanted);
    });
  }
  document.addEventListener("change", function () { syncConditionalFields(document); });

  // <div data-chart="bar" data-source="id-of-json-script">: a small ECharts bar chart.
  function drawCharts(root) {
    if (typeof window.echarts === "undefined") {
      return;
    }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-source"));
      if (!source || element.getAttribute("data-drawn") === "1") {
        return;
      }
      var data = JSON.parse(source.textContent);
      var chart = window.echarts.init(element);
      chart.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, top: 16, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: data.values, name: data.title || "" }]
      });
      element.setAttribute("data-drawn", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function init(root) {
    syncConditionalFields(root);
    drawCharts(root);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target || document); });
})();
