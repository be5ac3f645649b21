/* The learning map's picture (/me/programmes/<code>/map/): an ECharts tree drawn from the same
   JSON as the API (learning_map.map_report, embedded with json_script). Decoration only: the
   list under it says the same and works without JavaScript. CSP forbids inline scripts. */
(function () {
  "use strict";

  var COLOURS = {
    programme: "#0b3d91",
    group: "#3d5a80",
    recorded: "#198754",
    available: "#0aa2c0",
    missing: "#e0a100",
    not_needed: "#6c757d",
    option: "#0d6efd"
  };
  var OPTIONS_SHOWN = 3;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function optionNode(option, labels) {
    var hours = fill(labels.hours, { hours: option.effort_hours });
    var name;
    if (option.kind === "study") {
      name = labels.study + " · " + hours;
    } else {
      var codes = option.items.map(function (item) { return item.code; });
      name = option.rule_number + (codes.length ? ": " + codes.join(" + ") : "") + " · " + hours;
    }
    return { name: name, itemStyle: { color: COLOURS.option }, lineStyle: { type: option.fills ? "solid" : "dashed" } };
  }

  function courseNode(course, labels) {
    var node = {
      name: course.name + "（" + course.credits + "）",
      itemStyle: { color: COLOURS[course.status] || COLOURS.not_needed }
    };
    if (course.status === "missing" && course.options.length) {
      node.children = course.options.slice(0, OPTIONS_SHOWN).map(function (option) { return optionNode(option, labels); });
      if (course.options.length > OPTIONS_SHOWN) {
        node.children.push({
          name: fill(labels.more, { count: course.options.length - OPTIONS_SHOWN }),
          itemStyle: { color: COLOURS.not_needed }
        });
      }
    }
    return node;
  }

  function tree(data, labels) {
    return {
      name: data.programme.name,
      itemStyle: { color: COLOURS.programme },
      children: data.groups.map(function (group) {
        return {
          name: group.name + "（" + group.done_credits + "/" + group.needed_credits + "）",
          itemStyle: { color: COLOURS.group },
          children: group.courses.map(function (course) { return courseNode(course, labels); })
        };
      })
    };
  }

  function leaves(node) {
    if (!node.children || !node.children.length) {
      return 1;
    }
    return node.children.reduce(function (sum, child) { return sum + leaves(child); }, 0);
  }

  function draw(element) {
    if (typeof window.echarts === "undefined" || element.getAttribute("data-drawn") === "1") {
      return;
    }
    var source = document.getElementById(element.getAttribute("data-source"));
    if (!source) {
      return;
    }
    var labels = {
      study: element.getAttribute("data-label-study") || "",
      hours: element.getAttribute("data-label-hours") || "{hours}",
      more: element.getAttribute("data-label-more") || "{count}"
    };
    var root = tree(JSON.parse(source.textContent), labels);
    element.style.width = "100%";
    element.style.height = Math.max(320, leaves(root) * 30) + "px";
    var chart = window.echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "item", triggerOn: "mousemove" },
      series: [
        {
          type: "tree",
          data: [root],
          orient: "LR",
          top: 16,
          bottom: 16,
          left: "18%",
          right: 270,
          symbolSize: 12,
          initialTreeDepth: -1,
          expandAndCollapse: true,
          label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 14 },
          leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } },
          animationDuration: 300
        }
      ]
    });
    element.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-learning-map]").forEach(draw);
})();
