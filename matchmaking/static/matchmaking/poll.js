// While suggestions are being computed: ask the API every few seconds and reload the page once
// they are ready. A static file, not an inline script, so a strict Content-Security-Policy
// ("script-src 'self'") allows it. The element carrying data-poll-url is in _computing.html.
(function () {
  "use strict";
  var element = document.querySelector("[data-poll-url]");
  if (!element || !window.fetch) {
    return;
  }
  var url = element.getAttribute("data-poll-url");
  var only = element.getAttribute("data-poll-interest");
  var delay = 5000;
  var attempts = 0;
  var maxAttempts = 120; // ten minutes; after that, the "Refresh" link is still there

  function stillComputing(data) {
    return (data.interests || []).some(function (interest) {
      return interest.computing && (!only || String(interest.id) === only);
    });
  }

  function schedule() {
    attempts += 1;
    if (attempts <= maxAttempts) {
      window.setTimeout(check, delay);
    }
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (stillComputing(data)) {
          schedule();
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        schedule();
      });
  }

  schedule();
})();
