/* Progressive enhancement of the contact and consultation forms (form[data-enhance]).
   Without this file the forms post normally and the server answers with a page. With it they
   validate inline, submit with fetch (Accept: application/json), show the server's field errors
   in place and a success message without a reload. Server answers: 201 {ok, message},
   400 {ok: false, errors: {field: [{message, code}]}}, 429 {ok: false, errors: {__all__: [...]}}. */
(function () {
  "use strict";

  var GENERIC_ERROR = "Sorry, something went wrong on our side. Please try again in a moment, or write to hello@maniva.digital.";
  var PHONE_RE = /^\+?[0-9 ()./-]{6,40}$/;
  var EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function isoDate(date) {
    var m = String(date.getMonth() + 1).padStart(2, "0");
    var d = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + m + "-" + d;
  }

  function daysFromToday(days) {
    var date = new Date();
    date.setDate(date.getDate() + days);
    return isoDate(date);
  }

  function newIdempotencyKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function userFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit" && !el.closest(".hp-field");
    });
  }

  function validate(field) {
    var value = field.type === "checkbox" ? "" : field.value.trim();
    if (field.type === "checkbox") {
      return field.required && !field.checked ? "Please accept the privacy policy so we can answer you." : "";
    }
    if (field.required && !value) return field.validity.badInput ? "Enter a valid date." : "This field is required.";
    if (!value) return "";
    if (field.type === "email" && (field.validity.typeMismatch || !EMAIL_RE.test(value))) return "Enter a valid email address.";
    if (field.name === "phone" && !PHONE_RE.test(value)) return "Enter a phone number with digits, spaces and + ( ) - only.";
    if (field.minLength > 0 && value.length < field.minLength) return "Please write at least " + field.minLength + " characters.";
    if (field.maxLength > 0 && value.length > field.maxLength) {
      return "Ensure this value has at most " + field.maxLength + " characters (it has " + value.length + ").";
    }
    if (field.type === "date") {
      if (field.min && value < field.min) return "Please pick a day from tomorrow on.";
      if (field.max && value > field.max) return "Please pick a day within the next year.";
    }
    return "";
  }

  /* The same markup django-bootstrap5 renders for a server-side error, so both paths look alike. */
  function errorBox(field) {
    var id = field.id + "_error";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "w-100";
      var anchor = field.type === "checkbox" && field.parentElement.classList.contains("form-check") ? field.parentElement.lastElementChild : field;
      anchor.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function describedBy(field, id, add) {
    var ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (add) ids.push(id);
    if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
    else field.removeAttribute("aria-describedby");
  }

  function showError(field, message) {
    var box = errorBox(field);
    var feedback = document.createElement("div");
    feedback.className = "invalid-feedback d-block";
    feedback.textContent = message;
    box.replaceChildren(feedback);
    field.classList.add("is-invalid");
    field.setAttribute("aria-invalid", "true");
    describedBy(field, box.id, true);
  }

  function clearError(field) {
    var box = document.getElementById(field.id + "_error");
    if (box) box.replaceChildren();
    field.classList.remove("is-invalid");
    field.removeAttribute("aria-invalid");
    if (box) describedBy(field, box.id, false);
  }

  function check(field) {
    var message = validate(field);
    if (message) showError(field, message);
    else clearError(field);
    return !message;
  }

  function formAlert(form, messages) {
    var region = form.querySelector("[data-form-alert]");
    region.replaceChildren();
    if (!messages.length) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    messages.forEach(function (text, i) {
      if (i) alert.appendChild(document.createElement("br"));
      alert.appendChild(document.createTextNode(text));
    });
    region.appendChild(alert);
  }

  /* Focus without the browser's minimal scroll, which would hide the field's label. */
  function focusField(field) {
    field.focus({ preventScroll: true });
    (field.closest(".mb-3") || field).scrollIntoView({ block: "center" });
  }

  function focusFirstInvalid(form) {
    var first = form.querySelector(".is-invalid");
    if (first) focusField(first);
    else form.querySelector("[data-form-alert]").focus();
  }

  function showServerErrors(form, errors) {
    var general = [];
    userFields(form).forEach(clearError);
    Object.keys(errors || {}).forEach(function (name) {
      var messages = errors[name].map(function (e) { return e.message; });
      var field = name === "__all__" ? null : form.elements.namedItem(name);
      if (field && field.type !== "hidden" && field.id && !field.closest(".hp-field")) showError(field, messages.join(" "));
      else general = general.concat(messages);
    });
    var fieldCount = form.querySelectorAll(".is-invalid").length;
    if (fieldCount && !general.length) general.push(fieldCount === 1 ? "Please correct the field marked below." : "Please correct the " + fieldCount + " fields marked below.");
    formAlert(form, general);
    focusFirstInvalid(form);
  }

  function showSuccess(form, message, confirmation) {
    var panel = document.createElement("div");
    panel.className = "alert alert-success form-success";
    panel.setAttribute("role", "status");
    panel.tabIndex = -1;
    var title = document.createElement("p");
    title.className = "h5";
    title.textContent = message;
    var note = document.createElement("p");
    note.textContent = confirmation || "";
    var again = document.createElement("button");
    again.type = "button";
    again.className = "btn btn-outline-primary";
    again.textContent = "Send another message";
    again.addEventListener("click", function () {
      form.reset();
      form.elements.namedItem("idem").value = newIdempotencyKey();
      panel.remove();
      form.hidden = false;
      var first = userFields(form)[0];
      if (first) first.focus();
    });
    panel.append(title);
    if (confirmation) panel.append(note);
    panel.append(again);
    form.hidden = true;
    form.insertAdjacentElement("afterend", panel);
    panel.focus();
  }

  function nativeSubmit(form) {
    HTMLFormElement.prototype.submit.call(form);
  }

  function send(form) {
    var button = form.querySelector("button[type=submit]");
    form.setAttribute("aria-busy", "true");
    button.disabled = true;
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // Not an answer for us (a CSRF failure page, a proxy error): let the browser post the form.
          nativeSubmit(form);
          return;
        }
        return response.json().then(function (data) {
          if (response.ok && data.ok) {
            formAlert(form, []);
            showSuccess(form, data.message, data.confirmation);
          } else if (data.errors) {
            showServerErrors(form, data.errors);
          } else {
            formAlert(form, [GENERIC_ERROR]);
            form.querySelector("[data-form-alert]").focus();
          }
        });
      })
      .catch(function () {
        nativeSubmit(form); // offline or the fetch failed: the plain form post still works
      })
      .finally(function () {
        form.removeAttribute("aria-busy");
        button.disabled = false;
      });
  }

  function enhance(form) {
    userFields(form).forEach(function (field) {
      if (field.type === "date") {
        field.min = daysFromToday(1);
        field.max = daysFromToday(365);
      }
    });
    /* A check on blur adds or removes an error line and so moves everything below the field, the
       submit button included. Pressing the button blurs the field between mousedown and mouseup:
       the button moved away under the pointer and the click was lost. So while a pointer is down,
       blur checks wait until it is released, after the click (whose submit checks every field). */
    var pointerDown = false;
    var deferred = [];
    document.addEventListener("pointerdown", function () { pointerDown = true; }, true);
    function release() {
      if (!pointerDown) return;
      pointerDown = false;
      setTimeout(function () {
        var fields = deferred;
        deferred = [];
        fields.forEach(check);
      }, 0);
    }
    document.addEventListener("pointerup", release, true);
    document.addEventListener("pointercancel", release, true);
    form.addEventListener("focusout", function (event) {
      var field = event.target;
      if (userFields(form).indexOf(field) === -1 || !(field.value || field.classList.contains("is-invalid"))) return;
      if (!pointerDown) check(field);
      else if (deferred.indexOf(field) === -1) deferred.push(field);
    });
    form.addEventListener("input", function (event) {
      if (event.target.classList && event.target.classList.contains("is-invalid")) check(event.target);
    });
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox" || event.target.tagName === "SELECT") check(event.target);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      deferred = [];
      if (form.getAttribute("aria-busy") === "true") return;
      var invalid = userFields(form).filter(function (field) { return !check(field); });
      if (invalid.length) {
        formAlert(form, [invalid.length === 1 ? "Please correct the field marked below." : "Please correct the " + invalid.length + " fields marked below."]);
        focusField(invalid[0]);
        return;
      }
      formAlert(form, []);
      send(form);
    });
  }

  /* The menu on narrow screens: a disclosure button (Bootstrap's navbar markup, without its JS). */
  function menuToggle() {
    var toggler = document.querySelector(".navbar-toggler[aria-controls]");
    var menu = toggler && document.getElementById(toggler.getAttribute("aria-controls"));
    if (!menu) return;
    function setOpen(open) {
      menu.classList.toggle("show", open);
      toggler.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggler.addEventListener("click", function () { setOpen(!menu.classList.contains("show")); });
    menu.addEventListener("click", function (event) { if (event.target.closest("a")) setOpen(false); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("show")) {
        setOpen(false);
        toggler.focus();
      }
    });
  }

  document.querySelectorAll("form[data-enhance]").forEach(enhance);
  menuToggle();
})();
