/* creditbank's own behaviour. CSP forbids inline scripts, so every page loads this file. */
(function () {
  "use strict";

  // After a phone code was sent, the "send code" button waits (60 s) before it can send again.
  // The server renders <span data-cb-countdown="60" data-cb-button="ID">; the button carries
  // data-cb-wait="Wait {seconds} s" (translated) for its label while waiting.
  function startCountdown(marker) {
    if (marker.hasAttribute("data-cb-started")) {
      return;
    }
    marker.setAttribute("data-cb-started", "1");
    var button = document.getElementById(marker.getAttribute("data-cb-button"));
    var left = parseInt(marker.getAttribute("data-cb-countdown"), 10);
    if (!button || !(left > 0)) {
      return;
    }
    if (!button.hasAttribute("data-cb-label")) {
      button.setAttribute("data-cb-label", button.textContent.trim());
    }
    var label = button.getAttribute("data-cb-label");
    var template = button.getAttribute("data-cb-wait") || "{seconds}";
    if (button._cbTimer) {
      window.clearTimeout(button._cbTimer);
    }
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        button.textContent = label;
        return;
      }
      button.textContent = template.replace("{seconds}", String(left));
      left -= 1;
      button._cbTimer = window.setTimeout(tick, 1000);
    }
    tick();
  }

  function scan(root) {
    var markers = (root || document).querySelectorAll("[data-cb-countdown]");
    for (var i = 0; i < markers.length; i += 1) {
      startCountdown(markers[i]);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    scan(event.detail && event.detail.target ? event.detail.target : document);
  });
})();
