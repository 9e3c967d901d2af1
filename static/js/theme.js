/* Colour mode: runs in <head> before the first paint so the page never flashes the wrong theme.
   Follows the system setting until the visitor picks a mode with the toggle; the pick is kept in
   localStorage. Also swaps the html "no-js" class, which CSS uses for the no-JavaScript fallbacks
   (the expanded menu, the hidden toggle) before the body is parsed, so nothing moves later.
   A page whose styles are not ready for dark mode can opt out with <html data-theme-fixed>
   (base.html's html_attrs block): it then stays in the mode its data-bs-theme names. */
(function () {
  "use strict";
  var KEY = "maniva-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  root.classList.remove("no-js");
  root.classList.add("js");
  if (root.hasAttribute("data-theme-fixed")) return;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null; // storage disabled: follow the system
    }
  }

  function current() {
    return stored() || (media && media.matches ? "dark" : "light");
  }

  function apply(mode) {
    if (root.getAttribute("data-bs-theme") !== mode) root.setAttribute("data-bs-theme", mode);
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", mode === "dark" ? "true" : "false");
    }
  }

  apply(current());

  if (media && media.addEventListener) {
    media.addEventListener("change", function () {
      if (!stored()) apply(current());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        var next = current() === "dark" ? "light" : "dark";
        try {
          window.localStorage.setItem(KEY, next);
        } catch (e) { /* the choice lasts for this page only */ }
        apply(next);
      });
    }
    apply(current());
  });
})();
