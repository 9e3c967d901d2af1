// Maniva CRM: small progressive helpers. Everything works without this file.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "select-all") {
      document.querySelectorAll(".lead-select").forEach(function (box) { box.checked = target.checked; });
    }
    // A canned reply fills the reply's textarea (without this script, its Insert button reloads the page with it).
    if (target && target.dataset && target.dataset.fills) {
      var option = target.options[target.selectedIndex];
      var area = document.getElementById(target.dataset.fills);
      if (option && option.value && area) {
        area.value = area.value.trim() ? area.value.replace(/\s+$/, "") + "\n\n" + option.dataset.body : option.dataset.body;
        area.focus();
      }
    }
  });
})();
