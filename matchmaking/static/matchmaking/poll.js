// While suggestions are being computed: ask the API and reload the page once they are ready.
// A worker usually finishes within a second or two, so the first minute asks four times a
// second (a small query: /api/v1/me/computing/), and suggestions show within a second of the
// worker finishing; after that it backs off to every five seconds. A static file, not an
// inline script, so a strict Content-Security-Policy ("script-src 'self'") allows it. The element carrying data-poll-url is in _computing.html.
(function () {
  "use strict";
  var element = document.querySelector("[data-poll-url]");
  if (!element || !window.fetch) {
    return;
  }
  var url = element.getAttribute("data-poll-url");
  var only = element.getAttribute("data-poll-interest");
  var quickDelay = 250;
  var slowDelay = 5000;
  var quickFor = 60000;
  var giveUpAfter = 600000; // ten minutes; after that, the "Refresh" link is still there
  var started = Date.now();

  function stillComputing(data) {
    return (data.computing || []).some(function (id) {
      return !only || String(id) === only;
    });
  }

  function schedule() {
    var waited = Date.now() - started;
    if (waited <= giveUpAfter) {
      window.setTimeout(check, waited < quickFor ? quickDelay : slowDelay);
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
          showSuggestions();
        }
      })
      .catch(function () {
        schedule();
      });
  }

  // Fetch the page again and put its main content in place of this one's: quicker than a
  // reload (no stylesheets or scripts fetched again). Another interest still computing on
  // the new content keeps the polling going; anything unexpected falls back to a reload.
  function showSuggestions() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var current = document.querySelector("main");
        if (!fresh || !current) {
          throw new Error("no main content");
        }
        current.replaceWith(document.importNode(fresh, true));
        element = document.querySelector("[data-poll-url]");
        if (element) {
          only = element.getAttribute("data-poll-interest");
          schedule();
        }
      })
      .catch(function () {
        window.location.reload();
      });
  }

  check();
})();
