/* Import progress bars. CSP forbids style attributes in markup, so the width comes from
   data-progress and is set here, on load and after every htmx swap of the polled partial. */
(function () {
  "use strict";

  function applyProgress(root) {
    root.querySelectorAll(".progress-bar[data-progress]").forEach(function (bar) {
      var value = parseInt(bar.getAttribute("data-progress"), 10);
      if (isNaN(value)) {
        value = 0;
      }
      bar.style.width = Math.max(0, Math.min(100, value)) + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { applyProgress(document); });
  document.addEventListener("htmx:afterSettle", function (event) { applyProgress(event.target || document); });
})();
