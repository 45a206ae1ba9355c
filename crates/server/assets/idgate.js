// Live progress for QR, push and waiting pages: asks the server once a second and follows it.
// Without JavaScript the page refreshes itself instead (a <noscript> refresh).
(function () {
  "use strict";
  var root = document.querySelector("[data-progress]");
  if (!root) { return; }
  var url = root.getAttribute("data-progress");
  var next = root.getAttribute("data-next");
  var stopped = false;
  function show(id, text) {
    var el = document.getElementById(id);
    if (el && typeof text === "string" && el.textContent !== text) { el.textContent = text; }
  }
  function tick() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.ok || r.status === 404) { return r.json(); }
        return null;
      })
      .then(function (p) {
        if (!p) { return; }
        if (p.done) {
          stopped = true;
          // The provider's own words for how it ended, read before the page moves on.
          if (typeof p.parting === "string") {
            show("progress-message", p.parting);
            window.setTimeout(function () { window.location.replace(next); }, 4000);
          } else {
            window.location.replace(next);
          }
          return;
        }
        show("progress-message", p.message);
        var qr = document.getElementById("qr");
        var open = document.getElementById("open-app");
        if (typeof p.qr_svg === "string") {
          if (qr) { qr.innerHTML = p.qr_svg; }
          show("qr-code", p.qr_code);
          // Opening the app on this device hands it the current code.
          if (open) { open.href = open.getAttribute("data-base") + encodeURIComponent(p.qr_code); }
        } else if (qr) {
          // Scanned: the attempt belongs to that phone; no code is left to read.
          qr.hidden = true;
          show("qr-code", "");
          if (open) { open.hidden = true; }
        }
      })
      .catch(function () { /* a missed beat; the next one retries */ })
      .then(function () { if (!stopped) { window.setTimeout(tick, 1000); } });
  }
  window.setTimeout(tick, 1000);
})();

// A waiting page without a progress feed (after a provider's return) looks again now and then,
// by script rather than a meta refresh, which assistive technology announces badly.
(function () {
  "use strict";
  var root = document.querySelector("[data-reload-after]");
  if (!root) { return; }
  var seconds = parseInt(root.getAttribute("data-reload-after"), 10) || 5;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();

// Embedded in a partner's page (Veriff's InContext SDK frames the hosted flow): tell the
// parent what happens, with the message names that SDK listens for. Only a page of an origin
// the partner allowed can frame idgate (CSP frame-ancestors), and the messages are bare event
// names, nothing about the person.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var target = "*";
  if (window.location.ancestorOrigins && window.location.ancestorOrigins.length > 0) {
    var origin = window.location.ancestorOrigins[0];
    if (origin && origin !== "null") { target = origin; }
  }
  function post(name) {
    try { window.parent.postMessage(name, target); } catch (e) { /* the parent went away */ }
  }
  post("VERIFF_HANDSHAKE");
  var forms = document.querySelectorAll("form[data-frame-event]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function () { post(form.getAttribute("data-frame-event")); });
  });
  var done = document.querySelector("[data-frame-event-on-load]");
  if (done) { post(done.getAttribute("data-frame-event-on-load")); }
})();
