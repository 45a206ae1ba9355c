// Swagger UI leaves a few controls without a name a screen reader can announce (WCAG 4.1.2);
// this names them as they render. Served by idgate beside the docs page.
(function () {
  "use strict";
  var names = [
    ["select#servers", "Server"],
    [".dark-mode-toggle button", "Dark mode"],
    ["select.content-type", "Content type"],
    [".model-box-control", "Show or hide the model"],
  ];
  function name() {
    names.forEach(function (pair) {
      document.querySelectorAll(pair[0]).forEach(function (el) {
        if (!el.getAttribute("aria-label") && !el.textContent.trim()) {
          el.setAttribute("aria-label", pair[1]);
        } else if (el.tagName === "SELECT" && !el.getAttribute("aria-label")) {
          el.setAttribute("aria-label", pair[1]);
        }
      });
    });
  }
  new MutationObserver(name).observe(document.documentElement, { subtree: true, childList: true });
  document.addEventListener("DOMContentLoaded", name);
})();
