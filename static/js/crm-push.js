// Subscribe this browser to web push for the CRM, show the state, unsubscribe.
(function () {
  "use strict";
  var button = document.getElementById("push-toggle");
  var state = document.getElementById("push-state");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window) || !button.dataset.vapidKey) {
    if (state && button && !button.dataset.vapidKey) { state.textContent = ""; }
    return;
  }

  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function show(subscribed, text) {
    button.hidden = false;
    button.textContent = subscribed ? "Disable notifications" : "Enable notifications";
    button.setAttribute("aria-pressed", subscribed ? "true" : "false");
    state.textContent = text || (subscribed ? "Notifications on" : "Notifications off");
  }

  function tell(body) {
    return fetch(button.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": button.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("server said " + response.status); }
      return response.json();
    });
  }

  var registration = navigator.serviceWorker.register(button.dataset.worker, { scope: button.dataset.scope });

  registration.then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (sub) { show(!!sub); })
    .catch(function () { show(false, "Notifications unavailable"); });

  button.addEventListener("click", function () {
    button.disabled = true;
    registration.then(function (reg) {
      return reg.pushManager.getSubscription().then(function (existing) {
        if (existing) {
          var endpoint = existing.endpoint;
          return existing.unsubscribe().then(function () {
            return tell({ action: "unsubscribe", endpoint: endpoint });
          }).then(function () { show(false); });
        }
        return Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") { show(false, "Notifications blocked by the browser"); return null; }
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(button.dataset.vapidKey) })
            .then(function (sub) {
              var data = sub.toJSON();
              return tell({ action: "subscribe", endpoint: data.endpoint, keys: data.keys });
            }).then(function () { show(true); });
        });
      });
    }).catch(function (error) {
      show(false, "Could not change notifications: " + error.message);
    }).then(function () { button.disabled = false; });
  });
})();
