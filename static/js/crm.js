// Maniva CRM: small progressive helpers. Everything works without this file.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "select-all") {
      document.querySelectorAll(".lead-select").forEach(function (box) { box.checked = target.checked; });
    }
  });
})();
