// korsel's only script of its own (the pages work without it, except address suggestions).
// Loaded from a file: the Content-Security-Policy allows no inline scripts.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  // htmx requests carry the session's CSRF token in a header, as forms carry it in a field.
  document.addEventListener("htmx:configRequest", function (event) {
    if (meta) {
      event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // An address suggestion was chosen: fill the stop's visible and hidden fields.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-address-id]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var stop = button.closest("[data-stop]");
    stop.querySelector("input[data-role=label]").value = button.getAttribute("data-label");
    stop.querySelector("input[data-role=id]").value = button.getAttribute("data-address-id");
    stop.querySelector("input[data-role=lat]").value = button.getAttribute("data-lat");
    stop.querySelector("input[data-role=lon]").value = button.getAttribute("data-lon");
    var list = stop.querySelector("[data-role=suggestions]");
    list.innerHTML = "";
    var status = stop.querySelector("[data-role=chosen]");
    if (status) {
      status.textContent = status.getAttribute("data-text") + " " + button.getAttribute("data-label");
    }
    stop.querySelector("input[data-role=label]").focus();
  });

  // Typing in an address field forgets the earlier choice until a suggestion is picked again.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.getAttribute("data-role") !== "label") {
      return;
    }
    var stop = input.closest("[data-stop]");
    stop.querySelector("input[data-role=id]").value = "";
    var status = stop.querySelector("[data-role=chosen]");
    if (status) {
      status.textContent = "";
    }
  });

  // "Vælg alle" in the approval queue.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (all.id !== "select-all") {
      return;
    }
    document.querySelectorAll("input[name=valgt]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
