// The header's menu on a narrow screen: a button that opens and closes it. Without this
// script the button stays hidden and the menu open, so every link is still reachable.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var header = document.querySelector(".site-header");
  if (!button || !header) {
    return;
  }
  button.hidden = false;
  header.classList.add("menu-ready");
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  });
})();
