// Live progress for QR and push pages: asks the server once a second and follows it.
// Without JavaScript the page refreshes itself instead (a <noscript> refresh).
(function () {
  "use strict";
  var root = document.querySelector("[data-progress]");
  if (!root) { return; }
  var url = root.getAttribute("data-progress");
  var next = root.getAttribute("data-next");
  function show(id, text) {
    var el = document.getElementById(id);
    if (el && typeof text === "string") { el.textContent = text; }
  }
  function tick() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        if (p.done) { window.location.replace(next); return; }
        show("progress-message", p.message);
        if (typeof p.qr_svg === "string") {
          var qr = document.getElementById("qr");
          if (qr) { qr.innerHTML = p.qr_svg; }
          show("qr-code", p.qr_code);
        }
      })
      .catch(function () { /* a missed beat; the next one retries */ })
      .then(function () { window.setTimeout(tick, 1000); });
  }
  window.setTimeout(tick, 1000);
})();
